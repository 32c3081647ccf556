import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { CheckboxField, ConformForm, TextField } from '~/components/ui/field.tsx'
import { getSignatureCounters } from '~/models/counters.server.ts'
import { addDefaultMilestones, deleteMilestone, listMilestonesForAdmin, saveMilestone, suggestMilestones } from '~/models/milestones.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDateTime, formatNumber, isLanguage, LANGUAGES, languageName, type Language } from '~/utils/i18n.ts'
import { milestoneDeleteSchema, milestoneSchema } from '~/utils/milestone-schemas.ts'
import { textLimits } from '~/utils/schemas.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const texts = { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale }
  const [milestones, counters] = await Promise.all([listMilestonesForAdmin(context.db, texts), getSignatureCounters(context.db, campaign.id)])
  const canChange = roleAtLeast(role, 'manager')
  const edit = Number(new URL(request.url).searchParams.get('edit'))
  return {
    campaignId: campaign.id,
    canChange,
    lang: context.lang,
    defaultLocale: campaign.defaultLocale,
    confirmed: counters.confirmed,
    milestones,
    editing: milestones.find((m) => m.id === edit) ?? null,
    suggestions: canChange && milestones.length === 0 ? (await suggestMilestones(context.db, { campaignId: campaign.id })).map((s) => s.threshold) : [],
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const t = getT(context.lang)
  const formData = await request.formData().catch(() => null)
  if (!formData) throw new Response(t('admin.milestones.missing'), { status: 400 })
  const back = (query: string) => redirect(`/admin/campaigns/${campaign.id}/milestones?${query}`)
  switch (formData.get('intent')) {
    case 'save': {
      const formId = formData.has('id') ? `milestone-${String(formData.get('id'))}` : 'milestone-new'
      const submission = parseWithZod(formData, { schema: milestoneSchema(t) })
      if (submission.status !== 'success') return data({ formId, result: submission.reply(), notice: null }, { status: 400 })
      const saved = await saveMilestone(context.db, { campaignId: campaign.id, input: submission.value, organizerId: organizer.id })
      if (saved.status === 'saved') return back(`done=${saved.passed ? 'passed' : 'saved'}`)
      const message = t(`admin.milestones.${saved.status === 'threshold-locked' ? 'thresholdLocked' : saved.status}`)
      const reply = saved.status === 'missing' ? submission.reply({ formErrors: [message] }) : submission.reply({ fieldErrors: { threshold: [message] } })
      return data({ formId, result: reply, notice: null }, { status: saved.status === 'missing' ? 404 : 409 })
    }
    case 'delete': {
      const submission = parseWithZod(formData, { schema: milestoneDeleteSchema(t) })
      if (submission.status !== 'success') return data({ formId: null, result: null, notice: t('admin.milestones.missing') }, { status: 400 })
      const deleted = await deleteMilestone(context.db, { campaignId: campaign.id, id: submission.value.id, organizerId: organizer.id })
      if (deleted === 'deleted') return back('done=deleted')
      return data(
        { formId: null, result: null, notice: t(deleted === 'reached' ? 'admin.milestones.reachedNoDelete' : 'admin.milestones.missing') },
        { status: deleted === 'reached' ? 409 : 404 },
      )
    }
    case 'defaults': {
      const added = await addDefaultMilestones(context.db, { campaignId: campaign.id, organizerId: organizer.id })
      return back(`done=suggested&n=${added}`)
    }
    default:
      return data({ formId: null, result: null, notice: t('forms.choose') }, { status: 400 })
  }
}

