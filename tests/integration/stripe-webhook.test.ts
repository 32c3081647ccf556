import Stripe from 'stripe'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { signPayload, type StripeEventJson } from '../../stand-ins/stripe/index.ts'
import { CAMPAIGN_SLUG, expectedCounted, HANDLED_TYPES, startDonationStack, WEBHOOK_SECRET, type DonationStack } from '../helpers/donations.ts'
import { textOf } from '../helpers/html.ts'

// POST /webhooks/stripe on the production build, fed by the Stripe stand-in: donations are made
// through the real form, paid, refunded and disputed on the stand-in, and each of its events is
// delivered by the test, so order, repeats and forged requests are in the test's hands.

let stack: DonationStack

beforeAll(async () => {
  stack = await startDonationStack()
})

afterAll(async () => {
  await stack?.close()
})

// Whatever a test did, the public counters are exactly what the donation rows add up to.
afterEach(async () => {
  await stack.expectCountersMatchRows()
})

/** Deliver events one by one; after each, every row counts what its facts say and the counters agree. */
async function deliverAll(events: StripeEventJson[]) {
  const answers: string[] = []
  for (const event of events) {
    const answer = await stack.deliver(event)
    expect(answer.status, `${event.type}: ${answer.body}`).toBe(200)
    answers.push(answer.body)
    await expectRowsConsistent()
    await stack.expectCountersMatchRows()
  }
  return answers
}

async function expectRowsConsistent() {
  const rows = await stack.db.all<Parameters<typeof expectedCounted>[0]>('SELECT * FROM donations')
  for (const row of rows) expect(row).toMatchObject({ counted_minor: expectedCounted(row) })
}

function eventOf(events: StripeEventJson[], type: string) {
  const event = events.find((e) => e.type === type)
  if (!event) throw new Error(`no ${type} event among ${events.map((e) => e.type).join(', ')}`)
  return event
}

async function thanksState(sessionId: string) {
  const response = await fetch(`${stack.server.url}/c/${CAMPAIGN_SLUG}/donate/thanks?session_id=${sessionId}`)
  expect(response.status).toBe(200)
  return /data-state="(\w+)"/.exec(await response.text())?.[1]
}

/** A one-time card gift, paid and recorded, for tests about what happens after. */
async function paidCardGift(form: Record<string, string> = {}) {
  const gift = await stack.donate(form)
  const mark = stack.standIn.events().length
  stack.standIn.complete(gift.sessionId, { method: 'card' })
  await deliverAll(stack.eventsSince(mark))
  const chargeId = stack.chargeOfSession(gift.sessionId)
  return { ...gift, chargeId, row: (await stack.donation(gift.donationId))! }
}

