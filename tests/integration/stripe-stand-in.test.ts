// sqlite-only: the Stripe stand-in and the real SDK, no Vigil database involved.
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import Stripe from 'stripe'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  signPayload,
  startStripeStandIn,
  STRIPE_API_VERSION,
  type StripeEventJson,
  type StripeStandIn,
} from '../../stand-ins/stripe/index.ts'
import { ROOT } from '../helpers/server.ts'

// The real `stripe` SDK against the local stand-in, and a small webhook receiver that verifies every
// delivery with `stripe.webhooks.constructEvent`, as Vigil's handler will. Objects are compared key by
// key with the stripe-mock fixtures kept in tests/fixtures/stripe/.

// Stripe's own example objects (stripe-mock), kept in the repository (tests/fixtures/stripe/README.md).
const FIXTURES_PATH = path.join(ROOT, 'tests/fixtures/stripe/fixtures.json')
const WEBHOOK_SECRET = 'whsec_test_stand_in_secret'

type Received = { raw: string; signature: string; event: Stripe.Event | null; error: string | null; status: number }

type Receiver = {
  url: string
  received: Received[]
  /** Verified events, in arrival order, without repeats of an event already answered 2xx. */
  events: () => Stripe.Event[]
  failNext: (count: number, status: number) => void
  clear: () => void
  close: () => Promise<void>
}

