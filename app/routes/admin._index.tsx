import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { listCampaignsForAdmin } from '~/models/campaigns.server.ts'
import { requireOrganizer } from '~/services/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOrganizer(request)
  return { campaigns: await listCampaignsForAdmin({ lang: context.lang }), lang: context.lang }
}

export default function AdminCampaigns() {
  const { campaigns, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <div className="page-head">
        <h1>{t('admin.campaigns.title')}</h1>
        <Link to="/admin/campaigns/new" className="button">
          {t('admin.campaigns.new')}
        </Link>
      </div>
      {campaigns.length === 0 ? (
        <p>{t('admin.campaigns.empty')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.campaigns.campaign')}</th>
              <th scope="col">{t('admin.campaigns.status')}</th>
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
                <td>{formatDateTime(c.updatedAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  )
}