describe('one-time gifts', () => {
  it('records a card gift when checkout.session.completed arrives: paid, counted, one receipt, consent for updates', async () => {
    const before = await stack.counters(1)
    const gift = await stack.donate({ amount: '2500', coverFees: 'on', updates: 'on' })
    // The fee cover is added on the server and charged: gift 25.00, plus 1.5 % and 0.25 to cover.
    expect(gift.row).toMatchObject({ status: 'open', gift_minor: 2500, amount_minor: 2564, counted_minor: 0, paid_at: null, wants_updates: 1 })
    expect(stack.standIn.object(gift.sessionId)!.amount_total).toBe(2564)
    expect(await thanksState(gift.sessionId)).toBe('processing')

    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId, { method: 'card' })
    const events = stack.eventsSince(mark)
    expect(events.map((e) => e.type)).toEqual(['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded'])
    expect(await deliverAll(events)).toEqual(['applied', 'ignored', 'ignored'])

    const session = stack.standIn.object(gift.sessionId)!
    expect(session.payment_intent).toMatch(/^pi_/)
    expect(await stack.donation(gift.donationId)).toMatchObject({
      status: 'succeeded',
      paid_at: expect.any(Number),
      failed_at: null,
      counted_minor: 2564,
      stripe_payment_intent_id: session.payment_intent,
    })
    expect(await stack.counters(1)).toEqual({ raised: before.raised + 2564, donations: before.donations + 1, donors: before.donors + 1 })
    const receipts = await stack.receiptsOf(gift.donationId)
    expect(receipts).toHaveLength(1)
    expect(receipts[0]).toMatchObject({ template: 'donation-receipt', to_email: gift.email })
    expect(JSON.parse(receipts[0]!.props)).toMatchObject({ donationId: gift.donationId, amountMinor: 2564, giftMinor: 2500, currency: 'EUR', interval: 'one_time' })
    expect(await stack.consentsOf(gift.email)).toEqual([{ purpose: 'campaign_updates', campaign_id: 1, granted: 1, source: 'donation_form' }])
    expect(await thanksState(gift.sessionId)).toBe('succeeded')
    // Only the handled event is in the ledger.
    expect(await Promise.all(events.map((e) => stack.ledgerCount(e.id)))).toEqual([1, 0, 0])
  })

  it('takes a custom amount typed with a decimal point, and records no consent without updates=on', async () => {
    const gift = await paidCardGift({ fundId: '2', amount: 'custom', customAmount: '12.50' })
    expect(gift.row).toMatchObject({ fund_id: 2, gift_minor: 1250, amount_minor: 1250, status: 'succeeded', counted_minor: 1250, wants_updates: 0 })
    expect(await stack.receiptsOf(gift.donationId)).toHaveLength(1)
    expect(await stack.consentsOf(gift.email)).toEqual([])
  })

  it('waits for a SEPA debit to settle: processing first, paid (receipt, consent) only on async_payment_succeeded', async () => {
    const before = await stack.counters(1)
    const gift = await stack.donate({ amount: '4000', updates: 'on' })
    let mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId, { method: 'sepa', outcome: 'pending' })
    const pending = stack.eventsSince(mark)
    expect(eventOf(pending, 'checkout.session.completed').data.object.payment_status).toBe('unpaid')
    await deliverAll(pending)

    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'processing', paid_at: null, counted_minor: 0 })
    expect(await stack.counters(1)).toEqual(before)
    expect(await stack.receiptsOf(gift.donationId)).toEqual([])
    expect(await stack.consentsOf(gift.email)).toEqual([])
    expect(await thanksState(gift.sessionId)).toBe('processing')

    mark = stack.standIn.events().length
    stack.standIn.settle(gift.sessionId, 'succeeded')
    const settled = stack.eventsSince(mark)
    expect(settled.map((e) => e.type)).toContain('checkout.session.async_payment_succeeded')
    await deliverAll(settled)

    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'succeeded', paid_at: expect.any(Number), counted_minor: 4000 })
    expect(await stack.counters(1)).toEqual({ raised: before.raised + 4000, donations: before.donations + 1, donors: before.donors + 1 })
    expect(await stack.receiptsOf(gift.donationId)).toHaveLength(1)
    expect(await stack.consentsOf(gift.email)).toHaveLength(1)
    expect(await thanksState(gift.sessionId)).toBe('succeeded')
  })

  it('marks a SEPA debit that fails as failed: nothing counted, no receipt, no consent', async () => {
    const before = await stack.counters(1)
    const gift = await stack.donate({ amount: '3000', updates: 'on' })
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId, { method: 'sepa', outcome: 'pending' })
    stack.standIn.settle(gift.sessionId, 'failed')
    const events = stack.eventsSince(mark)
    expect(events.map((e) => e.type)).toContain('checkout.session.async_payment_failed')
    // The failure overtakes the completion on the way: the result is the same.
    const failed = eventOf(events, 'checkout.session.async_payment_failed')
    await deliverAll([failed, ...events.filter((e) => e !== failed)])

    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'failed', failed_at: expect.any(Number), paid_at: null, counted_minor: 0 })
    expect(await stack.counters(1)).toEqual(before)
    expect(await stack.receiptsOf(gift.donationId)).toEqual([])
    expect(await stack.consentsOf(gift.email)).toEqual([])
    expect(await thanksState(gift.sessionId)).toBe('failed')
  })
})

