import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { HomeIntro } from '~/components/home-intro.tsx'
import { listLiveCampaigns } from '~/models/campaigns.server.ts'
import { getEnv } from '~/services/env.server.ts'
import { getT } from '~/services/i18n.server.ts'
import { socialMeta } from '~/utils/meta.ts'

export async function loader({ context }: LoaderFunctionArgs) {
  const t = getT(context.lang)
  return {
    campaigns: await listLiveCampaigns({ lang: context.lang }),
    meta: { title: t('home.metaTitle'), description: t('home.intro'), url: `${getEnv().publicUrl}/`, lang: context.lang },
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) =>
  data ? socialMeta({ ...data.meta, locale: data.meta.lang }) : [{ title: 'Vigil' }]

export default function Home() {
  const { campaigns } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <HomeIntro />
      <h2 className="section-title">{t('home.liveCampaigns')}</h2>
      {campaigns.length === 0 ? (
        <p>{t('home.empty')}</p>
      ) : (
        <ul className="campaign-cards">
          {campaigns.map((c) => (
            <li key={c.slug} className="campaign-card">
              {c.imagePath ? (
                <img src={c.imagePath} alt={c.imageAlt.value} lang={c.imageAlt.lang} width={640} height={360} loading="lazy" />
              ) : null}
              <div className="campaign-card__body">
                <h3 lang={c.title.lang}>
                  <Link to={`/c/${c.slug}`}>{c.title.value}</Link>
                </h3>
                <p lang={c.summary.lang}>{c.summary.value}</p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
