import {
  data,
  redirect,
  type ActionFunctionArgs,
  type AppLoadContext,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import type { ShouldRevalidateFunction } from '@remix-run/react'
import { useActionData, useLoaderData } from '@remix-run/react'
import { CampaignView } from '~/components/campaign-view.tsx'
import { CountryMap } from '~/components/country-map.tsx'
import { DonatePanel } from '~/components/donate-panel.tsx'
import { NextMilestone } from '~/components/next-milestone.tsx'
import { PetitionPanel } from '~/components/petition-panel.tsx'
import { ShareLinks } from '~/components/share-links.tsx'
import { TargetResponses } from '~/components/target-responses.tsx'
import { TargetsList } from '~/components/targets-list.tsx'
import { getPublicCampaign, getSigningCampaign } from '~/models/campaigns.server.ts'
import { listCountryCounters } from '~/models/counters.server.ts'
import { getMilestoneSummary } from '~/models/milestones.server.ts'
import { listPublicResponses } from '~/models/responses.server.ts'
import { listPublicTargets } from '~/models/targets.server.ts'
import { getOutboxStats, signerWaitMinutes } from '~/models/outbox-stats.server.ts'
import { knownSource } from '~/models/sources.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { loadDonations } from '~/workflows/donate.server.ts'
import { handleSignature, loadPetition } from '~/workflows/petition.server.ts'
import { getShareCardMeta } from '~/workflows/share-card-meta.server.ts'
import { oembedDiscovery } from '~/utils/embed.ts'
import { loadShare } from '~/workflows/share.server.ts'
import { socialMeta } from '~/utils/meta.ts'
import { SOURCE_PARAM } from '~/utils/sources.ts'
import { passRetryAfter } from '~/utils/retry-after.ts'

/**
 * How long the email a signer was just promised may take, when the queue is long: from the
 * queue alone (never the signer, so it cannot tell anyone whether an address had signed).
 * Demo mode captures mail at once.
 */
async function signerMailWait(db: AppLoadContext['db']) {
  const env = getEnv()
  return env.mode === 'demo' ? null : signerWaitMinutes(await getOutboxStats(db, { requestsPerSecond: env.resend.requestsPerSecond }))
}

export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const campaign = await getPublicCampaign(context.db, { slug: params.slug ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  const [petition, donations] = await Promise.all([
    loadPetition(context.db, { campaign, lang: context.lang, countryHint: context.countryHint }),
    loadDonations(context.db, { campaign: { id: campaign.id, slug: campaign.slug, title: campaign.title.value, defaultLocale: campaign.defaultLocale, atRisk: campaign.atRisk }, lang: context.lang }),
  ])
  // Reaching the target (issue 17): whom it addresses, the next milestone, the answers, the countries.
  const texts = { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale }
  const [targets, milestones, responses, countries] = await Promise.all([
    listPublicTargets(context.db, texts),
    getMilestoneSummary(context.db, { ...texts, confirmed: petition.confirmed }),
    listPublicResponses(context.db, texts),
    listCountryCounters(context.db, campaign.id),
  ])
  // `signed=1`: the page a signer without JavaScript comes back to (cached on its own, ADR 003).
  const query = new URL(request.url).searchParams
  const signed = query.get('signed') === '1'
  const publicUrl = getEnv().publicUrl
  const card = await getShareCardMeta(context.db, { slug: campaign.slug, lang: context.lang, publicUrl })
  // A known source tag rides along in the forms (its own cache variant); anything else is ignored.
  const source = await knownSource(context.db, { campaignId: campaign.id, value: query.get(SOURCE_PARAM) })
  const share = await loadShare(context.db, { campaign: { id: campaign.id, slug: campaign.slug, title: campaign.title.value }, lang: context.lang })
  return {
    campaign,
    petition,
    donations,
    lang: context.lang,
    publicUrl,
    card,
    mailWaitMinutes: signed ? await signerMailWait(context.db) : null,
    source,
    share,
    targets,
    milestones,
    responses,
    countries,
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const campaign = await getSigningCampaign(context.db, { slug: params.slug ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  const formData = await request.formData().catch(() => null)
  // Not a form at all (JSON, broken multipart): the visitor gets the 400 page in their language.
  if (!formData) throw new Response('Bad request', { status: 400 })
  const answer = await handleSignature(context.db, { formData, campaign, lang: context.lang, clientIp: context.clientIp })
  if (answer.status === 429) {
    const seconds = Math.ceil(answer.retryAfterMs / 1000)
    return data(
      { result: answer.result, retryAfterMinutes: Math.max(1, Math.ceil(seconds / 60)) },
      { status: 429, headers: { 'Retry-After': String(seconds) } },
    )
  }
  // Without JavaScript the page comes back from this POST (no `?s=` in its URL): the tag goes back with it.
  if (answer.status === 400) return data({ result: answer.result, source: await knownSource(context.db, { campaignId: campaign.id, value: formData.get(SOURCE_PARAM) }) }, { status: 400 })
  // Without JavaScript: post, redirect, get (a reload does not sign twice).
  if (!formData.get('_js')) throw redirect(`/c/${campaign.slug}?signed=1#petition`, 303)
  return { result: answer.result, signed: true, mailWaitMinutes: await signerMailWait(context.db) }
}

// Signing changes nothing the page shows (only confirmed signatures count), so the
// loader does not run again after it: half the server work of every signature.
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod?.toUpperCase() === 'POST' ? false : defaultShouldRevalidate

export const headers = passRetryAfter

export const meta: MetaFunction<typeof loader> = ({ data, location }) => {
  if (!data) return [{ title: 'Vigil' }]
  const { campaign, publicUrl } = data
  const discovery = oembedDiscovery({ publicUrl, pageUrl: `${publicUrl}/c/${campaign.slug}?lng=${data.lang}`, title: campaign.title.value })
  return [...socialMeta({
    title: campaign.title.value,
    description: campaign.summary.value,
    url: `${publicUrl}/c/${campaign.slug}`,
    image: campaign.imagePath ? `${publicUrl}${campaign.imagePath}` : null,
    imageAlt: campaign.imageAlt.value,
    card: data.card,
    locale: data.lang,
    search: location.search,
    siteName: campaign.organizationName,
  }), discovery]
}

export default function CampaignPage() {
  const { campaign, petition, donations, lang, mailWaitMinutes, source, share, targets, milestones, responses, countries } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const tag = (actionData && 'source' in actionData ? actionData.source : null) ?? source
  return (
    <main>
      <CampaignView
        campaign={campaign}
        lang={lang}
        petition={
          <PetitionPanel
            petition={petition}
            lang={lang}
            actionData={actionData}
            signedMailWaitMinutes={mailWaitMinutes}
            source={tag}
            targets={targets.length > 0 ? <TargetsList targets={targets} lang={lang} /> : undefined}
            milestone={milestones.next || milestones.reached.length > 0 ? <NextMilestone summary={milestones} lang={lang} /> : undefined}
          />
        }
        donate={<DonatePanel data={donations} lang={lang} source={tag} />}
        share={<ShareLinks share={share} />}
        progress={{ confirmed: petition.confirmed, goal: petition.goal }}
        countries={countries.length > 0 ? <CountryMap slug={campaign.slug} counts={countries} lang={lang} confirmed={petition.confirmed} /> : undefined}
        responses={responses.length > 0 ? <TargetResponses responses={responses} lang={lang} /> : undefined}
      />
    </main>
  )
}