describe('monthly gifts', () => {
  it.each(['session-first', 'invoice-first'] as const)(
    'records the first month once, whichever of checkout.session.completed and invoice.paid comes first (%s)',
    async (order) => {
      const before = await stack.counters(1)
      const gift = await stack.donate({ interval: 'monthly', amount: '1000', updates: 'on' })
      const mark = stack.standIn.events().length
      stack.standIn.complete(gift.sessionId, { order })
      const events = stack.eventsSince(mark)
      const expected = order === 'session-first' ? ['checkout.session.completed', 'invoice.paid'] : ['invoice.paid', 'checkout.session.completed']
      expect(events.map((e) => e.type)).toEqual([...expected, 'customer.subscription.created'])

      // Either event alone proves the payment.
      await deliverAll(events.slice(0, 1))
      expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'succeeded', counted_minor: 1000 })
      expect(await deliverAll(events.slice(1))).toEqual(['applied', 'ignored'])

      const session = stack.standIn.object(gift.sessionId)!
      expect(await stack.donation(gift.donationId)).toMatchObject({
        status: 'succeeded',
        interval: 'monthly',
        parent_id: null,
        counted_minor: 1000,
        stripe_invoice_id: session.invoice,
        stripe_subscription_id: session.subscription,
        stripe_customer_id: session.customer,
        subscription_ended_at: null,
      })
      expect(await stack.db.get('SELECT count(*) AS n FROM donations WHERE stripe_subscription_id = ?', session.subscription)).toEqual({ n: 1 })
      expect(await stack.counters(1)).toEqual({ raised: before.raised + 1000, donations: before.donations + 1, donors: before.donors + 1 })
      expect(await stack.receiptsOf(gift.donationId)).toHaveLength(1)
      expect(JSON.parse((await stack.receiptsOf(gift.donationId))[0]!.props)).toMatchObject({ interval: 'monthly', manageDonationId: gift.donationId })
      expect(await stack.consentsOf(gift.email)).toHaveLength(1)
      expect(await thanksState(gift.sessionId)).toBe('succeeded')
    },
  )

  it('records each renewal as a donation of its own (parent, receipt), counts the donor once, and ends with the subscription', async () => {
    const gift = await stack.donate({ interval: 'monthly', amount: '1500', updates: 'on' })
    let mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    await deliverAll(stack.eventsSince(mark))
    const subscriptionId = String(stack.standIn.object(gift.sessionId)!.subscription)
    const afterFirst = await stack.counters(1)

    mark = stack.standIn.events().length
    const invoice = stack.standIn.renew(subscriptionId)
    const renewalEvents = stack.eventsSince(mark)
    expect(renewalEvents.map((e) => e.type)).toEqual(['invoice.paid'])
    expect(renewalEvents[0]!.data.object.billing_reason).toBe('subscription_cycle')
    expect(await deliverAll([...renewalEvents, ...renewalEvents])).toEqual(['applied', 'duplicate'])

    const renewal = (await stack.donationByInvoice(String(invoice.id)))!
    expect(renewal).toMatchObject({
      parent_id: gift.donationId,
      interval: 'monthly',
      fund_id: 1,
      amount_minor: 1500,
      status: 'succeeded',
      counted_minor: 1500,
      stripe_subscription_id: subscriptionId,
      stripe_checkout_session_id: null,
      wants_updates: 0,
    })
    expect(renewal.id).not.toBe(gift.donationId)
    expect(await stack.counters(1)).toEqual({ raised: afterFirst.raised + 1500, donations: afterFirst.donations + 1, donors: afterFirst.donors })
    expect(await stack.receiptsOf(gift.donationId)).toHaveLength(1)
    expect(await stack.receiptsOf(renewal.id)).toHaveLength(1)
    expect(JSON.parse((await stack.receiptsOf(renewal.id))[0]!.props)).toMatchObject({ donationId: renewal.id, manageDonationId: gift.donationId })
    // Consent was given once, on the form.
    expect(await stack.consentsOf(gift.email)).toHaveLength(1)

    mark = stack.standIn.events().length
    stack.standIn.cancel(subscriptionId)
    const cancelled = stack.eventsSince(mark)
    expect(cancelled.map((e) => e.type)).toEqual(['customer.subscription.deleted'])
    expect(await deliverAll(cancelled)).toEqual(['applied'])
    for (const id of [gift.donationId, renewal.id]) {
      expect(await stack.donation(id)).toMatchObject({ subscription_ended_at: expect.any(Number), status: 'succeeded' })
    }
    // Ending the subscription takes nothing back.
    expect(await stack.counters(1)).toEqual({ raised: afterFirst.raised + 1500, donations: afterFirst.donations + 1, donors: afterFirst.donors })
  })

  it('marks a renewal ended too when its invoice.paid arrives after customer.subscription.deleted', async () => {
    const gift = await stack.donate({ interval: 'monthly', amount: '1200' })
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    const subscriptionId = String(stack.standIn.object(gift.sessionId)!.subscription)
    const invoice = stack.standIn.renew(subscriptionId)
    stack.standIn.cancel(subscriptionId)
    const events = stack.eventsSince(mark)
    const renewalPaid = events.find((e) => e.type === 'invoice.paid' && e.data.object.id === invoice.id)!
    await deliverAll([...events.filter((e) => e !== renewalPaid), renewalPaid])

    const renewal = (await stack.donationByInvoice(String(invoice.id)))!
    expect(renewal).toMatchObject({ parent_id: gift.donationId, status: 'succeeded', subscription_ended_at: expect.any(Number) })
    expect(await stack.donation(gift.donationId)).toMatchObject({ subscription_ended_at: expect.any(Number) })
  })

  it('finds a renewal through Stripe when its refund arrives before its invoice.paid', async () => {
    const gift = await stack.donate({ interval: 'monthly', amount: '2000' })
    stack.standIn.complete(gift.sessionId)
    const subscriptionId = String(stack.standIn.object(gift.sessionId)!.subscription)
    const mark = stack.standIn.events().length
    const invoice = stack.standIn.renew(subscriptionId)
    stack.standIn.refund(await stack.chargeOfInvoice(String(invoice.id)), 500)
    const [paid, refunded] = stack.eventsSince(mark)
    expect([paid?.type, refunded?.type]).toEqual(['invoice.paid', 'charge.refunded'])

    await deliverAll([refunded!])
    const renewal = (await stack.donationByInvoice(String(invoice.id)))!
    expect(renewal).toMatchObject({ parent_id: gift.donationId, status: 'succeeded', refunded_minor: 500, counted_minor: 1500 })
    expect(await deliverAll([paid!])).toEqual(['applied'])
    expect(await stack.db.get('SELECT count(*) AS n FROM donations WHERE parent_id = ?', gift.donationId)).toEqual({ n: 1 })
    expect(await stack.donation(renewal.id)).toMatchObject({ refunded_minor: 500, counted_minor: 1500 })
    expect(await stack.receiptsOf(renewal.id)).toHaveLength(1)
  })
})

