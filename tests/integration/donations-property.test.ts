import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { StripeEventJson } from '../../stand-ins/stripe/index.ts'
import { expectedCounted, HANDLED_TYPES, startDonationStack, type DonationRow, type DonationStack } from '../helpers/donations.ts'

/**
 * Stripe promises neither order nor single delivery. Random donations are made through the form
 * and then paid, settled, renewed, refunded, disputed and cancelled on the Stripe stand-in; every
 * event that produced is delivered to the server in a random order, some twice (re-signed, as
 * Stripe retries) or replayed byte for byte, a few at a time. The database must end exactly where
 * a model of the operations says, built here from what was done at "Stripe", not from Vigil's code.
 * Each run uses a fund and donor addresses of its own on one server.
 */

let stack: DonationStack
let runs = 0

beforeAll(async () => {
  stack = await startDonationStack()
})

afterAll(async () => {
  await stack?.close()
})

// ——— Scenarios ———

type DisputePlan = null | 'open' | 'won' | 'lost'
/** What happens to one charge: refunds, each a percentage of what is still unrefunded (100 = the rest), then maybe a dispute. */
type ChargePlan = { refunds: number[]; dispute: DisputePlan }
type GiftPlan = {
  kind: 'card' | 'sepa-succeeds' | 'sepa-fails' | 'monthly' | 'abandoned'
  giftMinor: number
  coverFees: boolean
  updates: boolean
  /** Donors are picked from a small pool, so some give more than once. */
  donor: number
  order: 'session-first' | 'invoice-first'
  charge: ChargePlan
  renewals: ChargePlan[]
  cancel: boolean
}

const chargePlan: fc.Arbitrary<ChargePlan> = fc.record({
  refunds: fc.array(fc.oneof(fc.integer({ min: 1, max: 99 }), fc.constant(100)), { maxLength: 3 }),
  dispute: fc.constantFrom<DisputePlan>(null, null, 'open', 'won', 'lost'),
})

const giftPlan: fc.Arbitrary<GiftPlan> = fc.record({
  kind: fc.constantFrom('card', 'sepa-succeeds', 'sepa-fails', 'monthly', 'monthly', 'abandoned'),
  giftMinor: fc.integer({ min: 100, max: 20_000 }),
  coverFees: fc.boolean(),
  updates: fc.boolean(),
  donor: fc.integer({ min: 0, max: 2 }),
  order: fc.constantFrom('session-first', 'invoice-first'),
  charge: chargePlan,
  renewals: fc.array(chargePlan, { maxLength: 3 }),
  cancel: fc.boolean(),
})

// ——— The model: what each donation must be, from what happened at Stripe ———

type Expected = {
  /** How to find the row: its Checkout Session, or (renewals) its invoice. */
  sessionId: string | null
  invoiceId: string | null
  parentOf: Expected | null
  email: string
  updates: boolean
  amountMinor: number
  paid: boolean
  failed: boolean
  refundedMinor: number
  dispute: DisputePlan
  disputedMinor: number
  subscriptionEnded: boolean
}

function countedOf(d: Expected) {
  if (!d.paid) return 0
  const withheld = d.dispute === 'open' || d.dispute === 'lost' ? d.disputedMinor : 0
  return Math.max(0, d.amountMinor - d.refundedMinor - withheld)
}

function statusOf(d: Expected) {
  if (!d.paid) return d.failed ? 'failed' : 'open'
  if (d.dispute === 'open' || d.dispute === 'lost') return 'disputed'
  if (d.refundedMinor >= d.amountMinor) return 'refunded'
  return 'succeeded'
}

// ——— Performing a scenario on the stand-in ———

/** Refund and dispute one settled charge as planned; returns what Stripe then holds. */
function playCharge(chargeId: string, amountMinor: number, plan: ChargePlan) {
  let refundedMinor = 0
  for (const percent of plan.refunds) {
    const left = amountMinor - refundedMinor
    if (left === 0) break
    const amount = percent === 100 ? left : Math.max(1, Math.floor((left * percent) / 100))
    stack.standIn.refund(chargeId, amount)
    refundedMinor += amount
  }
  // Stripe disputes what was not refunded; a fully refunded charge has nothing left to dispute.
  if (plan.dispute === null || refundedMinor === amountMinor) return { refundedMinor, dispute: null, disputedMinor: 0 }
  const dispute = stack.standIn.dispute(chargeId)
  if (plan.dispute !== 'open') stack.standIn.closeDispute(String(dispute.id), plan.dispute)
  return { refundedMinor, dispute: plan.dispute, disputedMinor: Number(dispute.amount) }
}

