/**
 * The embed pages' work: what the compact panels show, and signing from inside another site's
 * frame. Signing there is the campaign page's signing (same checks, limits and email); only
 * where the signer lands differs, and the signature carries the source tag `embed`.
 */
import type { DB, Handle } from '#db/client.server.ts'
import { getPublicCampaign, getSigningCampaign } from '~/models/campaigns.server.ts'
import { getOutboxStats, signerWaitMinutes } from '~/models/outbox-stats.server.ts'
import { EMBED_SOURCE, embedPath, type EmbedPanel } from '~/utils/embed.ts'
import { LANGUAGE_PARAM, type Language } from '~/utils/i18n.ts'
import { loadDonations } from './donate.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { handleSignature, loadPetition } from './petition.server.ts'

/** Where a form in the frame posts and a signer without JavaScript comes back to: the language rides in the URL. */
export function embedAction(slug: string, panel: EmbedPanel, lang: Language) {
  return `${embedPath(slug, panel)}?${LANGUAGE_PARAM}=${lang}`
}

async function campaignOr404(db: Handle, slug: string, lang: Language) {
  const campaign = await getPublicCampaign(db, { slug, lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  return campaign
}

/** The compact petition: the count, the goal and the form (no signers' names or messages: they belong to the full page). */
export async function loadEmbedPetition(db: Handle, { slug, lang, countryHint, signed }: { slug: string; lang: Language; countryHint: string | null; signed: boolean }) {
  const campaign = await campaignOr404(db, slug, lang)
  const petition = await loadPetition(db, { campaign, lang, countryHint })
  return {
    campaignUrl: `${getEnv().publicUrl}/c/${campaign.slug}`,
    campaign: { slug: campaign.slug, title: campaign.title, summary: campaign.summary.value, organizationName: campaign.organizationName },
    petition: { ...petition, recent: [], messages: [] },
    lang,
    action: embedAction(campaign.slug, 'petition', lang),
    mailWaitMinutes: signed ? await signerMailWait(db) : null,
  }
}

export async function loadEmbedDonate(db: Handle, { slug, lang }: { slug: string; lang: Language }) {
  const campaign = await campaignOr404(db, slug, lang)
  const donations = await loadDonations(db, { campaign: { id: campaign.id, slug: campaign.slug, title: campaign.title.value, defaultLocale: campaign.defaultLocale, atRisk: campaign.atRisk }, lang })
  return { campaignUrl: `${getEnv().publicUrl}/c/${campaign.slug}`, campaign: { slug: campaign.slug, title: campaign.title, summary: campaign.summary.value, organizationName: campaign.organizationName }, donations: { ...donations, wall: [] }, lang }
}

export type EmbedSignAnswer =
  | { kind: 'redirect'; location: string }
  | { kind: 'data'; status: 200 | 400 | 429; body: Record<string, unknown>; retryAfterSeconds?: number }

/**
 * A signature posted from the frame. The language is the URL's (`?lng=`, the form's action),
 * never a cookie: inside another site's frame ours are third-party and may not be sent.
 */
export async function signFromEmbed(db: DB, { slug, formData, lang, clientIp }: { slug: string; formData: FormData; lang: Language; clientIp: string }): Promise<EmbedSignAnswer> {
  const campaign = await getSigningCampaign(db, { slug, lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  // Whatever the form said: a signature made here came through the embed.
  formData.set('s', EMBED_SOURCE)
  const answer = await handleSignature(db, { formData, campaign, lang, clientIp })
  if (answer.status === 429) {
    const seconds = Math.ceil(answer.retryAfterMs / 1000)
    return { kind: 'data', status: 429, body: { result: answer.result, retryAfterMinutes: Math.max(1, Math.ceil(seconds / 60)) }, retryAfterSeconds: seconds }
  }
  if (answer.status === 400) return { kind: 'data', status: 400, body: { result: answer.result } }
  // Without JavaScript: post, redirect, get, back into the frame with the "check your inbox" message.
  if (!formData.get('_js')) return { kind: 'redirect', location: `${embedAction(campaign.slug, 'petition', lang)}&signed=1` }
  return { kind: 'data', status: 200, body: { result: answer.result, signed: true, mailWaitMinutes: await signerMailWait(db) } }
}

/** As on the campaign page: how long the promised email may take when the queue is long (never per signer). */
async function signerMailWait(db: Handle) {
  const env = getEnv()
  return env.mode === 'demo' ? null : signerWaitMinutes(await getOutboxStats(db, { requestsPerSecond: env.resend.requestsPerSecond }))
}