describe('refunds and disputes', () => {
  it('takes a fully refunded gift out of the total, but not out of the donors who gave', async () => {
    const gift = await paidCardGift({ amount: '5000' })
    const before = await stack.counters(1)
    const mark = stack.standIn.events().length
    stack.standIn.refund(gift.chargeId)
    const events = stack.eventsSince(mark)
    expect(events.map((e) => e.type)).toEqual(['charge.refunded'])
    expect(events[0]!.data.object).toMatchObject({ amount_refunded: 5000, refunded: true })
    await deliverAll(events)

    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'refunded', refunded_minor: 5000, counted_minor: 0, paid_at: gift.row.paid_at })
    expect(await stack.counters(1)).toEqual({ raised: before.raised - 5000, donations: before.donations - 1, donors: before.donors })
    expect(await stack.receiptsOf(gift.donationId)).toHaveLength(1)
  })

  it('keeps the largest cumulative amount_refunded of partial refunds, whatever order they arrive in', async () => {
    const gift = await paidCardGift({ amount: '5000' })
    const before = await stack.counters(1)
    const mark = stack.standIn.events().length
    stack.standIn.refund(gift.chargeId, 1000)
    stack.standIn.refund(gift.chargeId, 1500)
    const [first, second] = stack.eventsSince(mark)
    expect([first?.data.object.amount_refunded, second?.data.object.amount_refunded]).toEqual([1000, 2500])

    await deliverAll([second!])
    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'succeeded', refunded_minor: 2500, counted_minor: 2500 })
    await deliverAll([first!])
    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'succeeded', refunded_minor: 2500, counted_minor: 2500 })
    expect(await stack.counters(1)).toEqual({ raised: before.raised - 2500, donations: before.donations, donors: before.donors })

    const mark2 = stack.standIn.events().length
    stack.standIn.refund(gift.chargeId)
    await deliverAll(stack.eventsSince(mark2))
    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'refunded', refunded_minor: 5000, counted_minor: 0 })
    expect(await stack.counters(1)).toEqual({ raised: before.raised - 5000, donations: before.donations - 1, donors: before.donors })
  })

  it('withholds a disputed gift while the dispute is open and counts it again when the dispute is won', async () => {
    const gift = await paidCardGift({ amount: '3000' })
    const before = await stack.counters(1)
    let mark = stack.standIn.events().length
    const dispute = stack.standIn.dispute(gift.chargeId)
    await deliverAll(stack.eventsSince(mark))
    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'disputed', dispute_status: 'open', disputed_minor: 3000, counted_minor: 0 })
    expect(await stack.counters(1)).toEqual({ raised: before.raised - 3000, donations: before.donations - 1, donors: before.donors })

    mark = stack.standIn.events().length
    stack.standIn.closeDispute(String(dispute.id), 'won')
    const closed = stack.eventsSince(mark)
    expect(closed.map((e) => e.type)).toEqual(['charge.dispute.closed'])
    await deliverAll(closed)
    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'succeeded', dispute_status: 'won', counted_minor: 3000 })
    expect(await stack.counters(1)).toEqual(before)
  })

  it.each([
    ['created then closed', false],
    ['closed before created', true],
  ])('keeps a lost dispute lost, delivered %s', async (_title, reversed) => {
    const gift = await paidCardGift({ amount: '3500' })
    const before = await stack.counters(1)
    const mark = stack.standIn.events().length
    const dispute = stack.standIn.dispute(gift.chargeId)
    stack.standIn.closeDispute(String(dispute.id), 'lost')
    const events = stack.eventsSince(mark)
    expect(events.map((e) => e.type)).toEqual(['charge.dispute.created', 'charge.dispute.closed'])
    await deliverAll(reversed ? [...events].reverse() : events)

    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'disputed', dispute_status: 'lost', disputed_minor: 3500, counted_minor: 0 })
    expect(await stack.counters(1)).toEqual({ raised: before.raised - 3500, donations: before.donations - 1, donors: before.donors })
  })

  it('withholds only what is still disputed after a partial refund', async () => {
    const gift = await paidCardGift({ amount: '4000' })
    const before = await stack.counters(1)
    const mark = stack.standIn.events().length
    stack.standIn.refund(gift.chargeId, 1000)
    const dispute = stack.standIn.dispute(gift.chargeId)
    expect(dispute.amount).toBe(3000)
    await deliverAll(stack.eventsSince(mark))
    expect(await stack.donation(gift.donationId)).toMatchObject({ refunded_minor: 1000, disputed_minor: 3000, dispute_status: 'open', counted_minor: 0 })
    expect(await stack.counters(1)).toEqual({ raised: before.raised - 4000, donations: before.donations - 1, donors: before.donors })
  })
})

