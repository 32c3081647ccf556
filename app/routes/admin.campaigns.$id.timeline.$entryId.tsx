import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import {
  data,
  MaxPartSizeExceededError,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type ActionFunctionArgs,
  type AppLoadContext,
  type LoaderFunctionArgs,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { PublicationFields } from '~/components/publication-fields.tsx'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { TimelineEntryForm } from '~/components/timeline-entry-form.tsx'
import { ConformForm, ErrorList } from '~/components/ui/field.tsx'
import {
  deleteTimelineEntry,
  getTimelineEntry,
  publicationState,
  saveTimelineEntry,
  setTimelineImage,
  setTimelinePublication,
} from '~/models/timeline.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { IMAGE_LIMITS, ImageRejectedError, imageRejectionStatus, MAX_IMAGE_BYTES, storeUpdateImage, type ImageRejection } from '~/utils/uploads.server.ts'
import { formatDateTime, isLanguage, LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { publicationSchema, timelineEntrySchema, textLimits } from '~/utils/schemas.ts'

async function requireEntry(db: AppLoadContext['db'], request: Request, params: { id?: string; entryId?: string }, min: 'viewer' | 'editor') {
  const { organizer, campaign } = await requireCampaignRole(db, request, params.id, min)
  const entry = await getTimelineEntry(db, { campaignId: campaign.id, entryId: Number(params.entryId) })
  if (!entry) throw new Response('Timeline entry not found', { status: 404 })
  return { organizer, campaign, entry }
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, entry } = await requireEntry(context.db, request, params, 'viewer')
  const wanted = new URL(request.url).searchParams.get('locale')
  const locale = isLanguage(wanted) ? wanted : (entry.translations[0]?.locale ?? campaign.defaultLocale)
  const text = entry.translations.find((tr) => tr.locale === locale)
  return {
    campaignId: campaign.id,
    entryId: entry.id,
    locale,
    lang: context.lang,
    languages: entry.translations.map((tr) => tr.locale),
    state: publicationState(entry.publishedAt),
    publishedAt: entry.publishedAt,
    imagePath: entry.imagePath,
    maxMb: MAX_IMAGE_BYTES / 1024 / 1024,
    value: { happenedOn: entry.happenedOn, locale, title: text?.title ?? '', bodyMd: text?.bodyMd ?? '', imageAlt: text?.imageAlt ?? '' },
  }
}

/** The entry's image: a multipart form of its own (the texts are per language, the image is not). */
async function imageAction(db: AppLoadContext['db'], { request, actorId, campaignId, entryId, lang }: { request: Request; actorId: number; campaignId: number; entryId: number; lang: Parameters<typeof getT>[0] }) {
  const t = getT(lang)
  const reject = (reason: ImageRejection) =>
    data({ form: 'image' as const, imageError: t(`admin.image.errors.${reason}`, IMAGE_LIMITS) }, { status: imageRejectionStatus(reason) })
  let formData: FormData
  try {
    formData = await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_IMAGE_BYTES }))
  } catch (error) {
    return reject(error instanceof MaxPartSizeExceededError ? 'size' : 'missing')
  }
  if (formData.get('intent') === 'remove-image') {
    await setTimelineImage(db, { actorId, campaignId, entryId, imagePath: null })
  } else {
    const file = formData.get('image')
    try {
      const imagePath = await storeUpdateImage(file instanceof File ? file : null, entryId)
      await setTimelineImage(db, { actorId, campaignId, entryId, imagePath })
    } catch (error) {
      if (error instanceof ImageRejectedError) return reject(error.reason)
      throw error
    }
  }
  return redirect(`/admin/campaigns/${campaignId}/timeline/${entryId}?saved=1`)
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign, entry } = await requireEntry(context.db, request, params, 'editor')
  const ids = { actorId: organizer.id, campaignId: campaign.id, entryId: entry.id }
  if ((request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
    return imageAction(context.db, { request, ...ids, lang: context.lang })
  }
  const formData = await request.formData()
  const intent = formData.get('intent')
  const t = getT(context.lang)
  if (intent === 'delete') {
    await deleteTimelineEntry(context.db, ids)
    return redirect(`/admin/campaigns/${campaign.id}/timeline?saved=1`)
  }
  if (intent === 'publish') {
    const submission = parseWithZod(formData, { schema: publicationSchema(t) })
    if (submission.status !== 'success') return data({ form: 'publication' as const, result: submission.reply() }, { status: 400 })
    await setTimelinePublication(context.db, { ...ids, publication: submission.value.publication })
    return redirect(`/admin/campaigns/${campaign.id}/timeline/${entry.id}?saved=1`)
  }
  const submission = parseWithZod(formData, { schema: timelineEntrySchema(t) })
  if (submission.status !== 'success') return data({ form: 'text' as const, result: submission.reply() }, { status: 400 })
  await saveTimelineEntry(context.db, { ...ids, input: submission.value })
  return redirect(`/admin/campaigns/${campaign.id}/timeline/${entry.id}?locale=${submission.value.locale}&saved=1`)
}

