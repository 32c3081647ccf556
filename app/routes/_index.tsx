import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { HomeIntro } from '~/components/home-intro.tsx'
import { ResponsiveImage } from '~/components/responsive-image.tsx'
import { campaignToOpenFromHome, listHomeCampaigns } from '~/models/campaigns.server.ts'
import { getSiteSettings } from '~/models/site-settings.server.ts'
import { useRootData } from '~/root.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatNumber, type Language } from '~/utils/i18n.ts'
import { socialMeta } from '~/utils/meta.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const t = getT(context.lang)
  const campaigns = await listHomeCampaigns(context.db, { lang: context.lang })
  // A team with one live campaign may open it directly (an owner's choice in its settings); `?lng=` comes along.
  const landing = campaignToOpenFromHome(campaigns)
  if (landing) throw redirect(`/c/${landing}${new URL(request.url).search}`, 302)
  return {
    campaigns,
    lang: context.lang,
    // The team's own intro (Branding) describes the home page in link previews too.
    meta: { title: t('home.metaTitle'), description: (await getSiteSettings(context.db)).texts[`intro:${context.lang}`]?.body || t('home.intro'), url: `${getEnv().publicUrl}/`, lang: context.lang },
  }
}

export const meta: MetaFunction<typeof loader> = ({ data, location }) =>
  data ? socialMeta({ ...data.meta, locale: data.meta.lang, search: location.search }) : [{ title: 'Vigil' }]

type Card = Awaited<ReturnType<typeof loader>>['campaigns'][number]

/** `first`: the first card's image may be the largest thing in the first screen, so it is not lazy. */
function CampaignCard({ campaign: c, lang, first = false }: { campaign: Card; lang: Language; first?: boolean }) {
  const { t } = useTranslation()
  const live = c.status === 'live'
  const percent = Math.min(100, Math.round((c.confirmed / c.goal) * 100))
  return (
    <li className="campaign-card">
      {c.image ? (
        <ResponsiveImage image={c.image} alt={c.imageAlt.value} lang={c.imageAlt.lang} layout="card" priority={first} />
      ) : (
        <div className="campaign-card__no-image" aria-hidden="true" />
      )}
      <div className="campaign-card__body">
        {!live ? <p className={`status status--${c.status}`}>{t(`campaign.status.${c.status}`)}</p> : null}
        <h3 lang={c.title.lang}>
          <Link to={`/c/${c.slug}`}>{c.title.value}</Link>
        </h3>
        <p lang={c.summary.lang}>{c.summary.value}</p>
        <div className="campaign-card__count">
          <p>
            <strong>{t('petition.count', { count: c.confirmed })}</strong>
            {live ? <span className="muted"> · {t('petition.goal', { goal: formatNumber(c.goal, lang) })}</span> : null}
          </p>
          {live ? <progress className="petition-progress" max={c.goal} value={c.confirmed} aria-label={`${percent} %`} /> : null}
        </div>
        <p className="campaign-card__cta">
          {live ? (
            <Link to={`/c/${c.slug}#petition`} className="button">
              {t('campaign.signCta')}
            </Link>
          ) : (
            <Link to={`/c/${c.slug}`} className="button button--quiet">
              {t('campaign.readCta')}
            </Link>
          )}
        </p>
      </div>
    </li>
  )
}

export default function Home() {
  const { campaigns, lang } = useLoaderData<typeof loader>()
  const brand = useRootData()?.brand
  const { t } = useTranslation()
  const live = campaigns.filter((c) => c.status === 'live')
  const earlier = campaigns.filter((c) => c.status !== 'live')
  return (
    <main className="wrap page">
      <HomeIntro headline={brand?.headline} intro={brand?.intro} />
      <h2 className="section-title">{t('home.liveCampaigns')}</h2>
      {live.length === 0 ? (
        <p>{t('home.empty')}</p>
      ) : (
        <ul className="campaign-cards">
          {live.map((c, i) => (
            <CampaignCard key={c.slug} campaign={c} lang={lang} first={i === 0} />
          ))}
        </ul>
      )}
      {earlier.length > 0 ? (
        <>
          <h2 className="section-title">{t('home.earlierCampaigns')}</h2>
          <ul className="campaign-cards">
            {earlier.map((c) => (
              <CampaignCard key={c.slug} campaign={c} lang={lang} />
            ))}
          </ul>
        </>
      ) : null}
    </main>
  )
}
