import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { ConformForm, SelectField, TextAreaField, TextField } from '~/components/ui/field.tsx'
import { deleteTarget, listTargetsForAdmin, saveTarget } from '~/models/targets.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { isLanguage, LANGUAGES, languageName, type Language } from '~/utils/i18n.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { textLimits } from '~/utils/schemas.ts'
import { deleteTargetSchema, targetSchema, TARGET_INTENTS, type TargetFormValue } from '~/utils/target-schemas.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

/** Whom the petition addresses: viewers read, editors add, change and remove (the page shows them "To: …"). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const targets = await listTargetsForAdmin(context.db, { campaignId: campaign.id })
  return {
    campaignId: campaign.id,
    defaultLocale: campaign.defaultLocale,
    canChange: roleAtLeast(role, 'editor'),
    lang: context.lang,
    nextPosition: targets.reduce((max, target) => Math.max(max, target.position + 1), 0),
    targets,
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const t = getT(context.lang)
  const form = await request.formData()
  const intent = form.get('intent')
  if (!TARGET_INTENTS.includes(intent as (typeof TARGET_INTENTS)[number])) throw new Response(t('admin.targets.badIntent'), { status: 400 })
  const args = { campaignId: campaign.id, defaultLocale: campaign.defaultLocale, organizerId: organizer.id }
  if (intent === 'delete') {
    const submission = parseWithZod(form, { schema: deleteTargetSchema(t) })
    if (submission.status !== 'success') throw new Response(t('admin.targets.notFound'), { status: 400 })
    if (!(await deleteTarget(context.db, { ...args, targetId: submission.value.id }))) throw new Response(t('admin.targets.notFound'), { status: 404 })
    return redirect(`/admin/campaigns/${campaign.id}/targets?saved=1`)
  }
  const submission = parseWithZod(form, { schema: targetSchema(t, { defaultLocale: campaign.defaultLocale }) })
  // The form that was sent shows the errors: the new target's, or the one being changed.
  const formId = formIdFor(campaign.id, typeof form.get('id') === 'string' && form.get('id') ? Number(form.get('id')) : null)
  if (submission.status !== 'success') return data({ formId, result: submission.reply() }, { status: 400 })
  const { id, ...input } = submission.value
  const saved = await saveTarget(context.db, { ...args, targetId: id ?? null, input })
  if (saved === null) return data({ formId, result: submission.reply({ formErrors: [t('admin.targets.notFound')] }) }, { status: 404 })
  return redirect(`/admin/campaigns/${campaign.id}/targets?saved=${saved}`)
}

function formIdFor(campaignId: number, targetId: number | null) {
  return targetId === null ? `target-new-${campaignId}` : `target-${targetId}`
}

export default function TargetsAdmin() {
  const { campaignId, defaultLocale, canChange, lang, nextPosition, targets } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  const saved = useSearchParams()[0].get('saved') ?? ''
  const newId = formIdFor(campaignId, null)
  // An answer about a target no longer listed (removed meanwhile) shows on the add form, so it is seen.
  const shownIds = new Set([newId, ...targets.map((target) => formIdFor(campaignId, target.id))])
  const errorsOn = actionData ? (shownIds.has(actionData.formId) ? actionData.formId : newId) : null
  const resultFor = (formId: string) => (errorsOn === formId ? actionData?.result : undefined)
  return (
    <section className="admin-section">
      <h2>{t('admin.targets.title')}</h2>
      <p className="muted">{t('admin.targets.intro')}</p>
      <SavedNotice stale={Boolean(actionData)} />
      {targets.length === 0 ? (
        <p>{t('admin.targets.none')}</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">{t('admin.targets.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.targets.position')}</th>
              <th scope="col">{t('admin.targets.name')}</th>
              <th scope="col">{t('admin.targets.role')}</th>
              <th scope="col">{t('admin.targets.languages')}</th>
              <th scope="col">{t('admin.targets.writeTo')}</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((target) => {
              const shown = [lang, defaultLocale, ...LANGUAGES].find((l) => target.texts[l].name) ?? defaultLocale
              return (
                <tr key={target.id}>
                  <td className="cell-number">{target.position}</td>
                  <td lang={shown}>{target.texts[shown].name}</td>
                  <td lang={shown}>{target.texts[shown].role}</td>
                  <td>{LANGUAGES.filter((l) => target.texts[l].name || target.texts[l].role || target.texts[l].note).join(', ')}</td>
                  <td>{target.email ? `${target.email} (${languageName(target.locale, lang)})` : t('admin.targets.noEmail')}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {canChange ? (
        <>
          {targets.map((target) => {
            const formId = formIdFor(campaignId, target.id)
            const shown = [lang, defaultLocale, ...LANGUAGES].find((l) => target.texts[l].name) ?? defaultLocale
            return (
              <details key={`${target.id}-${saved}`} className="panel" open={errorsOn === formId}>
                <summary>{t('admin.targets.edit', { name: target.texts[shown].name })}</summary>
                <TargetForm
                  id={formId}
                  lastResult={resultFor(formId)}
                  defaultLocale={defaultLocale}
                  defaultValue={{ id: target.id, email: target.email ?? undefined, locale: target.locale, position: target.position, texts: target.texts }}
                  submitLabel={t('admin.targets.save')}
                />
                <Form method="post" className="stack">
                  <input type="hidden" name="intent" value="delete" />
                  <input type="hidden" name="id" value={target.id} />
                  <button type="submit" className="button button--quiet" disabled={navigation.state === 'submitting'}>
                    {t('admin.targets.delete', { name: target.texts[shown].name })}
                  </button>
                </Form>
              </details>
            )
          })}
          <details key={`new-${saved}`} className="panel" open={errorsOn === newId || targets.length === 0}>
            <summary>{t('admin.targets.add')}</summary>
            <TargetForm
              id={newId}
              lastResult={resultFor(newId)}
              defaultLocale={defaultLocale}
              defaultValue={{ locale: defaultLocale, position: nextPosition }}
              submitLabel={t('admin.targets.add')}
            />
          </details>
        </>
      ) : (
        <p className="muted">{t('admin.targets.editorsChange')}</p>
      )}
    </section>
  )
}

/** One target's address, language and order, and its name, role and note in every language. */
function TargetForm({
  id,
  lastResult,
  defaultValue,
  defaultLocale,
  submitLabel,
}: {
  id: string
  lastResult?: SubmissionResult<string[]>
  defaultValue: TargetFormValue
  defaultLocale: Language
  submitLabel: string
}) {
  const { t, i18n } = useTranslation()
  const navigation = useNavigation()
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  const schema = targetSchema(t, { defaultLocale })
  const [form, fields] = useForm({
    id,
    lastResult,
    defaultValue,
    constraint: textLimits(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldRevalidate: 'onInput',
  })
  const texts = fields.texts.getFieldset()
  // The campaign's main language first: it is the fallback for the others.
  const languages = [defaultLocale, ...LANGUAGES.filter((l) => l !== defaultLocale)]
  const labels: Record<string, string> = {
    email: t('admin.targets.email'),
    locale: t('admin.targets.locale'),
    position: t('admin.targets.position'),
  }
  for (const l of languages) {
    const language = languageName(l, uiLang)
    labels[`texts.${l}.name`] = t('admin.targets.nameIn', { language })
    labels[`texts.${l}.role`] = t('admin.targets.roleIn', { language })
    labels[`texts.${l}.note`] = t('admin.targets.noteIn', { language })
  }
  return (
    <ConformForm form={form} className="stack" lastResult={lastResult} summary={labels}>
      <input type="hidden" name="intent" value="save" />
      {defaultValue.id ? <input type="hidden" name={fields.id.name} value={defaultValue.id} /> : null}
      <div className="row">
        <TextField meta={fields.email} type="email" autoComplete="off" label={t('admin.targets.email')} hint={t('admin.targets.emailHint')} />
        <SelectField
          meta={fields.locale}
          label={t('admin.targets.locale')}
          hint={t('admin.targets.localeHint')}
          options={LANGUAGES.map((l) => ({ value: l, label: languageName(l, uiLang) }))}
        />
        <TextField meta={fields.position} type="number" label={t('admin.targets.position')} hint={t('admin.targets.positionHint')} />
      </div>
      <p className="field__hint">{t('admin.targets.textsHint', { language: languageName(defaultLocale, uiLang) })}</p>
      {languages.map((l) => {
        const text = texts[l].getFieldset()
        const language = languageName(l, uiLang)
        return (
          <fieldset key={l} className="panel stack">
            <legend>{language}</legend>
            <TextField meta={text.name} label={t('admin.targets.nameIn', { language })} />
            <TextField meta={text.role} label={t('admin.targets.roleIn', { language })} />
            <TextAreaField meta={text.note} rows={2} label={t('admin.targets.noteIn', { language })} hint={t('admin.targets.noteHint')} />
          </fieldset>
        )
      })}
      <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
        {submitLabel}
      </button>
    </ConformForm>
  )
}
