import { data, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { loadShare } from '~/workflows/share.server.ts'
import { mastodonInstance, mastodonShareHref } from '~/utils/share-links.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: 'Vigil' },
  { name: 'robots', content: 'noindex' },
  // The move to the visitor's server: the share form's CSP (form-action) forbids a redirect elsewhere.
  ...(data && 'href' in data && data.refresh ? [{ httpEquiv: 'refresh', content: `0; url=${data.href}` } as const] : []),
]

/**
 * Mastodon without JavaScript: the share block's small form comes here with the visitor's
 * server. Only a bare public host name is accepted, and the page moves on (meta refresh, and a
 * link) only ever to `https://<host>/share?text=…`: never to a URL, scheme or port someone else
 * chose. Not an HTTP redirect: the form's page allows forms to lead nowhere but here
 * (CSP form-action), and browsers apply that to redirects too.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams
  const campaign = await getSigningCampaign(context.db, { slug: params.get('c') ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  const instance = mastodonInstance(params.get('instance'))
  if (!instance) return data({ slug: campaign.slug, lang: context.lang }, { status: 400 })
  const share = await loadShare(context.db, { campaign, lang: context.lang })
  // Only our own share form moves on by itself: a link to this page sent from elsewhere would
  // make our domain forward anyone to any host's /share (an open redirect); it gets the link to click.
  const site = request.headers.get('sec-fetch-site')
  const refresh = site === null || site === 'same-origin'
  return { slug: campaign.slug, lang: context.lang, instance, refresh, href: mastodonShareHref({ instance, url: share.url, text: share.text }) }
}

export default function MastodonShare() {
  const loaderData = useLoaderData<typeof loader>()
  const { slug, lang } = loaderData
  const { t } = useTranslation()
  if ('href' in loaderData) {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('share.mastodonButton')}</h1>
        <p>
          <a className="button" href={loaderData.href} rel="noopener noreferrer" data-testid="mastodon-continue">
            {t('share.mastodonContinue', { instance: loaderData.instance })}
          </a>
        </p>
      </main>
    )
  }
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
