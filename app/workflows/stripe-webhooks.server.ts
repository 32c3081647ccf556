import Stripe from 'stripe'
import { z } from 'zod'
import type { Handle } from '#db/client.server.ts'
import {
  applyPaymentEvent,
  findDonationIdByInvoice,
  findDonationIdByPaymentIntent,
  InconsistentPaymentEvent,
  type ApplyResult,
  type DonationRef,
  type EchoedIds,
  type PaymentFact,
} from '~/models/donations.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { getStripe, verifyStripeEvent } from '~/utils/stripe-client.server.ts'

/**
 * Stripe's webhook, the only thing that records money. Each event is verified, read into
 * facts in our terms (asking Stripe for what the event does not carry), then recorded with
 * its facts in one transaction (applyPaymentEvent), which also drops a duplicate. The
 * network work is all before that transaction; the page purge after it.
 */
export type WebhookAnswer = { status: 200 | 400 | 503; body: string; result?: ApplyResult | 'ignored' }

const idOf = (value: string | { id: string } | null | undefined) => (value == null ? null : typeof value === 'string' ? value : value.id)

/** Our id in metadata: absent is null (a payment made outside Vigil); present but not an id is inconsistent. */
function metadataId(metadata: Record<string, string> | null | undefined, key: 'donation_id' | 'campaign_id' | 'fund_id') {
  const raw = metadata?.[key]
  if (raw === undefined || raw === '') return null
  const id = Number(raw)
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(id) || id <= 0) throw new InconsistentPaymentEvent(`metadata ${key} "${quoted(raw)}" is not an id`)
  return id
}
const ourId = (metadata: Record<string, string> | null | undefined) => metadataId(metadata, 'donation_id')
const echoedIds = (metadata: Record<string, string> | null | undefined): EchoedIds => ({ campaignId: metadataId(metadata, 'campaign_id'), fundId: metadataId(metadata, 'fund_id') })

/**
 * Verify, check, translate, apply. A bad signature is a 400 that writes nothing. A signed
 * event that contradicts our data (see InconsistentPaymentEvent) is answered 200 and recorded
 * as failed, for owners to see: Stripe would retry it for days and it would never pass. What
 * may pass later (the database busy, Stripe unreachable) is a 503 that writes nothing, so
 * Stripe retries.
 */
export async function handleStripeWebhook(db: Handle, rawBody: Buffer, signature: string | null): Promise<WebhookAnswer> {
  let event: Stripe.Event
  try {
    if (!signature) throw new Error('missing Stripe-Signature header')
    event = verifyStripeEvent(rawBody, signature)
  } catch (error) {
    return { status: 400, body: `Webhook signature verification failed: ${error instanceof Error ? error.message : 'invalid'}` }
  }
  // Without an id there is nothing to record (and Stripe never sends such a thing).
  const envelope = eventEnvelope.safeParse(event)
  if (!envelope.success) return { status: 400, body: `Not a Stripe event: ${describeIssue(envelope.error)}` }
  const { id, type, created } = envelope.data
  try {
    let facts: PaymentFact[] | null
    let failure: string | null = null
    try {
      facts = await factsOf(db, event)
    } catch (error) {
      failure = permanentFailureOf(error)
      if (failure === null) throw error
      facts = []
    }
    if (facts === null) return { status: 200, body: 'ignored', result: 'ignored' }
    const { result, failure: recorded } = await applyPaymentEvent(db, { eventId: id, type, created, facts, failure })
    if (result === 'failed') {
      console.warn(`vigil: stripe event ${id} (${type}) recorded as failed: ${recorded}`)
      return { status: 200, body: `failed: ${recorded}`, result }
    }
    // Fund bars move when money does, not a page-cache lifetime later.
    if (result === 'applied' && facts.length > 0) purgePublicPages()
    return { status: 200, body: result, result }
  } catch (error) {
    // One line, no stack: the event's id and what went wrong, never a payload.
    console.error(`vigil: stripe event ${id} (${type}) not applied, Stripe will retry: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`)
    return { status: 503, body: 'temporarily unable to apply this event; retry later' }
  }
}

/** Why an error before the transaction makes the event permanently inapplicable, or null when a retry may pass. */
export function permanentFailureOf(error: unknown): string | null {
  if (error instanceof InconsistentPaymentEvent) return error.reason
  // Stripe answered "no such object": asking again will not help. Other refusals (a test key
  // against live objects, a request of ours Stripe rejects) are ours to fix: Stripe's retries
  // over three days leave time for that, so they answer 503 and are not recorded as failed.
  if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return `Stripe: ${error.message}`
  return null
}

