import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { listAuditSentences } from '~/models/audit.server.ts'
import { requireOwner } from '~/workflows/session.server.ts'
import { formatDateTime, formatNumber, LANGUAGE_NAMES, isLanguage, type Language } from '~/utils/i18n.ts'
import type { TFunction } from 'i18next'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  const before = Number(new URL(request.url).searchParams.get('before')) || undefined
  return { ...(await listAuditSentences(context.db, { before, lang: context.lang })), lang: context.lang }
}

export default function AuditLog() {
  const { entries, nextBefore, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <h1>{t('admin.audit.title')}</h1>
      <p>
        <Link to="/admin/payment-events">{t('admin.audit.paymentEvents.title')}</Link>
      </p>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('admin.audit.when')}</th>
            <th scope="col">{t('admin.audit.what')}</th>
            <th scope="col">{t('admin.audit.details')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatDateTime(e.createdAt, lang)}</td>
              <td data-action={e.action}>{auditSentence(t, e, lang)}</td>
              <td>
                {e.details ? (
                  <details>
                    <summary>{t('admin.audit.show')}</summary>
                    <code className="audit-details">{JSON.stringify(e.details)}</code>
                  </details>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextBefore ? (
        <p>
          <Link to={`?before=${nextBefore}`}>{t('admin.audit.older')}</Link>
        </p>
      ) : null}
    </main>
  )
}

type Entry = ReturnType<typeof useLoaderData<typeof loader>>['entries'][number]

/** "Maria logged in": an entry as a sentence in the reader's language; an action without one keeps its key. */
function auditSentence(t: TFunction, e: Entry, lang: Language) {
  const details = (e.details ?? {}) as Record<string, unknown>
  const language = (value: unknown) => (isLanguage(value) ? LANGUAGE_NAMES[value] : '')
  const role = Array.isArray(details.role) ? details.role[1] : details.role
  const count = Number(details.recipients ?? details.invalidated ?? details.anonymised ?? 0)
  const values = {
    who: e.organizerName ?? t('admin.audit.systemWho'),
    subject: e.subjectName ?? t('admin.audit.someone'),
    campaign: e.campaignTitle ?? t('admin.audit.aCampaign'),
    title: typeof details.title === 'string' ? details.title : '',
    language: language(details.locale),
    role: typeof role === 'string' ? t(`admin.audit.roles.${role}`, { defaultValue: role }) : '',
    fund: typeof details.slug === 'string' ? details.slug : '',
    page: typeof details.page === 'string' ? t(`legal.${details.page}.title`, { defaultValue: details.page }) : '',
    count,
    n: formatNumber(count, lang),
  }
  const key = `admin.audit.actions.${e.action.replaceAll('.', '_')}${variantOf(e.action, details)}`
  return t(key, { ...values, defaultValue: `${values.who}: ${e.action}` })
}

/** The sentence's variant: which change to an organiser's account; at-risk mode turned on or off; an export with or without names. */
function variantOf(action: string, details: Record<string, unknown>) {
  if (action === 'organizer.update') return details.disabled === true ? '_disabled' : details.disabled === false ? '_enabled' : '_role'
  const atRisk = Array.isArray(details.atRisk) ? details.atRisk[1] : undefined
  if (action === 'campaign.update' && typeof atRisk === 'boolean') return atRisk ? '_at_risk_on' : '_at_risk_off'
  if (action === 'campaign.create' && details.atRisk === true) return '_at_risk'
  if (action.endsWith('.export') && typeof details.withNames === 'boolean') return details.withNames ? '_with_names' : '_without_names'
  return ''
}