describe('the ledger and event types', () => {
  it('applies a repeated event once: 200 each time, one ledger row, counters moved once', async () => {
    const gift = await stack.donate({ amount: '1800' })
    const before = await stack.counters(1)
    const ledgerBefore = await stack.count('stripe_events')
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    const completed = eventOf(stack.eventsSince(mark), 'checkout.session.completed')

    // Stripe's retries are signed anew; a replay of the same request carries the same signature.
    const request = stack.standIn.webhookRequest(completed)
    expect(await stack.send(request)).toEqual({ status: 200, body: 'applied' })
    expect(await stack.deliver(completed)).toEqual({ status: 200, body: 'duplicate' })
    expect(await stack.send(request)).toEqual({ status: 200, body: 'duplicate' })

    expect(await stack.ledgerCount(completed.id)).toBe(1)
    expect(await stack.count('stripe_events')).toBe(ledgerBefore + 1)
    expect(await stack.counters(1)).toEqual({ raised: before.raised + 1800, donations: before.donations + 1, donors: before.donors + 1 })
    expect(await stack.receiptsOf(gift.donationId)).toHaveLength(1)
  })

  it('answers 200 to types it does not use and records nothing', async () => {
    const ledgerBefore = await stack.count('stripe_events')
    const gift = await stack.donate()
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    const ignored = stack.eventsSince(mark).filter((e) => !HANDLED_TYPES.has(e.type))
    expect(ignored.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'charge.succeeded'])
    const invented: StripeEventJson = { ...ignored[0]!, id: 'evt_test_vigil_unknown_type', type: 'vigil.test.unknown' }
    for (const event of [...ignored, invented]) expect(await stack.deliver(event)).toEqual({ status: 200, body: 'ignored' })
    expect(await stack.count('stripe_events')).toBe(ledgerBefore)
    expect(await stack.donation(gift.donationId)).toMatchObject({ status: 'open', paid_at: null })
  })
})

