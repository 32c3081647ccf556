import type { AppLoadContext, LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { OutboxState } from '~/components/outbox-state.tsx'
import { EmailAddress } from '~/components/ui/email-address.tsx'
import { getOutboxStats } from '~/models/outbox-stats.server.ts'
import { listOutbox } from '~/models/outbox.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { outboxCampaignsOf, recipientFor, showsLiveLinks } from '~/workflows/outbox-view.server.ts'
import { requireOrganizer } from '~/workflows/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

/**
 * Counts across the instance, never an address. The transactional queue is every organiser's
 * concern (their signers wait in it, and the campaign page tells signers the wait anyway); the
 * update mail left to send says how large other campaigns' audiences are: owners only (ADR 011).
 */
async function outboxStateFor(db: AppLoadContext['db'], organizer: { role: string }) {
  const state = await getOutboxStats(db, { requestsPerSecond: getEnv().resend.requestsPerSecond })
  return organizer.role === 'owner' ? state : { ...state, updatesRemaining: null, everythingEmptyInMs: null }
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  const before = Number(new URL(request.url).searchParams.get('before')) || undefined
  const { messages, nextBefore } = await listOutbox(context.db, { before, campaignIds: await outboxCampaignsOf(context.db, organizer) })
  const { requestsPerSecond } = getEnv().resend
  return {
    state: await outboxStateFor(context.db, organizer),
    requestsPerSecond,
    messages: messages.map((m) => {
      const to = recipientFor(organizer, m.toEmail)
      // A provider's error may quote the address.
      return { ...m, toEmail: to, lastError: m.lastError && m.toEmail ? m.lastError.replaceAll(m.toEmail, to) : m.lastError }
    }),
    nextBefore,
    demo: getEnv().mode === 'demo',
    liveLinks: showsLiveLinks(organizer),
    isOwner: organizer.role === 'owner',
    lang: context.lang,
  }
}

export default function Outbox() {
  const { state, requestsPerSecond, messages, nextBefore, demo, liveLinks, isOwner, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <h1>{t('admin.outbox.title')}</h1>
      <p className="muted">{demo ? t('admin.outbox.demo') : t('admin.outbox.live')}</p>
      <OutboxState state={state} demo={demo} requestsPerSecond={requestsPerSecond} lang={lang} />
      <p className="muted">
        {t(liveLinks ? 'admin.outbox.linksDemo' : demo ? 'admin.outbox.linksOwnersInDemo' : 'admin.outbox.linksRemoved')}
        {isOwner ? null : ` ${t('admin.outbox.addressesOwnersOnly')}`}
      </p>
      {messages.length === 0 ? (
        <p>{t('admin.outbox.empty')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.outbox.when')}</th>
              <th scope="col">{t('admin.outbox.to')}</th>
              <th scope="col">{t('admin.outbox.template')}</th>
              <th scope="col">{t('admin.outbox.status')}</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.id}>
                <td>
                  <Link to={`/admin/outbox/${m.id}`}>{formatDateTime(m.createdAt, lang)}</Link>
                </td>
                {/* Empty once the retention job deleted the supporter it went to (ADR 010). */}
                <td className="cell-email">{m.toEmail ? <EmailAddress address={m.toEmail} /> : <span className="muted">{t('admin.outbox.addressRemoved')}</span>}</td>
                <td data-template={m.template}>
                  {t(`admin.outbox.templates.${m.template}`, { defaultValue: m.template })} — {m.locale}
                </td>
                <td>
                  <span className={`status status--${m.status}`}>{t(`admin.outbox.statuses.${m.status}`)}</span>
                  {m.lastError ? <div className="muted">{m.lastError}</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextBefore ? (
        <p>
          <Link to={`?before=${nextBefore}`}>{t('admin.audit.older')}</Link>
        </p>
      ) : null}
    </main>
  )
}
