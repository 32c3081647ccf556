import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { DonateForm, FundProgress } from '~/components/donate-panel.tsx'
import { EmbedError, EmbedFrame } from '~/components/embed-frame.tsx'
import { loadEmbedDonate } from '~/workflows/embed.server.ts'
import { EMBED_SOURCE } from '~/utils/embed.ts'
import { languageUrl, pageMeta } from '~/utils/meta.ts'
import { formatMoney, LANGUAGE_PARAM } from '~/utils/i18n.ts'

export const handle = { bare: true }

export async function loader({ params, context }: LoaderFunctionArgs) {
  return loadEmbedDonate(context.db, { slug: params.slug ?? '', lang: context.lang })
}

// A part of the campaign for other sites' pages: the campaign page is the one to index.
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? data.campaign.title.value : 'Vigil' },
  ...(data ? pageMeta({ description: data.campaign.summary, canonical: languageUrl(`${data.campaignUrl}/donate`, data.lang) }) : [{ name: 'robots', content: 'noindex' }]),
]

/**
 * The compact donate panel: the funds' progress and the form. The form opens the payment in a
 * tab of its own (Stripe's pages refuse frames, and a payer should see where they pay); it
 * posts to the campaign's donate page, which handles it exactly as its own.
 */
export default function EmbedDonate() {
  const { campaign, donations, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <EmbedFrame campaign={campaign} lang={lang}>
      <section className="panel panel--donate" aria-labelledby="donate-title">
        <h2 id="donate-title">{t('donate.title')}</h2>
        {donations.totals.some((total) => total.raisedMinor > 0) ? (
          <p className="donate-total">{t('donate.total', { total: donations.totals.map((total) => formatMoney(total.raisedMinor, total.currency, lang)).join(' + ') })}</p>
        ) : null}
        {donations.funds.length === 0 ? (
          <p className="muted">{t('donate.noFunds')}</p>
        ) : (
          <>
            {donations.funds.map((fund) => (
              <FundProgress key={fund.id} fund={fund} lang={lang} />
            ))}
            <p className="field__hint">{t('embed.donateNewTab')}</p>
            <DonateForm data={donations} lang={lang} id="embed-donate-form" action={`/c/${campaign.slug}/donate?${LANGUAGE_PARAM}=${lang}`} newTab source={EMBED_SOURCE} />
          </>
        )}
      </section>
    </EmbedFrame>
  )
}

export function ErrorBoundary() {
  return <EmbedError error={useRouteError()} />
}
