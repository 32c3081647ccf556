import { and, count, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDatabase, getDb, openPostgres, type DB } from '#db/client.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import {
  campaigns,
  consents,
  donations,
  emailMessages,
  fundCounters,
  fundDonors,
  funds,
  organizations,
  resendEvents,
  signatures,
  stripeEvents,
  supporters,
  suppressedAddresses,
} from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { appendConsent, withdrawUpdates } from '~/models/consents.server.ts'
import { getSignatureCounters, listCountryCounters, recountFunds, recountSignatures } from '~/models/counters.server.ts'
import { recordDeliveryEvent } from '~/models/delivery-events.server.ts'
import { applyPaymentEvent, createDonation, type PaymentFact } from '~/models/donations.server.ts'
import { hitRateLimit } from '~/models/rate-limits.server.ts'
import { confirmSignature, signPetition, type SignCampaign, type SignInput } from '~/models/signatures.server.ts'
import { newSupporterRow } from '~/models/supporters.server.ts'
import { runReminders } from '~/workflows/reminders.server.ts'
import { runRetention } from '~/workflows/retention.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { onPostgres } from '../helpers/engine.ts'
import { emailHash, outboxRows } from '../helpers/sealed.ts'
import { sqlOn } from '../helpers/sql.ts'

/**
 * Several app servers on one Postgres: each is a pool of its own here (a handle), and the
 * writes of one scenario start on all of them at once. Afterwards nothing is counted twice or
 * lost, nothing unique exists twice, and a job ran once.
 *
 * Postgres only: on SQLite one connection per file writes at a time (IMMEDIATE transactions),
 * so there is no second writer to race with; the same models' SQLite behaviour is covered by
 * group-commit, petition, stripe-webhook, retention and reminders.
 */
const suite = onPostgres ? describe : describe.skip

const SERVERS = 4
let servers: DB[] = []
const server = (i: number) => servers[i % SERVERS]!
let organizationId = 0
let n = 0

async function newCampaign(slug: string, status: 'live' | 'closed' = 'live') {
  return transaction(getDb(), async (tx) => {
    const row = await firstRow(tx.insert(campaigns).values({ organizationId, slug, status, publishedAt: Date.now() }).returning({ id: campaigns.id }))
    return { id: row!.id, slug, title: slug, petitionText: 'Let them go.', organizationName: 'Many Writers' } satisfies SignCampaign
  })
}

function person(over: Partial<SignInput> = {}): SignInput {
  n++
  return { firstName: 'Ana', lastName: 'Pérez', email: `writer.${n}@example.org`, country: ['DE', 'FR', 'VE', 'KE'][n % 4]!, showName: false, updates: true, ...over }
}

const sign = (on: DB, campaign: SignCampaign, input: SignInput, now?: number) => signPetition(on, { campaign, input, locale: 'en', ipHash: null, now })

/** The confirmation tokens of a campaign's signatures, from the seeds in their emails. */
async function confirmationTokens(campaignId: number) {
  // Sealed with the recipient (ADR 017): opened with the data key the test shares with the app.
  const rows = await outboxRows(sqlOn(getDb()), `m.campaign_id = ? and m.template = 'confirm-signature'`, campaignId)
  return rows.map((r) => signatureToken(String(r.props.tokenSeed)))
}

