import {
  data,
  MaxPartSizeExceededError,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
} from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ImageUploadForm } from '~/components/image-upload-form.tsx'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { setCampaignImage } from '~/models/campaigns.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { IMAGE_LIMITS, ImageRejectedError, imageRejectionStatus, MAX_IMAGE_BYTES, storeCampaignImage, type ImageRejection } from '~/utils/uploads.server.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  return { imagePath: campaign.imagePath, maxMb: MAX_IMAGE_BYTES / 1024 / 1024 }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const t = getT(context.lang)
  const reject = (reason: ImageRejection) => data({ error: t(`admin.image.errors.${reason}`, IMAGE_LIMITS) }, { status: imageRejectionStatus(reason) })
  let formData: FormData
  try {
    formData = await unstable_parseMultipartFormData(
      request,
      unstable_createMemoryUploadHandler({ maxPartSize: MAX_IMAGE_BYTES }),
    )
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) return reject('size')
    return reject('missing')
  }
  if (formData.get('intent') === 'remove') {
    await setCampaignImage(context.db, { actorId: organizer.id, campaignId: campaign.id, imagePath: null })
    return redirect(`/admin/campaigns/${campaign.id}/image?saved=1`)
  }
  const file = formData.get('image')
  try {
    const imagePath = await storeCampaignImage(file instanceof File ? file : null, campaign.id)
    await setCampaignImage(context.db, { actorId: organizer.id, campaignId: campaign.id, imagePath })
  } catch (error) {
    if (error instanceof ImageRejectedError) return reject(error.reason)
    throw error
  }
  return redirect(`/admin/campaigns/${campaign.id}/image?saved=1`)
}

export default function CampaignImage() {
  const { imagePath, maxMb } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <h2>{t('admin.image.title')}</h2>
      <SavedNotice stale={Boolean(actionData)} />
      {imagePath ? <img src={imagePath} alt="" className="admin-image-preview" /> : <p>{t('admin.image.none')}</p>}
      <ImageUploadForm name="image" hint={t('admin.image.hint', { max: maxMb })} error={actionData?.error} hasImage={Boolean(imagePath)} />
    </section>
  )
}