export default function TimelineEntryAdmin() {
  const { campaignId, entryId, locale, languages, value, state, publishedAt, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <p>
        <Link to={`/admin/campaigns/${campaignId}/timeline`}>← {t('admin.timeline.title')}</Link>
      </p>
      <div className="page-head">
        <h2>{t('admin.timeline.edit')}</h2>
        <Link to={`/admin/campaigns/${campaignId}/updates/${entryId}/send`} className="button button--quiet">
          {t('admin.updates.emailThis')}
        </Link>
      </div>
      <SavedNotice stale={Boolean(actionData)} />
      <p>
        <span className={`status status--${state}`}>{t(`admin.updates.states.${state}`)}</span>{' '}
        {publishedAt !== null ? t(`admin.updates.stateSince.${state === 'scheduled' ? 'scheduled' : 'published'}`, { when: formatDateTime(publishedAt, lang) }) : t('admin.updates.stateSince.draft')}
      </p>
      <nav className="tabs" aria-label={t('admin.timeline.language')}>
        {LANGUAGES.map((l) => (
          <Link key={l} to={`?locale=${l}`} aria-current={l === locale ? 'page' : undefined}>
            {LANGUAGE_NAMES[l]} {languages.includes(l) ? '' : `(${t('admin.timeline.missing')})`}
          </Link>
        ))}
      </nav>
      <TimelineEntryForm
        key={locale}
        id={`timeline-${entryId}-${locale}`}
        lastResult={actionData && 'result' in actionData && actionData.form === 'text' ? actionData.result : undefined}
        defaultValue={value}
        submitLabel={t('admin.save')}
        lockedLocale={locale}
      />
      <PublicationForm entryId={entryId} state={state} />
      <EntryImage />
      <Form method="post" className="danger-zone">
        <input type="hidden" name="intent" value="delete" />
        <button type="submit" className="button button--danger">
          {t('admin.timeline.delete')}
        </button>
      </Form>
    </section>
  )
}

function PublicationForm({ entryId, state }: { entryId: number; state: 'draft' | 'scheduled' | 'published' }) {
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  const [form, fields] = useForm({
    id: `publication-${entryId}`,
    lastResult: actionData && 'result' in actionData && actionData.form === 'publication' ? actionData.result : undefined,
    defaultValue: { publish: state === 'draft' ? 'draft' : state === 'scheduled' ? 'schedule' : 'now' },
    constraint: textLimits(publicationSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: publicationSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <section className="panel stack admin-panel" aria-labelledby={`publication-${entryId}-title`}>
      <h3 id={`publication-${entryId}-title`}>{t('admin.updates.publish.title')}</h3>
      <ConformForm form={form} className="stack">
        <input type="hidden" name="intent" value="publish" />
        <PublicationFields fields={fields} />
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {t('admin.updates.publish.save')}
        </button>
      </ConformForm>
    </section>
  )
}

function EntryImage() {
  const { imagePath, maxMb, entryId } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  const error = actionData && 'imageError' in actionData ? actionData.imageError : undefined
  const inputId = `update-image-${entryId}`
  return (
    <section className="panel stack admin-panel" aria-labelledby={`${inputId}-title`}>
      <h3 id={`${inputId}-title`}>{t('admin.updates.image.title')}</h3>
      {imagePath ? <img src={imagePath} alt="" className="admin-image-preview" /> : <p>{t('admin.updates.image.none')}</p>}
      <Form method="post" encType="multipart/form-data" className="stack">
        <div className="field">
          <label htmlFor={inputId}>{t('admin.image.choose')}</label>
          <p className="field__hint" id={`${inputId}-hint`}>
            {t('admin.updates.image.hint', { max: maxMb })}
          </p>
          <input
            id={inputId}
            name="image"
            type="file"
            accept="image/jpeg,image/png,image/webp"
            aria-describedby={`${inputId}-hint ${inputId}-error`}
            aria-invalid={error ? true : undefined}
          />
          <ErrorList id={`${inputId}-error`} errors={error ? [error] : undefined} />
        </div>
        <div className="row">
          <button type="submit" name="intent" value="image" className="button" disabled={navigation.state === 'submitting'}>
            {t('admin.image.upload')}
          </button>
          {imagePath ? (
            <button type="submit" name="intent" value="remove-image" className="button button--quiet">
              {t('admin.image.remove')}
            </button>
          ) : null}
        </div>
      </Form>
    </section>
  )
}
