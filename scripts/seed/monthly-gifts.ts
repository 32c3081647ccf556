/**
 * Monthly gifts for the living demo, made the way a donor makes one: the app's own donation row
 * and Checkout Session, paid on the demo Stripe stand-in, whose events go through the app's own
 * webhook handler (signed and verified as Stripe's). The stand-in keeps its customers and
 * subscriptions in `stripe-stand-in.json` beside the database, where the server's stand-in reads
 * them at start: so the receipts' "manage your monthly gift" links open a working portal.
 * Demo mode only, and only while the demo campaign has no monthly gift yet.
 */
import path from 'node:path'
import { and, eq, inArray } from 'drizzle-orm'
import { getPublicCampaign } from '../../app/models/campaigns.server.ts'
import { attachCheckoutSession, createDonation } from '../../app/models/donations.server.ts'
import { getOpenFund } from '../../app/models/funds.server.ts'
import { DEMO_CAMPAIGN_SLUG } from '../../app/utils/demo-identity.ts'
import { getEnv } from '../../app/utils/config.server.ts'
import { createCheckoutSession, pointStripeAt } from '../../app/utils/stripe-client.server.ts'
import { handleStripeWebhook } from '../../app/workflows/stripe-webhooks.server.ts'
import type { DB } from '../../db/client.server.ts'
import { allRows, execute, firstRow } from '../../db/query.server.ts'
import { campaigns, donations, emailMessages, funds, stripeEvents } from '../../db/schema.ts'
import { startStripeStandIn } from '../../stand-ins/stripe/index.ts'

/** Who gives monthly: invented, at example.org / example.net, each in their language. */
export const DEMO_MONTHLY_GIFTS = [
  { email: 'lotte.brandt@example.org', name: 'Lotte Brandt', locale: 'de', giftMinor: 1000, minutesAgo: 50, fund: 0 },
  { email: 'samuel.okafor@example.net', name: 'Samuel Okafor', locale: 'en', giftMinor: 2500, minutesAgo: 38, fund: 1 },
  { email: 'marisol.vega@example.org', name: 'Marisol Vega', locale: 'es', giftMinor: 500, minutesAgo: 24, fund: 0 },
  { email: 'jonas.weber@example.net', name: 'Jonas Weber', locale: 'de', giftMinor: 1500, minutesAgo: 9, fund: 0 },
] as const

export async function addMonthlyGifts(db: DB, { now = Date.now() }: { now?: number } = {}): Promise<string | null> {
  const env = getEnv()
  // Live mode, or a stand-in of the tests' own (STRIPE_API_BASE): not ours to fill.
  if (env.mode !== 'demo' || env.stripe.apiBase) return null
  const demo = await firstRow(db.select({ id: campaigns.id, slug: campaigns.slug, defaultLocale: campaigns.defaultLocale }).from(campaigns).where(eq(campaigns.slug, DEMO_CAMPAIGN_SLUG)))
  if (!demo) return null
  if (await firstRow(db.select({ id: donations.id }).from(donations).where(and(eq(donations.campaignId, demo.id), eq(donations.interval, 'monthly'))))) return null
  const fundRows = await allRows(db.select({ id: funds.id, currency: funds.currency }).from(funds).where(eq(funds.campaignId, demo.id)).orderBy(funds.position))
  if (fundRows.length === 0) return null

  const standIn = await startStripeStandIn({
    secretKey: env.stripe.secretKey,
    webhookSecret: env.stripe.webhookSecret,
    // Nobody listens yet: the seed hands each event to the webhook handler itself.
    deliver: false,
    stateFile: path.join(path.dirname(env.databasePath), 'stripe-stand-in.json'),
  })
  try {
    pointStripeAt(standIn.url)
    for (const gift of DEMO_MONTHLY_GIFTS) {
      const fund = fundRows[gift.fund] ?? fundRows[0]!
      // What the donate form names the product: fund and campaign, in the donor's language.
      const fundTitle = (await getOpenFund(db, { campaignId: demo.id, fundId: fund.id, lang: gift.locale, defaultLocale: demo.defaultLocale }))?.title ?? ''
      const campaignTitle = (await getPublicCampaign(db, { slug: demo.slug, lang: gift.locale }))?.title.value ?? ''
      const donationId = await createDonation(db, {
        campaignId: demo.id,
        fundId: fund.id,
        interval: 'monthly',
        giftMinor: gift.giftMinor,
        amountMinor: gift.giftMinor,
        currency: fund.currency,
        email: gift.email,
        publicName: null,
        message: null,
        receiptName: gift.name,
        wantsUpdates: true,
        locale: gift.locale,
      })
      const session = await createCheckoutSession({
        donationId,
        campaignId: demo.id,
        fundId: fund.id,
        campaignSlug: demo.slug,
        productName: `${fundTitle} — ${campaignTitle}`,
        interval: 'monthly',
        amountMinor: gift.giftMinor,
        currency: fund.currency,
        email: gift.email,
        locale: gift.locale,
      })
      await attachCheckoutSession(db, { donationId, sessionId: session.id })
      const seen = standIn.events().length
      const paid = standIn.complete(session.id, { method: 'card', outcome: 'succeeded', name: gift.name })
      if (paid.declined) throw new Error(`seed: the demo stand-in declined monthly gift ${donationId}`)
      const eventIds: string[] = []
      for (const event of standIn.events().slice(seen)) {
        const { body, headers } = standIn.webhookRequest(event)
        const answer = await handleStripeWebhook(db, Buffer.from(body), headers['stripe-signature'] ?? null)
        if (answer.status !== 200 || answer.result === 'failed') throw new Error(`seed: event ${event.type} of monthly gift ${donationId}: ${answer.status} ${answer.body}`)
        eventIds.push(event.id)
      }
      // Within the last hour: after every one-time gift of the history (each at least an hour old),
      // so receipt numbers keep following the order money came in.
      const at = now - gift.minutesAgo * 60_000
      await execute(db.update(donations).set({ createdAt: at - 4 * 60_000, updatedAt: at, paidAt: at }).where(eq(donations.id, donationId)))
      await execute(db.update(stripeEvents).set({ receivedAt: at + 2000 }).where(inArray(stripeEvents.id, eventIds)))
      await execute(db.update(emailMessages).set({ status: 'captured', attempts: 1, createdAt: at + 2000, sentAt: at + 5000 }).where(eq(emailMessages.idempotencyKey, `donation:${donationId}:receipt`)))
    }
  } finally {
    await standIn.close()
  }
  return `${DEMO_MONTHLY_GIFTS.length} monthly gifts`
}
