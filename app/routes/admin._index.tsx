import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LegalReviewBanner } from '~/components/legal-review-banner.tsx'
import { BacklogBanner } from '~/components/outbox-state.tsx'
import { listCampaignsForAdmin } from '~/models/campaigns.server.ts'
import { dashboardFor } from '~/models/dashboard.server.ts'
import { listCampaignRoles } from '~/models/organizers.server.ts'
import { confirmationsAreLate, getOutboxStats } from '~/models/outbox-stats.server.ts'
import { useRootData } from '~/root.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { requireOrganizer } from '~/workflows/session.server.ts'
import { formatDateTime, formatMoney, formatNumber } from '~/utils/i18n.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { DIRECT_SOURCE } from '~/utils/sources.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  const isOwner = organizer.role === 'owner'
  // Everyone else sees only the campaigns they have a role on, with that role, and only their figures (ADR 011).
  const roles = new Map(isOwner ? [] : (await listCampaignRoles(context.db, { organizerId: organizer.id })).map((m) => [m.campaignId, m.role]))
  const campaigns = (await listCampaignsForAdmin(context.db, { lang: context.lang })).flatMap((c) => {
    const role = isOwner ? ('owner' as const) : roles.get(c.id)
    return role ? [{ ...c, role }] : []
  })
  const figures = new Map((await dashboardFor(context.db, { campaigns, lang: context.lang })).map((d) => [d.campaignId, d]))
  const env = getEnv()
  // Counts only, for every organiser (ADR 011); update mail left to send (other campaigns' audiences) for owners only.
  const stats = await getOutboxStats(context.db, { requestsPerSecond: env.resend.requestsPerSecond })
  const rows = campaigns.map((c) => {
    const d = figures.get(c.id)
    return { ...c, figures: d?.figures ?? null, funds: d?.funds ?? [], sources: d?.sources ?? [], canModerate: roleAtLeast(c.role, 'editor') }
  })
  return {
    // In demo mode mail is captured at once: nobody waits on a provider.
    backlog: env.mode === 'live' && confirmationsAreLate(stats) ? stats : null,
    outbox: {
      confirmationsQueued: stats.confirmationsQueued,
      otherQueued: stats.otherQueued,
      updatesRemaining: isOwner ? stats.updatesRemaining : null,
      oldestConfirmationAgeMs: stats.oldestConfirmationAgeMs,
    },
    isOwner,
    // Most recent activity first.
    campaigns: rows.sort((a, b) => (b.figures?.lastChange?.at ?? b.updatedAt) - (a.figures?.lastChange?.at ?? a.updatedAt)),
    canCreate: isOwner,
    lang: context.lang,
  }
}

