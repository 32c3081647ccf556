import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StripeEventJson } from '../../stand-ins/stripe/index.ts'
import { CAMPAIGN_SLUG, startDonationStack, type DonationStack } from '../helpers/donations.ts'

// Receipts as an accountant and a donor read them, over real HTTP with real webhooks from the
// Stripe stand-in: numbers given when the money arrives (none for failed or abandoned payments,
// the same one however often an event is delivered), the donor greeted by the name given for
// receipts, the right words for a bank debit, and one kind email when a debit fails.

let stack: DonationStack

beforeAll(async () => {
  stack = await startDonationStack()
})

afterAll(async () => {
  await stack?.close()
})

async function deliver(events: StripeEventJson[]) {
  for (const event of events) {
    const answer = await stack.deliver(event)
    expect(answer.status, `${event.type}: ${answer.body}`).toBe(200)
  }
}

/** Pay a session on the stand-in and hand back the events it built (not yet delivered). */
function pay(sessionId: string, options: Parameters<DonationStack['standIn']['complete']>[1]) {
  const mark = stack.standIn.events().length
  stack.standIn.complete(sessionId, options)
  return stack.eventsSince(mark)
}

function settle(sessionId: string, result: 'succeeded' | 'failed') {
  const mark = stack.standIn.events().length
  stack.standIn.settle(sessionId, result)
  return stack.eventsSince(mark)
}

const receiptProps = async (donationId: number) => (await stack.receiptsOf(donationId)).map((r) => JSON.parse(r.props) as Record<string, unknown>)
const numberOf = async (donationId: number) => (await stack.db.get('SELECT receipt_number AS n FROM donations WHERE id = ?', donationId) as { n: number | null }).n

const emailsWithKey = (key: string) => stack.emailsByKey(key)

describe('receipt numbers', () => {
  it('numbers VIG-000001… in the order money arrives, with no gap for failed, abandoned or retried payments and no repeat for duplicates', async () => {
    expect(await stack.db.get('SELECT count(*) AS n FROM donations WHERE receipt_number IS NOT NULL')).toEqual({ n: 0 })
    const paidInOrder: number[] = []

    // 1. A card gift, delivered twice: one number.
    const first = await stack.donate({ amount: '2500' })
    const firstEvents = pay(first.sessionId, { method: 'card' })
    await deliver([...firstEvents, ...firstEvents])
    paidInOrder.push(first.donationId)

    // 2. A declined card (no event) and a donor who leaves the checkout page: rows, never numbers.
    const declined = await stack.donate({ amount: '1000' })
    expect(stack.standIn.complete(declined.sessionId, { method: 'card', outcome: 'failed' }).declined).toBe(true)
    const abandoned = await stack.donate({ amount: '1200' })

    // 3. A SEPA debit that fails, its failure delivered twice and before the completion.
    const failedDebit = await stack.donate({ amount: '3000' })
    const pending = pay(failedDebit.sessionId, { method: 'sepa', outcome: 'pending' })
    const failure = settle(failedDebit.sessionId, 'failed')
    await deliver([...failure, ...pending, ...failure])

    // 4. A card gift whose first delivery fails (a bad signature: Stripe retries), then arrives twice.
    const retried = await stack.donate({ amount: '4000' })
    const retriedEvents = pay(retried.sessionId, { method: 'card' })
    const completed = retriedEvents.find((e) => e.type === 'checkout.session.completed')!
    const forged = stack.standIn.webhookRequest(completed)
    // Change the signature's first hex digit to another one (setting it to 0 was a no-op one time in 16).
    const badSignature = forged.headers['stripe-signature']!.replace(/v1=(\w)/, (_, d: string) => `v1=${d === '0' ? '1' : '0'}`)
    expect(badSignature).not.toBe(forged.headers['stripe-signature'])
    const rejected = await stack.send({ body: forged.body, headers: { ...forged.headers, 'stripe-signature': badSignature } })
    expect(rejected.status).toBe(400)
    expect(await numberOf(retried.donationId)).toBeNull()
    await deliver([completed, completed])
    paidInOrder.push(retried.donationId)

    // 5. A SEPA debit that settles: numbered when it settles, not when it was submitted.
    const slowDebit = await stack.donate({ amount: '5000' })
    await deliver(pay(slowDebit.sessionId, { method: 'sepa', outcome: 'pending' }))
    expect(await numberOf(slowDebit.donationId)).toBeNull()

    // 6. A monthly gift and its renewal, each a payment of its own; the renewal's invoice twice.
    const monthly = await stack.donate({ interval: 'monthly', amount: '1500' })
    await deliver(pay(monthly.sessionId, {}))
    paidInOrder.push(monthly.donationId)
    const mark = stack.standIn.events().length
    const invoice = stack.standIn.renew(String(stack.standIn.object(monthly.sessionId)!.subscription))
    const renewalEvents = stack.eventsSince(mark)
    await deliver([...renewalEvents, ...renewalEvents])
    paidInOrder.push((await stack.donationByInvoice(String(invoice.id)))!.id)

    await deliver(settle(slowDebit.sessionId, 'succeeded'))
    paidInOrder.push(slowDebit.donationId)

    // A refund later changes nothing about the number.
    stack.standIn.refund(stack.chargeOfSession(first.sessionId))
    await deliver(stack.eventsSince(stack.standIn.events().length - 1))

    expect(await Promise.all(paidInOrder.map(numberOf))).toEqual([1, 2, 3, 4, 5])
    for (const unpaid of [declined, abandoned, failedDebit]) expect(await numberOf(unpaid.donationId)).toBeNull()
    const numbers = (await stack.db.all('SELECT receipt_number AS n FROM donations WHERE receipt_number IS NOT NULL ORDER BY n') as { n: number }[]).map((r) => r.n)
    expect(numbers).toEqual([1, 2, 3, 4, 5])
    // Each paid donation has exactly one receipt, carrying its number.
    for (const [i, id] of paidInOrder.entries()) {
      expect(await receiptProps(id)).toEqual([expect.objectContaining({ donationId: id, receiptNumber: i + 1 })])
    }
    expect(await stack.count('email_messages')).toBe(5 + 1) // five receipts and the failed debit's email
  })
})