// What Vigil reads of each object, checked before anything is looked up or written. Amounts are
// whole minor units, never negative; ids are strings or expanded objects with one.
// Stripe's ids are letters, digits and underscores: so is every id a reason may quote.
const stripeId = z.string().regex(/^[A-Za-z0-9_]{1,255}$/, 'Expected a Stripe id')
const ref = z.union([stripeId, z.object({ id: stripeId })]).nullish()
const amount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const currency = z.string().regex(/^[a-zA-Z]{3}$/, 'Expected a three-letter currency code')
const metadata = z.record(z.string()).nullish()

const objectSchemas = {
  'checkout.session': z.object({
    object: z.literal('checkout.session'),
    id: stripeId,
    mode: z.enum(['payment', 'subscription', 'setup']),
    payment_status: z.string(),
    metadata,
    payment_intent: ref,
    subscription: ref,
    customer: ref,
    invoice: ref,
    amount_total: amount.nullish(),
    currency: currency.nullish(),
  }),
  invoice: z.object({
    object: z.literal('invoice'),
    id: stripeId,
    billing_reason: z.string().nullish(),
    amount_paid: amount,
    currency,
    customer: ref,
    status_transitions: z.object({ paid_at: z.number().int().nullish() }).nullish(),
    parent: z.object({ subscription_details: z.object({ metadata, subscription: ref }).nullish() }).nullish(),
  }),
  charge: z.object({ object: z.literal('charge'), id: stripeId, amount, amount_refunded: amount, currency, payment_intent: ref }),
  dispute: z.object({ object: z.literal('dispute'), id: stripeId, amount, currency, status: z.string(), charge: ref, payment_intent: ref }),
  subscription: z.object({ object: z.literal('subscription'), id: stripeId, metadata }),
} as const

const eventEnvelope = z.object({ id: stripeId, type: z.string().min(1).max(255), created: z.number().int().nonnegative() })

/** The first problem, in words that never quote what was sent (reasons are logged and shown to owners). */
function describeIssue(error: z.ZodError) {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const message = issue.code === 'invalid_enum_value' ? `Expected ${issue.options.join(' | ')}` : issue.message
  return `${issue.path.join('.') || 'event'}: ${message}`
}

/** A value from the event quoted in a reason: ids and type names only, never an address. */
const quoted = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '?').slice(0, 40)

/** The event's object, as the schema for its type reads it; a missing, mistyped or malformed object is inconsistent. */
function objectOf<K extends keyof typeof objectSchemas>(event: Stripe.Event, kind: K): z.infer<(typeof objectSchemas)[K]> {
  const data: unknown = (event as { data?: unknown }).data
  if (typeof data !== 'object' || data === null) throw new InconsistentPaymentEvent('data: the event carries no data')
  const object: unknown = (data as { object?: unknown }).object
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new InconsistentPaymentEvent(`data.object: expected a ${kind} object, got ${object === null ? 'null' : object === undefined ? 'nothing' : typeof object}`)
  }
  return parseObject(kind, object, 'data.object')
}

function parseObject<K extends keyof typeof objectSchemas>(kind: K, object: object, where: string): z.infer<(typeof objectSchemas)[K]> {
  const actual = (object as { object?: unknown }).object
  if (actual !== kind) throw new InconsistentPaymentEvent(`${where} is ${typeof actual === 'string' ? `a ${quoted(actual)}` : 'untyped'}, expected a ${kind}`)
  const parsed = objectSchemas[kind].safeParse(object)
  if (!parsed.success) throw new InconsistentPaymentEvent(`${where}.${describeIssue(parsed.error)}`)
  return parsed.data as z.infer<(typeof objectSchemas)[K]>
}

