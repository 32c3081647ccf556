import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod, unstable_coerceFormValue as coerceFormValue } from '@conform-to/zod'
import type { DonationData } from '~/components/donate-panel.tsx'
import { attachCheckoutSession, createDonation, listDonorWall } from '~/models/donations.server.ts'
import { getOpenFund, listPublicFunds } from '~/models/funds.server.ts'
import { formatMoney, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { feeCover, parseAmount } from '~/utils/money.ts'
import { donationSchema } from '~/utils/schemas.ts'
import { getEnv } from './env.server.ts'
import { getT } from './i18n.server.ts'
import { consumeRateLimits, RateLimitedError, type RateLimitPolicy } from './rate-limit.server.ts'
import { createCheckoutSession } from './stripe.server.ts'

// Each attempt creates a Checkout Session at Stripe: enough for a household, not for a script.
const DONATE_PER_IP: RateLimitPolicy = { bucket: 'donate:ip', limit: 20, windowMs: 10 * 60_000 }

const schemas = new Map(LANGUAGES.map((lang) => [lang, coerceFormValue(donationSchema(getT(lang)))]))

type Campaign = { id: number; slug: string; title: string; defaultLocale: Language }

/** What the donation panel and page show. */
export async function loadDonations({ campaign, lang }: { campaign: Campaign; lang: Language }): Promise<DonationData> {
  const { donations: settings } = getEnv()
  const [{ funds, totals }, wall] = await Promise.all([
    listPublicFunds({ campaignId: campaign.id, lang, defaultLocale: campaign.defaultLocale }),
    listDonorWall({ campaignId: campaign.id }),
  ])
  return {
    slug: campaign.slug,
    funds,
    totals,
    wall,
    presets: settings.presets,
    fees: { feePercent: settings.feePercent, feeFixedMinor: settings.feeFixedMinor },
    minMinor: settings.minMinor,
    maxMinor: settings.maxMinor,
  }
}

export type DonateAnswer =
  | { status: 303; location: string }
  | { status: 400 | 429 | 503; result: SubmissionResult<string[]>; retryAfterSeconds?: number }

/**
 * Check everything again on the server (fund open and of this campaign, its currency,
 * the amount within limits), record the donation as "open", create the Checkout Session
 * and send the donor there. Nothing is marked paid here: only the webhook does that.
 */
export async function handleDonation({
  formData,
  campaign,
  lang,
  clientIp,
}: {
  formData: FormData
  campaign: Campaign
  lang: Language
  clientIp: string
}): Promise<DonateAnswer> {
  const t = getT(lang)
  const { donations: settings } = getEnv()
  const submission = parseWithZod(formData, { schema: schemas.get(lang)!, disableAutoCoercion: true })
  if (submission.status !== 'success') return { status: 400, result: submission.reply() }
  const input = submission.value
  const fund = await getOpenFund({ campaignId: campaign.id, fundId: input.fundId, lang, defaultLocale: campaign.defaultLocale })
  if (!fund) return { status: 400, result: submission.reply({ fieldErrors: { fundId: [t('donate.fundClosed')] } }) }
  if (input.currency && input.currency.toUpperCase() !== fund.currency) {
    return { status: 400, result: submission.reply({ formErrors: [t('donate.currencyChanged', { currency: fund.currency })] }) }
  }
  const money = (minor: number) => formatMoney(minor, fund.currency, lang)
  const giftMinor = input.amount === 'custom' ? parseAmount(input.customAmount ?? '', fund.currency) : Number(input.amount)
  const amountField = input.amount === 'custom' ? 'customAmount' : 'amount'
  if (giftMinor === null || !Number.isSafeInteger(giftMinor)) {
    return { status: 400, result: submission.reply({ fieldErrors: { customAmount: [t('donate.amountFormat')] } }) }
  }
  if (giftMinor < settings.minMinor || giftMinor > settings.maxMinor) {
    const message = giftMinor < settings.minMinor ? t('donate.tooSmall', { min: money(settings.minMinor) }) : t('donate.tooLarge', { max: money(settings.maxMinor) })
    return { status: 400, result: submission.reply({ fieldErrors: { [amountField]: [message] } }) }
  }
  const amountMinor = giftMinor + (input.coverFees ? feeCover(giftMinor, settings) : 0)
  try {
    await consumeRateLimits([{ policy: DONATE_PER_IP, value: clientIp }])
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error
    const minutes = Math.max(1, Math.ceil(error.retryAfterMs / 60_000))
    return { status: 429, result: submission.reply({ formErrors: [t('donate.rateLimited', { count: minutes })] }), retryAfterSeconds: Math.ceil(error.retryAfterMs / 1000) }
  }
  const donationId = await createDonation({
    campaignId: campaign.id,
    fundId: fund.id,
    interval: input.interval,
    giftMinor,
    amountMinor,
    currency: fund.currency,
    email: input.email,
    publicName: input.publicName || null,
    message: input.message || null,
    receiptName: input.receiptName || null,
    wantsUpdates: input.updates,
    locale: lang,
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
      email: input.email,
      locale: lang,
    })
    await attachCheckoutSession({ donationId, sessionId: session.id })
    return { status: 303, location: session.url }
  } catch (error) {
    // Stripe refused or could not be reached: nothing was charged; the "open" row stays unpaid.
    // Type and code only: Stripe's messages can quote what the donor typed.
    const { type, code } = (error ?? {}) as { type?: string; code?: string }
    console.error(`vigil: checkout session failed (${type ?? 'error'}${code ? `, ${code}` : ''})`)
    return { status: 503, result: submission.reply({ formErrors: [t('donate.unavailable')] }) }
  }
}
