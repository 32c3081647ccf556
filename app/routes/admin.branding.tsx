import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import {
  data,
  MaxPartSizeExceededError,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
} from '@remix-run/node'
import { useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ImageUploadForm } from '~/components/image-upload-form.tsx'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { ConformForm, TextAreaField, TextField } from '~/components/ui/field.tsx'
import { getSiteSettings, saveBranding, setLogo } from '~/models/site-settings.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireOwner } from '~/workflows/session.server.ts'
import { IMAGE_LIMITS, ImageRejectedError, imageRejectionStatus, MAX_IMAGE_BYTES, storeLogo, type ImageRejection } from '~/utils/uploads.server.ts'
import { isLanguage, LANGUAGES, languageName, type Language } from '~/utils/i18n.ts'
import { brandingSchema } from '~/utils/site-schemas.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  const s = await getSiteSettings(context.db)
  const text = (kind: 'headline' | 'intro', lang: Language) => s.texts[`${kind}:${lang}`]?.body ?? ''
  return {
    logoPath: s.logoPath,
    maxMb: MAX_IMAGE_BYTES / 1024 / 1024,
    values: {
      teamName: s.teamName ?? '',
      accentColor: s.accentColor ?? '',
      headline_en: text('headline', 'en'),
      headline_de: text('headline', 'de'),
      headline_es: text('headline', 'es'),
      intro_en: text('intro', 'en'),
      intro_de: text('intro', 'de'),
      intro_es: text('intro', 'es'),
    },
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const owner = await requireOwner(context.db, request)
  const t = getT(context.lang)
  // The logo form is multipart (server/guard.ts gives this path the upload limits); the rest is an ordinary form.
  if ((request.headers.get('Content-Type') ?? '').startsWith('multipart/form-data')) return saveLogo(context.db, request, owner.id, t)
  const submission = parseWithZod(await request.formData(), { schema: brandingSchema(t) })
  if (submission.status !== 'success') return data({ result: submission.reply(), logoError: null }, { status: 400 })
  const v = submission.value
  await saveBranding(context.db, {
    actorId: owner.id,
    input: {
      teamName: v.teamName || null,
      accentColor: v.accentColor || null,
      headline: { en: v.headline_en, de: v.headline_de, es: v.headline_es },
      intro: { en: v.intro_en, de: v.intro_de, es: v.intro_es },
    },
  })
  return redirect('/admin/branding?saved=1')
}

async function saveLogo(db: LoaderFunctionArgs['context']['db'], request: Request, actorId: number, t: ReturnType<typeof getT>) {
  const reject = (reason: ImageRejection) =>
    data({ result: undefined, logoError: t(`admin.image.errors.${reason}`, IMAGE_LIMITS) }, { status: imageRejectionStatus(reason) })
  let formData: FormData
  try {
    formData = await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_IMAGE_BYTES }))
  } catch (error) {
    return reject(error instanceof MaxPartSizeExceededError ? 'size' : 'missing')
  }
  if (formData.get('intent') === 'remove') {
    await setLogo(db, { actorId, logoPath: null })
    return redirect('/admin/branding?saved=1')
  }
  const file = formData.get('logo')
  try {
    await setLogo(db, { actorId, logoPath: await storeLogo(file instanceof File ? file : null) })
  } catch (error) {
    if (error instanceof ImageRejectedError) return reject(error.reason)
    throw error
  }
  return redirect('/admin/branding?saved=1')
}

export default function Branding() {
  const { logoPath, maxMb, values } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t, i18n } = useTranslation()
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  const [form, fields] = useForm({
    id: 'branding',
    lastResult: actionData?.result,
    defaultValue: values,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: brandingSchema(t) }),
    shouldRevalidate: 'onBlur',
  })
  return (
    <main className="wrap page">
      <h1>{t('admin.branding.title')}</h1>
      <SavedNotice stale={Boolean(actionData)} />
      <p className="muted">{t('admin.branding.intro')}</p>
      <ConformForm form={form} className="stack">
        <TextField meta={fields.teamName} label={t('admin.branding.teamName')} hint={t('admin.branding.teamNameHint')} />
        <TextField meta={fields.accentColor} label={t('admin.branding.accent')} hint={t('admin.branding.accentHint')} />
        {LANGUAGES.map((lang) => (
          <fieldset key={lang} className="stack" lang={lang}>
            <legend>{t('admin.branding.home', { language: languageName(lang, uiLang) })}</legend>
            <TextField meta={fields[`headline_${lang}`]} label={t('admin.branding.headline')} hint={t('admin.branding.fallbackHint')} />
            <TextAreaField meta={fields[`intro_${lang}`]} rows={3} label={t('admin.branding.introText')} />
          </fieldset>
        ))}
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {t('admin.save')}
        </button>
      </ConformForm>
      <h2>{t('admin.branding.logo')}</h2>
      {logoPath ? <img src={logoPath} alt="" className="admin-image-preview" /> : <p>{t('admin.branding.noLogo')}</p>}
      <ImageUploadForm name="logo" hint={t('admin.branding.logoHint', { max: maxMb })} error={actionData?.logoError} hasImage={Boolean(logoPath)} />
    </main>
  )
}
