import type { SubmissionResult } from '@conform-to/react'
import type { Handle } from '#db/client.server.ts'
import { parseWithZod, unstable_coerceFormValue as coerceFormValue } from '@conform-to/zod'
import { attachCheckoutSession, createDonation } from '~/models/donations.server.ts'
import { listDonorWall } from '~/models/donor-wall.server.ts'
import { getOpenFund, listPublicFunds } from '~/models/funds.server.ts'
import { knownSource } from '~/models/sources.server.ts'
import { formatMoney, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { feeCover, parseAmount } from '~/utils/money.ts'
import { donationSchema } from '~/utils/schemas.ts'
import { SOURCE_PARAM } from '~/utils/sources.ts'
import type { DonationData } from '~/utils/donate.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { consumeRateLimits, RateLimitedError, type RateLimitPolicy } from './rate-limit.server.ts'
import { createCheckoutSession } from '~/utils/stripe-client.server.ts'

// Each attempt creates a Checkout Session at Stripe: enough for a household, not for a script.
const DONATE_PER_IP: RateLimitPolicy = { bucket: 'donate:ip', limit: 20, windowMs: 10 * 60_000 }

const schemas = new Map(LANGUAGES.map((lang) => [lang, coerceFormValue(donationSchema(getT(lang)))]))

/** `atRisk`: supporters may be at risk (issue 16): no donor wall, no public name asked, nothing of the donor sent to Stripe beyond the payment. */
type Campaign = { id: number; slug: string; title: string; defaultLocale: Language; atRisk: boolean }

/** What the donation panel and page show. */
export async function loadDonations(db: Handle, { campaign, lang }: { campaign: Campaign; lang: Language }): Promise<DonationData> {
  const { donations: settings } = getEnv()
  const [{ funds, totals }, wall] = await Promise.all([
    listPublicFunds(db, { campaignId: campaign.id, lang, defaultLocale: campaign.defaultLocale }),
    campaign.atRisk ? [] : listDonorWall(db, { campaignId: campaign.id }),
  ])
  return {
    slug: campaign.slug,
    atRisk: campaign.atRisk,
    funds,
    totals,
    wall,
    presets: settings.presets,
    fees: { feePercent: settings.feePercent, feeFixedMinor: settings.feeFixedMinor },
    minMinor: settings.minMinor,
    maxMinor: settings.maxMinor,
  }
}

/** The gift in minor units, or which field is wrong and why: a well-formed amount, within the limits in the fund's currency. */
function checkGift({
  amount,
  customAmount,
  currency,
  lang,
  settings,
}: {
  amount: unknown
  customAmount: unknown
  currency: string
  lang: Language
  settings: { minMinor: number; maxMinor: number }
}): { minor: number } | { field: 'amount' | 'customAmount'; message: string } {
  const t = getT(lang)
  const custom = amount === 'custom'
  const minor = custom ? parseAmount(typeof customAmount === 'string' ? customAmount.trim() : '', currency) : Number(amount)
  if (minor === null || !Number.isSafeInteger(minor)) return { field: 'customAmount', message: t('donate.amountFormat') }
  const field = custom ? 'customAmount' : 'amount'
  if (minor < settings.minMinor) return { field, message: t('donate.tooSmall', { min: formatMoney(settings.minMinor, currency, lang) }) }
  if (minor > settings.maxMinor) return { field, message: t('donate.tooLarge', { max: formatMoney(settings.maxMinor, currency, lang) }) }
  return { minor }
}

export type DonateAnswer =
  | { status: 303; location: string }
  | { status: 400 | 429 | 503; result: SubmissionResult<string[]>; retryAfterSeconds?: number }

/**
 * Check everything again on the server (fund open and of this campaign, its currency,
 * the amount within limits), record the donation as "open", create the Checkout Session
 * and send the donor there. Nothing is marked paid here: only the webhook does that.
 */
export async function handleDonation(
  db: Handle,
  {
    formData,
    campaign,
    lang,
    clientIp,
  }: {
    formData: FormData
    campaign: Campaign
    lang: Language
    clientIp: string
  },
): Promise<DonateAnswer> {
  const t = getT(lang)
  const { donations: settings } = getEnv()
  const submission = parseWithZod(formData, { schema: schemas.get(lang)!, disableAutoCoercion: true })
  // The fund and the amount's limits are checked even when another field failed, so the
  // donor hears about every problem at once (not the amount only after fixing the email).
  const fundId = Number(typeof submission.payload.fundId === 'string' ? submission.payload.fundId : NaN)
  const fund = Number.isSafeInteger(fundId) && fundId > 0 ? await getOpenFund(db, { campaignId: campaign.id, fundId, lang, defaultLocale: campaign.defaultLocale }) : null
  const fieldErrors: Record<string, string[]> = {}
  const schemaErrors = (submission.status === 'error' ? submission.error : null) ?? {}
  if (!fund && !schemaErrors.fundId) fieldErrors.fundId = [t('donate.fundClosed')]
  let giftMinor: number | null = null
  if (fund && !schemaErrors.amount && !schemaErrors.customAmount) {
    const gift = checkGift({ amount: submission.payload.amount, customAmount: submission.payload.customAmount, currency: fund.currency, lang, settings })
    if ('minor' in gift) giftMinor = gift.minor
    else fieldErrors[gift.field] = [gift.message]
  }
  if (submission.status !== 'success' || !fund || giftMinor === null || Object.keys(fieldErrors).length > 0) {
    return { status: 400, result: submission.reply({ fieldErrors }) }
  }
  const input = submission.value
  if (input.currency && input.currency.toUpperCase() !== fund.currency) {
    return { status: 400, result: submission.reply({ formErrors: [t('donate.currencyChanged', { currency: fund.currency })] }) }
  }
  const amountMinor = giftMinor + (input.coverFees ? feeCover(giftMinor, settings) : 0)
  try {
    await consumeRateLimits(db, [{ policy: DONATE_PER_IP, value: clientIp }])
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error
    const minutes = Math.max(1, Math.ceil(error.retryAfterMs / 60_000))
    return { status: 429, result: submission.reply({ formErrors: [t('donate.rateLimited', { count: minutes })] }), retryAfterSeconds: Math.ceil(error.retryAfterMs / 1000) }
  }
  const donationId = await createDonation(db, {
    campaignId: campaign.id,
    fundId: fund.id,
    interval: input.interval,
    giftMinor,
    amountMinor,
    currency: fund.currency,
    email: input.email,
    // At risk the form asks neither: nothing may reach a public wall, even if the mode is turned off later.
    publicName: campaign.atRisk ? null : input.publicName || null,
    message: campaign.atRisk ? null : input.message || null,
    receiptName: input.receiptName || null,
    wantsUpdates: input.updates,
    locale: lang,
    source: await knownSource(db, { campaignId: campaign.id, value: formData.get(SOURCE_PARAM) }),
  })
  try {
    const session = await createCheckoutSession({
      donationId,
      campaignId: campaign.id,
      fundId: fund.id,
      campaignSlug: campaign.slug,
      productName: `${fund.title} — ${campaign.title}`,
      interval: input.interval,
      amountMinor,
      currency: fund.currency,
      // At risk Stripe gets no address from us: Checkout asks the payer for what the payment needs.
      email: campaign.atRisk ? null : input.email,
      locale: lang,
    })
    await attachCheckoutSession(db, { donationId, sessionId: session.id })
    return { status: 303, location: session.url }
  } catch (error) {
    // Stripe refused or could not be reached: nothing was charged; the "open" row stays unpaid.
    // Type and code only: Stripe's messages can quote what the donor typed.
    const { type, code } = (error ?? {}) as { type?: string; code?: string }
    console.error(`vigil: checkout session failed (${type ?? 'error'}${code ? `, ${code}` : ''})`)
    return { status: 503, result: submission.reply({ formErrors: [t('donate.unavailable')] }) }
  }
}
