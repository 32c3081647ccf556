import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js'
import { listPublicMessages } from '~/models/signatures-admin.server.ts'
import { getPetitionStats, listRecentSigners, signPetition } from '~/models/signatures.server.ts'
import type { PublicCampaign } from '~/models/campaigns.server.ts'
import type { PetitionData } from '~/components/petition-panel.tsx'
import { COUNTRY_CODES, countryName } from '~/utils/countries.ts'
import { emailDomain } from '~/utils/email.ts'
import type { Language } from '~/utils/i18n.ts'
import { signSchema } from '~/utils/schemas.ts'
import { getT } from './i18n.server.ts'
import { consumeRateLimits, rateLimitKey, RateLimitedError, signingPolicies } from './rate-limit.server.ts'

// The library builds its set of some 100,000 domains on every call: build it once.
const disposableDomains = disposableEmailBlocklistSet()

/** Everything the petition panel shows, for one campaign in one language. */
export async function loadPetition({
  campaign,
  lang,
  countryHint,
}: {
  campaign: PublicCampaign
  lang: Language
  countryHint: string | null
}): Promise<PetitionData> {
  const [stats, recent, messages] = await Promise.all([
    getPetitionStats({ campaignId: campaign.id, fixedGoal: campaign.signatureGoal }),
    listRecentSigners({ campaignId: campaign.id }),
    listPublicMessages({ campaignId: campaign.id }),
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
export async function handleSignature({
  formData,
  campaign,
  lang,
  clientIp,
}: {
  formData: FormData
  campaign: PublicCampaign
  lang: Language
  clientIp: string
}): Promise<SignResponse> {
  const t = getT(lang)
  const submission = parseWithZod(formData, { schema: signSchema(t, COUNTRY_CODES) })
  if (submission.status !== 'success') return { status: 400, result: submission.reply() }
  const input = submission.value
  if (!campaign || campaign.status !== 'live') {
    return { status: 400, result: submission.reply({ formErrors: [t('petition.closed')] }) }
  }
  // A bot filled the hidden field: answer as if it worked, store nothing.
  if (input.website) return { status: 200, result: submission.reply({ resetForm: true }) }
  try {
    await consumeRateLimits(signingPolicies().map((policy) => ({ policy, value: clientIp })))
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error
    return { status: 429, result: submission.reply(), retryAfterMs: error.retryAfterMs }
  }
  if (disposableDomains.has(emailDomain(input.email))) {
    return { status: 400, result: submission.reply({ fieldErrors: { email: [t('petition.disposable')] } }) }
  }
  await signPetition({
    campaign: {
      id: campaign.id,
      slug: campaign.slug,
      title: campaign.title.value,
      petitionText: campaign.petitionText.value,
      organizationName: campaign.organizationName,
    },
    input,
    locale: lang,
    ipHash: rateLimitKey(clientIp),
  })
  return { status: 200, result: submission.reply({ resetForm: true }) }
}