async function perform(plans: GiftPlan[], fundId: number, run: number) {
  const expected: Expected[] = []
  for (const plan of plans) {
    const email = `run${run}.donor${plan.donor}@example.org`
    const { sessionId } = await stack.donate({
      fundId: String(fundId),
      interval: plan.kind === 'monthly' ? 'monthly' : 'one_time',
      amount: String(plan.giftMinor),
      email,
      ...(plan.coverFees ? { coverFees: 'on' } : {}),
      ...(plan.updates ? { updates: 'on' } : {}),
    })
    const amountMinor = Number(stack.standIn.object(sessionId)!.amount_total)
    const first: Expected = {
      sessionId,
      invoiceId: null,
      parentOf: null,
      email,
      updates: plan.updates,
      amountMinor,
      paid: false,
      failed: false,
      refundedMinor: 0,
      dispute: null,
      disputedMinor: 0,
      subscriptionEnded: false,
    }
    expected.push(first)
    switch (plan.kind) {
      case 'abandoned':
        break
      case 'card':
        stack.standIn.complete(sessionId, { method: 'card' })
        Object.assign(first, { paid: true }, playCharge(stack.chargeOfSession(sessionId), amountMinor, plan.charge))
        break
      case 'sepa-succeeds':
        stack.standIn.complete(sessionId, { method: 'sepa', outcome: 'pending' })
        stack.standIn.settle(sessionId, 'succeeded')
        Object.assign(first, { paid: true }, playCharge(stack.chargeOfSession(sessionId), amountMinor, plan.charge))
        break
      case 'sepa-fails':
        stack.standIn.complete(sessionId, { method: 'sepa', outcome: 'pending' })
        stack.standIn.settle(sessionId, 'failed')
        first.failed = true
        break
      case 'monthly': {
        stack.standIn.complete(sessionId, { order: plan.order })
        const session = stack.standIn.object(sessionId)!
        const subscriptionId = String(session.subscription)
        Object.assign(first, { paid: true }, playCharge(await stack.chargeOfInvoice(String(session.invoice)), amountMinor, plan.charge))
        const rows = [first]
        for (const renewalPlan of plan.renewals) {
          const invoice = stack.standIn.renew(subscriptionId)
          const invoiceId = String(invoice.id)
          const renewal: Expected = {
            ...first,
            sessionId: null,
            invoiceId,
            parentOf: first,
            updates: false,
            amountMinor: Number(invoice.amount_paid),
            paid: true,
            ...playCharge(await stack.chargeOfInvoice(invoiceId), Number(invoice.amount_paid), renewalPlan),
          }
          expected.push(renewal)
          rows.push(renewal)
        }
        if (plan.cancel) {
          stack.standIn.cancel(subscriptionId)
          for (const row of rows) row.subscriptionEnded = true
        }
        break
      }
    }
  }
  return expected
}

async function createFund(run: number) {
  const { id: fundId } = (await stack.db.get<{ id: number }>(
    `INSERT INTO funds (campaign_id, slug, goal_minor, currency, status, position) VALUES (1, ?, 500000, 'EUR', 'open', ?) RETURNING id`,
    `property-run-${run}`,
    100 + run,
  ))!
  await stack.db.run(`INSERT INTO fund_translations (fund_id, locale, title, description) VALUES (?, 'en', ?, '')`, fundId, `Property run ${run}`)
  return fundId
}

// ——— Delivery ———

type Delivery = { event: StripeEventJson; replay: boolean }

async function deliverInBatches(deliveries: Delivery[], batchSize: number, fundId: number) {
  // A replay resends the bytes and signature of the first request for that event.
  const firstRequest = new Map<string, { body: string; headers: Record<string, string> }>()
  const requestFor = ({ event, replay }: Delivery) => {
    const known = firstRequest.get(event.id)
    if (replay && known) return known
    const request = stack.standIn.webhookRequest(event)
    if (!known) firstRequest.set(event.id, request)
    return request
  }
  const answers: { event: StripeEventJson; status: number; body: string }[] = []
  for (let i = 0; i < deliveries.length; i += batchSize) {
    const batch = deliveries.slice(i, i + batchSize)
    const results = await Promise.all(batch.map(async (delivery) => ({ event: delivery.event, ...(await stack.send(requestFor(delivery))) })))
    answers.push(...results)
    // Between any two batches each row counts what its facts say, and the counters are what the rows add up to.
    const rows = await stack.db.all('SELECT * FROM donations WHERE fund_id = ?', fundId) as DonationRow[]
    for (const row of rows) expect(row.counted_minor, `donation ${row.id}`).toBe(expectedCounted(row))
    expect(await stack.counters(fundId)).toEqual(await stack.countersFromRows(fundId))
  }
  return answers
}

// ——— The property ———

