import type { LoaderFunctionArgs } from '@remix-run/node'
import { NavLink, Outlet, useLoaderData, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorPage } from '~/root.tsx'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { LANGUAGES } from '~/utils/i18n.ts'
import { pickTranslation } from '~/utils/translations.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const title = pickTranslation(campaign.translations, context.lang, campaign.defaultLocale, (tr) => tr.title !== '')?.title ?? campaign.slug
  return { id: campaign.id, slug: campaign.slug, status: campaign.status, title, role }
}

export default function CampaignAdminLayout() {
  const campaign = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  const base = `/admin/campaigns/${campaign.id}`
  return (
    <main className="wrap page">
      <div className="page-head">
        <div>
          <p className="eyebrow">
            <span className={`status status--${campaign.status}`}>{t(`campaign.status.${campaign.status}`)}</span> /c/
            {campaign.slug}
          </p>
          <h1>{campaign.title}</h1>
          {campaign.role === 'owner' ? null : <p className="muted">{t('admin.campaignRoles.yours', { role: t(`admin.campaignRoles.${campaign.role}`) })}</p>}
        </div>
        <NavLink to={`${base}/preview`} className="button button--quiet">
          {t('admin.tabs.preview')}
        </NavLink>
      </div>
      <nav className="tabs" aria-label={t('admin.tabs.label')}>
        <NavLink to={base} end>
          {t('admin.tabs.settings')}
        </NavLink>
        {LANGUAGES.map((lng) => (
          <NavLink key={lng} to={`${base}/text/${lng}`}>
            {t('admin.tabs.text', { language: lng.toUpperCase() })}
          </NavLink>
        ))}
        <NavLink to={`${base}/image`}>{t('admin.tabs.image')}</NavLink>
        <NavLink to={`${base}/timeline`}>{t('admin.tabs.timeline')}</NavLink>
        <NavLink to={`${base}/targets`}>{t('admin.tabs.targets')}</NavLink>
        <NavLink to={`${base}/milestones`}>{t('admin.tabs.milestones')}</NavLink>
        <NavLink to={`${base}/deliveries`}>{t('admin.tabs.deliveries')}</NavLink>
        <NavLink to={`${base}/responses`}>{t('admin.tabs.responses')}</NavLink>
        {roleAtLeast(campaign.role, 'editor') ? <NavLink to={`${base}/packet`}>{t('admin.tabs.packet')}</NavLink> : null}
        <NavLink to={`${base}/signatures`}>{t('admin.tabs.signatures')}</NavLink>
        {roleAtLeast(campaign.role, 'editor') ? <NavLink to={`${base}/messages`}>{t('admin.tabs.messages')}</NavLink> : null}
        {roleAtLeast(campaign.role, 'editor') ? <NavLink to={`${base}/donor-wall`}>{t('admin.tabs.donorWall')}</NavLink> : null}
        <NavLink to={`${base}/funds`}>{t('admin.tabs.funds')}</NavLink>
        <NavLink to={`${base}/print`}>{t('admin.tabs.print')}</NavLink>
        {roleAtLeast(campaign.role, 'manager') ? <NavLink to={`${base}/donations`}>{t('admin.tabs.donations')}</NavLink> : null}
        <NavLink to={`${base}/embed`}>{t('admin.tabs.embed')}</NavLink>
        <NavLink to={`${base}/sharing`}>{t('admin.tabs.sharing')}</NavLink>
      </nav>
      <Outlet />
    </main>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