suite('many app servers on one Postgres', () => {
  beforeAll(async () => {
    servers = Array.from({ length: SERVERS }, () => openPostgres(process.env.DATABASE_URL!, 3))
    organizationId = await transaction(getDb(), async (tx) => (await firstRow(tx.insert(organizations).values({ slug: 'many', name: 'Many Writers' }).returning({ id: organizations.id })))!.id)
  })

  afterAll(async () => {
    await Promise.all(servers.map((db) => closeDatabase(db)))
  })

  it('counts 200 confirmations made on four servers at once, each link opened twice, once each: the counters equal a recount', async () => {
    const campaign = await newCampaign('two-hundred')
    const signed = await Promise.all(Array.from({ length: 200 }, (_, i) => sign(server(i), campaign, person())))
    expect(signed.every((s) => s.outcome === 'created')).toBe(true)
    const tokens = await confirmationTokens(campaign.id)
    expect(tokens).toHaveLength(200)
    // Each link twice, on two different servers, all at once.
    const results = await Promise.all([...tokens.map((token, i) => confirmSignature(server(i), { token })), ...tokens.map((token, i) => confirmSignature(server(i + 1), { token }))])
    expect(results.filter((r) => r !== null)).toHaveLength(200)
    expect(await getSignatureCounters(getDb(), campaign.id)).toEqual({ confirmed: 200, pending: 0, invalidated: 0 })
    expect((await listCountryCounters(getDb(), campaign.id)).reduce((sum, c) => sum + c.confirmed, 0)).toBe(200)
    expect(await recountSignatures(getDb())).toEqual([])
  })

  it('makes one supporter of a new address signing two campaigns at once on two servers, and one signature of it signing one campaign twice', async () => {
    const [a, b] = [await newCampaign('first-of-two'), await newCampaign('second-of-two')]
    const people = Array.from({ length: 30 }, () => person())
    const outcomes = await Promise.all(people.flatMap((p) => [sign(server(0), a, p), sign(server(1), b, p), sign(server(2), a, p)]))
    const rows = await allRows(getDb()
      .select({ email: supporters.emailHash, n: count() })
      .from(supporters)
      .where(inArray(supporters.emailHash, people.map((p) => emailHash(p.email))))
      .groupBy(supporters.emailHash))
    expect(rows).toHaveLength(30)
    expect(rows.every((r) => r.n === 1)).toBe(true)
    const perCampaign = await allRows(getDb().select({ campaignId: signatures.campaignId, n: count() }).from(signatures).where(inArray(signatures.campaignId, [a.id, b.id])).groupBy(signatures.campaignId))
    expect(Object.fromEntries(perCampaign.map((r) => [r.campaignId, r.n]))).toEqual({ [a.id]: 30, [b.id]: 30 })
    // Campaign a got each address twice: one created it, the other was answered as a repeat.
    const onA = outcomes.filter((_, i) => i % 3 !== 1).map((o) => o.outcome)
    expect(onA.filter((o) => o === 'created')).toHaveLength(30)
    expect(onA.filter((o) => o === 'resent')).toHaveLength(30)
    expect(await getSignatureCounters(getDb(), a.id)).toEqual({ confirmed: 0, pending: 30, invalidated: 0 })
    expect(await recountSignatures(getDb())).toEqual([])
  })

  describe('payments', () => {
    // Three funds: payments to one fund take turns at its counters row anyway; to different funds they do not.
    let fundIds: number[] = []
    let campaign: SignCampaign
    const amount = 2_000
    const created = Math.floor(Date.now() / 1000)

    beforeAll(async () => {
      campaign = await newCampaign('paid-for')
      fundIds = await transaction(getDb(), async (tx) => {
        const ids: number[] = []
        for (const slug of ['trip', 'lawyer', 'printing']) ids.push((await firstRow(tx.insert(funds).values({ campaignId: campaign.id, slug, goalMinor: 100_000, currency: 'EUR' }).returning({ id: funds.id })))!.id)
        return ids
      })
    })

    const checkout = (donationId: number, fundId: number): PaymentFact => ({
      kind: 'checkout',
      donationId,
      campaignId: campaign.id,
      fundId,
      sessionId: `cs_many_${donationId}`,
      mode: 'payment',
      paymentIntentId: `pi_many_${donationId}`,
      subscriptionId: null,
      customerId: null,
      invoiceId: null,
      amountMinor: amount,
      currency: 'eur',
      outcome: 'paid',
      delayed: false,
      at: Date.now(),
    })

    it('applies the same Stripe event delivered to two servers at once once, and numbers the receipts of payments recorded at once without a gap or a repeat', async () => {
      const ids = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          createDonation(server(i), {
            campaignId: campaign.id,
            fundId: fundIds[i % 3]!,
            interval: 'one_time',
            giftMinor: amount,
            amountMinor: amount,
            currency: 'EUR',
            // Two gifts from each address, both to the same fund: two donors per fund.
            email: `donor.${i % 6}@example.org`,
            publicName: null,
            message: null,
            receiptName: null,
            wantsUpdates: false,
            locale: 'en',
          }),
        ),
      )
      const deliveries = ids.flatMap((id, i) =>
        [0, 1].map((copy) => applyPaymentEvent(server(i + copy), { eventId: `evt_many_${id}`, type: 'checkout.session.completed', created, facts: [checkout(id, fundIds[i % 3]!)] })),
      )
      const results = (await Promise.all(deliveries)).map((r) => r.result)
      expect(results.filter((r) => r === 'applied')).toHaveLength(12)
      expect(results.filter((r) => r === 'duplicate')).toHaveLength(12)
      expect((await firstRow(getDb().select({ n: count() }).from(stripeEvents).where(sql`${stripeEvents.id} like 'evt_many_%'`)))!.n).toBe(12)
      const paid = await allRows(getDb().select({ receipt: donations.receiptNumber, status: donations.status }).from(donations).where(inArray(donations.id, ids)))
      expect(paid.every((d) => d.status === 'succeeded')).toBe(true)
      expect(paid.map((d) => d.receipt).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
      const receipts = await firstRow(getDb().select({ n: count() }).from(emailMessages).where(eq(emailMessages.template, 'donation-receipt')))
      expect(receipts!.n).toBe(12)
      const perFund = await allRows(getDb().select({ raised: fundCounters.raisedMinor, donations: fundCounters.donations, donors: fundCounters.donors }).from(fundCounters).where(inArray(fundCounters.fundId, fundIds)))
      expect(perFund).toEqual(fundIds.map(() => ({ raised: 4 * amount, donations: 4, donors: 2 })))
      expect((await firstRow(getDb().select({ n: count() }).from(fundDonors).where(inArray(fundDonors.fundId, fundIds))))!.n).toBe(6)
      expect(await recountFunds(getDb())).toEqual([])
    })

    it('applies a refund and a dispute of one donation arriving on two servers at once, both, and the fund equals its recount', async () => {
      const paid = await allRows(getDb().select({ id: donations.id }).from(donations).where(inArray(donations.fundId, fundIds)))
      expect(paid).toHaveLength(12)
      const at = Date.now()
      await Promise.all(
        paid.flatMap(({ id }, i) => [
          applyPaymentEvent(server(i), {
            eventId: `evt_refund_${id}`,
            type: 'charge.refunded',
            created,
            facts: [{ kind: 'refunded', ref: { paymentIntentId: `pi_many_${id}` }, chargedMinor: amount, refundedMinor: 500, currency: 'eur', at }],
          }),
          applyPaymentEvent(server(i + 1), {
            eventId: `evt_dispute_${id}`,
            type: 'charge.dispute.created',
            created,
            facts: [{ kind: 'dispute', ref: { paymentIntentId: `pi_many_${id}` }, status: 'open', amountMinor: 300, currency: 'eur', at }],
          }),
        ]),
      )
      const rows = await allRows(getDb().select({ refunded: donations.refundedMinor, dispute: donations.disputeStatus, counted: donations.countedMinor }).from(donations).where(inArray(donations.fundId, fundIds)))
      expect(rows.every((r) => r.refunded === 500 && r.dispute === 'open' && r.counted === amount - 500 - 300)).toBe(true)
      expect(await recountFunds(getDb())).toEqual([])
    })
  })

  it('records the same Resend event delivered twice at once once', async () => {
    for (let i = 0; i < 10; i++) {
      const event = { eventId: `msg_many_${i}`, type: 'bounced' as const, providerId: `re_many_${i}`, emails: [`Bounced <bounced.${i}@example.org>`], at: Date.now(), bounceType: 'Permanent' }
      const answers = await Promise.all([recordDeliveryEvent(server(i), event), recordDeliveryEvent(server(i + 1), event)])
      expect(answers.sort()).toEqual(['duplicate', 'recorded'])
    }
    expect((await firstRow(getDb().select({ n: count() }).from(resendEvents).where(sql`${resendEvents.id} like 'msg_many_%'`)))!.n).toBe(10)
    const bounced = Array.from({ length: 10 }, (_, i) => emailHash(`bounced.${i}@example.org`))
    expect((await firstRow(getDb().select({ n: count() }).from(suppressedAddresses).where(inArray(suppressedAddresses.emailHash, bounced))))!.n).toBe(10)
  })

  it('lets exactly as many attempts through a rate limit as it allows when they arrive on four servers at once', async () => {
    const hit = { bucket: 'many-writers', limit: 5, windowMs: 60_000 }
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => hitRateLimit(server(i), { ...hit, keyHash: `client-${round}` })))
      expect(answers.filter((a) => a.allowed)).toHaveLength(5)
    }
  })

  it('writes one withdrawal when the unsubscribe link is followed on two servers at once', async () => {
    const campaign = await newCampaign('news')
    const supporterIds = await transaction(getDb(), async (tx) => {
      const ids: number[] = []
      for (let i = 0; i < 10; i++) {
        const row = await firstRow(tx.insert(supporters).values(newSupporterRow({ email: `news.${i}@example.org`, firstName: 'N', lastName: 'W', country: 'DE', locale: 'en' })).returning({ id: supporters.id }))
        await appendConsent(tx, { supporterId: row!.id, campaignId: campaign.id, granted: true, source: 'petition_form', now: Date.now() })
        ids.push(row!.id)
      }
      return ids
    })
    const answers = await Promise.all(
      supporterIds.flatMap((supporterId, i) => [0, 1].map((copy) => withdrawUpdates(server(i + copy), { supporterId, campaignId: campaign.id, source: 'one_click' }))),
    )
    expect(answers.filter((a) => a.changed)).toHaveLength(10)
    const withdrawals = await firstRow(getDb().select({ n: count() }).from(consents).where(and(eq(consents.campaignId, campaign.id), eq(consents.granted, false))))
    expect(withdrawals!.n).toBe(10)
  })

  it('runs the retention job once when two servers start it at once, and the next run finds nothing left', async () => {
    const campaign = await newCampaign('closed-long-ago')
    await Promise.all(Array.from({ length: 600 }, (_, i) => sign(server(i), campaign, person())))
    await transaction(getDb(), async (tx) => {
      await execute(tx.update(campaigns).set({ status: 'closed', closedAt: Date.now() - 200 * 86_400_000 }).where(eq(campaigns.id, campaign.id)))
    })
    const runs = await Promise.all([runRetention(server(0)), runRetention(server(1))])
    expect(runs.filter((r) => r.skipped)).toHaveLength(1)
    const ran = runs.find((r) => !r.skipped)
    expect(ran && !ran.skipped && ran.result.filter((r) => r.campaignId === campaign.id)).toEqual([expect.objectContaining({ anonymised: 600, supportersDeleted: 600 })])
    const left = await firstRow(getDb().select({ n: count() }).from(signatures).where(and(eq(signatures.campaignId, campaign.id), sql`${signatures.anonymisedAt} is null`)))
    expect(left!.n).toBe(0)
    // The lock went with the run: the next run is not skipped, and has nothing to do.
    expect(await runRetention(server(2))).toEqual({ skipped: false, result: [] })
  })

  it('runs the reminders job once when two servers start it at once', async () => {
    const campaign = await newCampaign('remind-me')
    const dayAndAHourAgo = Date.now() - 25 * 60 * 60 * 1000
    await Promise.all(Array.from({ length: 300 }, (_, i) => sign(server(i), campaign, person({ updates: false }), dayAndAHourAgo)))
    const runs = await Promise.all([runReminders(server(0)), runReminders(server(1))])
    expect(runs.filter((r) => r.skipped)).toHaveLength(1)
    const reminders = await firstRow(getDb().select({ n: count() }).from(emailMessages).where(and(eq(emailMessages.campaignId, campaign.id), eq(emailMessages.template, 'confirm-reminder'))))
    expect(reminders!.n).toBe(300)
    expect(await runReminders(server(2))).toEqual({ skipped: false, result: [] })
  })
})