async function startReceiver(stripe: Stripe): Promise<Receiver> {
  const received: Received[] = []
  const failures: number[] = []
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const signature = String(request.headers['stripe-signature'] ?? '')
      let event: Stripe.Event | null = null
      let error: string | null = null
      try {
        event = stripe.webhooks.constructEvent(raw, signature, WEBHOOK_SECRET)
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught)
      }
      const status = error ? 400 : (failures.shift() ?? 200)
      received.push({ raw, signature, event, error, status })
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ received: status === 200 }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    received,
    events: () =>
      received.flatMap(({ event, status }) => (event && status >= 200 && status < 300 ? [event] : [])),
    failNext(count, status) {
      for (let i = 0; i < count; i++) failures.push(status)
    },
    clear() {
      received.length = 0
      failures.length = 0
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function oneTimeParams(overrides: Partial<Stripe.Checkout.SessionCreateParams> = {}): Stripe.Checkout.SessionCreateParams {
  return {
    mode: 'payment',
    submit_type: 'donate',
    line_items: [
      {
        price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Donation: Follow the money' } },
        quantity: 1,
      },
    ],
    customer_email: 'ada@example.org',
    locale: 'de',
    metadata: { fund_id: '3', campaign: 'follow-the-money' },
    payment_intent_data: { metadata: { fund_id: '3', donation_id: '41' } },
    success_url: 'https://vigil.example/donate/thanks?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://vigil.example/donate/cancelled',
    ...overrides,
  }
}

function monthlyParams(overrides: Partial<Stripe.Checkout.SessionCreateParams> = {}): Stripe.Checkout.SessionCreateParams {
  return {
    mode: 'subscription',
    line_items: [
      {
        price_data: {
          currency: 'eur',
          unit_amount: 1000,
          product_data: { name: 'Monthly support' },
          recurring: { interval: 'month' },
        },
        quantity: 1,
      },
    ],
    customer_email: 'grace@example.org',
    locale: 'es',
    metadata: { fund_id: '7' },
    subscription_data: { metadata: { fund_id: '7', pledge_id: '12' } },
    success_url: 'https://vigil.example/donate/thanks?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://vigil.example/donate/cancelled',
    ...overrides,
  }
}

/** Raw API call without the SDK, for what the SDK will not send. */
async function rawCall(standIn: StripeStandIn, method: string, path: string, body?: string, key?: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (key !== null) headers.authorization = `Bearer ${key ?? standIn.secretKey}`
  const response = await fetch(`${standIn.url}${path}`, { method, headers, body })
  const json: { error?: Record<string, unknown> } = await response.json()
  return { status: response.status, headers: response.headers, json }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

describe('Stripe stand-in', () => {
  let standIn: StripeStandIn
  let stripe: Stripe
  let receiver: Receiver

  beforeAll(async () => {
    // The receiver only needs the SDK's webhook helpers; a client with a dummy key is enough for that.
    receiver = await startReceiver(new Stripe('sk_test_receiver_only'))
  })

  // A fresh stand-in per test: state, recordings and delivery queues never leak between tests.
  beforeEach(async () => {
    standIn = await startStripeStandIn({
      webhookUrl: receiver.url,
      webhookSecret: WEBHOOK_SECRET,
      retryDelaysMs: [30, 60],
      asyncDelayMs: 50,
    })
    stripe = new Stripe(standIn.secretKey, standIn.sdkOptions)
  })

  afterEach(async () => {
    await standIn.whenIdle()
    await standIn.close()
    receiver.clear()
  })

  afterAll(async () => {
    await receiver.close()
  })

  async function delivered(): Promise<Stripe.Event[]> {
    await standIn.whenIdle()
    expect(receiver.received.filter(({ error }) => error !== null)).toEqual([])
    return receiver.events()
  }

  it('pins the same API version as the SDK', () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION)
  })

  it('creates a one-time donation session: Stripe’s fields, a page URL of its own, the SDK’s wire format', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams())

    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: 500,
      amount_total: 500,
      currency: 'eur',
      submit_type: 'donate',
      locale: 'de',
      customer_email: 'ada@example.org',
      customer_creation: 'if_required',
      metadata: { fund_id: '3', campaign: 'follow-the-money' },
      customer: null,
      customer_details: null,
      payment_intent: null,
      subscription: null,
      invoice: null,
      livemode: false,
      success_url: 'https://vigil.example/donate/thanks?session_id={CHECKOUT_SESSION_ID}',
    })
    expect(session.id).toMatch(/^cs_test_a1[0-9A-Za-z]{58}$/)
    expect(session.url).toBe(`${standIn.url}/c/pay/${session.id}`)
    expect(session.expires_at - session.created).toBe(24 * 60 * 60)

    const [request] = standIn.requests()
    expect(request).toMatchObject({ method: 'POST', path: '/v1/checkout/sessions', status: 200 })
    expect(request?.headers.authorization).toBe(`Bearer ${standIn.secretKey}`)
    expect(request?.headers['stripe-version']).toBe(Stripe.API_VERSION)
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request?.idempotencyKey).toMatch(/^stripe-node-retry-[0-9a-f-]{36}$/)
    expect(request?.rawBody).toContain('line_items[0][price_data][unit_amount]=500')
    expect(request?.rawBody).toContain('metadata[fund_id]=3')
    expect(request?.rawBody).toContain('payment_intent_data[metadata][donation_id]=41')
    expect(session.lastResponse.headers['request-id']).toMatch(/^req_/)

    const again = await stripe.checkout.sessions.retrieve(session.id)
    expect(again.id).toBe(session.id)
    expect(again.metadata).toEqual(session.metadata)
  })

  it('creates a monthly session in subscription mode', async () => {
    const session = await stripe.checkout.sessions.create(monthlyParams())

    expect(session).toMatchObject({
      mode: 'subscription',
      status: 'open',
      amount_total: 1000,
      locale: 'es',
      customer_creation: null,
      invoice_creation: null,
      submit_type: null,
      metadata: { fund_id: '7' },
    })
    expect(standIn.requests()[0]?.rawBody).toContain('line_items[0][price_data][recurring][interval]=month')
  })

  it('answers an unknown session with 404 resource_missing', async () => {
    const error = await rejection(stripe.checkout.sessions.retrieve('cs_test_nope'))
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such checkout.session: 'cs_test_nope'" })
  })

  it('accepts submit_type=donate in subscription mode at the pinned API version, and refuses it before 2024-11-20 as Stripe did', async () => {
    const accepted = await stripe.checkout.sessions.create(monthlyParams({ submit_type: 'donate' }))
    expect(accepted.submit_type).toBe('donate')

    const before = standIn.sessions().length
    const error = await rejection(
      stripe.checkout.sessions.create(monthlyParams({ submit_type: 'donate' }), { apiVersion: '2024-06-20' }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error).toMatchObject({
      statusCode: 400,
      rawType: 'invalid_request_error',
      param: 'submit_type',
      message: 'You may only specify one of these parameters: submit_type, subscription_data.',
    })
    expect(standIn.sessions()).toHaveLength(before)
  })

  describe('refuses what Stripe refuses: 400 invalid_request_error, no session created', () => {
    const cases: { title: string; params: Stripe.Checkout.SessionCreateParams; code?: string; param: string; message: string }[] = [
      {
        title: 'no mode',
        params: oneTimeParams({ mode: undefined }),
        code: 'parameter_missing',
        param: 'mode',
        message: 'Missing required param: mode.',
      },
      {
        title: 'no currency',
        params: oneTimeParams({ line_items: [{ price_data: { currency: '', unit_amount: 500, product_data: { name: 'x' } }, quantity: 1 }] }),
        code: 'parameter_missing',
        param: 'line_items[0][price_data][currency]',
        message: 'Missing required param: line_items[0][price_data][currency].',
      },
      {
        title: 'an amount that is not an integer',
        params: oneTimeParams({ line_items: [{ price_data: { currency: 'eur', unit_amount: 5.5, product_data: { name: 'x' } }, quantity: 1 }] }),
        code: 'parameter_invalid_integer',
        param: 'line_items[0][price_data][unit_amount]',
        message: 'Invalid integer: 5.5',
      },
      {
        title: 'payment_intent_data in subscription mode',
        params: monthlyParams({ payment_intent_data: { metadata: { a: 'b' } } }),
        param: 'payment_intent_data',
        message: 'You can not pass `payment_intent_data` in `subscription` mode.',
      },
      {
        title: 'subscription_data in payment mode',
        params: oneTimeParams({ subscription_data: { metadata: { a: 'b' } } }),
        param: 'subscription_data',
        message: 'You can not pass `subscription_data` in `payment` mode.',
      },
      {
        title: 'customer_creation in subscription mode',
        params: monthlyParams({ customer_creation: 'always' }),
        param: 'customer_creation',
        message: '`customer_creation` can only be used in `payment` mode.',
      },
      {
        title: 'a recurring price in payment mode',
        params: oneTimeParams({
          line_items: [{ price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'x' }, recurring: { interval: 'month' } }, quantity: 1 }],
        }),
        param: 'line_items[0]',
        message: 'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      },
      {
        title: 'a locale Checkout does not have',
        params: oneTimeParams({ locale: 'ar' }),
        param: 'locale',
        message: expect.stringContaining('Invalid locale: must be one of auto, bg'),
      },
      {
        title: 'a success_url that is not a URL',
        params: oneTimeParams({ success_url: 'thanks' }),
        code: 'url_invalid',
        param: 'success_url',
        message: 'Not a valid URL',
      },
      {
        title: 'a malformed customer_email',
        params: oneTimeParams({ customer_email: 'ada(at)example.org' }),
        code: 'email_invalid',
        param: 'customer_email',
        message: 'Invalid email address: ada(at)example.org',
      },
      {
        title: 'a catalog price id (the stand-in has none)',
        params: oneTimeParams({ line_items: [{ price: 'price_123', quantity: 1 }] }),
        code: 'resource_missing',
        param: 'line_items[0][price]',
        message: "No such price: 'price_123'",
      },
      {
        title: 'a real parameter the stand-in does not model',
        params: oneTimeParams({ allow_promotion_codes: true }),
        code: 'stand_in_unsupported_parameter',
        param: 'allow_promotion_codes',
        message: expect.stringContaining('does not model `allow_promotion_codes`'),
      },
    ]

    it.each(cases)('$title', async ({ params, code, param, message }) => {
      const before = standIn.sessions().length
      const error = await rejection(stripe.checkout.sessions.create(params))

      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
      expect(error).toMatchObject({ rawType: 'invalid_request_error', param, message, code })
      expect(error).toHaveProperty('statusCode', code === 'resource_missing' ? 404 : 400)
      expect(standIn.sessions()).toHaveLength(before)
    })

    it('an unknown parameter: parameter_unknown, in Stripe’s error body', async () => {
      const body = new URLSearchParams({ mode: 'payment', colour: 'red' }).toString()
      const answer = await rawCall(standIn, 'POST', '/v1/checkout/sessions', body)
      expect(answer.status).toBe(400)
      expect(answer.json).toEqual({
        error: {
          code: 'parameter_unknown',
          doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown',
          message: 'Received unknown parameter: colour',
          param: 'colour',
          type: 'invalid_request_error',
        },
      })
    })
  })

  it('refuses a wrong key with StripeAuthenticationError (401), and a missing one', async () => {
    const wrong = new Stripe('sk_test_not_the_key_1234', standIn.sdkOptions)
    const error = await rejection(wrong.checkout.sessions.create(oneTimeParams()))
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect(error).toMatchObject({
      statusCode: 401,
      rawType: 'invalid_request_error',
      message: 'Invalid API Key provided: sk_test_************1234',
    })

    const anonymous = await rawCall(standIn, 'GET', '/v1/subscriptions/sub_x', undefined, null)
    expect(anonymous.status).toBe(401)
    expect(anonymous.json.error?.message).toMatch(/^You did not provide an API key\./)
    expect(standIn.sessions()).toEqual([])
  })

  it('replays a repeated idempotency key and refuses it with other parameters (idempotency_error)', async () => {
    const first = await stripe.checkout.sessions.create(oneTimeParams(), { idempotencyKey: 'donation-41' })
    const again = await stripe.checkout.sessions.create(oneTimeParams(), { idempotencyKey: 'donation-41' })

    expect(again.id).toBe(first.id)
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(again.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId)
    expect(standIn.sessions()).toHaveLength(1)

    const error = await rejection(
      stripe.checkout.sessions.create(oneTimeParams({ metadata: { fund_id: '4' } }), { idempotencyKey: 'donation-41' }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
    expect(error).toMatchObject({
      statusCode: 400,
      rawType: 'idempotency_error',
      message: expect.stringContaining("Try using a key other than 'donation-41'"),
    })
    expect(standIn.sessions()).toHaveLength(1)
  })

  it('does not store a refused request under its idempotency key, so the corrected retry goes through', async () => {
    await rejection(stripe.checkout.sessions.create(oneTimeParams({ mode: undefined }), { idempotencyKey: 'donation-42' }))
    const fixed = await stripe.checkout.sessions.create(oneTimeParams(), { idempotencyKey: 'donation-42' })
    expect(fixed.status).toBe('open')
  })

  it('pays by card: a verified checkout.session.completed, metadata on the session, the intent and the charge', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams())
    const { declined } = standIn.complete(session.id, { method: 'card', name: 'Ada L.' })
    expect(declined).toBe(false)

    const events = await delivered()
    expect(events.map(({ type }) => type)).toEqual(['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded'])
    const [completed] = events
    expect(completed).toMatchObject({
      object: 'event',
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: {
        object: {
          id: session.id,
          status: 'complete',
          payment_status: 'paid',
          metadata: { fund_id: '3', campaign: 'follow-the-money' },
          customer: null,
          customer_details: { email: 'ada@example.org', name: 'Ada L.' },
          amount_total: 500,
          url: null,
        },
      },
    })
    expect(completed?.id).toMatch(/^evt_/)

    const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent.latest_charge'] })
    const intent = retrieved.payment_intent
    if (typeof intent !== 'object' || intent === null) throw new Error('payment_intent was not expanded')
    expect(intent).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: 500, amount_received: 500 })
    expect(intent.metadata).toEqual({ fund_id: '3', donation_id: '41' })
    const charge = intent.latest_charge
    if (typeof charge !== 'object' || charge === null) throw new Error('latest_charge was not expanded')
    expect(charge).toMatchObject({
      object: 'charge',
      paid: true,
      captured: true,
      status: 'succeeded',
      amount: 500,
      currency: 'eur',
      payment_intent: intent.id,
      metadata: { fund_id: '3', donation_id: '41' },
      billing_details: { email: 'ada@example.org' },
    })
  })

  it('creates a customer for a one-time payment only with customer_creation=always, as Stripe does', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams({ customer_creation: 'always' }))
    standIn.complete(session.id)
    const [completed] = await delivered()
    expect(completed?.data.object).toMatchObject({ customer: expect.stringMatching(/^cus_/) })
    const customer = await stripe.customers.retrieve(String(standIn.object(session.id)?.customer))
    expect(customer).toMatchObject({ object: 'customer', email: 'ada@example.org', preferred_locales: ['de'] })
  })

  it('pays by SEPA Direct Debit: completed but unpaid, then async_payment_succeeded once settled', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams())
    standIn.complete(session.id, { method: 'sepa' })

    const first = await delivered()
    expect(first.map(({ type }) => type)).toEqual(['checkout.session.completed', 'payment_intent.processing', 'charge.pending'])
    expect(first[0]?.data.object).toMatchObject({ status: 'complete', payment_status: 'unpaid' })
    const intentId = String(standIn.object(session.id)?.payment_intent)
    expect(await stripe.paymentIntents.retrieve(intentId)).toMatchObject({ status: 'processing', payment_method_types: ['sepa_debit'] })

    receiver.clear()
    standIn.settle(session.id, 'succeeded')
    const settled = await delivered()
    expect(settled.map(({ type }) => type)).toEqual([
      'checkout.session.async_payment_succeeded',
      'payment_intent.succeeded',
      'charge.succeeded',
    ])
    expect(settled[0]?.data.object).toMatchObject({ id: session.id, payment_status: 'paid', metadata: { fund_id: '3' } })
  })

  it('reports a failed SEPA debit with async_payment_failed, settling by itself after asyncDelayMs', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams())
    standIn.complete(session.id, { method: 'sepa', outcome: 'failed' })

    const events = await delivered()
    expect(events.map(({ type }) => type)).toEqual([
      'checkout.session.completed',
      'payment_intent.processing',
      'charge.pending',
      'checkout.session.async_payment_failed',
      'payment_intent.payment_failed',
      'charge.failed',
    ])
    expect(events[3]?.data.object).toMatchObject({ payment_status: 'unpaid' })
    expect(events[5]?.data.object).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds', paid: false })
  })

  async function subscribe(order: 'session-first' | 'invoice-first' = 'session-first') {
    const session = await stripe.checkout.sessions.create(monthlyParams())
    standIn.complete(session.id, { order })
    const events = await delivered()
    const subscriptionId = String(standIn.object(session.id)?.subscription)
    return { session, events, subscriptionId }
  }

  it('starts a subscription: first invoice paid, metadata on the subscription and the invoice’s parent', async () => {
    const { session, events, subscriptionId } = await subscribe()

    expect(events.map(({ type }) => type)).toEqual(['checkout.session.completed', 'invoice.paid', 'customer.subscription.created'])
    expect(events[0]?.data.object).toMatchObject({
      id: session.id,
      status: 'complete',
      payment_status: 'paid',
      subscription: subscriptionId,
      invoice: expect.stringMatching(/^in_/),
      customer: expect.stringMatching(/^cus_/),
      payment_intent: null,
      metadata: { fund_id: '7' },
    })

    const subscription = await stripe.subscriptions.retrieve(subscriptionId)
    expect(subscription).toMatchObject({
      status: 'active',
      metadata: { fund_id: '7', pledge_id: '12' },
      customer: standIn.object(session.id)?.customer,
    })
    const item = subscription.items.data[0]
    expect(item?.price).toMatchObject({ unit_amount: 1000, currency: 'eur', recurring: { interval: 'month', interval_count: 1 } })
    expect((item?.current_period_end ?? 0) - (item?.current_period_start ?? 0)).toBeGreaterThanOrEqual(28 * 24 * 3600)

    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice))
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_create',
      status: 'paid',
      amount_paid: 1000,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: subscriptionId, metadata: { fund_id: '7', pledge_id: '12' } },
        quote_details: null,
      },
    })
    expect(events[1]?.data.object).toMatchObject({ id: invoice.id, parent: { subscription_details: { subscription: subscriptionId } } })

    const payments = await stripe.invoicePayments.list({ invoice: invoice.id })
    expect(payments.data).toEqual([
      expect.objectContaining({ object: 'invoice_payment', invoice: invoice.id, status: 'paid', is_default: true, amount_paid: 1000 }),
    ])
    const intentId = payments.data[0]?.payment.payment_intent
    const intent = await stripe.paymentIntents.retrieve(String(intentId))
    expect(intent).toMatchObject({ status: 'succeeded', amount: 1000, metadata: {}, description: 'Subscription creation' })
    expect(intent.latest_charge).toMatch(/^ch_/)
  })

  it('lets tests put invoice.paid before checkout.session.completed', async () => {
    const { events } = await subscribe('invoice-first')
    expect(events.map(({ type }) => type)).toEqual(['invoice.paid', 'checkout.session.completed', 'customer.subscription.created'])
  })

  it('renews: a subscription_cycle invoice, its payment, and a way back from the charge to the invoice', async () => {
    const { subscriptionId } = await subscribe()
    const before = await stripe.subscriptions.retrieve(subscriptionId)
    receiver.clear()

    standIn.renew(subscriptionId)
    const [paid, ...rest] = await delivered()
    expect(rest).toEqual([])
    expect(paid).toMatchObject({
      type: 'invoice.paid',
      data: {
        object: {
          billing_reason: 'subscription_cycle',
          amount_paid: 1000,
          parent: { subscription_details: { subscription: subscriptionId, metadata: { fund_id: '7', pledge_id: '12' } } },
        },
      },
    })
    const after = await stripe.subscriptions.retrieve(subscriptionId)
    expect(after.items.data[0]?.current_period_start).toBe(before.items.data[0]?.current_period_end)
    expect(after.latest_invoice).toBe(paid?.data.object && 'id' in paid.data.object ? paid.data.object.id : null)

    // A later charge.refunded names only the charge and its intent: the invoice is found through invoice_payments.
    const [payment] = (await stripe.invoicePayments.list({ invoice: String(after.latest_invoice) })).data
    const intent = await stripe.paymentIntents.retrieve(String(payment?.payment.payment_intent))
    const byIntent = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: intent.id } })
    expect(byIntent.data.map(({ invoice }) => invoice)).toEqual([after.latest_invoice])
  })

  it('refunds in part and then in full: amount_refunded adds up, refunded only when full', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams())
    standIn.complete(session.id)
    await delivered()
    receiver.clear()
    const intent = await stripe.paymentIntents.retrieve(String(standIn.object(session.id)?.payment_intent))
    const chargeId = String(intent.latest_charge)

    const partial = standIn.refund(chargeId, 200)
    expect(partial).toMatchObject({ object: 'refund', amount: 200, charge: chargeId, payment_intent: intent.id, status: 'succeeded' })
    standIn.refund(chargeId)
    expect(() => standIn.refund(chargeId, 1)).toThrow(/unrefunded 0/)

    const events = await delivered()
    expect(events.map(({ type }) => type)).toEqual(['charge.refunded', 'charge.refunded'])
    expect(events[0]).toMatchObject({
      data: {
        object: { id: chargeId, payment_intent: intent.id, amount: 500, amount_refunded: 200, refunded: false, metadata: { fund_id: '3' } },
        previous_attributes: { amount_refunded: 0, refunded: false },
      },
    })
    expect(events[1]).toMatchObject({
      data: { object: { amount_refunded: 500, refunded: true }, previous_attributes: { amount_refunded: 200, refunded: false } },
    })
    const charge = await stripe.charges.retrieve(chargeId)
    expect(charge.refunds?.data.map(({ amount }) => amount)).toEqual([300, 200])
  })

  it('opens and closes a dispute', async () => {
    const session = await stripe.checkout.sessions.create(oneTimeParams())
    standIn.complete(session.id)
    await delivered()
    receiver.clear()
    const intentId = String(standIn.object(session.id)?.payment_intent)
    const chargeId = String(standIn.object(intentId)?.latest_charge)

    const opened = standIn.dispute(chargeId)
    standIn.closeDispute(String(opened.id), 'lost')
    const events = await delivered()
    expect(events.map(({ type }) => type)).toEqual(['charge.dispute.created', 'charge.dispute.closed'])
    expect(events[0]?.data.object).toMatchObject({ object: 'dispute', status: 'needs_response', amount: 500, charge: chargeId, payment_intent: intentId })
    expect(events[1]?.data.object).toMatchObject({ id: opened.id, status: 'lost' })
    expect(standIn.object(chargeId)).toMatchObject({ disputed: true })
  })

  it('cancels through the API (DELETE): customer.subscription.deleted names the request', async () => {
    const { subscriptionId } = await subscribe()
    receiver.clear()

    const canceled = await stripe.subscriptions.cancel(subscriptionId, { cancellation_details: { comment: 'moving abroad' } })
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: expect.any(Number), cancellation_details: { comment: 'moving abroad' } })
    const [deleted, ...rest] = await delivered()
    expect(rest).toEqual([])
    expect(deleted).toMatchObject({
      type: 'customer.subscription.deleted',
      request: { id: canceled.lastResponse.requestId, idempotency_key: null },
      data: { object: { id: subscriptionId, status: 'canceled', metadata: { fund_id: '7', pledge_id: '12' } } },
    })
    expect(await rejection(stripe.subscriptions.cancel(subscriptionId))).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
  })

  it('retries a delivery the receiver answered 500, keeping the session’s later events behind it', async () => {
    receiver.failNext(1, 500)
    const session = await stripe.checkout.sessions.create(oneTimeParams())
    standIn.complete(session.id)

    const events = await delivered()
    expect(events.map(({ type }) => type)).toEqual(['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded'])
    expect(receiver.received.map(({ status, event }) => [event?.type, status])).toEqual([
      ['checkout.session.completed', 500],
      ['checkout.session.completed', 200],
      ['payment_intent.succeeded', 200],
      ['charge.succeeded', 200],
    ])
    const [first, second] = receiver.received
    expect(first?.event?.id).toBe(second?.event?.id)
    // Each attempt is signed anew, as Stripe does.
    expect(standIn.deliveries().filter(({ eventId }) => eventId === first?.event?.id)).toMatchObject([
      { attempt: 1, status: 500, ok: false },
      { attempt: 2, status: 200, ok: true },
    ])
  })

  it('gives up after the configured retries when the receiver is down', async () => {
    const offline = await startStripeStandIn({ webhookUrl: 'http://127.0.0.1:9/nowhere', retryDelaysMs: [10, 10], webhookSecret: WEBHOOK_SECRET })
    try {
      const client = new Stripe(offline.secretKey, offline.sdkOptions)
      const session = await client.checkout.sessions.create(oneTimeParams())
      offline.complete(session.id)
      await offline.whenIdle()
      const attempts = offline.deliveries().filter(({ type }) => type === 'checkout.session.completed')
      expect(attempts.map(({ attempt, status, ok }) => [attempt, status, ok])).toEqual([
        [1, null, false],
        [2, null, false],
        [3, null, false],
      ])
      expect(attempts[0]?.error).toMatch(/ECONNREFUSED/)
    } finally {
      await offline.close()
    }
  })

  describe('the demo checkout page', () => {
    it('shows the banner, the amount and the escaped product name, with no external URL', async () => {
      const session = await stripe.checkout.sessions.create(
        oneTimeParams({
          locale: 'en',
          line_items: [{ price_data: { currency: 'eur', unit_amount: 1250, product_data: { name: 'Fund <script>alert(1)</script> & co' } }, quantity: 1 }],
        }),
      )
      const response = await fetch(String(session.url))
      const html = await response.text()

      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(html).toContain('Demo — no money moves.')
      expect(html).toContain('This page stands in for Stripe Checkout.')
      expect(html).toContain('€12.50')
      expect(html).toContain('Fund &lt;script&gt;alert(1)&lt;/script&gt; &amp; co')
      expect(html).not.toContain('<script')
      for (const label of ['Pay by card', 'Card declined', 'Pay by SEPA Direct Debit (settles in a few seconds)', 'SEPA Direct Debit that fails', 'Cancel']) {
        expect(html).toContain(label)
      }
      expect(html).not.toMatch(/https?:\/\//)
      expect(html).not.toMatch(/(?:src|href|action)\s*=\s*"(?!\/[^/])/)
    })

    it('speaks the session’s language: German and Spanish, with amounts written their way', async () => {
      const german = await (await fetch(String((await stripe.checkout.sessions.create(oneTimeParams({ locale: 'de' }))).url))).text()
      expect(german).toContain('<html lang="de">')
      expect(german).toContain('Demo – es fließt kein Geld.')
      expect(german).toContain('Diese Seite steht für Stripe Checkout.')
      expect(german).toContain('5,00\u00a0€')
      for (const label of ['Mit Karte zahlen', 'Karte abgelehnt', 'Per SEPA-Lastschrift zahlen', 'SEPA-Lastschrift, die scheitert', 'Abbrechen', 'E-Mail']) expect(german).toContain(label)
      expect(german).not.toContain('Pay by card')

      const spanish = await (await fetch(String((await stripe.checkout.sessions.create(oneTimeParams({ locale: 'es' }))).url))).text()
      expect(spanish).toContain('<html lang="es">')
      expect(spanish).toContain('Esta página sustituye a Stripe Checkout.')
      for (const label of ['Pagar con tarjeta', 'Tarjeta rechazada', 'Pagar con adeudo directo SEPA', 'Cancelar']) expect(spanish).toContain(label)

      // A locale Vigil does not send falls back to English.
      const other = await (await fetch(String((await stripe.checkout.sessions.create(oneTimeParams({ locale: 'fr' }))).url))).text()
      expect(other).toContain('Pay by card')
    })

    it('pays by card and redirects to the success URL with the session id filled in', async () => {
      const session = await stripe.checkout.sessions.create(oneTimeParams({ locale: 'en' }))
      const response = await fetch(String(session.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ action: 'card', name: 'Page Payer', email: 'ignored@example.org' }).toString(),
        redirect: 'manual',
      })

      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`https://vigil.example/donate/thanks?session_id=${session.id}`)
      const [completed] = await delivered()
      // customer_email was set, so Checkout kept it whatever the form said.
      expect(completed?.data.object).toMatchObject({ id: session.id, customer_details: { email: 'ada@example.org', name: 'Page Payer' } })

      const again = await fetch(String(session.url))
      expect(await again.text()).toContain('This checkout is complete.')
    })

    it('stays on the page for a declined card and sends nothing; Cancel redirects to cancel_url', async () => {
      const session = await stripe.checkout.sessions.create(oneTimeParams({ locale: 'en' }))
      const post = (action: string) =>
        fetch(String(session.url), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `action=${action}`,
          redirect: 'manual',
        })

      const declined = await post('card_declined')
      expect(declined.status).toBe(402)
      expect(await declined.text()).toContain('Your card was declined.')
      const cancelled = await post('cancel')
      expect(cancelled.status).toBe(303)
      expect(cancelled.headers.get('location')).toBe('https://vigil.example/donate/cancelled')

      expect(await delivered()).toEqual([])
      expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open')
    })

    it('settles a SEPA payment made on the page by itself', async () => {
      const session = await stripe.checkout.sessions.create(oneTimeParams())
      const response = await fetch(String(session.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'action=sepa',
        redirect: 'manual',
      })
      expect(response.status).toBe(303)
      const events = await delivered()
      expect(events.map(({ type }) => type)).toContain('checkout.session.async_payment_succeeded')
    })
  })

  describe('the customer portal', () => {
    it('lists the customer’s subscriptions and cancels one', async () => {
      const { subscriptionId, events } = await subscribe()
      receiver.clear()
      const customer = String(events[0]?.data.object && 'customer' in events[0].data.object ? events[0].data.object.customer : '')

      const portal = await stripe.billingPortal.sessions.create({ customer, return_url: 'https://vigil.example/account' })
      expect(portal).toMatchObject({ object: 'billing_portal.session', customer, return_url: 'https://vigil.example/account' })
      expect(portal.url).toMatch(new RegExp(`^${standIn.url}/p/session/test_[0-9A-Za-z]{40}$`))

      // The portal session names no locale: the customer's, from the Spanish checkout, is used.
      const page = await (await fetch(portal.url)).text()
      expect(page).toContain('<html lang="es">')
      expect(page).toContain('Demo: no se mueve dinero.')
      // The banner names the portal, not Checkout.
      expect(page).toContain('Esta página sustituye al portal de clientes de Stripe.')
      expect(page).not.toContain('Checkout')
      expect(page).toContain('Monthly support')
      expect(page).toContain('10,00\u00a0€ por mes · activa')
      expect(page).toContain('Cancelar la suscripción')
      expect(page).toContain('href="https://vigil.example/account"')

      // A locale on the portal session wins over the customer's.
      const english = await stripe.billingPortal.sessions.create({ customer, locale: 'en', return_url: 'https://vigil.example/account' })
      const englishPage = await (await fetch(english.url)).text()
      expect(englishPage).toContain('This page stands in for the Stripe customer portal.')
      expect(englishPage).toContain('€10.00 per month · active')

      const cancel = await fetch(`${portal.url}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `subscription=${subscriptionId}`,
        redirect: 'manual',
      })
      expect(cancel.status).toBe(303)
      expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('canceled')
      expect((await delivered()).map(({ type }) => type)).toEqual(['customer.subscription.deleted'])
      const after = await (await fetch(portal.url)).text()
      expect(after).not.toContain('Cancelar la suscripción')
      expect(after).toContain('Cancelada el ')
    })

    it('refuses an unknown customer and a missing one', async () => {
      expect(await rejection(stripe.billingPortal.sessions.create({ customer: 'cus_nobody' }))).toMatchObject({
        statusCode: 404,
        code: 'resource_missing',
        param: 'customer',
        message: "No such customer: 'cus_nobody'",
      })
      expect(await rejection(stripe.billingPortal.sessions.create({}))).toMatchObject({ code: 'parameter_missing', param: 'customer' })
    })
  })

  describe('events built without delivery', () => {
    let quiet: StripeStandIn
    let client: Stripe

    beforeAll(async () => {
      quiet = await startStripeStandIn({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, deliver: false })
      client = new Stripe(quiet.secretKey, quiet.sdkOptions)
    })

    afterAll(async () => {
      await quiet.close()
    })

    it('keeps every event for the test to replay, duplicate or reorder, signed so constructEvent accepts it', async () => {
      const session = await client.checkout.sessions.create(monthlyParams())
      quiet.complete(session.id, { order: 'invoice-first' })
      await quiet.whenIdle()

      expect(quiet.deliveries()).toEqual([])
      expect(receiver.received).toEqual([])
      const events = quiet.events()
      expect(events.map(({ type }) => type)).toEqual(['invoice.paid', 'checkout.session.completed', 'customer.subscription.created'])
      for (const event of [...events].reverse()) {
        const { body, headers } = quiet.webhookRequest(event)
        const parsed = stripe.webhooks.constructEvent(body, String(headers['stripe-signature']), WEBHOOK_SECRET)
        expect(parsed.id).toBe(event.id)
        expect(headers['content-type']).toBe('application/json; charset=utf-8')
      }
      const first: StripeEventJson | undefined = events[0]
      if (!first) throw new Error('no event was built')
      const tampered = quiet.webhookRequest(first)
      expect(() =>
        stripe.webhooks.constructEvent(tampered.body.replace('1000', '1'), String(tampered.headers['stripe-signature']), WEBHOOK_SECRET),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError)
      expect(await client.events.retrieve(String(events[1]?.id))).toMatchObject({ type: 'checkout.session.completed' })
    })

    it('signs payloads exactly as the SDK’s test helper does', () => {
      const payload = JSON.stringify({ id: 'evt_1', object: 'event' })
      expect(signPayload(payload, WEBHOOK_SECRET, 1_700_000_000)).toBe(
        stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: 1_700_000_000 }),
      )
    })
  })

  it('renders every object with the field names and nesting of Stripe’s fixtures', async () => {
    const fixtures = JSON.parse(fs.readFileSync(FIXTURES_PATH, 'utf8')) as { resources: Record<string, unknown> }
    const { subscriptionId, events } = await subscribe()
    const sessionObject = events.find(({ type }) => type === 'checkout.session.completed')?.data.object
    const customerId = String(sessionObject && 'customer' in sessionObject ? sessionObject.customer : '')
    const subscription = await stripe.subscriptions.retrieve(subscriptionId)
    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice))
    const [payment] = (await stripe.invoicePayments.list({ invoice: invoice.id })).data
    const intent = await stripe.paymentIntents.retrieve(String(payment?.payment.payment_intent))
    const refund = standIn.refund(String(intent.latest_charge), 100)
    const charge = await stripe.charges.retrieve(String(intent.latest_charge))
    const dispute = standIn.dispute(charge.id)
    const portal = await stripe.billingPortal.sessions.create({ customer: customerId })
    const price = subscription.items.data[0]?.price
    const event = events[0]

    const objects: Record<string, unknown> = {
      'checkout.session': sessionObject,
      invoice,
      charge,
      dispute,
      subscription,
      payment_intent: intent,
      customer: await stripe.customers.retrieve(customerId),
      'billing_portal.session': portal,
      refund,
      price,
      product: await stripe.products.retrieve(String(price?.product)),
      // The event's data.object is whatever the event is about; its own envelope is compared here.
      event: { ...event, data: { object: {} } },
    }
    const expected: Record<string, unknown> = { ...fixtures.resources, event: { ...asRecord(fixtures.resources.event), data: { object: {} } } }
    for (const [name, object] of Object.entries(objects)) {
      expect(shapeDiff(object, expected[name], name), name).toEqual([])
      expect(asRecord(object).object, name).toBe(asRecord(expected[name]).object)
    }
  })
})

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/** Keys missing or extra compared with the fixture, recursively; an empty object or null in either says nothing. */
function shapeDiff(actual: unknown, expected: unknown, path: string): string[] {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.length > 0 && expected.length > 0 ? shapeDiff(actual[0], expected[0], `${path}[0]`) : []
  }
  const a = asRecord(actual)
  const e = asRecord(expected)
  if (Object.keys(a).length === 0 || Object.keys(e).length === 0) return []
  const diffs: string[] = []
  for (const key of Object.keys(e)) if (!(key in a)) diffs.push(`${path}.${key} missing`)
  for (const key of Object.keys(a)) if (!(key in e)) diffs.push(`${path}.${key} extra`)
  for (const key of Object.keys(e)) if (key in a) diffs.push(...shapeDiff(a[key], e[key], `${path}.${key}`))
  return diffs
}
