import { data, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getPublicCampaign } from '~/models/campaigns.server.ts'
import { ShareLinks } from '~/components/share-links.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getShareCardMeta } from '~/workflows/share-card-meta.server.ts'
import { loadShare } from '~/workflows/share.server.ts'
import { readThanksName } from '~/utils/thanks-cookie.server.ts'
import { languageUrl, pageMeta, shareCardTags } from '~/utils/meta.ts'

// Crawlers see a generic thanks (the name is in a cookie): the campaign page is the one to index.
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: 'Vigil' },
  ...(data ? pageMeta({ description: data.description, canonical: languageUrl(data.campaignUrl, data.lang) }) : [{ name: 'robots', content: 'noindex' }]),
  ...shareCardTags(data?.card),
]

export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const campaign = await getPublicCampaign(context.db, { slug: params.slug ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  // The name comes from the cookie the confirmation set, never from the URL (see thanks-cookie.server.ts).
  const name = await readThanksName({ request, slug: campaign.slug })
  const share = await loadShare(context.db, { campaign: { id: campaign.id, slug: campaign.slug, title: campaign.title.value }, lang: context.lang })
  return data(
    {
      slug: campaign.slug,
      title: campaign.title,
      name,
      share,
      description: campaign.summary.value,
      campaignUrl: `${getEnv().publicUrl}/c/${campaign.slug}`,
      lang: context.lang,
      card: await getShareCardMeta(context.db, { slug: campaign.slug, lang: context.lang, publicUrl: getEnv().publicUrl }),
    },
    { headers: { 'Cache-Control': 'private, no-store' } },
  )
}

// The page greets one person by name: no cache may keep it.
export const headers: HeadersFunction = ({ loaderHeaders }) => ({ 'Cache-Control': loaderHeaders.get('Cache-Control') ?? 'private, no-store' })

/** After confirming: thanks, then sharing (plain links, no third-party scripts) and donating. */
export default function Thanks() {
  const { slug, title, name, share } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page page--narrow">
      <h1>{name ? t('confirm.thanksTitle', { firstName: name }) : t('confirm.thanksTitleNoName')}</h1>
      <p lang={title.lang}>
        <strong>{title.value}</strong>
      </p>
      <ShareLinks share={share} />
      <p>
        <Link to={`/c/${slug}#donate`} className="button">
          {t('confirm.donate')}
        </Link>
      </p>
      <p>
        <Link to={`/c/${slug}`}>{t('confirm.back')}</Link>
      </p>
    </main>
  )
}