export default function AdminDashboard() {
  const { backlog, outbox, isOwner, campaigns, canCreate, lang } = useLoaderData<typeof loader>()
  const root = useRootData()
  const { t } = useTranslation()
  const num = (value: number) => formatNumber(value, lang)
  return (
    <main className="wrap page">
      {backlog ? <BacklogBanner state={backlog} isOwner={isOwner} lang={lang} /> : null}
      <LegalReviewBanner missing={root?.legalToReview} isOwner={root?.organizer?.role === 'owner'} />
      <div className="page-head">
        <h1>{t('admin.campaigns.title')}</h1>
        {canCreate ? (
          <Link to="/admin/campaigns/new" className="button">
            {t('admin.campaigns.new')}
          </Link>
        ) : null}
      </div>
      <p className="dashboard-outbox" data-testid="dashboard-outbox">
        {t('admin.dashboard.outbox', {
          confirmations: num(outbox.confirmationsQueued),
          other: num(outbox.otherQueued),
        })}
        {outbox.updatesRemaining ? ` ${t('admin.dashboard.outboxUpdates', { count: outbox.updatesRemaining, updates: num(outbox.updatesRemaining) })}` : null}{' '}
        {outbox.oldestConfirmationAgeMs !== null ? `${t('admin.dashboard.outboxOldest', { minutes: num(Math.floor(outbox.oldestConfirmationAgeMs / 60_000)) })} ` : null}
        <Link to="/admin/outbox">{t('admin.dashboard.outboxLink')}</Link>
      </p>
      {campaigns.length === 0 ? (
        <p>{t(canCreate ? 'admin.campaigns.empty' : 'admin.campaigns.noneAssigned')}</p>
      ) : (
        <ul className="dashboard">
          {campaigns.map((c) => (
            <li key={c.id} className="dashboard__campaign" data-testid={`campaign-${c.id}`}>
              <div className="dashboard__head">
                <h2>
                  <Link to={`/admin/campaigns/${c.id}`}>{c.title.value}</Link>
                </h2>
                <span className={`status status--${c.status}`}>{t(`campaign.status.${c.status}`)}</span>
                {isOwner ? null : <span className="muted">{t('admin.campaigns.yourRoleIs', { role: t(`admin.campaignRoles.${c.role}`) })}</span>}
              </div>
              {c.figures ? (
                <dl className="stats stats--wrap">
                  <div>
                    <dt>{t('admin.dashboard.today')}</dt>
                    <dd data-testid="today">{num(c.figures.confirmedToday)}</dd>
                  </div>
                  <div>
                    <dt>{t('admin.dashboard.week')}</dt>
                    <dd data-testid="week">{num(c.figures.confirmedThisWeek)}</dd>
                  </div>
                  <div>
                    <dt>{t('admin.dashboard.total')}</dt>
                    <dd data-testid="total">{num(c.figures.confirmed)}</dd>
                  </div>
                  <div>
                    <dt>{t('admin.dashboard.waiting')}</dt>
                    <dd data-testid="waiting">{num(c.figures.pending)}</dd>
                  </div>
                  <div>
                    <dt>{t('admin.dashboard.messages')}</dt>
                    <dd data-testid="messages">
                      {c.canModerate && c.figures.messagesToModerate > 0 ? (
                        <Link to={`/admin/campaigns/${c.id}/messages`}>{num(c.figures.messagesToModerate)}</Link>
                      ) : (
                        num(c.figures.messagesToModerate)
                      )}
                    </dd>
                  </div>
                </dl>
              ) : null}
              {c.funds.length ? (
                <ul className="dashboard__funds" aria-label={t('admin.dashboard.funds')}>
                  {c.funds.map((f) => (
                    <li key={f.id} data-testid={`fund-${f.id}`}>
                      {t('admin.dashboard.fund', {
                        title: f.title,
                        raised: formatMoney(f.raisedMinor, f.currency, lang),
                        goal: formatMoney(f.goalMinor, f.currency, lang),
                      })}
                      {f.status === 'closed' ? <span className="muted"> ({t('admin.dashboard.fundClosed')})</span> : null}
                    </li>
                  ))}
                </ul>
              ) : null}
              {c.sources.length ? (
                <p data-testid="sources">
                  {t('admin.dashboard.sources', {
                    list: c.sources
                      .map((s) => `${s.source === DIRECT_SOURCE ? t('admin.sharing.direct') : s.source}: ${num(s.confirmed)}`)
                      .join(' · '),
                  })}{' '}
                  <Link to={`/admin/campaigns/${c.id}/sharing`}>{t('admin.dashboard.sourcesLink')}</Link>
                </p>
              ) : null}
              <p className="muted" data-testid="last-change">
                {c.figures?.lastChange
                  ? t(`admin.dashboard.last.${c.figures.lastChange.kind}`, { when: formatDateTime(c.figures.lastChange.at, lang) })
                  : t('admin.dashboard.last.none')}
              </p>
            </li>
          ))}
        </ul>
      )}
      <p className="muted">{t('admin.dashboard.days')}</p>
    </main>
  )
}