describe('signatures', () => {
  /** A completed checkout the tests below try to forge, and what the database held before. */
  async function unsentCompletion() {
    const gift = await stack.donate({ amount: '2200' })
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    const event = eventOf(stack.eventsSince(mark), 'checkout.session.completed')
    const snapshot = async () => ({
      ledger: await stack.count('stripe_events'),
      donations: await stack.count('donations'),
      emails: await stack.count('email_messages'),
      row: await stack.donation(gift.donationId),
      counters: await stack.counters(1),
    })
    return { gift, event, before: await snapshot(), snapshot }
  }

  async function expectRefused(request: { body: string; headers: Record<string, string> }, message: RegExp) {
    const answer = await stack.send(request)
    expect(answer.status).toBe(400)
    expect(answer.body).toMatch(message)
  }

  it('refuses a body changed after signing, a wrong secret, a missing header and a stale timestamp, writing nothing', async () => {
    const { event, before, snapshot } = await unsentCompletion()
    const genuine = stack.standIn.webhookRequest(event)
    const now = Math.floor(Date.now() / 1000)

    await expectRefused({ ...genuine, body: genuine.body.replace('"payment_status": "paid"', '"payment_status": "paid" ') }, /No signatures found matching/)
    await expectRefused({ body: genuine.body, headers: { ...genuine.headers, 'stripe-signature': signPayload(genuine.body, 'whsec_someone_else', now) } }, /No signatures found matching/)
    const { 'stripe-signature': _dropped, ...unsigned } = genuine.headers
    await expectRefused({ body: genuine.body, headers: unsigned }, /missing Stripe-Signature header/)
    await expectRefused({ body: genuine.body, headers: { ...genuine.headers, 'stripe-signature': signPayload(genuine.body, WEBHOOK_SECRET, now - 600) } }, /Timestamp outside the tolerance zone/)
    const sdkSigned = Stripe.webhooks.generateTestHeaderString({ payload: genuine.body, secret: WEBHOOK_SECRET, timestamp: now - 600 })
    await expectRefused({ body: genuine.body, headers: { ...genuine.headers, 'stripe-signature': sdkSigned } }, /Timestamp outside the tolerance zone/)
    await expectRefused({ body: genuine.body, headers: { ...genuine.headers, 'stripe-signature': 'garbage' } }, /Unable to extract timestamp and signatures/)

    expect(await snapshot()).toEqual(before)
    expect(await stack.ledgerCount(event.id)).toBe(0)
    // The same event, signed properly, goes through: the refusals above were about the signature alone.
    expect(await stack.send(genuine)).toEqual({ status: 200, body: 'applied' })
    expect((await snapshot()).row).toMatchObject({ status: 'succeeded' })
  })

  it('refuses GET on the endpoint', async () => {
    const response = await fetch(`${stack.server.url}/webhooks/stripe`)
    expect(response.status).toBe(405)
  })
})

