import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { DonateForm, FundProgress } from '~/components/donate-panel.tsx'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { knownSource } from '~/models/sources.server.ts'
import { handleDonation, loadDonations } from '~/workflows/donate.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getShareCardMeta } from '~/workflows/share-card-meta.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { canonicalUrl, pageMeta, shareCardTags } from '~/utils/meta.ts'
import { SOURCE_PARAM } from '~/utils/sources.ts'
import { passRetryAfter } from '~/utils/retry-after.ts'

// Only what giving needs: the full public campaign would render its story and timeline for nothing.
async function campaignFor(db: LoaderFunctionArgs['context']['db'], slug: string, lang: LoaderFunctionArgs['context']['lang']) {
  const campaign = await getSigningCampaign(db, { slug, lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  return campaign
}

export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const campaign = await campaignFor(context.db, params.slug ?? '', context.lang)
  const card = await getShareCardMeta(context.db, { slug: campaign.slug, lang: context.lang, publicUrl: getEnv().publicUrl })
  const source = await knownSource(context.db, { campaignId: campaign.id, value: new URL(request.url).searchParams.get(SOURCE_PARAM) })
  const description = getT(context.lang)('donate.intro')
  const url = `${getEnv().publicUrl}/c/${campaign.slug}/donate`
  return { campaign, donations: await loadDonations(context.db, { campaign, lang: context.lang }), lang: context.lang, card, source, description, url }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const campaign = await campaignFor(context.db, params.slug ?? '', context.lang)
  const formData = await request.formData().catch(() => null)
  if (!formData) throw new Response('Bad request', { status: 400 })
  const answer = await handleDonation(context.db, { formData, campaign, lang: context.lang, clientIp: context.clientIp })
  if (answer.status === 303) throw redirect(answer.location, 303)
  const headers: Record<string, string> = answer.retryAfterSeconds ? { 'Retry-After': String(answer.retryAfterSeconds) } : {}
  // The form comes back from this POST (no `?s=` in its URL): the tag goes back with it.
  const source = await knownSource(context.db, { campaignId: campaign.id, value: formData.get(SOURCE_PARAM) })
  return data({ result: answer.result, source }, { status: answer.status, headers })
}

export const headers = passRetryAfter

// Indexable like the campaign page it belongs to, in the same way (canonical per language, ADR 002).
export const meta: MetaFunction<typeof loader> = ({ data, location }) => [
  { title: data ? `${data.campaign.title} — Vigil` : 'Vigil' },
  ...(data ? pageMeta({ description: data.description, canonical: canonicalUrl({ url: data.url, locale: data.lang, search: location.search }) }) : []),
  ...shareCardTags(data?.card),
]

export default function DonatePage() {
  const { campaign, donations, lang, source } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [params] = useSearchParams()
  const { t } = useTranslation()
  const wanted = donations.funds.find((f) => f.slug === params.get('fund'))
  return (
    <main className="wrap narrow donate-page">
      <p>
        <Link to={`/c/${campaign.slug}`}>← {campaign.title}</Link>
      </p>
      <h1>{t('donate.title')}</h1>
      {params.get('cancelled') ? (
        <p className="notice" role="status">
          {t('donate.cancelled')}
        </p>
      ) : null}
      <p>{t('donate.intro')}</p>
      {donations.funds.length === 0 ? (
        <p className="notice">{t('donate.noFunds')}</p>
      ) : (
        <>
          {donations.funds.map((fund) => (
            <FundProgress key={fund.id} fund={fund} lang={lang} heading="h2" />
          ))}
          <DonateForm data={donations} lang={lang} result={actionData?.result} selectedFund={wanted?.id} source={actionData?.source ?? source} />
        </>
      )}
    </main>
  )
}
