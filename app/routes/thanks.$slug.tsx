import { data, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { getPublicCampaign } from '~/models/campaigns.server.ts'
import { getEnv } from '~/services/env.server.ts'
import { getShareCardMeta } from '~/services/share-card-meta.server.ts'
import { readThanksName } from '~/services/thanks-cookie.server.ts'
import { shareCardTags } from '~/utils/meta.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }, ...shareCardTags(data?.card)]

export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const campaign = await getPublicCampaign({ slug: params.slug ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  // The name comes from the cookie the confirmation set, never from the URL (see thanks-cookie.server.ts).
  const name = await readThanksName({ request, slug: campaign.slug })
  return data(
    {
      slug: campaign.slug,
      title: campaign.title,
      url: `${getEnv().publicUrl}/c/${campaign.slug}`,
      name,
      card: getShareCardMeta({ slug: campaign.slug, lang: context.lang, publicUrl: getEnv().publicUrl }),
    },
    { headers: { 'Cache-Control': 'private, no-store' } },
  )
}

// The page greets one person by name: no cache may keep it.
export const headers: HeadersFunction = ({ loaderHeaders }) => ({ 'Cache-Control': loaderHeaders.get('Cache-Control') ?? 'private, no-store' })

/** After confirming: thanks, then sharing (plain links, no third-party scripts) and donating. */
export default function Thanks() {
  const { slug, title, url, name } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  const [copied, setCopied] = useState(false)
  const text = `${title.value} ${url}`
  const share = async () => {
    if (navigator.share) await navigator.share({ title: title.value, url }).catch(() => undefined)
    else {
      await navigator.clipboard.writeText(url)
      setCopied(true)
    }
  }
  return (
    <main className="wrap page page--narrow">
      <h1>{name ? t('confirm.thanksTitle', { firstName: name }) : t('confirm.thanksTitleNoName')}</h1>
      <p lang={title.lang}>
        <strong>{title.value}</strong>
      </p>
      <h2>{t('confirm.share')}</h2>
      <p>
        <input className="share-url" readOnly value={url} aria-label={t('confirm.copyLink')} onFocus={(e) => e.currentTarget.select()} />
      </p>
      <ul className="share-links row">
        <li>
          <button type="button" className="button" onClick={share}>
            {copied ? t('confirm.copied') : t('confirm.copyLink')}
          </button>
        </li>
        <li>
          <a className="button button--quiet" href={`mailto:?subject=${encodeURIComponent(title.value)}&body=${encodeURIComponent(url)}`}>
            {t('confirm.shareEmail')}
          </a>
        </li>
        <li>
          <a className="button button--quiet" href={`https://wa.me/?text=${encodeURIComponent(text)}`} rel="noopener noreferrer">
            WhatsApp
          </a>
        </li>
        <li>
          <a className="button button--quiet" href={`https://t.me/share/url?url=${encodeURIComponent(url)}&text=${encodeURIComponent(title.value)}`} rel="noopener noreferrer">
            Telegram
          </a>
        </li>
        <li>
          <a className="button button--quiet" href={`https://bsky.app/intent/compose?text=${encodeURIComponent(text)}`} rel="noopener noreferrer">
            Bluesky
          </a>
        </li>
      </ul>
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
