/**
 * The objects the stand-in holds, as records, and how each renders as the Stripe object the SDK reads:
 * field names and nesting as in stripe-mock's fixtures (tests/fixtures/stripe/fixtures.json; the test
 * compares them key by key), values from the records.
 */
import { randomBytes } from 'node:crypto'
import { DEFAULT_PORTAL_CONFIGURATION, type INTERVALS } from './parameters.ts'
import type { Store } from './state.ts'
import type { PaymentMethodKind } from './lifecycle.ts'

/** The API version stripe@23.1.0 pins (node_modules/stripe/cjs/apiVersion.js); events are rendered for it. */
export const STRIPE_API_VERSION = '2026-10-28.endive'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export type StripeEventJson = {
  id: string
  object: 'event'
  api_version: string
  created: number
  data: { object: JsonObject; previous_attributes?: JsonObject }
  livemode: false
  pending_webhooks: number
  request: { id: string | null; idempotency_key: string | null }
  type: string
}

export type Interval = (typeof INTERVALS)[number]
export type Metadata = Record<string, string>
export type Person = { email: string; name: string }

export type PriceRecord = {
  id: string
  productId: string
  currency: string
  unitAmount: number
  recurring: { interval: Interval; intervalCount: number } | null
  created: number
}
export type ProductRecord = { id: string; name: string; description: string | null; metadata: Metadata; created: number }
export type SessionRecord = {
  id: string
  created: number
  expiresAt: number
  mode: 'payment' | 'subscription'
  status: 'open' | 'complete'
  paymentStatus: 'unpaid' | 'paid'
  priceId: string
  quantity: number
  amount: number
  currency: string
  metadata: Metadata
  intentMetadata: Metadata
  intentDescription: string | null
  subscriptionMetadata: Metadata
  subscriptionDescription: string | null
  submitType: string | null
  locale: string | null
  customerEmail: string | null
  customerCreation: 'always' | 'if_required' | null
  clientReferenceId: string | null
  successUrl: string | null
  cancelUrl: string | null
  customer: string | null
  details: Person | null
  paymentIntent: string | null
  subscription: string | null
  invoice: string | null
  declines: number
}
export type CustomerRecord = {
  id: string
  created: number
  email: string
  name: string
  currency: string
  locale: string | null
  invoicePrefix: string
  nextInvoiceSequence: number
  defaultPaymentMethod: string | null
}
export type Failure = { code: string; message: string }
export type IntentRecord = {
  id: string
  created: number
  amount: number
  currency: string
  customer: string | null
  metadata: Metadata
  description: string | null
  method: PaymentMethodKind
  status: 'processing' | 'succeeded' | 'requires_payment_method'
  latestCharge: string
  paymentMethod: string
  failure: Failure | null
  clientSecret: string
  group: string
}
export type ChargeRecord = {
  id: string
  created: number
  amount: number
  currency: string
  customer: string | null
  metadata: Metadata
  description: string | null
  paymentIntent: string
  paymentMethod: string
  method: PaymentMethodKind
  status: 'pending' | 'succeeded' | 'failed'
  amountRefunded: number
  refunds: string[]
  disputed: boolean
  person: Person
  failure: Failure | null
  balanceTransaction: string
  group: string
}
export type SubscriptionRecord = {
  id: string
  created: number
  customer: string
  priceId: string
  quantity: number
  metadata: Metadata
  description: string | null
  status: 'active' | 'canceled'
  periodStart: number
  periodEnd: number
  latestInvoice: string | null
  itemId: string
  paymentMethod: string
  canceledAt: number | null
  cancellation: { comment: string | null; feedback: string | null; reason: string | null }
  group: string
}
export type InvoiceRecord = {
  id: string
  created: number
  number: string
  customer: string
  person: Person
  subscription: string
  subscriptionMetadata: Metadata
  billingReason: 'subscription_create' | 'subscription_cycle'
  amount: number
  currency: string
  priceId: string
  quantity: number
  lineId: string
  periodStart: number
  periodEnd: number
  paidAt: number
  paymentIntent: string
  group: string
}
export type InvoicePaymentRecord = {
  id: string
  created: number
  invoice: string
  paymentIntent: string
  amount: number
  currency: string
  paidAt: number
}
export type RefundRecord = {
  id: string
  created: number
  amount: number
  currency: string
  charge: string
  paymentIntent: string
  method: PaymentMethodKind
  balanceTransaction: string
}
export type DisputeRecord = {
  id: string
  created: number
  amount: number
  currency: string
  charge: string
  paymentIntent: string
  method: PaymentMethodKind
  status: 'needs_response' | 'won' | 'lost'
  dueBy: number
}
export type RequestRef = { id: string | null; idempotency_key: string | null }
export type PortalRecord = {
  id: string
  created: number
  customer: string
  returnUrl: string | null
  locale: string | null
  token: string
}

