import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation, useRevalidator } from '@remix-run/react'
import { useEffect } from 'react'
import { useTranslation } from 'react-i18next'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { getDonationByCheckout } from '~/models/donations.server.ts'
import { ShareLinks } from '~/components/share-links.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getShareCardMeta } from '~/workflows/share-card-meta.server.ts'
import { loadShare } from '~/workflows/share.server.ts'
import { shareCardTags } from '~/utils/meta.ts'
import { formatMoney } from '~/utils/i18n.ts'

/**
 * Where Stripe sends the donor back. It marks nothing paid: it shows what the webhook has
 * recorded, and looks again every few seconds while the payment is still processing (with
 * JavaScript; without, a link looks again).
 */
export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const campaign = await getSigningCampaign(context.db, { slug: params.slug ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  const sessionId = new URL(request.url).searchParams.get('session_id') ?? ''
  const donation = /^cs_[A-Za-z0-9_]{1,200}$/.test(sessionId) ? await getDonationByCheckout(context.db, { sessionId }) : null
  if (!donation || donation.campaignId !== campaign.id) throw new Response('Not found', { status: 404 })
  // Refunded or disputed later: the payment did arrive, which is what this page is about.
  const arrived = donation.status === 'succeeded' || donation.status === 'refunded' || donation.status === 'disputed'
  const state = arrived ? 'succeeded' : donation.status === 'failed' ? 'failed' : 'processing'
  const share = state === 'failed' ? null : await loadShare(context.db, { campaign, lang: context.lang })
  const card = await getShareCardMeta(context.db, { slug: campaign.slug, lang: context.lang, publicUrl: getEnv().publicUrl })
  return { campaign: { slug: campaign.slug, title: campaign.title }, state, interval: donation.interval, amount: formatMoney(donation.amountMinor, donation.currency, context.lang), share, card }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.campaign.title} — Vigil` : 'Vigil' },
  { name: 'robots', content: 'noindex' },
  ...shareCardTags(data?.card),
]

export default function DonationThanks() {
  const { campaign, state, interval, amount, share } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  const { pathname, search } = useLocation()
  const revalidator = useRevalidator()
  useEffect(() => {
    if (state !== 'processing') return
    const timer = setInterval(() => revalidator.state === 'idle' && revalidator.revalidate(), 2000)
    return () => clearInterval(timer)
  }, [state, revalidator])
  return (
    <main className="wrap narrow donate-thanks">
      <h1>{t(`donate.thanks.${state}.title`)}</h1>
      <p role="status" className={`notice ${state === 'succeeded' ? 'notice--success' : state === 'failed' ? 'notice--error' : ''}`} data-state={state}>
        {t(`donate.thanks.${state}.body`, { amount, campaign: campaign.title })}
      </p>
      {state === 'succeeded' && interval === 'monthly' ? <p>{t('donate.thanks.monthly')}</p> : null}
      {/* Until the money has arrived there is no receipt to promise (a bank debit may still fail). */}
      {state === 'succeeded' ? <p>{t('donate.thanks.receipt')}</p> : state === 'processing' ? <p>{t('donate.thanks.receiptLater')}</p> : null}
      {/* With JavaScript the page looks again every two seconds; without, this link does (no timed reload: WCAG 2.2.1). */}
      {state === 'processing' ? (
        <p>
          <a href={`${pathname}${search}`}>{t('donate.thanks.checkAgain')}</a>
        </p>
      ) : null}
      {share ? <ShareLinks share={share} /> : null}
      <p>
        <Link className="button" to={state === 'failed' ? `/c/${campaign.slug}/donate` : `/c/${campaign.slug}`}>
          {state === 'failed' ? t('donate.thanks.tryAgain') : t('donate.thanks.back')}
        </Link>
      </p>
    </main>
  )
}
