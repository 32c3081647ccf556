import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { ConformForm, TextAreaField } from '~/components/ui/field.tsx'
import { getSiteSettings, saveLegalPage } from '~/models/site-settings.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { legalPageDraft } from '~/workflows/legal-pages.server.ts'
import { requireOwner } from '~/workflows/session.server.ts'
import { isLanguage, languageName } from '~/utils/i18n.ts'
import { isLegalPageName } from '~/utils/legal.ts'
import { legalPageSchema } from '~/utils/site-schemas.ts'

function requirePage(params: { page?: string; locale?: string }) {
  const { page, locale } = params
  if (!isLegalPageName(page) || !isLanguage(locale)) throw new Response('Not found', { status: 404 })
  return { page, locale }
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  const { page, locale } = requirePage(params)
  const saved = (await getSiteSettings(context.db)).texts[`${page}:${locale}`]
  return { page, locale, saved: Boolean(saved), body: saved?.body ?? await legalPageDraft(context.db, { page, lang: locale }) }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const owner = await requireOwner(context.db, request)
  const { page, locale } = requirePage(params)
  const submission = parseWithZod(await request.formData(), { schema: legalPageSchema(getT(context.lang)) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  await saveLegalPage(context.db, { actorId: owner.id, page, locale, body: submission.value.body })
  return redirect(`/admin/legal/${page}/${locale}?saved=1`)
}

export default function LegalPageEditor() {
  const loaderData = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t, i18n } = useTranslation()
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  const [form, fields] = useForm({
    id: `legal-${loaderData.page}-${loaderData.locale}`,
    lastResult: actionData?.result,
    defaultValue: { body: loaderData.body },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: legalPageSchema(t) }),
    shouldRevalidate: 'onBlur',
  })
  const title = t(`legal.${loaderData.page}.title`)
  return (
    <section className="admin-section">
      <h2>{t('admin.legal.heading', { page: title, language: languageName(loaderData.locale, uiLang) })}</h2>
      <SavedNotice stale={Boolean(actionData)}>
        <Link to={`/${loaderData.page}?lng=${loaderData.locale}`}>{t('admin.legal.view')}</Link>
      </SavedNotice>
      {!loaderData.saved ? (
        <p className="notice">{loaderData.page === 'privacy' ? t('admin.legal.draftNotice') : t('admin.legal.emptyNotice')}</p>
      ) : null}
      <ConformForm form={form} className="stack" lang={loaderData.locale}>
        <TextAreaField meta={fields.body} rows={24} label={title} hint={t('admin.legal.markdownHint')} />
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {t('admin.legal.save')}
        </button>
      </ConformForm>
    </section>
  )
}
