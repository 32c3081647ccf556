import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { CampaignView } from '~/components/campaign-view.tsx'
import { getPublicCampaign } from '~/models/campaigns.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { isLanguage, LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const {
    campaign: { slug },
  } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const wanted = new URL(request.url).searchParams.get('locale')
  const lang = isLanguage(wanted) ? wanted : context.lang
  const campaign = await getPublicCampaign(context.db, { slug, lang, preview: true })
  if (!campaign) throw new Response('Campaign not found', { status: 404 })
  return { campaign, lang }
}

export default function CampaignPreview() {
  const { campaign, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <div className="notice preview-bar" role="note">
        <span>{t(campaign.status === 'draft' ? 'admin.preview.draft' : 'admin.preview.live')}</span>
        <span className="row">
          {LANGUAGES.map((l) => (
            <Link key={l} to={`?locale=${l}`} aria-current={l === lang ? 'page' : undefined}>
              {LANGUAGE_NAMES[l]}
            </Link>
          ))}
          {campaign.status !== 'draft' ? <Link to={`/c/${campaign.slug}?lng=${lang}`}>{t('admin.preview.open')}</Link> : null}
        </span>
      </div>
      <div className="preview-frame">
        <CampaignView campaign={campaign} lang={lang} />
      </div>
    </section>
  )
}
