import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LegalReviewBanner } from '~/components/legal-review-banner.tsx'
import { BacklogBanner } from '~/components/outbox-state.tsx'
import { listCampaignsForAdmin } from '~/models/campaigns.server.ts'
import { listCampaignRoles } from '~/models/organizers.server.ts'
import { confirmationsAreLate, getOutboxStats } from '~/models/outbox-stats.server.ts'
import { getEnv } from '~/services/env.server.ts'
import { requireOrganizer } from '~/services/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(request)
  const campaigns = await listCampaignsForAdmin({ lang: context.lang })
  const isOwner = organizer.role === 'owner'
  // Everyone else sees only the campaigns they have a role on, with that role (ADR 011).
  const roles = new Map(isOwner ? [] : (await listCampaignRoles({ organizerId: organizer.id })).map((m) => [m.campaignId, m.role]))
  const env = getEnv()
  // Counts only, for every organiser (ADR 011); in demo mode mail is captured at once, nobody waits on a provider.
  const outbox = env.mode === 'live' ? await getOutboxStats({ requestsPerSecond: env.resend.requestsPerSecond }) : null
  return {
    backlog: outbox && confirmationsAreLate(outbox) ? outbox : null,
    isOwner,
    campaigns: campaigns.flatMap((c) => {
      const role = isOwner ? 'owner' : roles.get(c.id)
      return role ? [{ ...c, role }] : []
    }),
    canCreate: isOwner,
    lang: context.lang,
  }
}

export default function AdminCampaigns() {
  const { backlog, isOwner, campaigns, canCreate, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      {backlog ? <BacklogBanner state={backlog} isOwner={isOwner} lang={lang} /> : null}
      <LegalReviewBanner />
      <div className="page-head">
        <h1>{t('admin.campaigns.title')}</h1>
        {canCreate ? (
          <Link to="/admin/campaigns/new" className="button">
            {t('admin.campaigns.new')}
          </Link>
        ) : null}
      </div>
      {campaigns.length === 0 ? (
        <p>{t(canCreate ? 'admin.campaigns.empty' : 'admin.campaigns.noneAssigned')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.campaigns.campaign')}</th>
              <th scope="col">{t('admin.campaigns.status')}</th>
              {canCreate ? null : <th scope="col">{t('admin.campaigns.yourRole')}</th>}
              <th scope="col">{t('admin.campaigns.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/admin/campaigns/${c.id}`}>{c.title.value}</Link>
                  <div className="muted">/c/{c.slug}</div>
                </td>
                <td>
                  <span className={`status status--${c.status}`}>{t(`campaign.status.${c.status}`)}</span>
                </td>
                {canCreate ? null : <td>{t(`admin.campaignRoles.${c.role}`)}</td>}
                <td>{formatDateTime(c.updatedAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  )
}