describe('the donation form', () => {
  let closedFundId = 0

  beforeAll(async () => {
    closedFundId = (await stack.db.get<{ id: number }>(
      `INSERT INTO funds (campaign_id, slug, goal_minor, currency, status, position) VALUES (1, 'closed-trip', 100000, 'EUR', 'closed', 9) RETURNING id`,
    ))!.id
  })

  function errorsOf(html: string) {
    const lists = html.match(/<ul[^>]*class="field__errors"[^>]*>[\s\S]*?<\/ul>/g) ?? []
    return lists.flatMap((list) => [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => textOf(m[1]!).replace(/\u00A0|\u202F/g, ' ')))
  }

  const cases: { title: string; form: Record<string, string>; de: string; en: string }[] = [
    { title: 'an amount below the minimum', form: { amount: '99' }, de: 'Die kleinste Spende, die wir annehmen können, ist 1,00 €.', en: 'The smallest gift we can take is €1.00.' },
    { title: 'a custom amount below the minimum', form: { amount: 'custom', customAmount: '0,99' }, de: 'Die kleinste Spende, die wir annehmen können, ist 1,00 €.', en: 'The smallest gift we can take is €1.00.' },
    { title: 'an amount above the maximum', form: { amount: '1000001' }, de: 'Für Spenden über 10.000,00 € schreiben Sie uns bitte.', en: 'For gifts over €10,000.00, please write to us.' },
    { title: 'a custom amount that is not a number', form: { amount: 'custom', customAmount: 'abc' }, de: 'Geben Sie einen Betrag wie 25 oder 25,50 ein.', en: 'Enter an amount like 25 or 25.50.' },
    { title: 'an unknown fund', form: { fundId: '999' }, de: 'Für diesen Zweck werden keine Spenden mehr angenommen. Bitte wählen Sie einen anderen.', en: 'This fund no longer takes gifts. Please choose another.' },
    { title: 'a currency other than the fund’s', form: { currency: 'USD' }, de: 'Für diesen Zweck wird jetzt in EUR gespendet. Bitte prüfen Sie den Betrag und senden Sie das Formular erneut.', en: 'This fund now takes gifts in EUR. Please check the amount and send the form again.' },
  ]

  it.each(cases.flatMap((c) => (['de', 'en'] as const).map((lang) => ({ ...c, lang }))))('refuses $title with 400 in the visitor’s language ($lang), writing nothing', async ({ form, lang, de, en }) => {
    const before = { donations: await stack.count('donations'), sessions: stack.standIn.sessions().length }
    const response = await stack.postDonation({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: stack.uniqueEmail(), ...form }, { lang })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toContain(`lang="${lang}"`)
    // As a set: form-level messages are rendered twice today (ConformForm shows them on top and
    // DonateForm again, under the same id), which is for donate-panel.tsx to fix, not this test.
    expect([...new Set(errorsOf(html))]).toEqual([lang === 'de' ? de : en])
    expect({ donations: await stack.count('donations'), sessions: stack.standIn.sessions().length }).toEqual(before)
  })

  it('refuses a closed fund in German, writing nothing', async () => {
    const before = { donations: await stack.count('donations'), sessions: stack.standIn.sessions().length }
    const response = await stack.postDonation({ fundId: String(closedFundId), currency: 'EUR', interval: 'one_time', amount: '2500', email: stack.uniqueEmail() }, { lang: 'de' })
    expect(response.status).toBe(400)
    expect(errorsOf(await response.text())).toEqual(['Für diesen Zweck werden keine Spenden mehr angenommen. Bitte wählen Sie einen anderen.'])
    expect({ donations: await stack.count('donations'), sessions: stack.standIn.sessions().length }).toEqual(before)
  })

  it('accepts the limits themselves: 1.00 and 10,000.00', async () => {
    for (const amount of ['100', '1000000']) {
      const gift = await stack.donate({ amount })
      expect(gift.row).toMatchObject({ gift_minor: Number(amount), amount_minor: Number(amount), status: 'open' })
    }
  })
})