function MilestoneForm({
  id,
  milestoneId,
  lastResult,
  defaultValue,
  defaultLocale,
  submitLabel,
}: {
  id: string
  milestoneId?: number
  lastResult?: SubmissionResult<string[]> | null
  defaultValue: { threshold?: number; emailTarget?: boolean; texts?: Partial<Record<Language, { happens: string }>> }
  defaultLocale: Language
  submitLabel: string
}) {
  const { t, i18n } = useTranslation()
  const navigation = useNavigation()
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  const [form, fields] = useForm({
    id,
    lastResult: lastResult ?? undefined,
    defaultValue: { ...defaultValue, threshold: defaultValue.threshold === undefined ? undefined : String(defaultValue.threshold), emailTarget: defaultValue.emailTarget ? 'on' : undefined },
    constraint: textLimits(milestoneSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: milestoneSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  const texts = fields.texts.getFieldset()
  // The campaign's main language first: it is the fallback for the others.
  const languages = [defaultLocale, ...LANGUAGES.filter((l) => l !== defaultLocale)]
  const labels: Record<string, string> = { threshold: t('admin.milestones.threshold') }
  for (const l of languages) labels[`texts.${l}.happens`] = t('admin.milestones.happens', { language: languageName(l, uiLang) })
  labels.emailTarget = t('admin.milestones.emailTarget')
  return (
    <ConformForm form={form} className="stack" lastResult={lastResult ?? undefined} summary={labels}>
      <input type="hidden" name="intent" value="save" />
      {milestoneId !== undefined ? <input type="hidden" name="id" value={milestoneId} /> : null}
      <TextField meta={fields.threshold} type="number" inputMode="numeric" label={t('admin.milestones.threshold')} hint={t('admin.milestones.thresholdHint')} />
      <p className="field__hint">{t('admin.milestones.happensHint', { language: languageName(defaultLocale, uiLang) })}</p>
      {languages.map((l) => (
        <TextField key={l} meta={texts[l].getFieldset().happens} label={t('admin.milestones.happens', { language: languageName(l, uiLang) })} />
      ))}
      <CheckboxField meta={fields.emailTarget} label={t('admin.milestones.emailTarget')} hint={t('admin.milestones.emailTargetHint')} />
      <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
        {submitLabel}
      </button>
    </ConformForm>
  )
}

export default function Milestones() {
  const { campaignId, canChange, lang, defaultLocale, confirmed, milestones, editing: asked, suggestions } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  // A change refused by the server comes back on this page: its form stays open with the errors.
  const refused = actionData?.formId?.startsWith('milestone-') ? Number(actionData.formId.slice('milestone-'.length)) : NaN
  const editing = asked ?? milestones.find((m) => m.id === refused) ?? null
  const [searchParams] = useSearchParams()
  const { t } = useTranslation()
  const done = actionData ? null : searchParams.get('done')
  const resultFor = (formId: string) => (actionData?.formId === formId ? (actionData.result as SubmissionResult<string[]> | null) : null)
  const list = new Intl.ListFormat(lang, { type: 'conjunction' })
  return (
    <section className="admin-section admin-section--wide">
      <h2>{t('admin.milestones.title')}</h2>
      <p className="muted">{t('admin.milestones.intro')}</p>
      <p>{t('admin.milestones.count', { n: formatNumber(confirmed, lang) })}</p>
      {done ? (
        <p className="notice notice--success" role="status">
          {done === 'suggested'
            ? t('admin.milestones.suggested', { count: Number(searchParams.get('n') ?? 0) })
            : t(`admin.milestones.${done === 'passed' ? 'savedPassed' : done === 'deleted' ? 'deleted' : 'saved'}`)}
        </p>
      ) : null}
      {actionData?.notice ? (
        <p className="notice notice--error" role="alert">
          {actionData.notice}
        </p>
      ) : null}
      {milestones.length === 0 ? (
        <p>{t('admin.milestones.none')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.milestones.columns.threshold')}</th>
              <th scope="col">{t('admin.milestones.columns.happens')}</th>
              <th scope="col">{t('admin.milestones.columns.emailTarget')}</th>
              <th scope="col">{t('admin.milestones.columns.state')}</th>
              {canChange ? <th scope="col">{t('admin.milestones.columns.actions')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {milestones.map((m) => (
              <tr key={m.id}>
                <td className="cell-number">{formatNumber(m.threshold, lang)}</td>
                <td>{m.happens ? <span lang={m.happens.lang === lang ? undefined : m.happens.lang}>{m.happens.value}</span> : <span className="muted">{t('admin.milestones.noText')}</span>}</td>
                <td>{t(m.emailTarget ? 'admin.milestones.yes' : 'admin.milestones.no')}</td>
                <td>
                  {m.state === 'upcoming'
                    ? t('admin.milestones.states.upcoming')
                    : t(`admin.milestones.states.${m.state}`, { date: m.reachedAt ? formatDateTime(m.reachedAt, lang) : '', n: formatNumber(m.reachedCount ?? 0, lang) })}
                  {m.draftUpdateId !== null ? (
                    <div>
                      <Link to={`/admin/campaigns/${campaignId}/timeline/${m.draftUpdateId}`}>{t('admin.milestones.draftLink')}</Link>
                    </div>
                  ) : null}
                </td>
                {canChange ? (
                  <td>
                    <Link to={`?edit=${m.id}#milestone-${m.id}`}>
                      {t('admin.milestones.edit')}
                      <span className="visually-hidden"> ({formatNumber(m.threshold, lang)})</span>
                    </Link>
                    {m.state === 'upcoming' ? (
                      <Form method="post" className="inline-form">
                        <input type="hidden" name="intent" value="delete" />
                        <input type="hidden" name="id" value={m.id} />
                        <button type="submit" className="button button--quiet">
                          {t('admin.milestones.delete')}
                          <span className="visually-hidden"> ({formatNumber(m.threshold, lang)})</span>
                        </button>
                      </Form>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canChange ? (
        <>
          {suggestions.length > 0 ? (
            <Form method="post" className="panel stack">
              <input type="hidden" name="intent" value="defaults" />
              <p className="field__hint">{t('admin.milestones.suggestHint', { list: list.format(suggestions.map((n) => formatNumber(n, lang))) })}</p>
              <button type="submit" className="button button--quiet">
                {t('admin.milestones.suggest')}
              </button>
            </Form>
          ) : null}
          {editing ? (
            <div className="panel" id={`milestone-${editing.id}`}>
              <h3>{t('admin.milestones.editTitle', { n: formatNumber(editing.threshold, lang) })}</h3>
              {editing.state !== 'upcoming' ? <p className="field__hint">{t('admin.milestones.reachedKept')}</p> : null}
              <MilestoneForm
                key={editing.id}
                id={`milestone-${editing.id}`}
                milestoneId={editing.id}
                lastResult={resultFor(`milestone-${editing.id}`)}
                defaultValue={{ threshold: editing.threshold, emailTarget: editing.emailTarget, texts: editing.texts }}
                defaultLocale={defaultLocale}
                submitLabel={t('admin.milestones.save')}
              />
            </div>
          ) : null}
          <details className="panel" open={actionData?.formId === 'milestone-new' || milestones.length === 0}>
            <summary>{t('admin.milestones.add')}</summary>
            <MilestoneForm id="milestone-new" lastResult={resultFor('milestone-new')} defaultValue={{}} defaultLocale={defaultLocale} submitLabel={t('admin.milestones.create')} />
          </details>
        </>
      ) : (
        <p className="muted">{t('admin.campaignRoles.managersChange')}</p>
      )}
    </section>
  )
}
