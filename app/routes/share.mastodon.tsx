import { data, redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { loadShare } from '~/services/share.server.ts'
import { mastodonInstance, mastodonShareHref } from '~/utils/share-links.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }]

/**
 * Mastodon without JavaScript: the share block's small form comes here with the visitor's
 * server. Only a bare public host name is accepted, and the redirect is always
 * `https://<host>/share?text=…`: never to a URL, scheme or port someone else chose.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams
  const campaign = await getSigningCampaign({ slug: params.get('c') ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  const instance = mastodonInstance(params.get('instance'))
  if (!instance) return data({ slug: campaign.slug, lang: context.lang }, { status: 400 })
  const share = await loadShare({ campaign, lang: context.lang })
  throw redirect(mastodonShareHref({ instance, url: share.url, text: share.text }), 302)
}

export default function MastodonShare() {
  const { slug, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page page--narrow">
      <h1>{t('share.mastodonButton')}</h1>
      <form method="get" action="/share/mastodon" className="stack">
        <input type="hidden" name="c" value={slug} />
        <input type="hidden" name="lng" value={lang} />
        <p className="notice notice--error" id="mastodon-error">
          {t('share.mastodonInvalid')}
        </p>
        <label htmlFor="mastodon-instance">{t('share.mastodonLabel')}</label>
        <input id="mastodon-instance" name="instance" type="text" inputMode="url" autoComplete="off" placeholder="mastodon.social" maxLength={300} aria-describedby="mastodon-error" />
        <button type="submit" className="button">
          {t('share.mastodonButton')}
        </button>
      </form>
      <p>
        <Link to={`/c/${slug}`}>{t('share.mastodonBack')}</Link>
      </p>
    </main>
  )
}
