import Stripe from 'stripe'
import {
  applyPaymentEvent,
  findDonationIdByInvoice,
  findDonationIdByPaymentIntent,
  type ApplyResult,
  type DonationRef,
  type PaymentFact,
} from '~/models/donations.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { getEnv } from './env.server.ts'
import { purgePublicPages } from './page-cache.server.ts'

/**
 * Vigil's side of Stripe: Checkout Sessions for donations, the customer portal for monthly
 * donors, and the webhook, which is the only thing that records money. In demo mode the
 * SDK talks to the local stand-in (server/stripe-stand-in.ts) through its host options.
 */

declare global {
  var __vigilStripe: Stripe | undefined
}

export function getStripe(): Stripe {
  if (!globalThis.__vigilStripe) {
    const { stripe } = getEnv()
    const base = stripe.apiBase
    globalThis.__vigilStripe = new Stripe(stripe.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol === 'https:' ? 'https' : 'http' } : {}),
    })
  }
  return globalThis.__vigilStripe
}

/** Demo mode: the server starts the stand-in, then tells the SDK where it listens. */
export function pointStripeAt(url: string) {
  const env = getEnv()
  env.stripe.apiBase = new URL(url)
  globalThis.__vigilStripe = undefined
}

export type CheckoutInput = {
  donationId: number
  campaignId: number
  fundId: number
  campaignSlug: string
  productName: string
  interval: 'one_time' | 'monthly'
  amountMinor: number
  currency: string
  email: string
  locale: Language
}

/** A Checkout Session for a donation row that exists already; returns where to send the donor. */
export async function createCheckoutSession(input: CheckoutInput) {
  const { publicUrl } = getEnv()
  const metadata = { donation_id: String(input.donationId), campaign_id: String(input.campaignId), fund_id: String(input.fundId) }
  const monthly = input.interval === 'monthly'
  const session = await getStripe().checkout.sessions.create(
    {
      mode: monthly ? 'subscription' : 'payment',
      submit_type: 'donate',
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: input.currency.toLowerCase(),
            unit_amount: input.amountMinor,
            product_data: { name: input.productName },
            ...(monthly ? { recurring: { interval: 'month' as const } } : {}),
          },
        },
      ],
      customer_email: input.email,
      locale: input.locale,
      client_reference_id: String(input.donationId),
      // Session metadata is not copied to the payment or the subscription: set it on each.
      metadata,
      ...(monthly ? { subscription_data: { metadata } } : { payment_intent_data: { metadata } }),
      success_url: `${publicUrl}/c/${input.campaignSlug}/donate/thanks?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${publicUrl}/c/${input.campaignSlug}/donate?cancelled=1`,
    },
    // A retried form post for the same donation row gets the same session.
    { idempotencyKey: `vigil-checkout-${input.donationId}` },
  )
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL')
  return { id: session.id, url: session.url }
}

export async function createPortalSession({ customerId, returnUrl }: { customerId: string; returnUrl: string }) {
  const session = await getStripe().billingPortal.sessions.create({ customer: customerId, return_url: returnUrl })
  return session.url
}

// ——— Webhook ———

export type WebhookAnswer = { status: 200 | 400; body: string; result?: ApplyResult | 'ignored' }

const idOf = (value: string | { id: string } | null | undefined) => (value == null ? null : typeof value === 'string' ? value : value.id)
const ourId = (metadata: Stripe.Metadata | null | undefined) => {
  const id = Number(metadata?.donation_id)
  return Number.isSafeInteger(id) && id > 0 ? id : null
}

/**
 * Verify, translate, apply. A bad signature is a 400 that writes nothing; anything else
 * that fails throws (a 500), and Stripe retries the event later.
 */
export async function handleStripeWebhook(rawBody: Buffer, signature: string | null): Promise<WebhookAnswer> {
  let event: Stripe.Event
  try {
    if (!signature) throw new Error('missing Stripe-Signature header')
    event = getStripe().webhooks.constructEvent(rawBody, signature, getEnv().stripe.webhookSecret)
  } catch (error) {
    return { status: 400, body: `Webhook signature verification failed: ${error instanceof Error ? error.message : 'invalid'}` }
  }
  const facts = await factsOf(event)
  if (facts === null) return { status: 200, body: 'ignored', result: 'ignored' }
  const result = await applyPaymentEvent({ eventId: event.id, type: event.type, created: event.created, facts })
  // Fund bars move when money does, not a page-cache lifetime later.
  if (result === 'applied' && facts.length > 0) purgePublicPages()
  return { status: 200, body: result, result }
}