describe('what the receipt says', () => {
  it('greets the donor by the name given for the receipt, never by the donor-wall text, and by nobody when none was given', async () => {
    const named = await stack.donate({ receiptName: 'Ada Lovelace', publicName: 'Visit https://spam.example for cheap pills!!!' })
    await deliver(pay(named.sessionId, { method: 'card' }))
    expect((await receiptProps(named.donationId))[0]).toMatchObject({ firstName: 'Ada Lovelace', paidBy: 'card' })

    const unnamed = await stack.donate({ publicName: 'Ada on the wall' })
    await deliver(pay(unnamed.sessionId, { method: 'card' }))
    expect((await receiptProps(unnamed.donationId))[0]).toMatchObject({ firstName: null })
  })

  it('says a SEPA payment was a bank debit, so the receipt does not speak of card details', async () => {
    const gift = await stack.donate({ amount: '2000' })
    await deliver(pay(gift.sessionId, { method: 'sepa', outcome: 'pending' }))
    await deliver(settle(gift.sessionId, 'succeeded'))
    expect((await receiptProps(gift.donationId))[0]).toMatchObject({ paidBy: 'debit' })
  })

  it('takes a name for the receipt up to 120 characters and answers a longer one with a message, writing nothing', async () => {
    const before = await stack.count('donations')
    const response = await stack.postDonation({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: stack.uniqueEmail(), receiptName: 'x'.repeat(121) })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('120')
    expect(await stack.count('donations')).toBe(before)
  })
})

describe('a bank debit that fails', () => {
  it('sends one short, kind email in the donor’s language with a way to try again, however often the failure is delivered', async () => {
    const response = await stack.postDonation({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '3500', email: 'debit.fails@example.org', receiptName: 'Grete' }, { lang: 'de' })
    expect(response.status).toBe(303)
    const sessionId = /\/c\/pay\/(cs_\w+)$/.exec(response.headers.get('location') ?? '')![1]!
    const donationId = (await stack.donationBySession(sessionId))!.id
    const pending = pay(sessionId, { method: 'sepa', outcome: 'pending' })
    const failure = settle(sessionId, 'failed')
    await deliver([...pending, ...failure, ...failure])

    const emails = await emailsWithKey(`donation:${donationId}:failed`)
    expect(emails).toHaveLength(1)
    expect(emails[0]).toMatchObject({ template: 'donation-failed', to_email: 'debit.fails@example.org', locale: 'de' })
    expect(JSON.parse(emails[0]!.props)).toMatchObject({ firstName: 'Grete', amountMinor: 3500, currency: 'EUR', campaignSlug: CAMPAIGN_SLUG })
    expect(await stack.receiptsOf(donationId)).toEqual([])
  })

  it('sends nothing for a card that is declined at checkout (the donor sees it there)', async () => {
    const before = await stack.count('email_messages')
    const gift = await stack.donate({ amount: '1100' })
    stack.standIn.complete(gift.sessionId, { method: 'card', outcome: 'failed' })
    expect(await stack.count('email_messages')).toBe(before)
  })
})

describe('the page a donor returns to', () => {
  it('does not promise a receipt while a debit is still processing, and does once the money has arrived', async () => {
    const gift = await stack.donate({ amount: '2200' })
    await deliver(pay(gift.sessionId, { method: 'sepa', outcome: 'pending' }))
    const thanks = async () => (await fetch(`${stack.server.url}/c/${CAMPAIGN_SLUG}/donate/thanks?session_id=${gift.sessionId}`)).text()
    const processing = await thanks()
    expect(processing).toContain('data-state="processing"')
    expect(processing).not.toContain('A receipt is on its way')
    expect(processing).toContain('as soon as your bank confirms the payment')

    await deliver(settle(gift.sessionId, 'succeeded'))
    expect(await thanks()).toContain('A receipt is on its way')
  })
})
