import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { JsonObject, JsonValue, StripeEventJson } from '../../stand-ins/stripe/index.ts'
import { sqliteOf } from '#db/client.server.ts'
import { startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { onPostgres } from '../helpers/engine.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'

// Signed events that do not fit what Vigil knows: sent by someone holding the signing secret, or
// by a Stripe account that is confused (shared with another system, objects edited by hand).
// Each is answered 2xx (Stripe would otherwise retry it for three days), recorded in the event
// ledger as failed with a reason, and changes nothing else. Owners see them in the back office.

let stack: DonationStack
let otherCampaignFundId = 0

beforeAll(async () => {
  stack = await startDonationStack()
  await stack.db.run(`INSERT INTO campaigns (organization_id, slug) SELECT organization_id, 'another-case' FROM campaigns WHERE id = 1`)
  const campaignId = (await stack.db.get<{ id: number }>(`SELECT id FROM campaigns WHERE slug = 'another-case'`))!.id
  otherCampaignFundId = (await stack.db.get<{ id: number }>(
    `INSERT INTO funds (campaign_id, slug, goal_minor, currency, position) VALUES (?, 'other-trip', 100000, 'EUR', 1) RETURNING id`,
    campaignId,
  ))!.id
})

afterAll(async () => {
  await stack?.close()
})

afterEach(async () => {
  await stack.expectCountersMatchRows()
})

let forged = 0
/** A copy of a real event under a new id, changed by `change` (which gets the copy's data). */
function forge(event: StripeEventJson, change: (data: { object: JsonObject | null; [key: string]: JsonValue }) => void): StripeEventJson {
  forged += 1
  const copy = structuredClone(event)
  copy.id = `evt_forged_${forged}_${Date.now()}`
  change(copy.data as { object: JsonObject | null })
  return copy
}

function eventOf(events: StripeEventJson[], type: string) {
  const event = events.find((e) => e.type === type)
  if (!event) throw new Error(`no ${type} among ${events.map((e) => e.type).join(', ')}`)
  return event
}

/** Everything an event could move, to compare before and after. */
async function snapshot() {
  const all = (sql: string) => stack.db.all(sql)
  return {
    donations: await all('SELECT * FROM donations ORDER BY id'),
    counters: await all('SELECT fund_id, raised_minor, donations, donors FROM fund_counters ORDER BY fund_id'),
    donors: await all('SELECT * FROM fund_donors ORDER BY fund_id, supporter_id'),
    emails: await stack.count('email_messages'),
    consents: await stack.count('consents'),
    supporters: (await all('SELECT id FROM supporters ORDER BY id')).length,
    ledger: await stack.count('stripe_events'),
  }
}

function ledgerRow(id: string) {
  return stack.db.get<{ type: string; failure: string | null }>('SELECT type, failure FROM stripe_events WHERE id = ?', id)
}

/** 2xx, one ledger row marked failed with a reason, nothing else changed; a redelivery the same. */
async function expectFailed(event: StripeEventJson, reason: RegExp) {
  const before = await snapshot()
  for (let attempt = 0; attempt < 2; attempt++) {
    const answer = await stack.deliver(event)
    expect(answer.status, answer.body).toBe(200)
    expect(answer.body).toMatch(/^failed: /)
    expect(await ledgerRow(event.id)).toEqual({ type: event.type, failure: expect.stringMatching(reason) })
    expect(await snapshot()).toEqual({ ...before, ledger: before.ledger + 1 })
  }
  return (await ledgerRow(event.id))!.failure!
}

/** A one-time gift completed on the stand-in, its events not delivered yet. */
async function completedGift(form: Record<string, string> = {}) {
  const gift = await stack.donate({ amount: '2500', ...form })
  const mark = stack.standIn.events().length
  stack.standIn.complete(gift.sessionId, { method: 'card' })
  return { ...gift, completed: eventOf(stack.eventsSince(mark), 'checkout.session.completed') }
}

/** A one-time gift, paid and recorded. */
async function paidGift(form: Record<string, string> = {}) {
  const gift = await completedGift(form)
  expect(await stack.deliver(gift.completed)).toEqual({ status: 200, body: 'applied' })
  const intentId = String(stack.standIn.object(gift.sessionId)!.payment_intent)
  return { ...gift, intentId, chargeId: stack.chargeOfSession(gift.sessionId) }
}

/** A monthly gift, paid and recorded, and a renewal's invoice.paid not delivered yet. */
async function monthlyGiftWithRenewal() {
  const gift = await stack.donate({ interval: 'monthly', amount: '1500' })
  let mark = stack.standIn.events().length
  stack.standIn.complete(gift.sessionId)
  for (const event of stack.eventsSince(mark)) expect((await stack.deliver(event)).status).toBe(200)
  const subscriptionId = String(stack.standIn.object(gift.sessionId)!.subscription)
  mark = stack.standIn.events().length
  stack.standIn.renew(subscriptionId)
  return { ...gift, subscriptionId, renewal: eventOf(stack.eventsSince(mark), 'invoice.paid') }
}

async function refundEvent(chargeId: string, amount?: number) {
  const mark = stack.standIn.events().length
  stack.standIn.refund(chargeId, amount)
  return eventOf(stack.eventsSince(mark), 'charge.refunded')
}

async function disputeEvent(chargeId: string) {
  const mark = stack.standIn.events().length
  stack.standIn.dispute(chargeId)
  return eventOf(stack.eventsSince(mark), 'charge.dispute.created')
}

const metadataOf = (object: JsonObject | null) => object!.metadata as Record<string, string>

describe('a missing or empty object', () => {
  it.each([
    ['checkout.session.completed', 'null'],
    ['checkout.session.async_payment_succeeded', 'missing'],
    ['invoice.paid', 'null'],
    ['charge.refunded', 'null'],
    ['charge.dispute.created', 'missing'],
    ['charge.dispute.closed', 'a string'],
    ['customer.subscription.deleted', 'null'],
  ])('records %s with data.object %s as failed', async (type, shape) => {
    const gift = await completedGift()
    const event = forge({ ...gift.completed, type }, (data) => {
      if (shape === 'null') data.object = null
      else if (shape === 'missing') delete (data as { object?: unknown }).object
      else (data as { object: JsonValue }).object = 'cs_test_just_an_id'
    })
    expect(await expectFailed(event, /data\.object/)).not.toMatch(/@/)
  })

  it('records an event without data as failed', async () => {
    const gift = await completedGift()
    const { data: _dropped, ...event } = { ...structuredClone(gift.completed), id: `evt_forged_no_data_${Date.now()}` }
    await expectFailed(event as StripeEventJson, /data/)
  })
})

describe('an object of the wrong type', () => {
  it('records checkout.session.completed carrying a charge (with our metadata) as failed', async () => {
    const paid = await paidGift()
    const other = await completedGift()
    const charge = stack.standIn.object(paid.chargeId)!
    const event = forge(other.completed, (data) => {
      data.object = { ...charge, metadata: { ...metadataOf(other.completed.data.object) } }
    })
    await expectFailed(event, /checkout\.session/)
    expect(await stack.donation(other.donationId)).toMatchObject({ status: 'open', paid_at: null })
  })

  it('records charge.refunded carrying a Checkout Session, and invoice.paid carrying a subscription, as failed', async () => {
    const paid = await paidGift()
    const refund = await refundEvent(paid.chargeId, 100)
    await expectFailed(forge(refund, (data) => (data.object = stack.standIn.object(paid.sessionId))), /charge/)
    const monthly = await monthlyGiftWithRenewal()
    await expectFailed(forge(monthly.renewal, (data) => (data.object = stack.standIn.object(monthly.subscriptionId))), /invoice/)
    await expectFailed(forge(monthly.renewal, (data) => (data.object = { ...data.object!, object: 'subscription' })), /invoice/)
  })

  it('records a session whose id is not a string, or an amount that is not a whole number, as failed', async () => {
    const gift = await completedGift()
    await expectFailed(forge(gift.completed, (data) => (data.object!.id = 42)), /id/)
    await expectFailed(forge(gift.completed, (data) => (data.object!.amount_total = 2500.5)), /amount_total/)
    await expectFailed(forge(gift.completed, (data) => (data.object!.amount_total = '2500')), /amount_total/)
    await expectFailed(forge(gift.completed, (data) => (data.object!.metadata = 'donation_id=1')), /metadata/)
  })
})

describe('what a reason may quote', () => {
  it('never quotes an address or a line break from the event in the reason', async () => {
    const gift = await completedGift()
    const hostile = 'bob@example.org\nvigil: applied'
    const reasons = [
      await expectFailed(forge(gift.completed, (data) => (data.object!.mode = hostile)), /mode/),
      await expectFailed(forge(gift.completed, (data) => (data.object!.object = hostile)), /expected a checkout\.session/),
      await expectFailed(forge(gift.completed, (data) => (metadataOf(data.object).donation_id = hostile)), /donation_id/),
      await expectFailed(forge(gift.completed, (data) => (data.object!.payment_intent = hostile)), /payment_intent/),
    ]
    for (const reason of reasons) expect(reason).not.toMatch(/@|\n/)
  })
})

describe('ids Vigil does not know', () => {
  it('records a checkout for a donation that does not exist as failed', async () => {
    const gift = await completedGift()
    const event = forge(gift.completed, (data) => (metadataOf(data.object).donation_id = '999999'))
    await expectFailed(event, /donation 999999/)
  })

  it('records a refund of a payment intent Stripe does not know as failed (it answered 500)', async () => {
    const paid = await paidGift()
    const refund = await refundEvent(paid.chargeId, 500)
    await expectFailed(forge(refund, (data) => (data.object!.payment_intent = 'pi_vigil_nobody_knows')), /pi_vigil_nobody_knows/)
    expect(await stack.donation(paid.donationId)).toMatchObject({ refunded_minor: 0, counted_minor: 2500 })
  })

  it('records a dispute that names no charge and no payment intent, or a charge Stripe does not know, as failed', async () => {
    const paid = await paidGift()
    const dispute = await disputeEvent(paid.chargeId)
    await expectFailed(forge(dispute, (data) => Object.assign(data.object!, { payment_intent: null, charge: null })), /charge/)
    await expectFailed(forge(dispute, (data) => Object.assign(data.object!, { payment_intent: null, charge: 'ch_vigil_nobody_knows' })), /ch_vigil_nobody_knows/)
    await expectFailed(forge(dispute, (data) => (data.object!.status = null)), /status/)
  })

  it('records an invoice.paid or subscription end for a first donation that does not exist as failed', async () => {
    const monthly = await monthlyGiftWithRenewal()
    const renewal = forge(monthly.renewal, (data) => {
      const details = (data.object!.parent as JsonObject).subscription_details as JsonObject
      details.metadata = { ...(details.metadata as JsonObject), donation_id: '999999' }
    })
    await expectFailed(renewal, /donation 999999/)
    const mark = stack.standIn.events().length
    stack.standIn.cancel(monthly.subscriptionId)
    const deleted = eventOf(stack.eventsSince(mark), 'customer.subscription.deleted')
    await expectFailed(
      forge(deleted, (data) => Object.assign(data.object!, { id: 'sub_vigil_nobody_knows', metadata: { ...metadataOf(data.object), donation_id: '999999' } })),
      /donation 999999/,
    )
  })
})

describe('amounts that do not add up', () => {
  it('records a checkout in another currency, for another amount or a negative one as failed', async () => {
    const gift = await completedGift()
    await expectFailed(forge(gift.completed, (data) => (data.object!.currency = 'usd')), /currency/)
    await expectFailed(forge(gift.completed, (data) => (data.object!.amount_total = 1)), /amount/)
    await expectFailed(forge(gift.completed, (data) => (data.object!.amount_total = -2500)), /amount_total/)
    // The genuine event still applies.
    expect(await stack.deliver(gift.completed)).toEqual({ status: 200, body: 'applied' })
  })

  it('records a refund larger than the charge, negative, or in another currency as failed', async () => {
    const paid = await paidGift()
    const refund = await refundEvent(paid.chargeId, 500)
    await expectFailed(forge(refund, (data) => (data.object!.amount_refunded = 2501)), /larger|more than/)
    await expectFailed(forge(refund, (data) => (data.object!.amount_refunded = -500)), /amount_refunded/)
    await expectFailed(forge(refund, (data) => (data.object!.currency = 'usd')), /currency/)
    expect(await stack.donation(paid.donationId)).toMatchObject({ refunded_minor: 0, counted_minor: 2500 })
  })

  it('records a dispute larger than the charge or negative as failed', async () => {
    const paid = await paidGift()
    const dispute = await disputeEvent(paid.chargeId)
    await expectFailed(forge(dispute, (data) => (data.object!.amount = 2501)), /larger|more than/)
    await expectFailed(forge(dispute, (data) => (data.object!.amount = -1)), /amount/)
    expect(await stack.donation(paid.donationId)).toMatchObject({ dispute_status: null, counted_minor: 2500 })
  })

  it('records a renewal in another currency, of a negative amount, or for a one-time gift as failed', async () => {
    const monthly = await monthlyGiftWithRenewal()
    await expectFailed(forge(monthly.renewal, (data) => (data.object!.currency = 'usd')), /currency/)
    await expectFailed(forge(monthly.renewal, (data) => (data.object!.amount_paid = -1500)), /amount_paid/)
    const oneTime = await paidGift()
    const renewal = forge(monthly.renewal, (data) => {
      const details = (data.object!.parent as JsonObject).subscription_details as JsonObject
      details.metadata = { ...(details.metadata as JsonObject), donation_id: String(oneTime.donationId) }
    })
    await expectFailed(renewal, /monthly|one-time/)
  })
})

describe('ids that belong to another donation', () => {
  it('records a checkout whose payment intent already paid another donation as failed (a UNIQUE constraint answered 500)', async () => {
    const first = await paidGift()
    const second = await completedGift()
    await expectFailed(forge(second.completed, (data) => (data.object!.payment_intent = first.intentId)), /another donation/)
    expect(await stack.donation(second.donationId)).toMatchObject({ status: 'open', paid_at: null })
  })

  it('records a checkout naming another session than the donation’s own as failed', async () => {
    const first = await paidGift()
    const second = await completedGift()
    // Donation 2's metadata on donation 1's (paid) session: it would mark donation 2 paid.
    const event = forge(first.completed, (data) => (metadataOf(data.object).donation_id = String(second.donationId)))
    await expectFailed(event, /Checkout Session/)
    expect(await stack.donation(second.donationId)).toMatchObject({ status: 'open', paid_at: null })
  })

  it('records a first invoice for a monthly gift that already has another first invoice as failed', async () => {
    const monthly = await monthlyGiftWithRenewal()
    const event = forge(monthly.renewal, (data) => Object.assign(data.object!, { id: 'in_vigil_second_first', billing_reason: 'subscription_create' }))
    await expectFailed(event, /invoice/)
  })
})

describe('metadata that points elsewhere', () => {
  it('records a checkout whose fund is another campaign’s, a missing fund or another campaign as failed', async () => {
    const gift = await completedGift()
    await expectFailed(forge(gift.completed, (data) => (metadataOf(data.object).fund_id = String(otherCampaignFundId))), /fund/)
    await expectFailed(forge(gift.completed, (data) => (metadataOf(data.object).fund_id = '999999')), /fund/)
    await expectFailed(forge(gift.completed, (data) => (metadataOf(data.object).campaign_id = '999999')), /campaign/)
    await expectFailed(forge(gift.completed, (data) => (data.object!.mode = 'subscription')), /mode|monthly|one-time/)
  })
})

describe('what is not inconsistent', () => {
  it('still answers 200 and records nothing as failed for payments made outside Vigil (no metadata)', async () => {
    const gift = await completedGift()
    const event = forge(gift.completed, (data) => (data.object!.metadata = {}))
    expect(await stack.deliver(event)).toEqual({ status: 200, body: 'applied' })
    expect(await ledgerRow(event.id)).toEqual({ type: event.type, failure: null })
  })

  // SQLite's one writer held by another process; Postgres has no such whole-database lock (its counterpart is part B2's).
  it.skipIf(onPostgres)('answers 503 and records nothing while the database is busy, and applies the event when Stripe retries', async () => {
    const gift = await completedGift()
    sqliteOf(stack.db.db).prepare('BEGIN IMMEDIATE').run()
    let answer: { status: number; body: string }
    try {
      answer = await stack.deliver(gift.completed)
    } finally {
      sqliteOf(stack.db.db).prepare('ROLLBACK').run()
    }
    expect(answer.status).toBe(503)
    expect(await ledgerRow(gift.completed.id)).toBeUndefined()
    expect(await stack.deliver(gift.completed)).toEqual({ status: 200, body: 'applied' })
  }, 20_000)
})

describe('the owners’ list of payment events needing attention', () => {
  it('shows owners each failed event (id, type, reason, time) without donor emails, in their language; editors and visitors are refused', async () => {
    const gift = await completedGift()
    const event = forge(gift.completed, (data) => (metadataOf(data.object).donation_id = '987654'))
    await expectFailed(event, /donation 987654/)

    const client = petitionClient(stack.server, stack.db)
    const owner = await client.login()
    const page = async (cookie: string, lang = 'en') =>
      fetch(`${stack.server.url}/admin/payment-events`, { redirect: 'manual', headers: { Cookie: `${cookie}; vigil_lang=${lang}` } })

    const response = await page(owner)
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('Payment events needing attention')
    expect(html).toContain(event.id)
    expect(html).toContain('checkout.session.completed')
    expect(html).toContain('donation 987654')
    expect(html).not.toMatch(/donor\.\d+@example\.org/)
    expect(await (await page(owner, 'de')).text()).toContain('Zahlungsereignisse, die Aufmerksamkeit brauchen')
    expect(await (await page(owner, 'es')).text()).toContain('Eventos de pago que requieren atención')

    // The audit page points owners there.
    expect(await (await fetch(`${stack.server.url}/admin/audit`, { headers: { Cookie: owner } })).text()).toContain('href="/admin/payment-events"')

    await createOrganiser(stack.server, { email: 'erika@example.org', name: 'Erika Editor', password: 'a long editor password' })
    const editor = await client.login('erika@example.org', 'a long editor password')
    expect((await page(editor)).status).toBe(403)
    const anonymous = await fetch(`${stack.server.url}/admin/payment-events`, { redirect: 'manual' })
    expect(anonymous.status).toBe(302)
  })
})
