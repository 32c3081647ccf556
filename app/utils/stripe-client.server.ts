import Stripe from 'stripe'
import type { Language } from './i18n.ts'
import { getEnv } from './config.server.ts'

/**
 * The Stripe client: Checkout Sessions for donations, the customer portal for monthly donors,
 * and the webhook's signature check (what a verified event means is app/workflows/stripe-webhooks.server.ts).
 * In demo mode the SDK talks to the local Stripe stand-in through its host options.
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
  /** Prefilled on Checkout's page; null leaves the payer to type it there (at-risk campaigns). */
  email: string | null
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
      ...(input.email ? { customer_email: input.email } : {}),
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

export type PortalOpening = { url: string } | { problem: 'unknown' | 'unavailable' }

/**
 * A customer portal session, or why there is none: `unknown` when Stripe refuses it (a customer
 * deleted in the dashboard, another account's, or a demo stand-in that lost its state), and
 * `unavailable` when Stripe cannot be reached or fails (try again later).
 */
export async function openPortalSession({ customerId, returnUrl, locale }: { customerId: string; returnUrl: string; locale: Language }): Promise<PortalOpening> {
  try {
    // In the language of the page the donor came from, as the Checkout Session was.
    const session = await getStripe().billingPortal.sessions.create({ customer: customerId, return_url: returnUrl, locale })
    return { url: session.url }
  } catch (error) {
    const refused = error instanceof Stripe.errors.StripeInvalidRequestError
    // One line, no ids: what kind of failure, for the operator.
    console.error(`vigil: Stripe ${refused ? 'refused' : 'could not open'} a customer portal session: ${error instanceof Error ? error.name : 'unknown error'}`)
    return { problem: refused ? 'unknown' : 'unavailable' }
  }
}

/** The event Stripe signed, or an error saying why the signature does not hold. */
export function verifyStripeEvent(rawBody: Buffer, signature: string): Stripe.Event {
  return getStripe().webhooks.constructEvent(rawBody, signature, getEnv().stripe.webhookSecret)
}
