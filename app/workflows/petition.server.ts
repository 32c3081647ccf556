import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod, unstable_coerceFormValue as coerceFormValue } from '@conform-to/zod'
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js'
import type { DB, Handle } from '#db/client.server.ts'
import { listPublicMessages } from '~/models/messages.server.ts'
import { hitRateLimits } from '~/models/rate-limits.server.ts'
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
    listRecentSigners(db, { campaignId: campaign.id }),
    listPublicMessages(db, { campaignId: campaign.id }),
  ])
  return {
    open: campaign.status === 'live',
    target: campaign.target,
    text: campaign.petitionText,
    ...stats,
    recent: recent.map((r) => ({ name: r.name, country: countryName(r.country, lang) })),
    messages: messages.map((m) => ({ ...m, country: countryName(m.country, lang) })),
    organizationName: campaign.organizationName,
    suggestedCountry: countryHint,
  }
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
  const ipHash = rateLimitKey(clientIp)
  const limits = signingPolicies().map((policy) => ({ ...policy, keyHash: ipHash }))
  if (disposableDomains.has(emailDomain(input.email))) {
    // Still an attempt: a script cycling throwaway addresses meets the limit too.
    const counted = await hitRateLimits(db, limits)
    if (!counted.allowed) return { status: 429, result: submission.reply(), retryAfterMs: counted.retryAfterMs }
    return { status: 400, result: submission.reply({ fieldErrors: { email: [t('petition.disposable')] } }) }
  }
  // An unknown or malformed tag is ignored: the signature counts as direct.
  const source = await knownSource(db, { campaignId: campaign.id, value: formData.get(SOURCE_PARAM) })
  const signed = await signPetition(db, { campaign, input, locale: lang, ipHash, source, limits })
  if (signed.outcome === 'created') countSignatureCreated()
  if (signed.outcome === 'rate-limited') return { status: 429, result: submission.reply(), retryAfterMs: signed.retryAfterMs }
  return { status: 200, result: submission.reply({ resetForm: true }) }
}