/** What an event tells us, in our terms; null for types Vigil does not use. */
async function factsOf(event: Stripe.Event): Promise<PaymentFact[] | null> {
  const at = event.created * 1000
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed': {
      const session = event.data.object
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
          sessionId: session.id,
          paymentIntentId: idOf(session.payment_intent),
          subscriptionId: idOf(session.subscription),
          customerId: idOf(session.customer),
          invoiceId: idOf(session.invoice),
          outcome,
          at,
        },
      ]
    }
    case 'invoice.paid': {
      const invoice = event.data.object
      const details = invoice.parent?.subscription_details
      const firstDonationId = ourId(details?.metadata)
      if (firstDonationId === null || !invoice.id) return []
      return [await invoiceFact(invoice, firstDonationId, at)]
    }
    case 'charge.refunded': {
      const charge = event.data.object
      const resolved = await resolvePayment(idOf(charge.payment_intent), at)
      if (!resolved) return []
      return [...resolved.facts, { kind: 'refunded', ref: resolved.ref, refundedMinor: charge.amount_refunded, at }]
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const dispute = event.data.object
      // An inquiry (warning_*) withdraws no money: nothing to record unless it becomes a dispute.
      if (dispute.status.startsWith('warning_')) return []
      let paymentIntentId = idOf(dispute.payment_intent)
      if (!paymentIntentId) paymentIntentId = idOf((await getStripe().charges.retrieve(idOf(dispute.charge)!)).payment_intent)
      const resolved = await resolvePayment(paymentIntentId, at)
      if (!resolved) return []
      const status = dispute.status === 'won' ? 'won' : dispute.status === 'lost' ? 'lost' : 'open'
      return [...resolved.facts, { kind: 'dispute', ref: resolved.ref, status, amountMinor: dispute.amount, at }]
    }
    case 'customer.subscription.deleted': {
      const subscription = event.data.object
      return [{ kind: 'subscription-ended', subscriptionId: subscription.id, firstDonationId: ourId(subscription.metadata), at }]
    }
    default:
      return null
  }
}

async function invoiceFact(invoice: Stripe.Invoice, firstDonationId: number, at: number): Promise<PaymentFact> {
  // Invoices no longer name their payment intent; their payments do. It is what a later refund names.
  const payments = await getStripe().invoicePayments.list({ invoice: invoice.id!, limit: 10 })
  const payment = payments.data.find((p) => p.status === 'paid') ?? payments.data[0]
  return {
    kind: 'invoice-paid',
    firstDonationId,
    first: invoice.billing_reason === 'subscription_create',
    invoiceId: invoice.id!,
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
async function resolvePayment(paymentIntentId: string | null, at: number): Promise<{ ref: DonationRef; facts: PaymentFact[] } | null> {
  if (!paymentIntentId) return null
  if (await findDonationIdByPaymentIntent({ paymentIntentId })) return { ref: { paymentIntentId }, facts: [] }
  const stripe = getStripe()
  const intent = await stripe.paymentIntents.retrieve(paymentIntentId)
  const donationId = ourId(intent.metadata)
  if (donationId !== null) return { ref: { donationId, paymentIntentId }, facts: [] }
  const payments = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 1 })
  const invoiceId = payments.data[0]?.invoice ? idOf(payments.data[0].invoice) : null
  if (!invoiceId) return null
  if (await findDonationIdByInvoice({ invoiceId })) return { ref: { invoiceId, paymentIntentId }, facts: [] }
  const invoice = await stripe.invoices.retrieve(invoiceId)
  const firstDonationId = ourId(invoice.parent?.subscription_details?.metadata)
  if (firstDonationId === null || invoice.status !== 'paid') return null
  return { ref: { invoiceId, paymentIntentId }, facts: [await invoiceFact(invoice, firstDonationId, at)] }
}