it('ends in the same state however Stripe’s events are ordered, repeated or replayed', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(giftPlan, { minLength: 1, maxLength: 4 }), fc.gen(), fc.context(), async (plans, g, context) => {
      const run = ++runs
      const fundId = await createFund(run)
      const mark = stack.standIn.events().length
      const expected = await perform(plans, fundId, run)
      const events = stack.eventsSince(mark)

      // Every event at least once, in any order; then some again, anywhere, re-signed or replayed.
      // (Indices into `events`, so a counterexample prints as numbers.)
      const indices = events.map((_, index) => index)
      const order = g(fc.shuffledSubarray, indices, { minLength: indices.length, maxLength: indices.length })
      const deliveries: Delivery[] = order.map((index) => ({ event: events[index]!, replay: false }))
      const extras = events.length === 0 ? [] : g(fc.array, fc.record({ index: fc.nat({ max: events.length - 1 }), at: fc.nat({ max: events.length }), replay: fc.boolean() }), { maxLength: Math.ceil(events.length / 2) })
      for (const extra of extras) deliveries.splice(Math.min(extra.at, deliveries.length), 0, { event: events[extra.index]!, replay: extra.replay })
      const batchSize = g(fc.integer, { min: 1, max: 3 })
      context.log(`delivered, ${batchSize} at a time:\n${deliveries.map(({ event, replay }) => `  ${event.type} #${events.indexOf(event)}${replay ? ' (replayed)' : ''}`).join('\n')}`)

      const answers = await deliverInBatches(deliveries, batchSize, fundId)

      // Every delivery is accepted; each handled event is applied once, the others are ignored.
      expect(answers.filter((a) => a.status !== 200)).toEqual([])
      for (const event of events) {
        const bodies = answers.filter((a) => a.event.id === event.id).map((a) => a.body)
        const tally = { applied: bodies.filter((b) => b === 'applied').length, duplicate: bodies.filter((b) => b === 'duplicate').length, ignored: bodies.filter((b) => b === 'ignored').length }
        expect(tally, `${event.type} ${event.id}`).toEqual(HANDLED_TYPES.has(event.type) ? { applied: 1, duplicate: bodies.length - 1, ignored: 0 } : { applied: 0, duplicate: 0, ignored: bodies.length })
        expect(await stack.ledgerCount(event.id), `${event.type} in the ledger`).toBe(HANDLED_TYPES.has(event.type) ? 1 : 0)
      }

      // Each donation, as the model says.
      const rows = await stack.db.all('SELECT * FROM donations WHERE fund_id = ? ORDER BY id', fundId) as DonationRow[]
      expect(rows).toHaveLength(expected.length)
      const rowOf = new Map<Expected, DonationRow>()
      for (const d of expected) {
        const row = d.sessionId ? await stack.donationBySession(d.sessionId) : await stack.donationByInvoice(d.invoiceId!)
        expect(row, `donation for ${d.sessionId ?? d.invoiceId}`).toBeDefined()
        rowOf.set(d, row!)
      }
      for (const d of expected) {
        const row = rowOf.get(d)!
        expect(
          {
            fund: row.fund_id,
            parent: row.parent_id,
            amount: row.amount_minor,
            status: row.status,
            paid: row.paid_at !== null,
            failed: row.failed_at !== null,
            refunded: row.refunded_minor,
            dispute: row.dispute_status,
            disputed: row.disputed_minor,
            counted: row.counted_minor,
            subscriptionEnded: row.subscription_ended_at !== null,
            receipts: (await stack.receiptsOf(row.id)).length,
          },
          `donation ${row.id} (${d.sessionId ?? d.invoiceId})`,
        ).toEqual({
          fund: fundId,
          parent: d.parentOf ? rowOf.get(d.parentOf)!.id : null,
          amount: d.amountMinor,
          status: statusOf(d),
          paid: d.paid,
          failed: d.failed,
          refunded: d.refundedMinor,
          dispute: d.dispute,
          disputed: d.disputedMinor,
          counted: countedOf(d),
          subscriptionEnded: d.subscriptionEnded,
          receipts: d.paid ? 1 : 0,
        })
      }

      // The fund's counters, from the model alone.
      expect(await stack.counters(fundId)).toEqual({
        raised: expected.reduce((sum, d) => sum + countedOf(d), 0),
        donations: expected.filter((d) => countedOf(d) > 0).length,
        donors: new Set(expected.filter((d) => d.paid).map((d) => d.email)).size,
      })

      // Consent: one grant per paid gift whose form asked for updates (renewals ask nothing).
      for (const email of new Set(expected.map((d) => d.email))) {
        expect(await stack.consentsOf(email), `consents of ${email}`).toHaveLength(expected.filter((d) => d.email === email && d.paid && d.updates && !d.parentOf).length)
      }
    }),
    // Each run replays a whole scenario over HTTP, so shrinking is bounded in time: a failure found
    // is still reported (seed, path and the smallest counterexample reached) when time runs out.
    { numRuns: 30, interruptAfterTimeLimit: 150_000 },
  )
}, 300_000)