const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
])

// ---- Small helpers ---------------------------------------------------------------------------------------

export const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export function token(length: number): string {
  let out = ''
  for (const byte of randomBytes(length)) out += ALPHABET.charAt(byte % ALPHABET.length)
  return out
}

export function newId(prefix: string, length = 24): string {
  return `${prefix}_${token(length)}`
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export function addInterval(seconds: number, interval: Interval, count: number): number {
  const date = new Date(seconds * 1000)
  if (interval === 'day') date.setUTCDate(date.getUTCDate() + count)
  else if (interval === 'week') date.setUTCDate(date.getUTCDate() + 7 * count)
  else if (interval === 'month') date.setUTCMonth(date.getUTCMonth() + count)
  else date.setUTCFullYear(date.getUTCFullYear() + count)
  return Math.floor(date.getTime() / 1000)
}

export function formatAmount(amount: number, currency: string, lang = 'en'): string {
  const decimals = ZERO_DECIMAL.has(currency) ? 0 : 2
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency: currency.toUpperCase() }).format(
      amount / 10 ** decimals,
    )
  } catch {
    return `${(amount / 10 ** decimals).toFixed(decimals)} ${currency.toUpperCase()}`
  }
}

export function isRecord(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function createRenderers(store: Store) {
  const { products, prices, sessions, customers, intents, charges, subscriptions, invoices, invoicePayments, refunds, disputes, portals, eventsById } = store

  function renderProduct(product: ProductRecord): JsonObject {
    return {
      active: true,
      created: product.created,
      default_price: null,
      description: product.description,
      id: product.id,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: { ...product.metadata },
      name: product.name,
      object: 'product',
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: null,
      unit_label: null,
      updated: product.created,
      url: null,
      type: 'service',
    }
  }

  function renderPrice(price: PriceRecord): JsonObject {
    return {
      // Prices made from price_data are inactive, as Stripe makes them.
      active: false,
      billing_scheme: 'per_unit',
      created: price.created,
      currency: price.currency,
      custom_unit_amount: null,
      id: price.id,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: null,
      object: 'price',
      product: price.productId,
      recurring: price.recurring
        ? {
            interval: price.recurring.interval,
            interval_count: price.recurring.intervalCount,
            meter: null,
            usage_type: 'licensed',
            trial_period_days: null,
          }
        : null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: price.recurring ? 'recurring' : 'one_time',
      unit_amount: price.unitAmount,
      unit_amount_decimal: String(price.unitAmount),
    }
  }

  function renderPlan(price: PriceRecord): JsonObject {
    return {
      active: false,
      amount: price.unitAmount,
      amount_decimal: String(price.unitAmount),
      billing_scheme: 'per_unit',
      created: price.created,
      currency: price.currency,
      id: price.id,
      interval: price.recurring?.interval ?? 'month',
      interval_count: price.recurring?.intervalCount ?? 1,
      livemode: false,
      metadata: {},
      meter: null,
      nickname: null,
      object: 'plan',
      product: price.productId,
      tiers_mode: null,
      transform_usage: null,
      trial_period_days: null,
      usage_type: 'licensed',
    }
  }

  function priceOf(id: string): PriceRecord {
    const price = prices.get(id)
    if (!price) throw new Error(`stripe stand-in: no price ${id}`)
    return price
  }

  function address(): JsonObject {
    return { city: null, country: 'DE', line1: null, line2: null, postal_code: null, state: null }
  }

  function renderSession(session: SessionRecord): JsonObject {
    const complete = session.status === 'complete'
    return {
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: session.amount,
      amount_total: session.amount,
      automatic_tax: { enabled: false, liability: null, status: null, provider: null },
      billing_address_collection: null,
      cancel_url: session.cancelUrl,
      client_reference_id: session.clientReferenceId,
      client_secret: null,
      consent: null,
      consent_collection: null,
      created: session.created,
      currency: session.currency,
      custom_fields: [],
      custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
      customer: session.customer,
      customer_creation: session.customerCreation,
      customer_details: session.details
        ? {
            address: address(),
            email: session.details.email,
            name: session.details.name,
            phone: null,
            tax_exempt: 'none',
            tax_ids: [],
            business_name: null,
            individual_name: null,
          }
        : null,
      customer_email: session.customerEmail,
      expires_at: session.expiresAt,
      id: session.id,
      invoice: session.invoice,
      invoice_creation:
        session.mode === 'payment'
          ? {
              enabled: false,
              invoice_data: {
                account_tax_ids: null,
                custom_fields: null,
                description: null,
                footer: null,
                issuer: null,
                metadata: {},
                rendering_options: null,
              },
            }
          : null,
      livemode: false,
      locale: session.locale,
      metadata: { ...session.metadata },
      mode: session.mode,
      object: 'checkout.session',
      payment_intent: session.paymentIntent,
      payment_link: null,
      payment_method_collection: 'always',
      payment_method_configuration_details: null,
      payment_method_options: {},
      payment_method_types: session.mode === 'payment' ? ['card', 'sepa_debit'] : ['card'],
      payment_status: session.paymentStatus,
      phone_number_collection: { enabled: false },
      recovered_from: null,
      saved_payment_method_options: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: session.status,
      submit_type: session.submitType,
      subscription: session.subscription,
      success_url: session.successUrl,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted_page',
      // Stripe clears the URL once the session is no longer open.
      url: complete ? null : `${store.publicUrl}/c/pay/${session.id}`,
      adaptive_pricing: { enabled: false },
      discounts: [],
      collected_information: complete ? { shipping_details: null, business_name: null, individual_name: null } : null,
      permissions: null,
      wallet_options: null,
      origin_context: null,
      currency_conversion: null,
    }
  }

  function renderCustomer(customer: CustomerRecord): JsonObject {
    return {
      address: null,
      balance: 0,
      created: customer.created,
      currency: customer.currency,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: customer.email,
      id: customer.id,
      invoice_prefix: customer.invoicePrefix,
      invoice_settings: {
        custom_fields: null,
        default_payment_method: customer.defaultPaymentMethod,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: {},
      name: customer.name,
      next_invoice_sequence: customer.nextInvoiceSequence,
      object: 'customer',
      phone: null,
      preferred_locales: customer.locale && customer.locale !== 'auto' ? [customer.locale] : [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    }
  }

  function renderIntent(intent: IntentRecord): JsonObject {
    return {
      amount: intent.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: intent.status === 'succeeded' ? intent.amount : 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic_async',
      client_secret: intent.clientSecret,
      confirmation_method: 'automatic',
      created: intent.created,
      currency: intent.currency,
      customer: intent.customer,
      description: intent.description,
      id: intent.id,
      last_payment_error: intent.failure
        ? { type: 'card_error', code: intent.failure.code, message: intent.failure.message }
        : null,
      latest_charge: intent.latestCharge,
      livemode: false,
      metadata: { ...intent.metadata },
      next_action: null,
      object: 'payment_intent',
      on_behalf_of: null,
      payment_method: intent.status === 'requires_payment_method' ? null : intent.paymentMethod,
      payment_method_configuration_details: null,
      payment_method_options: {},
      payment_method_types: [intent.method === 'card' ? 'card' : 'sepa_debit'],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: intent.status,
      transfer_data: null,
      transfer_group: null,
      source: null,
      excluded_payment_method_types: null,
    }
  }

  function renderRefund(refund: RefundRecord): JsonObject {
    return {
      amount: refund.amount,
      balance_transaction: refund.balanceTransaction,
      charge: refund.charge,
      created: refund.created,
      currency: refund.currency,
      destination_details:
        refund.method === 'card'
          ? { card: { type: 'refund' }, type: 'card' }
          : { sepa_debit: {}, type: 'sepa_debit' },
      id: refund.id,
      metadata: {},
      object: 'refund',
      payment_intent: refund.paymentIntent,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    }
  }

  function cardDetails(amount: number): JsonObject {
    return {
      card: {
        amount_authorized: amount,
        brand: 'visa',
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'DE',
        exp_month: 12,
        exp_year: new Date().getUTCFullYear() + 3,
        extended_authorization: { status: 'disabled' },
        fingerprint: 'VigilStandInCard',
        funding: 'credit',
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: '4242',
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: 'visa',
        network_token: { used: false },
        overcapture: { maximum_amount_capturable: amount, status: 'unavailable' },
        three_d_secure: null,
        wallet: null,
        authorization_code: '123456',
        regulated_status: 'unregulated',
        network_transaction_id: '000000000000000',
      },
      type: 'card',
    }
  }

  function renderCharge(charge: ChargeRecord): JsonObject {
    const succeeded = charge.status === 'succeeded'
    const chargeRefunds = charge.refunds
      .map((id) => refunds.get(id))
      .filter((refund): refund is RefundRecord => refund !== undefined)
      .reverse()
      .map(renderRefund)
    return {
      amount: charge.amount,
      amount_captured: charge.status === 'failed' ? 0 : charge.amount,
      amount_refunded: charge.amountRefunded,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: charge.status === 'failed' ? null : charge.balanceTransaction,
      billing_details: {
        address: address(),
        email: charge.person.email,
        name: charge.person.name,
        phone: null,
        tax_id: null,
      },
      calculated_statement_descriptor: 'VIGIL DEMO',
      captured: charge.status !== 'failed',
      created: charge.created,
      currency: charge.currency,
      customer: charge.customer,
      description: charge.description,
      disputed: charge.disputed,
      failure_balance_transaction: null,
      failure_code: charge.failure?.code ?? null,
      failure_message: charge.failure?.message ?? null,
      fraud_details: {},
      id: charge.id,
      livemode: false,
      metadata: { ...charge.metadata },
      object: 'charge',
      on_behalf_of: null,
      outcome:
        charge.status === 'pending'
          ? null
          : {
              advice_code: null,
              network_advice_code: null,
              network_decline_code: null,
              network_status: succeeded ? 'approved_by_network' : 'declined_by_network',
              reason: charge.failure?.code ?? null,
              seller_message: succeeded ? 'Payment complete.' : 'The bank returned a decline.',
              type: succeeded ? 'authorized' : 'issuer_declined',
            },
      paid: succeeded,
      payment_intent: charge.paymentIntent,
      payment_method: charge.paymentMethod,
      payment_method_details:
        charge.method === 'card'
          ? cardDetails(charge.amount)
          : {
              sepa_debit: {
                bank_code: '37040044',
                branch_code: '',
                country: 'DE',
                fingerprint: 'VigilStandInSepa',
                last4: '3000',
                mandate: `mandate_${charge.paymentMethod.slice(3, 27)}`,
              },
              type: 'sepa_debit',
            },
      receipt_email: null,
      receipt_number: null,
      receipt_url: null,
      refunded: charge.amountRefunded === charge.amount,
      refunds: {
        data: chargeRefunds,
        has_more: false,
        object: 'list',
        url: `/v1/charges/${charge.id}/refunds`,
      },
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: charge.status,
      transfer_data: null,
      transfer_group: null,
      source: null,
    }
  }

  function renderSubscription(subscription: SubscriptionRecord): JsonObject {
    const price = priceOf(subscription.priceId)
    const canceled = subscription.status === 'canceled'
    return {
      application: null,
      application_fee_percent: null,
      automatic_tax: { enabled: false, liability: null, disabled_reason: null },
      billing_cycle_anchor: subscription.created,
      billing_cycle_anchor_config: null,
      cancel_at: null,
      canceled_at: subscription.canceledAt,
      cancellation_details: { ...subscription.cancellation },
      collection_method: 'charge_automatically',
      created: subscription.created,
      currency: price.currency,
      customer: subscription.customer,
      days_until_due: null,
      default_payment_method: subscription.paymentMethod,
      default_source: null,
      default_tax_rates: [],
      description: subscription.description,
      discounts: [],
      ended_at: canceled ? subscription.canceledAt : null,
      id: subscription.id,
      invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
      items: {
        data: [
          {
            created: subscription.created,
            discounts: [],
            id: subscription.itemId,
            metadata: {},
            object: 'subscription_item',
            price: renderPrice(price),
            quantity: subscription.quantity,
            subscription: subscription.id,
            tax_rates: [],
            plan: renderPlan(price),
            current_period_end: subscription.periodEnd,
            current_period_start: subscription.periodStart,
            billing_thresholds: null,
          },
        ],
        has_more: false,
        object: 'list',
        url: `/v1/subscription_items?subscription=${subscription.id}`,
      },
      latest_invoice: subscription.latestInvoice,
      livemode: false,
      metadata: { ...subscription.metadata },
      next_pending_invoice_item_invoice: null,
      object: 'subscription',
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: subscription.created,
      status: subscription.status,
      test_clock: null,
      transfer_data: null,
      trial_end: null,
      trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
      trial_start: null,
      cancel_at_period_end: false,
      billing_thresholds: null,
      billing_mode: { type: 'flexible', flexible: { proration_discounts: 'included' } },
    }
  }

  function renderInvoice(invoice: InvoiceRecord): JsonObject {
    const price = priceOf(invoice.priceId)
    const product = products.get(price.productId)
    const interval = price.recurring?.interval ?? 'month'
    return {
      account_country: 'DE',
      account_name: 'Vigil (demo)',
      account_tax_ids: null,
      amount_due: invoice.amount,
      amount_paid: invoice.amount,
      amount_remaining: 0,
      amount_shipping: 0,
      application: null,
      attempt_count: 1,
      attempted: true,
      auto_advance: false,
      automatic_tax: { enabled: false, liability: null, status: null, disabled_reason: null, provider: null },
      billing_reason: invoice.billingReason,
      collection_method: 'charge_automatically',
      created: invoice.created,
      currency: invoice.currency,
      custom_fields: null,
      customer: invoice.customer,
      customer_address: null,
      customer_email: invoice.person.email,
      customer_name: invoice.person.name,
      customer_phone: null,
      customer_shipping: null,
      customer_tax_exempt: 'none',
      customer_tax_ids: [],
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      due_date: null,
      effective_at: invoice.created,
      ending_balance: 0,
      footer: null,
      from_invoice: null,
      hosted_invoice_url: null,
      id: invoice.id,
      invoice_pdf: null,
      issuer: { type: 'self' },
      last_finalization_error: null,
      latest_revision: null,
      lines: {
        data: [
          {
            amount: invoice.amount,
            currency: invoice.currency,
            description: `${invoice.quantity} × ${product?.name ?? 'Donation'} (at ${formatAmount(price.unitAmount, price.currency)} / ${interval})`,
            discount_amounts: [],
            discountable: true,
            discounts: [],
            id: invoice.lineId,
            invoice: invoice.id,
            livemode: false,
            metadata: {},
            object: 'line_item',
            period: { end: invoice.periodEnd, start: invoice.periodStart },
            quantity: invoice.quantity,
            subscription: invoice.subscription,
            pretax_credit_amounts: [],
            taxes: [],
            parent: {
              invoice_item_details: null,
              subscription_item_details: {
                invoice_item: null,
                proration: false,
                proration_details: { credited_items: null },
                subscription: invoice.subscription,
                subscription_item: subscriptions.get(invoice.subscription)?.itemId ?? null,
              },
              type: 'subscription_item_details',
            },
            pricing: { type: 'price_details', unit_amount_decimal: String(price.unitAmount) },
          },
        ],
        has_more: false,
        object: 'list',
        url: `/v1/invoices/${invoice.id}/lines`,
      },
      livemode: false,
      metadata: {},
      next_payment_attempt: null,
      number: invoice.number,
      object: 'invoice',
      on_behalf_of: null,
      payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
      period_end: invoice.periodEnd,
      period_start: invoice.periodStart,
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      receipt_number: null,
      rendering: null,
      shipping_cost: null,
      shipping_details: null,
      starting_balance: 0,
      statement_descriptor: null,
      status: 'paid',
      status_transitions: {
        finalized_at: invoice.created,
        marked_uncollectible_at: null,
        paid_at: invoice.paidAt,
        voided_at: null,
      },
      // Removed from invoices in API version 2025-03-31.basil; kept as null so the fixture's keys stay.
      subscription: null,
      subtotal: invoice.amount,
      subtotal_excluding_tax: invoice.amount,
      test_clock: null,
      total: invoice.amount,
      total_discount_amounts: [],
      total_excluding_tax: invoice.amount,
      webhooks_delivered_at: invoice.created,
      automatically_finalizes_at: null,
      total_pretax_credit_amounts: [],
      total_taxes: [],
      amount_overpaid: 0,
      parent: {
        quote_details: null,
        subscription_details: { metadata: { ...invoice.subscriptionMetadata }, subscription: invoice.subscription },
        type: 'subscription_details',
      },
    }
  }

  function renderInvoicePayment(payment: InvoicePaymentRecord): JsonObject {
    return {
      id: payment.id,
      object: 'invoice_payment',
      amount_paid: payment.amount,
      amount_requested: payment.amount,
      created: payment.created,
      currency: payment.currency,
      invoice: payment.invoice,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: payment.paymentIntent },
      status: 'paid',
      status_transitions: { canceled_at: null, paid_at: payment.paidAt },
    }
  }

  function renderDispute(dispute: DisputeRecord): JsonObject {
    const evidence: JsonObject = {}
    for (const field of [
      'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure',
      'cancellation_rebuttal', 'customer_communication', 'customer_email_address', 'customer_name',
      'customer_purchase_ip', 'customer_signature', 'duplicate_charge_documentation',
      'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description', 'receipt', 'refund_policy',
      'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'service_documentation',
      'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation',
      'shipping_tracking_number', 'uncategorized_file', 'uncategorized_text',
    ]) {
      evidence[field] = null
    }
    evidence.enhanced_evidence = {}
    return {
      amount: dispute.amount,
      balance_transactions: [],
      charge: dispute.charge,
      created: dispute.created,
      currency: dispute.currency,
      evidence,
      evidence_details: {
        due_by: dispute.dueBy,
        has_evidence: false,
        past_due: false,
        submission_count: 0,
        enhanced_eligibility: {},
      },
      id: dispute.id,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      object: 'dispute',
      payment_intent: dispute.paymentIntent,
      payment_method_details:
        dispute.method === 'card'
          ? { card: { brand: 'visa', case_type: 'chargeback', network_reason_code: '10.4' }, type: 'card' }
          : { sepa_debit: {}, type: 'sepa_debit' },
      reason: 'fraudulent',
      status: dispute.status,
      enhanced_eligibility_types: [],
    }
  }

  function renderPortal(portal: PortalRecord): JsonObject {
    return {
      configuration: DEFAULT_PORTAL_CONFIGURATION,
      created: portal.created,
      customer: portal.customer,
      flow: null,
      id: portal.id,
      livemode: false,
      locale: portal.locale,
      object: 'billing_portal.session',
      on_behalf_of: null,
      return_url: portal.returnUrl,
      url: `${store.publicUrl}/p/session/${portal.token}`,
    }
  }

  /** Any object by id, for retrieval and `expand`. */
  function render(id: string): JsonObject | null {
    const session = sessions.get(id)
    if (session) return renderSession(session)
    const customer = customers.get(id)
    if (customer) return renderCustomer(customer)
    const intent = intents.get(id)
    if (intent) return renderIntent(intent)
    const charge = charges.get(id)
    if (charge) return renderCharge(charge)
    const subscription = subscriptions.get(id)
    if (subscription) return renderSubscription(subscription)
    const invoice = invoices.get(id)
    if (invoice) return renderInvoice(invoice)
    const payment = invoicePayments.get(id)
    if (payment) return renderInvoicePayment(payment)
    const refund = refunds.get(id)
    if (refund) return renderRefund(refund)
    const dispute = disputes.get(id)
    if (dispute) return renderDispute(dispute)
    const price = prices.get(id)
    if (price) return renderPrice(price)
    const product = products.get(id)
    if (product) return renderProduct(product)
    const portal = portals.get(id)
    if (portal) return renderPortal(portal)
    const event = eventsById.get(id)
    if (event) return structuredClone(event)
    return null
  }

  return { render, renderSession, renderCustomer, renderIntent, renderCharge, renderSubscription, renderInvoice, renderInvoicePayment, renderRefund, renderDispute, renderPrice, renderProduct, renderPortal, priceOf }
}
