import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { ConformForm, TextAreaField, TextField } from '~/components/ui/field.tsx'
import { saveCampaignTranslation } from '~/models/campaigns.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { isLanguage, languageName } from '~/utils/i18n.ts'
import { campaignTextSchema, textLimits } from '~/utils/schemas.ts'

function requireLocale(value: string | undefined) {
  if (!isLanguage(value)) throw new Response('Unknown language', { status: 404 })
  return value
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const locale = requireLocale(params.locale)
  const text = campaign.translations.find((tr) => tr.locale === locale)
  return {
    campaignId: campaign.id,
    locale,
    isDefault: campaign.defaultLocale === locale,
    defaultLocale: campaign.defaultLocale,
    exists: Boolean(text),
    text: {
      title: text?.title ?? '',
      summary: text?.summary ?? '',
      storyMd: text?.storyMd ?? '',
      petitionText: text?.petitionText ?? '',
      imageAlt: text?.imageAlt ?? '',
    },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const locale = requireLocale(params.locale)
  const submission = parseWithZod(await request.formData(), { schema: campaignTextSchema(getT(context.lang)) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  await saveCampaignTranslation(context.db, { actorId: organizer.id, campaignId: campaign.id, locale, text: submission.value })
  return redirect(`/admin/campaigns/${campaign.id}/text/${locale}?saved=1`)
}

export default function CampaignText() {
  const loaderData = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t, i18n } = useTranslation()
  const [form, fields] = useForm({
    id: `text-${loaderData.campaignId}-${loaderData.locale}`,
    lastResult: actionData?.result,
    defaultValue: loaderData.text,
    constraint: textLimits(campaignTextSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: campaignTextSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  const language = languageName(loaderData.locale, uiLang)
  const fallback = languageName(loaderData.defaultLocale, uiLang)
  return (
    <section className="admin-section">
      <h2>{t('admin.text.heading', { language })}</h2>
      <SavedNotice stale={Boolean(actionData)}>
          <Link to={`/admin/campaigns/${loaderData.campaignId}/preview?locale=${loaderData.locale}`}>{t('admin.tabs.preview')}</Link>
        </SavedNotice>
      {!loaderData.exists ? (
        <p className="notice">{t('admin.text.missing', { language, fallback })}</p>
      ) : null}
      {!loaderData.isDefault ? <p className="muted">{t('admin.text.fallbackHint', { fallback })}</p> : null}
      <ConformForm
        form={form}
        className="stack"
        lang={loaderData.locale}
        lastResult={actionData?.result}
        summary={{
          title: t('admin.text.title'),
          summary: t('admin.text.summary'),
          storyMd: t('admin.text.story'),
          petitionText: t('admin.text.petition'),
          imageAlt: t('admin.text.imageAlt'),
        }}
      >
        <TextField meta={fields.title} label={t('admin.text.title')} />
        <TextAreaField meta={fields.summary} rows={3} label={t('admin.text.summary')} hint={t('admin.text.summaryHint')} />
        <TextAreaField meta={fields.storyMd} rows={18} label={t('admin.text.story')} hint={t('admin.text.storyHint')} />
        <TextAreaField meta={fields.petitionText} rows={4} label={t('admin.text.petition')} hint={t('admin.text.petitionHint')} />
        <TextField meta={fields.imageAlt} label={t('admin.text.imageAlt')} hint={t('admin.text.imageAltHint')} />
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {t('admin.save')}
        </button>
      </ConformForm>
    </section>
  )
}
