import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod, unstable_coerceFormValue as coerceFormValue } from '@conform-to/zod'
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js'
import type { DB, Handle } from '#db/client.server.ts'
import { listRecentSignerCountries } from '~/models/at-risk.server.ts'
import { listPublicMessages } from '~/models/messages.server.ts'
import { hitRateLimits } from '~/models/rate-limits.server.ts'
import { clientAddressHash } from '~/models/personal-data.server.ts'
import { getPetitionStats, listRecentSigners, signPetition } from '~/models/signatures.server.ts'
import { knownSource } from '~/models/sources.server.ts'
import type { PublicCampaign, SigningCampaign } from '~/models/campaigns.server.ts'
import type { PetitionData } from '~/utils/petition.ts'
import { COUNTRY_CODES, countryName } from '~/utils/countries.ts'
import { emailDomain } from '~/utils/email.ts'
import { LANGUAGES, type Language } from '~/utils/i18n.ts'
import { signSchema } from '~/utils/schemas.ts'
import { SOURCE_PARAM } from '~/utils/sources.ts'
import { getT } from '~/utils/i18n.server.ts'
import { countSignatureCreated } from '~/utils/metrics.server.ts'
import { rateLimitKey, signingPolicies } from './rate-limit.server.ts'

// The library builds its set of some 100,000 domains on every call: build it once.
const disposableDomains = disposableEmailBlocklistSet()

// Building the schema, and Conform's coercing copy of it (which parseWithZod would
// otherwise rebuild on every call), costs more than validating: once per language.
const signSchemas = new Map(LANGUAGES.map((lang) => [lang, coerceFormValue(signSchema(getT(lang), COUNTRY_CODES))]))

/** Everything the petition panel shows, for one campaign in one language. */
export async function loadPetition(
  db: Handle,
  {
    campaign,
    lang,
    countryHint,
  }: {
    campaign: PublicCampaign
    lang: Language
    countryHint: string | null
  },
): Promise<PetitionData> {
  const [stats, recent, messages] = await Promise.all([
    getPetitionStats(db, { campaignId: campaign.id, fixedGoal: campaign.signatureGoal }),
    recentSigners(db, campaign),
    listPublicMessages(db, { campaignId: campaign.id }),
  ])
  return {
    open: campaign.status === 'live',
    atRisk: campaign.atRisk,
    target: campaign.target,
    text: campaign.petitionText,
    ...stats,
    recent: recent.map((r) => ({ name: r.name, country: countryName(r.country, lang) })),
    // At risk: a message, its country and the team's replies, never who wrote it.
    messages: messages.map((m) => ({ ...m, name: campaign.atRisk ? null : m.name, country: countryName(m.country, lang) })),
    organizationName: campaign.organizationName,
    suggestedCountry: countryHint,
  }
}

/** Recent signers as the page shows them: named (those who asked) or, at risk, every signer by country only. */
async function recentSigners(db: Handle, campaign: Pick<PublicCampaign, 'id' | 'atRisk'>): Promise<{ name: string | null; country: string }[]> {
  if (!campaign.atRisk) return listRecentSigners(db, { campaignId: campaign.id })
  return (await listRecentSignerCountries(db, { campaignId: campaign.id })).map((country) => ({ name: null, country }))
}

export type SignResponse =
  | { status: 400 | 200; result: SubmissionResult<string[]> }
  | { status: 429; result: SubmissionResult<string[]>; retryAfterMs: number }

/**
 * The sign action's work: validate, stop bots and floods, sign. Every accepted
 * submission gets the same answer, whatever happened to the address before.
 */
export async function handleSignature(
  db: DB,
  {
    formData,
    campaign,
    lang,
    clientIp,
  }: {
    formData: FormData
    campaign: SigningCampaign
    lang: Language
    clientIp: string
  },
): Promise<SignResponse> {
  const t = getT(lang)
  const submission = parseWithZod(formData, { schema: signSchemas.get(lang)!, disableAutoCoercion: true })
  if (submission.status !== 'success') return { status: 400, result: submission.reply() }
  const input = submission.value
  if (campaign.status !== 'live') {
    return { status: 400, result: submission.reply({ formErrors: [t('petition.closed')] }) }
  }
  // A bot filled the hidden field: answer as if it worked, store nothing.
  if (input.website) return { status: 200, result: submission.reply({ resetForm: true }) }
  // At risk the form asks no postal code: one sent all the same is refused, not stored.
  if (campaign.atRisk && input.postalCode) return { status: 400, result: submission.reply({ fieldErrors: { postalCode: [t('atRisk.postalCodeRefused')] } }) }
  // Two keyed hashes of one client address, of different purposes: the limiter's key and the
  // signature's (grouping signers by client in the back office), so neither matches the other's table.
  const ipHash = clientAddressHash(clientIp)
  const limitKey = rateLimitKey(clientIp)
  const limits = signingPolicies().map((policy) => ({ ...policy, keyHash: limitKey }))
  if (disposableDomains.has(emailDomain(input.email))) {
    // Still an attempt: a script cycling throwaway addresses meets the limit too.
    const counted = await hitRateLimits(db, limits)
    if (!counted.allowed) return { status: 429, result: submission.reply(), retryAfterMs: counted.retryAfterMs }
    return { status: 400, result: submission.reply({ fieldErrors: { email: [t('petition.disposable')] } }) }
  }
  // An unknown or malformed tag is ignored: the signature counts as direct.
  const source = await knownSource(db, { campaignId: campaign.id, value: formData.get(SOURCE_PARAM) })
  // At risk, names are never shown: none is stored as "may be shown" either, should the mode be turned off.
  const signed = await signPetition(db, { campaign, input: campaign.atRisk ? { ...input, showName: false } : input, locale: lang, ipHash, source, limits })
  if (signed.outcome === 'created') countSignatureCreated()
  if (signed.outcome === 'rate-limited') return { status: 429, result: submission.reply(), retryAfterMs: signed.retryAfterMs }
  return { status: 200, result: submission.reply({ resetForm: true }) }
}