/** What an event tells us, in our terms; null for types Vigil does not use. */
async function factsOf(db: Handle, event: Stripe.Event): Promise<PaymentFact[] | null> {
  const at = event.created * 1000
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed': {
      const session = objectOf(event, 'checkout.session')
      const donationId = ourId(session.metadata)
      if (donationId === null) return []
      const outcome =
        event.type === 'checkout.session.async_payment_failed'
          ? 'failed'
          : event.type === 'checkout.session.async_payment_succeeded' || session.payment_status === 'paid'
            ? 'paid'
            : 'processing'
      return [
        {
          kind: 'checkout',
          donationId,
          ...echoedIds(session.metadata),
          sessionId: session.id,
          mode: session.mode,
          paymentIntentId: idOf(session.payment_intent),
          subscriptionId: idOf(session.subscription),
          customerId: idOf(session.customer),
          invoiceId: idOf(session.invoice),
          amountMinor: session.amount_total ?? null,
          currency: session.currency ?? null,
          outcome,
          // Only delayed methods (bank debits) get the async events or complete unpaid.
          delayed: event.type !== 'checkout.session.completed' || session.payment_status !== 'paid',
          at,
        },
      ]
    }
    case 'invoice.paid': {
      const invoice = objectOf(event, 'invoice')
      const details = invoice.parent?.subscription_details
      const firstDonationId = ourId(details?.metadata)
      if (firstDonationId === null) return []
      return [await invoiceFact(invoice, firstDonationId, at)]
    }
    case 'charge.refunded': {
      const charge = objectOf(event, 'charge')
      const resolved = await resolvePayment(db, idOf(charge.payment_intent), at)
      if (!resolved) return []
      return [...resolved.facts, { kind: 'refunded', ref: resolved.ref, chargedMinor: charge.amount, refundedMinor: charge.amount_refunded, currency: charge.currency, at }]
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const dispute = objectOf(event, 'dispute')
      // An inquiry (warning_*) withdraws no money: nothing to record unless it becomes a dispute.
      if (dispute.status.startsWith('warning_')) return []
      let paymentIntentId = idOf(dispute.payment_intent)
      if (!paymentIntentId) {
        const chargeId = idOf(dispute.charge)
        if (!chargeId) throw new InconsistentPaymentEvent(`dispute ${dispute.id} names neither a charge nor a payment intent`)
        paymentIntentId = idOf((await getStripe().charges.retrieve(chargeId)).payment_intent)
      }
      const resolved = await resolvePayment(db, paymentIntentId, at)
      if (!resolved) return []
      const status = dispute.status === 'won' ? 'won' : dispute.status === 'lost' ? 'lost' : 'open'
      return [...resolved.facts, { kind: 'dispute', ref: resolved.ref, status, amountMinor: dispute.amount, currency: dispute.currency, at }]
    }
    case 'customer.subscription.deleted': {
      const subscription = objectOf(event, 'subscription')
      return [{ kind: 'subscription-ended', subscriptionId: subscription.id, firstDonationId: ourId(subscription.metadata), at }]
    }
    default:
      return null
  }
}

type InvoiceLike = z.infer<(typeof objectSchemas)['invoice']>

async function invoiceFact(invoice: InvoiceLike, firstDonationId: number, at: number): Promise<PaymentFact> {
  // Invoices no longer name their payment intent; their payments do. It is what a later refund names.
  const payments = await getStripe().invoicePayments.list({ invoice: invoice.id, limit: 10 })
  const payment = payments.data.find((p) => p.status === 'paid') ?? payments.data[0]
  return {
    kind: 'invoice-paid',
    firstDonationId,
    ...echoedIds(invoice.parent?.subscription_details?.metadata),
    first: invoice.billing_reason === 'subscription_create',
    invoiceId: invoice.id,
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription),
    customerId: idOf(invoice.customer),
    paymentIntentId: idOf(payment?.payment.payment_intent),
    amountMinor: invoice.amount_paid,
    currency: invoice.currency,
    at: (invoice.status_transitions?.paid_at ?? at / 1000) * 1000,
  }
}

/**
 * Which donation a payment intent paid. Known ones are in our table; otherwise Stripe
 * tells us: a one-time gift's intent carries our metadata, a monthly one's belongs to an
 * invoice (then the invoice's facts come first, so an early refund finds its donation).
 */
async function resolvePayment(db: Handle, paymentIntentId: string | null, at: number): Promise<{ ref: DonationRef; facts: PaymentFact[] } | null> {
  if (!paymentIntentId) return null
  if (await findDonationIdByPaymentIntent(db, { paymentIntentId })) return { ref: { paymentIntentId }, facts: [] }
  const stripe = getStripe()
  const intent = await stripe.paymentIntents.retrieve(paymentIntentId)
  const donationId = ourId(intent.metadata)
  if (donationId !== null) return { ref: { donationId, paymentIntentId }, facts: [] }
  const payments = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 1 })
  const invoiceId = payments.data[0]?.invoice ? idOf(payments.data[0].invoice) : null
  if (!invoiceId) return null
  if (await findDonationIdByInvoice(db, { invoiceId })) return { ref: { invoiceId, paymentIntentId }, facts: [] }
  const retrieved = await stripe.invoices.retrieve(invoiceId)
  const invoice = parseObject('invoice', retrieved, `Stripe's invoice ${invoiceId}`)
  const firstDonationId = ourId(invoice.parent?.subscription_details?.metadata)
  if (firstDonationId === null || retrieved.status !== 'paid') return null
  return { ref: { invoiceId, paymentIntentId }, facts: [await invoiceFact(invoice, firstDonationId, at)] }
}
