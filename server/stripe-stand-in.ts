/**
 * A local stand-in for the part of Stripe's API that Vigil uses (Checkout Sessions, the customer portal,
 * subscriptions, invoice payments) plus the hosted pages a supporter sees, speaking Stripe's wire format so
 * the real `stripe` SDK and `stripe.webhooks.constructEvent` are exercised end to end. Used by the tests and
 * by Vigil's demo mode, so it lives in server/ and imports Node built-ins only (runs under `node --import tsx`).
 * State is in memory, and with `stateFile` also on disk (demo mode keeps it beside the database, so a
 * monthly donor's portal link survives a restart): the objects, events, idempotency answers, events not yet
 * delivered and settlements not yet due, written after every change (temporary file + rename, so a crash
 * leaves the old or the new state, never half of one) and read at start. Nothing leaves the machine except
 * the webhook POSTs to `webhookUrl`.
 *
 * Sources. Field names and nesting of every object come from stripe-mock's fixtures
 * (tests/fixtures/stripe/fixtures.json; the test compares them key by key), values are set for the stand-in,
 * enum values follow the types of stripe@23.1.0. What the SDK does comes from node_modules/stripe
 * (cjs/RequestSender.js, utils.js, Error.js, Webhooks.js, apiVersion.js). Error wording comes from Stripe
 * error bodies quoted in public issue threads; wording marked (unverified) below is the stand-in's own.
 *
 * What stripe@23.1.0 sends (RequestSender._makeHeaders, utils.stringifyRequestData):
 *
 * - Point it here with `new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 })`.
 *   Paths are `/v1/...`; the key goes in `Authorization: Bearer sk_...`; `Stripe-Version: 2026-10-28.endive`
 *   (the pinned version, `Stripe.API_VERSION`) unless overridden per client or per request.
 * - POST bodies are `application/x-www-form-urlencoded` with brackets left unencoded:
 *   `line_items[0][price_data][unit_amount]=500&metadata[fund_id]=3`; arrays are indexed (`expand[0]=x`),
 *   never `x[]=` (curl users send that; both are accepted here). GET and DELETE carry params in the query.
 * - Every POST carries `Idempotency-Key: stripe-node-retry-<uuid4>`, fresh per call, even with
 *   maxNetworkRetries 0 (a closed connection is retried once regardless); pass `{ idempotencyKey }` to make
 *   a retry replay instead of repeating. GET and DELETE carry none.
 * - The SDK turns `{ error: { type, code, message, param } }` into: 400/404 → StripeInvalidRequestError
 *   (StripeIdempotencyError when type is `idempotency_error`), 401 → StripeAuthenticationError,
 *   402 → StripeCardError, 403 → StripePermissionError, 429 → StripeRateLimitError, else StripeAPIError.
 * - `stripe.webhooks.constructEvent(rawBody, header, secret)` checks `Stripe-Signature: t=<unix>,v1=<hex>`,
 *   v1 = HMAC-SHA256 of `${t}.${rawBody}` keyed with the endpoint secret, timestamps within 300 s.
 *
 * Wire behaviour of this stand-in:
 *
 * - Auth: `Authorization: Bearer <secretKey>` (or Basic with the key as user name, as curl -u sends). None
 *   → 401 "You did not provide an API key. ..."; another key → 401 "Invalid API Key provided: sk_test_****abcd".
 *   Both with type `invalid_request_error` and no code, as Stripe answers.
 * - Errors: `{ "error": { "type", "message", "code"?, "param"?, "doc_url"? } }` (doc_url only with a code).
 *   Missing → 400 `parameter_missing` "Missing required param: <param>."; not an integer → 400
 *   `parameter_invalid_integer` "Invalid integer: <v>"; negative amount → "Invalid non-negative integer";
 *   unknown → 400 `parameter_unknown` "Received unknown parameter: <param>"; bad URL → `url_invalid`
 *   "Not a valid URL"; bad email → `email_invalid`; enum → "Invalid <param>: must be one of ..."; unknown id
 *   → 404 `resource_missing` "No such <object>: '<id>'"; unknown path → 404 "Unrecognized request URL
 *   (<METHOD>: <path>). ...". Parameters Stripe has but the stand-in does not model are refused with 400
 *   code `stand_in_unsupported_parameter` rather than silently ignored (extend this file first).
 * - Checkout rules: `mode` is required with line items; `payment_intent_data` only in payment mode ("You can
 *   not pass `payment_intent_data` in `subscription` mode."), `subscription_data` only in subscription mode,
 *   `customer_creation` only in payment mode ("`customer_creation` can only be used in `payment` mode.", an
 *   error quoted in 2026); a recurring price in payment mode and a one-time price in subscription mode are
 *   refused; `customer` together with `customer_email` is refused; exactly one line item is modelled;
 *   `line_items[0][price]` and `[price_data][product]` name catalog objects the stand-in has none of (404).
 *   `submit_type` in subscription mode: Stripe refused it until API version 2024-11-20.acacia, which added
 *   it ("use `donate` as the text for the submit button for recurring payments", changelog
 *   submit-type-recurring-cpl). So it is refused only when the request's Stripe-Version is older than
 *   2024-11-20 ("You may only specify one of these parameters: submit_type, subscription_data." when
 *   subscription_data is present, quoted in 2021; otherwise "You can not pass `submit_type` in
 *   `subscription` mode.", unverified) and accepted with the pinned version, as Stripe does today.
 *   Minimum amounts (0.50 in usd/eur/chf/cad/aud, 0.30 gbp) are enforced with unverified wording, and so
 *   are metadata limits (50 keys, keys ≤ 40 characters without brackets, values ≤ 500).
 * - Idempotency (POST only; Stripe ignores the header on GET and DELETE): keys up to 255 characters. A
 *   successful answer is stored for 24 hours; the same key with the same method, path and parameters
 *   replays it (same status and body, `Idempotent-Replayed: true`, `Original-Request: req_...`, no new
 *   objects); with other parameters → 400 `idempotency_error` "Keys for idempotent requests can only be
 *   used with the same parameters they were first used with. Try using a key other than '<key>' if you
 *   meant to execute a different request." Requests refused by validation are not stored (Stripe stores
 *   results only once an endpoint starts executing), so a corrected retry with the same key goes through.
 * - Responses carry `Request-Id`, `Stripe-Version` (the request's, else `apiVersion`) and, on POST,
 *   `Idempotency-Key`. `expand[]` works for any field holding the id of an object the stand-in knows,
 *   including dotted paths and `data.` on lists; anything else → "This property cannot be expanded (<p>)."
 * - Endpoints: POST/GET `/v1/checkout/sessions[/:id]`, POST `/v1/billing_portal/sessions`, GET
 *   `/v1/invoice_payments?invoice=in_...` (also `payment[type]=payment_intent&payment[payment_intent]=pi_...`,
 *   `status`, `limit`, `starting_after`, `ending_before`) and `/v1/invoice_payments/:id`, GET and DELETE
 *   `/v1/subscriptions/:id`, and GET for payment_intents, charges, invoices, customers, refunds, disputes,
 *   prices, products and events by id.
 *
 * What completing a session creates (same code for the hosted page and the test API):
 *
 * - payment mode, card: payment_intent (succeeded, metadata = payment_intent_data.metadata, latest_charge)
 *   and charge (paid, captured, same metadata, billing_details.email). A Customer only with
 *   customer_creation=always, as Stripe does (default `if_required` leaves session.customer null; the email
 *   is then in customer_details). Events: checkout.session.completed, payment_intent.succeeded, charge.succeeded.
 * - payment mode, SEPA Direct Debit: checkout.session.completed with payment_status `unpaid` (intent
 *   `processing`, charge `pending`), payment_intent.processing, charge.pending; after `settle()` (the page
 *   settles by itself after `asyncDelayMs`): checkout.session.async_payment_succeeded (payment_status
 *   `paid`) + payment_intent.succeeded + charge.succeeded, or checkout.session.async_payment_failed +
 *   payment_intent.payment_failed + charge.failed. Not modelled for subscription mode.
 * - subscription mode: customer, subscription (active, metadata = subscription_data.metadata, the period on
 *   its item as in current API versions), first invoice (billing_reason subscription_create, paid,
 *   `parent.subscription_details` {subscription, metadata}), its invoice_payment → payment_intent →
 *   charge (metadata {} and description "Subscription creation", as Stripe's invoice payments have).
 *   Events: checkout.session.completed and invoice.paid (order set by `subscriptionEventOrder`), then
 *   customer.subscription.created. `renew()` adds a subscription_cycle invoice the same way + invoice.paid.
 *   Invoices keep the fixture's `subscription` key but set it to null: current API versions removed it
 *   (read `parent.subscription_details.subscription`); invoices and charges carry no payment_intent either.
 * - Events are `event` objects (api_version = `apiVersion`, request {id, idempotency_key} of the API call
 *   that caused them, else nulls), snapshots of the object at that moment; charge.refunded carries
 *   `previous_attributes` {amount_refunded, refunded}. Each is POSTed as pretty-printed JSON (as Stripe
 *   sends) to `webhookUrl` with `Content-Type: application/json; charset=utf-8`, `User-Agent: Stripe/1.0
 *   (+https://stripe.com/docs/webhooks)` and a `Stripe-Signature` computed anew for every attempt (Stripe
 *   re-signs retries). A non-2xx answer, a connection error or no answer within `webhookTimeoutMs` is
 *   retried after each of `retryDelaysMs` (Stripe retries "three times over a few hours" in test mode and
 *   for three days live; the stand-in is quicker), then given up. Delivery is asynchronous and, unlike
 *   Stripe, which promises no order, in order per Checkout Session (everything a session led to, renewals
 *   and refunds included): a retried event holds back the later ones of its session. Tests that need
 *   Stripe's disorder or duplicates use `deliver: false` with `events()` and `webhookRequest()`.
 *
 * Pages (self-contained HTML, inline CSS, no scripts, no external requests; plain forms posting back here):
 * `/c/pay/<session id>` (the session's `url`) and `/p/session/<token>` (the portal session's `url`; a secret
 * token, as Stripe's portal URLs are, not the session id). Paying answers 303 to success_url with
 * `{CHECKOUT_SESSION_ID}` replaced; Cancel answers 303 to cancel_url; a declined card answers 402 and
 * sends nothing. The portal cancels at once (customer.subscription.deleted); a real portal may be set up
 * to cancel at period end instead (customer.subscription.updated with cancel_at_period_end, deleted later).
 * Not modelled: expiry of sessions, failed renewals, refunds or disputes through the API, line item lists.
 */
import { createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { pageTexts, type PageTexts } from './stripe-stand-in-texts.ts'

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

export type PaymentMethodKind = 'card' | 'sepa'
export type SubscriptionEventOrder = 'session-first' | 'invoice-first' | 'random'

export type CompleteOptions = {
  method?: PaymentMethodKind
  /** card: 'succeeded' (default) or 'failed' (declined: nothing changes, no event). sepa: 'pending'
   * (default; call `settle()`), or 'succeeded'/'failed' to settle by itself after `asyncDelayMs`. */
  outcome?: 'succeeded' | 'failed' | 'pending'
  /** Ignored when the session was created with customer_email (Checkout shows it read-only). */
  email?: string
  name?: string
  /** Subscription mode: which of checkout.session.completed and invoice.paid is built first. */
  order?: SubscriptionEventOrder
}

export type CompleteResult = { declined: boolean; session: JsonObject }

export type DeliveryRecord = {
  eventId: string
  type: string
  attempt: number
  /** HTTP status answered, or null when the connection failed or timed out. */
  status: number | null
  error: string | null
  ok: boolean
  at: Date
}

export type RequestRecord = {
  method: string
  path: string
  query: ParamMap
  /** Form-decoded POST body ({} for GET and DELETE). */
  body: ParamMap
  /** The body as received. */
  rawBody: string
  /** Names in lower case. */
  headers: Record<string, string>
  status: number
  responseBody: JsonValue | string
  requestId: string | null
  idempotencyKey: string | null
  replayed: boolean
  at: Date
}

export type StripeStandInOptions = {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** The only accepted key. Default 'sk_test_vigil_stand_in'. */
  secretKey?: string
  webhookUrl?: string
  /** Signing secret of the webhook endpoint. Default 'whsec_vigil_stand_in'. */
  webhookSecret?: string
  /** False: build events (see `events()`) but never POST them. Default true (when webhookUrl is set). */
  deliver?: boolean
  /** Base of the page URLs handed out (session.url, portal url). Default the listening URL. */
  publicUrl?: string
  /** How long a SEPA payment paid on the page takes to settle. Default 3000 ms. */
  asyncDelayMs?: number
  /** Wait before each retry of a failed delivery. Default [1000, 5000, 30000]. */
  retryDelaysMs?: number[]
  /** Give up on a webhook attempt after this long. Default 10000 ms (Stripe does not publish its own). */
  webhookTimeoutMs?: number
  subscriptionEventOrder?: SubscriptionEventOrder
  /** Version events are rendered for, and the account default for requests without Stripe-Version. */
  apiVersion?: string
  /** One line per API request, page action and delivery attempt: never emails or secrets. */
  log?: (line: string) => void
  /** Keep the state in this JSON file (created with mode 0600: it holds donors' emails), read at start. */
  stateFile?: string
}

export type StripeStandIn = {
  /** Listening URL, `http://host:port`. */
  url: string
  host: string
  port: number
  secretKey: string
  webhookSecret: string
  /** Options for `new Stripe(secretKey, ...)` that point the SDK here. */
  sdkOptions: { host: string; port: number; protocol: 'http'; maxNetworkRetries: 0 }
  complete: (sessionId: string, options?: CompleteOptions) => CompleteResult
  settle: (sessionId: string, result: 'succeeded' | 'failed') => JsonObject
  renew: (subscriptionId: string) => JsonObject
  refund: (chargeId: string, amount?: number) => JsonObject
  dispute: (chargeId: string) => JsonObject
  closeDispute: (disputeId: string, result: 'won' | 'lost') => JsonObject
  cancel: (subscriptionId: string) => JsonObject
  /** Any object the stand-in holds, rendered now, or null. */
  object: (id: string) => JsonObject | null
  sessions: () => JsonObject[]
  /** Every event built, in order (delivered or not). */
  events: () => StripeEventJson[]
  deliveries: () => DeliveryRecord[]
  requests: () => RequestRecord[]
  /** The body and headers a webhook POST of this event carries now (freshly signed). */
  webhookRequest: (event: StripeEventJson) => { body: string; headers: Record<string, string> }
  /** Resolves once no delivery, retry or scheduled settlement is pending. */
  whenIdle: () => Promise<void>
  close: () => Promise<void>
}

// ---- Form parameters -------------------------------------------------------------------------------

type Param = string | ParamMap | Param[]
export type ParamMap = { [key: string]: Param }

/**
 * Decode `a[b][0][c]=v` into nested maps. Indexed keys stay maps ({ "0": ... }) as Stripe itself reads
 * them; `asList` turns them into arrays where a list is expected, so `metadata[0]=x` stays a hash.
 */
export function decodeParams(encoded: string): ParamMap {
  const root: ParamMap = {}
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey)
    const segments = match
      ? [match[1] ?? rawKey, ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1] ?? '')]
      : [rawKey]
    let node = root
    segments.forEach((segment, index) => {
      const key = segment === '' ? String(Object.keys(node).length) : segment
      if (index === segments.length - 1) {
        node[key] = value
        return
      }
      const next = node[key]
      if (isParamMap(next)) node = next
      else {
        const created: ParamMap = {}
        node[key] = created
        node = created
      }
    })
  }
  return root
}

function isParamMap(value: Param | undefined): value is ParamMap {
  return typeof value === 'object' && !Array.isArray(value)
}

// ---- Errors ---------------------------------------------------------------------------------------------

class ApiError extends Error {
  readonly status: number
  readonly type: 'invalid_request_error' | 'idempotency_error' | 'api_error'
  readonly code: string | undefined
  readonly param: string | undefined

  constructor(status: number, type: ApiError['type'], message: string, code?: string, param?: string) {
    super(message)
    this.status = status
    this.type = type
    this.code = code
    this.param = param
  }

  body(): JsonObject {
    const error: JsonObject = {}
    if (this.code) {
      error.code = this.code
      error.doc_url = `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}`
    }
    error.message = this.message
    if (this.param) error.param = this.param
    error.type = this.type
    return { error }
  }
}

const invalid = (message: string, param?: string, code?: string) =>
  new ApiError(400, 'invalid_request_error', message, code, param)
const missingParam = (param: string) => invalid(`Missing required param: ${param}.`, param, 'parameter_missing')
const unknownParam = (param: string) => invalid(`Received unknown parameter: ${param}`, param, 'parameter_unknown')
const unsupportedParam = (param: string) =>
  invalid(
    `The Stripe stand-in does not model \`${param}\` (real Stripe accepts it); extend server/stripe-stand-in.ts before sending it.`,
    param,
    'stand_in_unsupported_parameter',
  )
const noSuch = (object: string, id: string, param: string) =>
  new ApiError(404, 'invalid_request_error', `No such ${object}: '${id}'`, 'resource_missing', param)
const mustBeOneOf = (param: string, values: readonly string[]) =>
  invalid(`Invalid ${param}: must be one of ${values.slice(0, -1).join(', ')} or ${values.at(-1) ?? ''}`, param)

/** Refuse parameters Stripe does not know, and those it knows that the stand-in does not model. */
function checkKeys(map: ParamMap, known: readonly string[], modelled: readonly string[], prefix = '') {
  for (const key of Object.keys(map)) {
    const name = prefix ? `${prefix}[${key}]` : key
    if (!known.includes(key)) throw unknownParam(name)
    if (!modelled.includes(key)) throw unsupportedParam(name)
  }
}

function optString(map: ParamMap, key: string, param: string): string | null {
  const value = map[key]
  if (value === undefined || value === '') return null
  if (typeof value !== 'string') throw invalid(`Invalid string: ${describeParam(value)}`, param)
  return value
}

function optMap(map: ParamMap, key: string, param: string): ParamMap | null {
  const value = map[key]
  if (value === undefined || value === '') return null
  if (!isParamMap(value)) throw invalid('Invalid hash', param)
  return value
}

function optInteger(map: ParamMap, key: string, param: string): number | null {
  const value = optString(map, key, param)
  if (value === null) return null
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalid(`Invalid integer: ${value}`, param, 'parameter_invalid_integer')
  }
  return Number(value)
}

function optBoolean(map: ParamMap, key: string, param: string): boolean | null {
  const value = optString(map, key, param)
  if (value === null) return null
  if (value !== 'true' && value !== 'false') throw invalid(`Invalid boolean: ${value}`, param)
  return value === 'true'
}

function optEnum<T extends string>(map: ParamMap, key: string, values: readonly T[], param = key): T | null {
  const value = optString(map, key, param)
  if (value === null) return null
  const found = values.find((candidate) => candidate === value)
  if (found === undefined) throw mustBeOneOf(param, values)
  return found
}

/** A list param: an array, or a map keyed 0..n-1 as the SDK's `x[0]=` encoding decodes to. */
function asList(value: Param, param: string): Param[] {
  if (Array.isArray(value)) return value
  if (isParamMap(value)) {
    const keys = Object.keys(value)
    if (keys.every((key, index) => key === String(index))) return keys.map((key) => value[key] ?? '')
  }
  throw invalid('Invalid array', param)
}

function describeParam(value: Param): string {
  return JSON.stringify(value)
}

function readUrl(map: ParamMap, key: string): string | null {
  const value = optString(map, key, key)
  if (value === null) return null
  let parsed: URL
  try {
    parsed = new URL(value.replace('{CHECKOUT_SESSION_ID}', 'placeholder'))
  } catch {
    throw invalid('Not a valid URL', key, 'url_invalid')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid('Not a valid URL', key, 'url_invalid')
  return value
}

/** Metadata as Stripe stores it: strings only; an empty value means "not set". Limits from Stripe's docs. */
function readMetadata(map: ParamMap, key: string, param: string): Record<string, string> {
  const value = optMap(map, key, param)
  if (value === null) return {}
  const entries = Object.entries(value)
  if (entries.length > 50) throw invalid(`Metadata can have at most 50 keys (${param}).`, param)
  const metadata: Record<string, string> = {}
  for (const [name, entry] of entries) {
    const path = `${param}[${name}]`
    if (typeof entry !== 'string') throw invalid(`Invalid string: ${describeParam(entry)}`, path)
    if (name.length > 40) throw invalid(`Metadata keys can be at most 40 characters long (${path}).`, path)
    if (entry.length > 500) throw invalid(`Metadata values can be at most 500 characters long (${path}).`, path)
    if (entry !== '') metadata[name] = entry
  }
  return metadata
}

// ---- Parameter lists (stripe@23.1.0 types: Checkout.SessionCreateParams and friends) -------------------

const SESSION_PARAMS = [
  'adaptive_pricing', 'after_expiration', 'allow_promotion_codes', 'allowed_payment_method_types', 'automatic_tax',
  'billing_address_collection', 'branding_settings', 'cancel_url', 'client_reference_id', 'consent_collection',
  'currency', 'custom_fields', 'custom_text', 'customer', 'customer_account', 'customer_creation', 'customer_email',
  'customer_update', 'discounts', 'excluded_payment_method_types', 'expand', 'expires_at', 'integration_identifier',
  'invoice_creation', 'line_items', 'locale', 'managed_payments', 'metadata', 'mode', 'name_collection',
  'optional_items', 'origin_context', 'payment_intent_data', 'payment_method_collection',
  'payment_method_configuration', 'payment_method_data', 'payment_method_options', 'payment_method_types',
  'permissions', 'phone_number_collection', 'redirect_on_completion', 'return_url', 'saved_payment_method_options',
  'setup_intent_data', 'shipping_address_collection', 'shipping_options', 'submit_type', 'subscription_data',
  'success_url', 'tax_id_collection', 'ui_mode', 'wallet_options',
] as const
const SESSION_MODELLED = [
  'cancel_url', 'client_reference_id', 'customer', 'customer_creation', 'customer_email', 'expand', 'line_items',
  'locale', 'metadata', 'mode', 'payment_intent_data', 'submit_type', 'subscription_data', 'success_url',
] as const
const LINE_ITEM_PARAMS = ['adjustable_quantity', 'metadata', 'price', 'price_data', 'quantity', 'tax_rates'] as const
const LINE_ITEM_MODELLED = ['metadata', 'price', 'price_data', 'quantity'] as const
const PRICE_DATA_PARAMS = [
  'currency', 'product', 'product_data', 'recurring', 'tax_behavior', 'unit_amount', 'unit_amount_decimal',
] as const
const PRICE_DATA_MODELLED = ['currency', 'product', 'product_data', 'recurring', 'tax_behavior', 'unit_amount'] as const
const PRODUCT_DATA_PARAMS = ['description', 'images', 'metadata', 'name', 'tax_code', 'tax_details', 'unit_label'] as const
const PRODUCT_DATA_MODELLED = ['description', 'metadata', 'name'] as const
const RECURRING_PARAMS = ['interval', 'interval_count'] as const
const PAYMENT_INTENT_DATA_PARAMS = [
  'application_fee_amount', 'capture_method', 'description', 'metadata', 'on_behalf_of', 'receipt_email',
  'setup_future_usage', 'shipping', 'statement_descriptor', 'statement_descriptor_suffix', 'transfer_data',
  'transfer_group',
] as const
const SUBSCRIPTION_DATA_PARAMS = [
  'application_fee_percent', 'billing_cycle_anchor', 'billing_cycle_anchor_config', 'billing_mode',
  'default_tax_rates', 'description', 'invoice_settings', 'metadata', 'on_behalf_of', 'pending_invoice_item_interval',
  'proration_behavior', 'transfer_data', 'trial_end', 'trial_period_days', 'trial_settings',
] as const
const INTENT_DATA_MODELLED = ['description', 'metadata'] as const
const PORTAL_PARAMS = [
  'after_expiration', 'configuration', 'customer', 'customer_account', 'expand', 'flow_data', 'locale',
  'on_behalf_of', 'return_url',
] as const
const PORTAL_MODELLED = ['configuration', 'customer', 'expand', 'locale', 'return_url'] as const
const INVOICE_PAYMENT_LIST_PARAMS = [
  'created', 'ending_before', 'expand', 'invoice', 'limit', 'payment', 'starting_after', 'status',
] as const
const INVOICE_PAYMENT_LIST_MODELLED = [
  'ending_before', 'expand', 'invoice', 'limit', 'payment', 'starting_after', 'status',
] as const
const CANCEL_PARAMS = ['cancellation_details', 'expand', 'invoice_now', 'prorate'] as const

const MODES = ['payment', 'setup', 'subscription'] as const
const SUBMIT_TYPES = ['auto', 'book', 'donate', 'pay', 'subscribe'] as const
const LOCALES = [
  'auto', 'bg', 'cs', 'da', 'de', 'el', 'en', 'en-GB', 'es', 'es-419', 'et', 'fi', 'fil', 'fr', 'fr-CA', 'hi-IN',
  'hr', 'hu', 'id', 'it', 'ja', 'ko', 'lt', 'lv', 'ms', 'mt', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sk',
  'sl', 'sv', 'th', 'tr', 'vi', 'zh', 'zh-HK', 'zh-TW',
] as const
const INTERVALS = ['day', 'week', 'month', 'year'] as const
const MAX_INTERVAL_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 }
/** Stripe accepted submit_type in subscription mode from this API version on. */
const SUBMIT_TYPE_IN_SUBSCRIPTIONS_SINCE = '2024-11-20'
const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, chf: 50, cad: 50, aud: 50, gbp: 30 }
const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
])
const DEFAULT_PORTAL_CONFIGURATION = 'bpc_1VigilStandInDefault00'
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
const MAX_BODY_BYTES = 1024 * 1024

// ---- State ----------------------------------------------------------------------------------------------

type Interval = (typeof INTERVALS)[number]
type Metadata = Record<string, string>
type Person = { email: string; name: string }

type PriceRecord = {
  id: string
  productId: string
  currency: string
  unitAmount: number
  recurring: { interval: Interval; intervalCount: number } | null
  created: number
}
type ProductRecord = { id: string; name: string; description: string | null; metadata: Metadata; created: number }
type SessionRecord = {
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
type CustomerRecord = {
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
type Failure = { code: string; message: string }
type IntentRecord = {
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
type ChargeRecord = {
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
type SubscriptionRecord = {
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
type InvoiceRecord = {
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
type InvoicePaymentRecord = {
  id: string
  created: number
  invoice: string
  paymentIntent: string
  amount: number
  currency: string
  paidAt: number
}
type RefundRecord = {
  id: string
  created: number
  amount: number
  currency: string
  charge: string
  paymentIntent: string
  method: PaymentMethodKind
  balanceTransaction: string
}
type DisputeRecord = {
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
type PortalRecord = {
  id: string
  created: number
  customer: string
  returnUrl: string | null
  locale: string | null
  token: string
}
type RequestRef = { id: string | null; idempotency_key: string | null }
type Answer = { status: number; body: JsonObject; headers: Record<string, string>; replayed: boolean }
type Route = {
  method: 'GET' | 'POST' | 'DELETE'
  pattern: RegExp
  handle: (match: RegExpExecArray, params: ParamMap, context: RequestContext) => JsonObject
}
type RequestContext = { ref: RequestRef; stripeVersion: string }

// ---- Small helpers ---------------------------------------------------------------------------------------

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function token(length: number): string {
  let out = ''
  for (const byte of randomBytes(length)) out += ALPHABET.charAt(byte % ALPHABET.length)
  return out
}

function newId(prefix: string, length = 24): string {
  return `${prefix}_${token(length)}`
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function addInterval(seconds: number, interval: Interval, count: number): number {
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

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

function headerRecord(request: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

/** JSON with object keys sorted, so equal parameters compare equal whatever their order. */
function canonical(value: Param): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key] ?? '')}`).join(',')}}`
}

function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? ''
  const rest = key.slice(prefix.length)
  return `${prefix}${'*'.repeat(Math.max(0, rest.length - 4))}${rest.slice(-4)}`
}

/** `Stripe-Signature` header value for `payload`: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`. */
export function signPayload(payload: string, secret: string, timestamp = nowSeconds()): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')
  return `t=${timestamp},v1=${signature}`
}

function isRecord(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// ---- The stand-in ----------------------------------------------------------------------------------------

export async function startStripeStandIn(options: StripeStandInOptions = {}): Promise<StripeStandIn> {
  const secretKey = options.secretKey ?? 'sk_test_vigil_stand_in'
  const webhookSecret = options.webhookSecret ?? 'whsec_vigil_stand_in'
  const apiVersion = options.apiVersion ?? STRIPE_API_VERSION
  const asyncDelayMs = options.asyncDelayMs ?? 3000
  const retryDelaysMs = options.retryDelaysMs ?? [1000, 5000, 30000]
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000
  const defaultOrder = options.subscriptionEventOrder ?? 'session-first'
  const deliver = options.deliver ?? true
  const webhookUrl = options.webhookUrl ? new URL(options.webhookUrl) : null
  const log = options.log ?? (() => {})

  const products = new Map<string, ProductRecord>()
  const prices = new Map<string, PriceRecord>()
  const sessions = new Map<string, SessionRecord>()
  const customers = new Map<string, CustomerRecord>()
  const intents = new Map<string, IntentRecord>()
  const charges = new Map<string, ChargeRecord>()
  const subscriptions = new Map<string, SubscriptionRecord>()
  const invoices = new Map<string, InvoiceRecord>()
  const invoicePayments = new Map<string, InvoicePaymentRecord>()
  const refunds = new Map<string, RefundRecord>()
  const disputes = new Map<string, DisputeRecord>()
  const portals = new Map<string, PortalRecord>()
  const portalsByToken = new Map<string, PortalRecord>()
  const eventList: StripeEventJson[] = []
  const eventsById = new Map<string, StripeEventJson>()
  const deliveryLog: DeliveryRecord[] = []
  const requestLog: RequestRecord[] = []
  const idempotency = new Map<
    string,
    { fingerprint: string; answer: Answer; requestId: string; storedAt: number }
  >()

  // Delivery bookkeeping: one promise chain per session keeps its events in order.
  const queues = new Map<string, Promise<void>>()
  let pending = 0
  let idleWaiters: (() => void)[] = []
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  const inFlight = new Set<http.ClientRequest>()
  let closed = false

  function settleIdle() {
    if (pending > 0) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          sleepers.delete(entry)
          resolve()
        }, ms),
        resolve,
      }
      sleepers.add(entry)
    })
  }

  // ---- Rendering: field names and nesting as in the fixtures, values from the records ----

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
      url: complete ? null : `${publicUrl}/c/pay/${session.id}`,
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
      url: `${publicUrl}/p/session/${portal.token}`,
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

  // ---- Events and delivery ----

  function emit(
    type: string,
    object: JsonObject,
    group: string,
    ref: RequestRef | null,
    previous?: JsonObject,
  ): StripeEventJson {
    const data: StripeEventJson['data'] = { object }
    if (previous) data.previous_attributes = previous
    const event: StripeEventJson = {
      id: newId('evt'),
      object: 'event',
      api_version: apiVersion,
      created: nowSeconds(),
      data,
      livemode: false,
      pending_webhooks: webhookUrl && deliver ? 1 : 0,
      request: ref ? { ...ref } : { id: null, idempotency_key: null },
      type,
    }
    eventList.push(event)
    eventsById.set(event.id, event)
    queueDelivery(event, group)
    return event
  }

  /** Events queued for delivery and not yet answered 2xx (or given up on): delivered again after a restart. */
  const undelivered = new Map<string, string>()

  function queueDelivery(event: StripeEventJson, group: string) {
    if (webhookUrl && deliver && !closed) {
      undelivered.set(event.id, group)
      pending += 1
      const previousInQueue = queues.get(group) ?? Promise.resolve()
      const next = previousInQueue
        .then(() => deliverEvent(webhookUrl, event))
        .catch((error: unknown) => log(`stripe stand-in: delivery of ${event.id} crashed: ${String(error)}`))
        .finally(() => {
          // close() zeroes the count while deliveries may still be unwinding.
          pending = Math.max(0, pending - 1)
          if (queues.get(group) === next) queues.delete(group)
          settleIdle()
        })
      queues.set(group, next)
    }
  }

  function webhookRequest(event: StripeEventJson): { body: string; headers: Record<string, string> } {
    // Stripe sends events pretty-printed; verifying must use these exact bytes, not a re-serialisation.
    const body = JSON.stringify(event, null, 2)
    return {
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        accept: '*/*; q=0.5, application/xml',
        'cache-control': 'no-cache',
        'stripe-signature': signPayload(body, webhookSecret),
      },
    }
  }

  async function deliverEvent(target: URL, event: StripeEventJson): Promise<void> {
    for (let attempt = 1; !closed; attempt++) {
      const { body, headers } = webhookRequest(event)
      let status: number | null = null
      let error: string | null = null
      try {
        status = await postWebhook(target, body, headers)
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught)
      }
      const ok = status !== null && status >= 200 && status < 300
      deliveryLog.push({ eventId: event.id, type: event.type, attempt, status, error, ok, at: new Date() })
      log(`stripe stand-in: webhook ${event.type} ${event.id} attempt ${attempt} → ${status ?? error ?? 'no answer'}`)
      if (closed) return
      if (ok) {
        undelivered.delete(event.id)
        return
      }
      const delay = retryDelaysMs[attempt - 1]
      if (delay === undefined) {
        log(`stripe stand-in: gave up on ${event.id} after ${attempt} attempts`)
        undelivered.delete(event.id)
        return
      }
      await sleep(delay)
    }
  }

  function postWebhook(target: URL, body: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const client = target.protocol === 'https:' ? https : http
      const request = client.request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: false,
          timeout: webhookTimeoutMs,
        },
        (response) => {
          response.resume()
          response.on('end', () => {
            inFlight.delete(request)
            resolve(response.statusCode ?? 0)
          })
          response.on('error', (error) => {
            inFlight.delete(request)
            reject(error)
          })
        },
      )
      request.on('timeout', () => request.destroy(new Error(`no answer within ${webhookTimeoutMs} ms`)))
      request.on('error', (error) => {
        inFlight.delete(request)
        reject(error)
      })
      inFlight.add(request)
      request.end(body)
    })
  }

  // ---- Payment simulation (shared by the pages and the test API) ----

  function requireSession(id: string): SessionRecord {
    const session = sessions.get(id)
    if (!session) throw new Error(`stripe stand-in: no Checkout Session ${id}`)
    return session
  }

  function createCustomer(person: Person, currency: string, locale: string | null): CustomerRecord {
    const customer: CustomerRecord = {
      id: newId('cus', 14),
      created: nowSeconds(),
      email: person.email,
      name: person.name,
      currency,
      locale,
      invoicePrefix: token(8).toUpperCase(),
      nextInvoiceSequence: 1,
      defaultPaymentMethod: null,
    }
    customers.set(customer.id, customer)
    return customer
  }

  function createPayment(input: {
    amount: number
    currency: string
    customer: string | null
    metadata: Metadata
    description: string | null
    method: PaymentMethodKind
    settled: boolean
    person: Person
    paymentMethod: string
    group: string
  }): { intent: IntentRecord; charge: ChargeRecord } {
    const created = nowSeconds()
    const intentId = newId('pi')
    const chargeId = newId('ch')
    const intent: IntentRecord = {
      id: intentId,
      created,
      amount: input.amount,
      currency: input.currency,
      customer: input.customer,
      metadata: { ...input.metadata },
      description: input.description,
      method: input.method,
      status: input.settled ? 'succeeded' : 'processing',
      latestCharge: chargeId,
      paymentMethod: input.paymentMethod,
      failure: null,
      clientSecret: `${intentId}_secret_${token(25)}`,
      group: input.group,
    }
    const charge: ChargeRecord = {
      id: chargeId,
      created,
      amount: input.amount,
      currency: input.currency,
      customer: input.customer,
      // A charge carries the metadata of its payment intent.
      metadata: { ...input.metadata },
      description: input.description,
      paymentIntent: intentId,
      paymentMethod: input.paymentMethod,
      method: input.method,
      status: input.settled ? 'succeeded' : 'pending',
      amountRefunded: 0,
      refunds: [],
      disputed: false,
      person: input.person,
      failure: null,
      balanceTransaction: newId('txn'),
      group: input.group,
    }
    intents.set(intent.id, intent)
    charges.set(charge.id, charge)
    return { intent, charge }
  }

  /** An invoice for a subscription period, paid by card: invoice, invoice_payment, payment_intent, charge. */
  function createPaidInvoice(
    subscription: SubscriptionRecord,
    billingReason: InvoiceRecord['billingReason'],
    person: Person,
  ): InvoiceRecord {
    const customer = customers.get(subscription.customer)
    const price = priceOf(subscription.priceId)
    const amount = price.unitAmount * subscription.quantity
    const { intent } = createPayment({
      amount,
      currency: price.currency,
      customer: subscription.customer,
      // Stripe's invoice payments carry no metadata: the donation's metadata is on the invoice's parent.
      metadata: {},
      description: billingReason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
      method: 'card',
      settled: true,
      person,
      paymentMethod: subscription.paymentMethod,
      group: subscription.group,
    })
    const created = nowSeconds()
    const sequence = customer ? customer.nextInvoiceSequence : 1
    if (customer) customer.nextInvoiceSequence += 1
    const invoice: InvoiceRecord = {
      id: newId('in'),
      created,
      number: `${customer?.invoicePrefix ?? 'VIGIL'}-${String(sequence).padStart(4, '0')}`,
      customer: subscription.customer,
      person,
      subscription: subscription.id,
      subscriptionMetadata: { ...subscription.metadata },
      billingReason,
      amount,
      currency: price.currency,
      priceId: price.id,
      quantity: subscription.quantity,
      lineId: newId('il'),
      periodStart: subscription.periodStart,
      periodEnd: subscription.periodEnd,
      paidAt: created,
      paymentIntent: intent.id,
      group: subscription.group,
    }
    invoices.set(invoice.id, invoice)
    const payment: InvoicePaymentRecord = {
      id: newId('inpay'),
      created,
      invoice: invoice.id,
      paymentIntent: intent.id,
      amount,
      currency: price.currency,
      paidAt: created,
    }
    invoicePayments.set(payment.id, payment)
    subscription.latestInvoice = invoice.id
    return invoice
  }

  function complete(sessionId: string, completeOptions: CompleteOptions = {}): CompleteResult {
    const session = requireSession(sessionId)
    if (session.status !== 'open') throw new Error(`stripe stand-in: Checkout Session ${sessionId} is already complete`)
    const method = completeOptions.method ?? 'card'
    const outcome = completeOptions.outcome ?? (method === 'card' ? 'succeeded' : 'pending')
    if (method === 'card' && outcome === 'pending') throw new Error('stripe stand-in: card payments do not stay pending')
    if (method === 'sepa' && session.mode === 'subscription') {
      throw new Error('stripe stand-in: SEPA Direct Debit is modelled for payment mode only')
    }
    if (method === 'card' && outcome === 'failed') {
      // Checkout keeps the session open and sends nothing for a declined card.
      session.declines += 1
      log(`stripe stand-in: card declined on ${session.id}`)
      return { declined: true, session: renderSession(session) }
    }
    const existing = session.customer ? customers.get(session.customer) : undefined
    const person: Person = {
      email: session.customerEmail ?? existing?.email ?? completeOptions.email ?? 'supporter@example.org',
      name: completeOptions.name?.trim() || 'Demo Supporter',
    }
    const needsCustomer = session.mode === 'subscription' || session.customerCreation === 'always'
    const customer = existing
      ? existing
      : needsCustomer
        ? createCustomer(person, session.currency, session.locale)
        : null
    session.customer = customer?.id ?? null
    session.details = person
    session.status = 'complete'
    const paymentMethod = newId('pm')
    if (customer) customer.defaultPaymentMethod = session.mode === 'subscription' ? paymentMethod : null
    const group = session.id

    if (session.mode === 'payment') {
      const settled = method === 'card'
      const { intent, charge } = createPayment({
        amount: session.amount,
        currency: session.currency,
        customer: session.customer,
        metadata: session.intentMetadata,
        description: session.intentDescription,
        method,
        settled,
        person,
        paymentMethod,
        group,
      })
      session.paymentIntent = intent.id
      session.paymentStatus = settled ? 'paid' : 'unpaid'
      emit('checkout.session.completed', renderSession(session), group, null)
      if (settled) {
        emit('payment_intent.succeeded', renderIntent(intent), group, null)
        emit('charge.succeeded', renderCharge(charge), group, null)
      } else {
        emit('payment_intent.processing', renderIntent(intent), group, null)
        emit('charge.pending', renderCharge(charge), group, null)
        if (outcome !== 'pending') scheduleSettlement(session.id, outcome)
      }
      return { declined: false, session: renderSession(session) }
    }

    const created = nowSeconds()
    const price = priceOf(session.priceId)
    const recurring = price.recurring ?? { interval: 'month' as const, intervalCount: 1 }
    const subscription: SubscriptionRecord = {
      id: newId('sub'),
      created,
      customer: customer?.id ?? '',
      priceId: price.id,
      quantity: session.quantity,
      metadata: { ...session.subscriptionMetadata },
      description: session.subscriptionDescription,
      status: 'active',
      periodStart: created,
      periodEnd: addInterval(created, recurring.interval, recurring.intervalCount),
      latestInvoice: null,
      itemId: newId('si', 14),
      paymentMethod,
      canceledAt: null,
      cancellation: { comment: null, feedback: null, reason: null },
      group,
    }
    subscriptions.set(subscription.id, subscription)
    const invoice = createPaidInvoice(subscription, 'subscription_create', person)
    session.subscription = subscription.id
    session.invoice = invoice.id
    session.paymentStatus = 'paid'
    const order = completeOptions.order ?? defaultOrder
    const invoiceFirst = order === 'invoice-first' || (order === 'random' && Math.random() < 0.5)
    const sessionEvent = () => emit('checkout.session.completed', renderSession(session), group, null)
    const invoiceEvent = () => emit('invoice.paid', renderInvoice(invoice), group, null)
    if (invoiceFirst) {
      invoiceEvent()
      sessionEvent()
    } else {
      sessionEvent()
      invoiceEvent()
    }
    emit('customer.subscription.created', renderSubscription(subscription), group, null)
    return { declined: false, session: renderSession(session) }
  }

  const settlementTimers = new Map<NodeJS.Timeout, { sessionId: string; result: 'succeeded' | 'failed'; dueAt: number }>()

  function scheduleSettlement(sessionId: string, result: 'succeeded' | 'failed', dueAt = Date.now() + asyncDelayMs) {
    pending += 1
    const timer = setTimeout(() => {
      settlementTimers.delete(timer)
      try {
        if (!closed) {
          settle(sessionId, result)
          saveState()
        }
      } catch (error) {
        log(`stripe stand-in: settling ${sessionId} failed: ${String(error)}`)
      } finally {
        pending = Math.max(0, pending - 1)
        settleIdle()
      }
    }, Math.max(0, dueAt - Date.now()))
    settlementTimers.set(timer, { sessionId, result, dueAt })
  }

  function settle(sessionId: string, result: 'succeeded' | 'failed'): JsonObject {
    const session = requireSession(sessionId)
    const intent = session.paymentIntent ? intents.get(session.paymentIntent) : undefined
    if (!intent || intent.status !== 'processing') {
      throw new Error(`stripe stand-in: Checkout Session ${sessionId} has no payment waiting to settle`)
    }
    const charge = charges.get(intent.latestCharge)
    if (!charge) throw new Error(`stripe stand-in: payment intent ${intent.id} has no charge`)
    const group = session.id
    if (result === 'succeeded') {
      intent.status = 'succeeded'
      charge.status = 'succeeded'
      session.paymentStatus = 'paid'
      emit('checkout.session.async_payment_succeeded', renderSession(session), group, null)
      emit('payment_intent.succeeded', renderIntent(intent), group, null)
      emit('charge.succeeded', renderCharge(charge), group, null)
    } else {
      const failure = { code: 'insufficient_funds', message: 'The account has insufficient funds to cover this payment.' }
      intent.status = 'requires_payment_method'
      intent.failure = failure
      charge.status = 'failed'
      charge.failure = failure
      emit('checkout.session.async_payment_failed', renderSession(session), group, null)
      emit('payment_intent.payment_failed', renderIntent(intent), group, null)
      emit('charge.failed', renderCharge(charge), group, null)
    }
    return renderSession(session)
  }

  function requireSubscription(id: string): SubscriptionRecord {
    const subscription = subscriptions.get(id)
    if (!subscription) throw new Error(`stripe stand-in: no subscription ${id}`)
    return subscription
  }

  function renew(subscriptionId: string): JsonObject {
    const subscription = requireSubscription(subscriptionId)
    if (subscription.status !== 'active') throw new Error(`stripe stand-in: subscription ${subscriptionId} is canceled`)
    const price = priceOf(subscription.priceId)
    const recurring = price.recurring ?? { interval: 'month' as const, intervalCount: 1 }
    subscription.periodStart = subscription.periodEnd
    subscription.periodEnd = addInterval(subscription.periodStart, recurring.interval, recurring.intervalCount)
    const customer = customers.get(subscription.customer)
    const person = { email: customer?.email ?? 'supporter@example.org', name: customer?.name ?? 'Demo Supporter' }
    const invoice = createPaidInvoice(subscription, 'subscription_cycle', person)
    const rendered = renderInvoice(invoice)
    emit('invoice.paid', rendered, subscription.group, null)
    return rendered
  }

  function requireCharge(id: string): ChargeRecord {
    const charge = charges.get(id)
    if (!charge) throw new Error(`stripe stand-in: no charge ${id}`)
    return charge
  }

  function refund(chargeId: string, amount?: number): JsonObject {
    const charge = requireCharge(chargeId)
    if (charge.status !== 'succeeded') throw new Error(`stripe stand-in: charge ${chargeId} is ${charge.status}`)
    const remaining = charge.amount - charge.amountRefunded
    const value = amount ?? remaining
    if (!Number.isInteger(value) || value <= 0 || value > remaining) {
      throw new Error(
        `stripe stand-in: refund of ${value} is not between 1 and the unrefunded ${remaining} on ${chargeId}`,
      )
    }
    const previous: JsonObject = { amount_refunded: charge.amountRefunded, refunded: charge.amountRefunded === charge.amount }
    const record: RefundRecord = {
      id: newId('re'),
      created: nowSeconds(),
      amount: value,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: charge.paymentIntent,
      method: charge.method,
      balanceTransaction: newId('txn'),
    }
    refunds.set(record.id, record)
    charge.refunds.push(record.id)
    charge.amountRefunded += value
    emit('charge.refunded', renderCharge(charge), charge.group, null, previous)
    return renderRefund(record)
  }

  function dispute(chargeId: string): JsonObject {
    const charge = requireCharge(chargeId)
    if (charge.status !== 'succeeded') throw new Error(`stripe stand-in: charge ${chargeId} is ${charge.status}`)
    const created = nowSeconds()
    const record: DisputeRecord = {
      id: newId('dp'),
      created,
      amount: charge.amount - charge.amountRefunded,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: charge.paymentIntent,
      method: charge.method,
      status: 'needs_response',
      dueBy: created + 7 * 24 * 60 * 60,
    }
    disputes.set(record.id, record)
    charge.disputed = true
    const rendered = renderDispute(record)
    emit('charge.dispute.created', rendered, charge.group, null)
    return rendered
  }

  function closeDispute(disputeId: string, result: 'won' | 'lost'): JsonObject {
    const record = disputes.get(disputeId)
    if (!record) throw new Error(`stripe stand-in: no dispute ${disputeId}`)
    if (record.status !== 'needs_response') throw new Error(`stripe stand-in: dispute ${disputeId} is already ${record.status}`)
    record.status = result
    const rendered = renderDispute(record)
    emit('charge.dispute.closed', rendered, charges.get(record.charge)?.group ?? record.charge, null)
    return rendered
  }

  function cancelSubscription(
    subscriptionId: string,
    ref: RequestRef | null,
    details: { comment: string | null; feedback: string | null } = { comment: null, feedback: null },
  ): JsonObject {
    const subscription = requireSubscription(subscriptionId)
    if (subscription.status === 'canceled') throw new Error(`stripe stand-in: subscription ${subscriptionId} is already canceled`)
    subscription.status = 'canceled'
    subscription.canceledAt = nowSeconds()
    subscription.cancellation = { ...details, reason: 'cancellation_requested' }
    const rendered = renderSubscription(subscription)
    emit('customer.subscription.deleted', rendered, subscription.group, ref)
    return rendered
  }

  // ---- API endpoints ----

  function createCheckoutSession(params: ParamMap, context: RequestContext): JsonObject {
    checkKeys(params, SESSION_PARAMS, SESSION_MODELLED)
    const modeValue = optEnum(params, 'mode', MODES)
    if (modeValue === null) throw missingParam('mode')
    if (modeValue === 'setup') throw unsupportedParam('mode')
    const mode = modeValue
    if (params.payment_intent_data !== undefined && mode !== 'payment') {
      throw invalid(`You can not pass \`payment_intent_data\` in \`${mode}\` mode.`, 'payment_intent_data')
    }
    if (params.subscription_data !== undefined && mode !== 'subscription') {
      throw invalid(`You can not pass \`subscription_data\` in \`${mode}\` mode.`, 'subscription_data')
    }
    if (params.customer_creation !== undefined && mode !== 'payment') {
      throw invalid('`customer_creation` can only be used in `payment` mode.', 'customer_creation')
    }
    const customerCreation = optEnum(params, 'customer_creation', ['always', 'if_required'] as const)
    const submitType = optEnum(params, 'submit_type', SUBMIT_TYPES)
    if (submitType !== null && mode === 'subscription' && context.stripeVersion < SUBMIT_TYPE_IN_SUBSCRIPTIONS_SINCE) {
      throw params.subscription_data !== undefined
        ? invalid('You may only specify one of these parameters: submit_type, subscription_data.', 'submit_type')
        : invalid('You can not pass `submit_type` in `subscription` mode.', 'submit_type')
    }
    const locale = optEnum(params, 'locale', LOCALES)
    const customerId = optString(params, 'customer', 'customer')
    const customerEmail = optString(params, 'customer_email', 'customer_email')
    if (customerId !== null && customerEmail !== null) {
      throw invalid('You may only specify one of these parameters: customer, customer_email.', 'customer')
    }
    if (customerId !== null && !customers.has(customerId)) throw noSuch('customer', customerId, 'customer')
    if (customerEmail !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(customerEmail)) {
      throw invalid(`Invalid email address: ${customerEmail}`, 'customer_email', 'email_invalid')
    }
    const successUrl = readUrl(params, 'success_url')
    const cancelUrl = readUrl(params, 'cancel_url')
    const clientReferenceId = optString(params, 'client_reference_id', 'client_reference_id')
    if (clientReferenceId !== null && clientReferenceId.length > 200) {
      throw invalid('client_reference_id can be at most 200 characters long.', 'client_reference_id')
    }
    const metadata = readMetadata(params, 'metadata', 'metadata')

    const intentData = optMap(params, 'payment_intent_data', 'payment_intent_data')
    if (intentData) checkKeys(intentData, PAYMENT_INTENT_DATA_PARAMS, INTENT_DATA_MODELLED, 'payment_intent_data')
    const subscriptionData = optMap(params, 'subscription_data', 'subscription_data')
    if (subscriptionData) checkKeys(subscriptionData, SUBSCRIPTION_DATA_PARAMS, INTENT_DATA_MODELLED, 'subscription_data')

    // Line items: exactly one, with inline price_data (Vigil has no catalog of prices).
    if (params.line_items === undefined || params.line_items === '') throw missingParam('line_items')
    const lines = asList(params.line_items, 'line_items')
    if (lines.length === 0) throw missingParam('line_items')
    if (lines.length > 1) throw unsupportedParam('line_items[1]')
    const line = lines[0]
    if (line === undefined || !isParamMap(line)) throw invalid('Invalid hash', 'line_items[0]')
    checkKeys(line, LINE_ITEM_PARAMS, LINE_ITEM_MODELLED, 'line_items[0]')
    readMetadata(line, 'metadata', 'line_items[0][metadata]')
    const priceParam = optString(line, 'price', 'line_items[0][price]')
    const priceData = optMap(line, 'price_data', 'line_items[0][price_data]')
    if (priceParam !== null && priceData !== null) {
      throw invalid('You may only specify one of these parameters: price, price_data.', 'line_items[0][price]')
    }
    if (priceParam !== null) throw noSuch('price', priceParam, 'line_items[0][price]')
    if (priceData === null) {
      throw invalid('You must provide either price or price_data for each line item when using prices.', 'line_items[0]')
    }
    const pd = 'line_items[0][price_data]'
    checkKeys(priceData, PRICE_DATA_PARAMS, PRICE_DATA_MODELLED, pd)
    const currencyValue = optString(priceData, 'currency', `${pd}[currency]`)
    if (currencyValue === null) throw missingParam(`${pd}[currency]`)
    if (!/^[a-zA-Z]{3}$/.test(currencyValue)) throw invalid(`Invalid currency: ${currencyValue}`, `${pd}[currency]`)
    const currency = currencyValue.toLowerCase()
    const productParam = optString(priceData, 'product', `${pd}[product]`)
    const productData = optMap(priceData, 'product_data', `${pd}[product_data]`)
    if (productParam !== null && productData !== null) {
      throw invalid('You may only specify one of these parameters: product, product_data.', `${pd}[product]`)
    }
    if (productParam !== null) throw noSuch('product', productParam, `${pd}[product]`)
    if (productData === null) throw missingParam(`${pd}[product_data]`)
    checkKeys(productData, PRODUCT_DATA_PARAMS, PRODUCT_DATA_MODELLED, `${pd}[product_data]`)
    const productName = optString(productData, 'name', `${pd}[product_data][name]`)
    if (productName === null) throw missingParam(`${pd}[product_data][name]`)
    const productDescription = optString(productData, 'description', `${pd}[product_data][description]`)
    const productMetadata = readMetadata(productData, 'metadata', `${pd}[product_data][metadata]`)
    const unitAmount = optInteger(priceData, 'unit_amount', `${pd}[unit_amount]`)
    if (unitAmount === null) throw missingParam(`${pd}[unit_amount]`)
    if (unitAmount < 0) throw invalid('Invalid non-negative integer', `${pd}[unit_amount]`, 'parameter_invalid_integer')
    optEnum(priceData, 'tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const, `${pd}[tax_behavior]`)
    let recurring: PriceRecord['recurring'] = null
    const recurringData = optMap(priceData, 'recurring', `${pd}[recurring]`)
    if (recurringData) {
      checkKeys(recurringData, RECURRING_PARAMS, RECURRING_PARAMS, `${pd}[recurring]`)
      const interval = optEnum(recurringData, 'interval', INTERVALS, `${pd}[recurring][interval]`)
      if (interval === null) throw missingParam(`${pd}[recurring][interval]`)
      const intervalCount = optInteger(recurringData, 'interval_count', `${pd}[recurring][interval_count]`) ?? 1
      if (intervalCount < 1 || intervalCount > MAX_INTERVAL_COUNT[interval]) {
        throw invalid(
          'Invalid recurring interval: the maximum is three years (3 years, 36 months, or 156 weeks).',
          `${pd}[recurring][interval_count]`,
        )
      }
      recurring = { interval, intervalCount }
    }
    const quantity = optInteger(line, 'quantity', 'line_items[0][quantity]')
    if (quantity === null) throw missingParam('line_items[0][quantity]')
    if (quantity < 1) throw invalid('This value must be greater than or equal to 1.', 'line_items[0][quantity]')
    if (mode === 'payment' && recurring) {
      throw invalid(
        'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
        'line_items[0]',
      )
    }
    if (mode === 'subscription' && !recurring) {
      throw invalid('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items')
    }
    const amount = unitAmount * quantity
    const minimum = MINIMUM_AMOUNT[currency]
    if (minimum !== undefined && amount < minimum) {
      throw invalid(
        `The Checkout Session's total amount due must add up to at least ${formatAmount(minimum, currency)} ${currency}.`,
        'line_items',
      )
    }
    const intentMetadata = intentData ? readMetadata(intentData, 'metadata', 'payment_intent_data[metadata]') : {}
    const subscriptionMetadata = subscriptionData
      ? readMetadata(subscriptionData, 'metadata', 'subscription_data[metadata]')
      : {}

    // Every parameter is valid: create the catalog objects price_data implies, then the session.
    const created = nowSeconds()
    const product: ProductRecord = {
      id: newId('prod', 14),
      name: productName,
      description: productDescription,
      metadata: productMetadata,
      created,
    }
    products.set(product.id, product)
    const price: PriceRecord = { id: newId('price'), productId: product.id, currency, unitAmount, recurring, created }
    prices.set(price.id, price)
    const session: SessionRecord = {
      id: `cs_test_a1${token(58)}`,
      created,
      expiresAt: created + 24 * 60 * 60,
      mode,
      status: 'open',
      paymentStatus: 'unpaid',
      priceId: price.id,
      quantity,
      amount,
      currency,
      metadata,
      intentMetadata,
      intentDescription: intentData ? optString(intentData, 'description', 'payment_intent_data[description]') : null,
      subscriptionMetadata,
      subscriptionDescription: subscriptionData
        ? optString(subscriptionData, 'description', 'subscription_data[description]')
        : null,
      submitType,
      locale,
      customerEmail,
      customerCreation: mode === 'payment' ? (customerCreation ?? 'if_required') : null,
      clientReferenceId,
      successUrl,
      cancelUrl,
      customer: customerId,
      details: null,
      paymentIntent: null,
      subscription: null,
      invoice: null,
      declines: 0,
    }
    sessions.set(session.id, session)
    return renderSession(session)
  }

  function createPortalSession(params: ParamMap): JsonObject {
    checkKeys(params, PORTAL_PARAMS, PORTAL_MODELLED)
    const customerId = optString(params, 'customer', 'customer')
    if (customerId === null) throw missingParam('customer')
    const configuration = optString(params, 'configuration', 'configuration')
    if (configuration !== null && configuration !== DEFAULT_PORTAL_CONFIGURATION) {
      throw noSuch('billing_portal.configuration', configuration, 'configuration')
    }
    if (!customers.has(customerId)) throw noSuch('customer', customerId, 'customer')
    const portal: PortalRecord = {
      id: newId('bps'),
      created: nowSeconds(),
      customer: customerId,
      returnUrl: readUrl(params, 'return_url'),
      locale: optEnum(params, 'locale', LOCALES),
      token: `test_${token(40)}`,
    }
    portals.set(portal.id, portal)
    portalsByToken.set(portal.token, portal)
    return renderPortal(portal)
  }

  function listInvoicePayments(params: ParamMap): JsonObject {
    checkKeys(params, INVOICE_PAYMENT_LIST_PARAMS, INVOICE_PAYMENT_LIST_MODELLED)
    const invoice = optString(params, 'invoice', 'invoice')
    const status = optEnum(params, 'status', ['canceled', 'open', 'paid'] as const)
    const payment = optMap(params, 'payment', 'payment')
    let paymentIntent: string | null = null
    if (payment) {
      checkKeys(payment, ['payment_intent', 'payment_record', 'type'], ['payment_intent', 'type'], 'payment')
      const type = optEnum(payment, 'type', ['payment_intent', 'payment_record'] as const, 'payment[type]')
      if (type === null) throw missingParam('payment[type]')
      if (type === 'payment_record') throw unsupportedParam('payment[type]')
      paymentIntent = optString(payment, 'payment_intent', 'payment[payment_intent]')
    }
    const limit = optInteger(params, 'limit', 'limit') ?? 10
    if (limit < 1) throw invalid('This value must be greater than or equal to 1.', 'limit')
    if (limit > 100) throw invalid('This value must be less than or equal to 100.', 'limit')
    // Newest first, as Stripe lists.
    let rows = [...invoicePayments.values()]
      .reverse()
      .filter(
        (row) =>
          (invoice === null || row.invoice === invoice) &&
          (paymentIntent === null || row.paymentIntent === paymentIntent) &&
          (status === null || status === 'paid'),
      )
    const after = optString(params, 'starting_after', 'starting_after')
    const before = optString(params, 'ending_before', 'ending_before')
    if (after !== null) rows = rows.slice(rows.findIndex((row) => row.id === after) + 1)
    if (before !== null) {
      const index = rows.findIndex((row) => row.id === before)
      rows = index < 0 ? rows : rows.slice(Math.max(0, index - limit), index)
    }
    return {
      object: 'list',
      data: rows.slice(0, limit).map(renderInvoicePayment),
      has_more: rows.length > limit,
      url: '/v1/invoice_payments',
    }
  }

  function retrieveRoute(prefix: string, object: string, param: string): Route {
    return {
      method: 'GET',
      pattern: new RegExp(`^/v1/${prefix}/([^/]+)$`),
      handle(match, params) {
        checkKeys(params, ['expand'], ['expand'])
        const id = decodeURIComponent(match[1] ?? '')
        const found = render(id)
        if (!found || found.object !== object) throw noSuch(object, id, param)
        return found
      },
    }
  }

  const routes: Route[] = [
    { method: 'POST', pattern: /^\/v1\/checkout\/sessions$/, handle: (_m, params, context) => createCheckoutSession(params, context) },
    retrieveRoute('checkout/sessions', 'checkout.session', 'session'),
    { method: 'POST', pattern: /^\/v1\/billing_portal\/sessions$/, handle: (_m, params) => createPortalSession(params) },
    { method: 'GET', pattern: /^\/v1\/invoice_payments$/, handle: (_m, params) => listInvoicePayments(params) },
    retrieveRoute('invoice_payments', 'invoice_payment', 'invoice_payment'),
    retrieveRoute('subscriptions', 'subscription', 'id'),
    {
      method: 'DELETE',
      pattern: /^\/v1\/subscriptions\/([^/]+)$/,
      handle(match, params, context) {
        checkKeys(params, CANCEL_PARAMS, CANCEL_PARAMS)
        const id = decodeURIComponent(match[1] ?? '')
        const subscription = subscriptions.get(id)
        if (!subscription) throw noSuch('subscription', id, 'id')
        if (subscription.status === 'canceled') {
          // Wording unverified: Stripe refuses to cancel a canceled subscription again.
          throw invalid(`Subscription ${id} has already been canceled.`, 'id')
        }
        const details = optMap(params, 'cancellation_details', 'cancellation_details')
        if (details) checkKeys(details, ['comment', 'feedback'], ['comment', 'feedback'], 'cancellation_details')
        optBoolean(params, 'invoice_now', 'invoice_now')
        optBoolean(params, 'prorate', 'prorate')
        return cancelSubscription(id, context.ref, {
          comment: details ? optString(details, 'comment', 'cancellation_details[comment]') : null,
          feedback: details
            ? optEnum(
                details,
                'feedback',
                ['customer_service', 'low_quality', 'missing_features', 'other', 'switched_service', 'too_complex', 'too_expensive', 'unused'] as const,
                'cancellation_details[feedback]',
              )
            : null,
        })
      },
    },
    retrieveRoute('payment_intents', 'payment_intent', 'intent'),
    retrieveRoute('charges', 'charge', 'charge'),
    retrieveRoute('invoices', 'invoice', 'invoice'),
    retrieveRoute('customers', 'customer', 'customer'),
    retrieveRoute('refunds', 'refund', 'refund'),
    retrieveRoute('disputes', 'dispute', 'dispute'),
    retrieveRoute('prices', 'price', 'price'),
    retrieveRoute('products', 'product', 'id'),
    retrieveRoute('events', 'event', 'id'),
  ]

  /** Replace ids named by `expand` with their objects; `data.` walks into lists. */
  function applyExpand(object: JsonObject, expand: Param | undefined): JsonObject {
    if (expand === undefined || expand === '') return object
    const paths = typeof expand === 'string' ? [expand] : asList(expand, 'expand')
    for (const path of paths) {
      if (typeof path !== 'string') throw invalid('Invalid array', 'expand')
      if (!expandPath(object, path.split('.'))) throw invalid(`This property cannot be expanded (${path}).`, 'expand')
    }
    return object
  }

  function expandPath(node: JsonObject, segments: string[]): boolean {
    const [head, ...rest] = segments
    if (head === undefined) return true
    const value = node[head]
    if (head === 'data' && Array.isArray(value)) {
      return value.every((item) => !isRecord(item) || expandPath(item, rest))
    }
    if (typeof value === 'string') {
      const found = render(value)
      if (!found) return false
      node[head] = found
      return rest.length === 0 || expandPath(found, rest)
    }
    if (value === null) return true
    if (isRecord(value) && rest.length > 0) return expandPath(value, rest)
    return isRecord(value) && rest.length === 0 && typeof value.id === 'string'
  }

  function authError(headers: Record<string, string>): ApiError | null {
    const authorization = headers.authorization ?? ''
    let key: string | null = null
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization)
    if (bearer) key = bearer[1] ?? null
    else if (basic) key = Buffer.from(basic[1] ?? '', 'base64').toString('utf8').split(':')[0] ?? null
    if (!key) {
      return new ApiError(
        401,
        'invalid_request_error',
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      )
    }
    if (key !== secretKey) return new ApiError(401, 'invalid_request_error', `Invalid API Key provided: ${maskKey(key)}`)
    return null
  }

  function answerApi(method: string, url: URL, rawBody: string, headers: Record<string, string>): {
    answer: Answer
    params: ParamMap
    requestId: string
    idempotencyKey: string | null
  } {
    const requestId = newId('req', 14)
    const stripeVersion = headers['stripe-version'] ?? apiVersion
    const idempotencyKey = method === 'POST' ? (headers['idempotency-key'] ?? null) : null
    const baseHeaders: Record<string, string> = { 'request-id': requestId, 'stripe-version': stripeVersion }
    if (idempotencyKey !== null) baseHeaders['idempotency-key'] = idempotencyKey
    const params = method === 'POST' ? decodeParams(rawBody) : decodeParams(url.search.slice(1))
    const fail = (error: ApiError): Answer => ({ status: error.status, body: error.body(), headers: baseHeaders, replayed: false })

    const unauthorized = authError(headers)
    if (unauthorized) return { answer: fail(unauthorized), params, requestId, idempotencyKey }

    if (idempotencyKey !== null && idempotencyKey.length > 255) {
      const error = invalid('Idempotency keys can be at most 255 characters long.', undefined)
      return { answer: fail(error), params, requestId, idempotencyKey }
    }
    const fingerprint = `${method} ${url.pathname}\n${canonical(params)}`
    if (idempotencyKey !== null) {
      const stored = idempotency.get(idempotencyKey)
      if (stored && Date.now() - stored.storedAt < IDEMPOTENCY_WINDOW_MS) {
        if (stored.fingerprint !== fingerprint) {
          const error = new ApiError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          )
          return { answer: fail(error), params, requestId, idempotencyKey }
        }
        const answer: Answer = {
          status: stored.answer.status,
          body: structuredClone(stored.answer.body),
          headers: { ...baseHeaders, 'idempotent-replayed': 'true', 'original-request': stored.requestId },
          replayed: true,
        }
        return { answer, params, requestId, idempotencyKey }
      }
    }

    for (const route of routes) {
      const match = route.pattern.exec(url.pathname)
      if (!match || route.method !== method) continue
      try {
        const context: RequestContext = { ref: { id: requestId, idempotency_key: idempotencyKey }, stripeVersion }
        const body = applyExpand(route.handle(match, params, context), params.expand)
        const answer: Answer = { status: 200, body, headers: baseHeaders, replayed: false }
        if (idempotencyKey !== null) {
          idempotency.set(idempotencyKey, { fingerprint, answer: structuredClone(answer), requestId, storedAt: Date.now() })
        }
        return { answer, params, requestId, idempotencyKey }
      } catch (error) {
        if (error instanceof ApiError) return { answer: fail(error), params, requestId, idempotencyKey }
        throw error
      }
    }
    const error = new ApiError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    )
    return { answer: fail(error), params, requestId, idempotencyKey }
  }

  // ---- Pages ----

  const PAGE_STYLE = `
    *{box-sizing:border-box}
    body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f4f6;color:#1a1a2e}
    .banner{background:#ffd400;color:#111;border-bottom:4px solid #111;padding:1.1rem 1.5rem;font-size:1.35rem;text-align:center}
    .banner strong{font-size:1.6rem;display:block}
    main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:10px;padding:2rem;box-shadow:0 2px 10px rgba(0,0,0,.08)}
    h1{font-size:1.3rem;margin:0 0 .25rem}
    .amount{font-size:2.2rem;font-weight:700;margin:.25rem 0 1.5rem}
    .amount small{font-size:1rem;font-weight:400;color:#555}
    label{display:block;margin:.75rem 0;font-weight:600}
    input{display:block;width:100%;padding:.6rem;margin-top:.25rem;font:inherit;border:1px solid #bbb;border-radius:6px}
    input[readonly]{background:#eee}
    button{display:block;width:100%;padding:.8rem;margin:.6rem 0;font:inherit;font-weight:600;border-radius:6px;border:1px solid #333;background:#fff;cursor:pointer}
    button.primary{background:#1a1a2e;color:#fff}
    button.secondary{border-style:dashed}
    .error{background:#fde2e1;border:1px solid #c0392b;color:#7b1d14;padding:.75rem;border-radius:6px}
    .notice{background:#e3f4e8;border:1px solid #2e7d32;padding:.75rem;border-radius:6px}
    ul{list-style:none;padding:0}
    li{border:1px solid #ddd;border-radius:6px;padding:1rem;margin:.75rem 0}
    .muted{color:#555;font-size:.9rem}
  `

  function page(texts: PageTexts, stands: 'checkout' | 'portal', title: string, content: string): string {
    return `<!doctype html>
<html lang="${texts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div class="banner" role="note"><strong>${escapeHtml(texts.banner)}</strong> ${escapeHtml(stands === 'portal' ? texts.bannerPortal : texts.bannerCheckout)}</div>
<main>
${content}
</main>
</body>
</html>
`
  }

  function sendHtml(response: http.ServerResponse, status: number, html: string) {
    response.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // No form-action: paying redirects to Vigil's success URL, which form-action would block in Chrome.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    response.end(html)
  }

  function redirect(response: http.ServerResponse, location: string) {
    response.writeHead(303, { location, 'cache-control': 'no-store' })
    response.end()
  }

  function successLocation(session: SessionRecord): string | null {
    return session.successUrl ? session.successUrl.split('{CHECKOUT_SESSION_ID}').join(session.id) : null
  }

  function checkoutPage(session: SessionRecord, error: string | null): string {
    const texts = pageTexts(session.locale)
    const price = priceOf(session.priceId)
    const product = products.get(price.productId)
    const name = product?.name ?? texts.donation
    const recurring = price.recurring
    const per = recurring
      ? ` <small>${escapeHtml(recurring.intervalCount === 1 && recurring.interval === 'month' ? texts.perMonth : texts.perInterval(recurring.intervalCount, texts.statuses[recurring.interval] ?? recurring.interval))}</small>`
      : ''
    const email = session.customerEmail
    const sepa =
      session.mode === 'payment'
        ? `<button type="submit" name="action" value="sepa">${escapeHtml(texts.paySepa)}</button>
<button type="submit" name="action" value="sepa_failed" class="secondary">${escapeHtml(texts.sepaFails)}</button>`
        : ''
    const cancel = session.cancelUrl
      ? `<button type="submit" name="action" value="cancel" formnovalidate class="secondary">${escapeHtml(texts.cancel)}</button>`
      : ''
    return page(
      texts,
      'checkout',
      texts.checkoutTitle(name),
      `<h1>${escapeHtml(name)}</h1>
${product?.description ? `<p class="muted">${escapeHtml(product.description)}</p>` : ''}
<p class="amount">${escapeHtml(formatAmount(session.amount, session.currency, texts.lang))}${per}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/c/pay/${escapeHtml(session.id)}">
<label>${escapeHtml(texts.email)}<input type="email" name="email" autocomplete="email" ${email ? `value="${escapeHtml(email)}" readonly` : 'value="supporter@example.org" required'}></label>
<label>${escapeHtml(texts.name)}<input type="text" name="name" autocomplete="name" value="Demo Supporter"></label>
<button type="submit" name="action" value="card" class="primary">${escapeHtml(texts.payCard)}</button>
<button type="submit" name="action" value="card_declined" class="secondary">${escapeHtml(texts.cardDeclined)}</button>
${sepa}
${cancel}
</form>
<p class="muted">${escapeHtml(texts.noCardNote)}</p>`,
    )
  }

  function handleCheckoutPage(
    method: string,
    sessionId: string,
    form: URLSearchParams,
    response: http.ServerResponse,
  ) {
    const session = sessions.get(sessionId)
    if (!session) {
      const texts = pageTexts(null)
      sendHtml(response, 404, page(texts, 'checkout', texts.notFound, `<h1>${escapeHtml(texts.checkoutMissing)}</h1>`))
      return
    }
    const texts = pageTexts(session.locale)
    if (session.status !== 'open') {
      const location = successLocation(session)
      sendHtml(
        response,
        200,
        page(
          texts,
          'checkout',
          texts.checkoutCompleteTitle,
          `<h1>${escapeHtml(texts.checkoutComplete)}</h1><p class="notice">${escapeHtml(texts.paymentStatus(texts.statuses[session.paymentStatus] ?? session.paymentStatus))}</p>${location ? `<p><a href="${escapeHtml(location)}">${escapeHtml(texts.continue)}</a></p>` : ''}`,
        ),
      )
      return
    }
    if (method !== 'POST') {
      sendHtml(response, 200, checkoutPage(session, null))
      return
    }
    const action = form.get('action') ?? ''
    const person = { email: form.get('email') ?? undefined, name: form.get('name') ?? undefined }
    log(`stripe stand-in: checkout page action ${action} on ${session.id}`)
    if (action === 'cancel' && session.cancelUrl) {
      redirect(response, session.cancelUrl)
      return
    }
    const choices: Record<string, CompleteOptions> = {
      card: { method: 'card', outcome: 'succeeded' },
      card_declined: { method: 'card', outcome: 'failed' },
      sepa: { method: 'sepa', outcome: 'succeeded' },
      sepa_failed: { method: 'sepa', outcome: 'failed' },
    }
    const choice = choices[action]
    if (!choice || (choice.method === 'sepa' && session.mode !== 'payment')) {
      sendHtml(response, 400, checkoutPage(session, texts.chooseButton))
      return
    }
    const result = complete(session.id, { ...choice, ...person })
    if (result.declined) {
      sendHtml(response, 402, checkoutPage(session, texts.declined))
      return
    }
    const location = successLocation(session)
    if (location) redirect(response, location)
    else sendHtml(response, 200, page(texts, 'checkout', texts.paidTitle, `<h1>${escapeHtml(texts.thankYou)}</h1><p class="notice">${escapeHtml(texts.paid)}</p>`))
  }

  /** The portal speaks the portal session's locale, else its customer's, as Stripe's does. */
  function portalTexts(portal: PortalRecord) {
    return pageTexts(portal.locale && portal.locale !== 'auto' ? portal.locale : customers.get(portal.customer)?.locale)
  }

  function portalPage(portal: PortalRecord, notice: string | null): string {
    const texts = portalTexts(portal)
    const customer = customers.get(portal.customer)
    const rows = [...subscriptions.values()]
      .filter((subscription) => subscription.customer === portal.customer)
      .reverse()
      .map((subscription) => {
        const price = priceOf(subscription.priceId)
        const name = products.get(price.productId)?.name ?? texts.donation
        const amount = formatAmount(price.unitAmount * subscription.quantity, price.currency, texts.lang)
        const interval = price.recurring?.interval ?? 'month'
        const action =
          subscription.status === 'active'
            ? `<form method="post" action="/p/session/${escapeHtml(portal.token)}/cancel"><input type="hidden" name="subscription" value="${escapeHtml(subscription.id)}"><button type="submit">${escapeHtml(texts.cancelSubscription)}</button></form>`
            : `<p class="muted">${escapeHtml(texts.canceledOn(new Date((subscription.canceledAt ?? 0) * 1000).toISOString().slice(0, 10)))}</p>`
        return `<li><strong>${escapeHtml(name)}</strong><br>${escapeHtml(texts.perPeriod(amount, texts.statuses[interval] ?? interval, texts.statuses[subscription.status] ?? subscription.status))}${action}</li>`
      })
    return page(
      texts,
      'portal',
      texts.portalTitle,
      `<h1>${escapeHtml(texts.portalHeading)}</h1>
${customer ? `<p class="muted">${escapeHtml(customer.email)}</p>` : ''}
${notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}
${rows.length > 0 ? `<ul>${rows.join('\n')}</ul>` : `<p>${escapeHtml(texts.noSubscriptions)}</p>`}
${portal.returnUrl ? `<p><a href="${escapeHtml(portal.returnUrl)}">${escapeHtml(texts.returnToSite)}</a></p>` : ''}`,
    )
  }

  function handlePortalPage(
    method: string,
    portalToken: string,
    action: string | null,
    form: URLSearchParams,
    query: URLSearchParams,
    response: http.ServerResponse,
  ) {
    const portal = portalsByToken.get(portalToken)
    if (!portal) {
      const texts = pageTexts(null)
      sendHtml(response, 404, page(texts, 'portal', texts.notFound, `<h1>${escapeHtml(texts.portalMissing)}</h1>`))
      return
    }
    if (method === 'POST' && action === 'cancel') {
      const subscription = subscriptions.get(form.get('subscription') ?? '')
      if (!subscription || subscription.customer !== portal.customer) {
        sendHtml(response, 404, portalPage(portal, portalTexts(portal).subscriptionMissing))
        return
      }
      if (subscription.status === 'active') cancelSubscription(subscription.id, null)
      log(`stripe stand-in: portal canceled ${subscription.id}`)
      redirect(response, `/p/session/${portal.token}?canceled=${encodeURIComponent(subscription.id)}`)
      return
    }
    if (method !== 'GET' || action !== null) {
      sendHtml(response, 405, portalPage(portal, null))
      return
    }
    sendHtml(response, 200, portalPage(portal, query.get('canceled') ? portalTexts(portal).canceledNotice : null))
  }

  // ---- HTTP ----

  async function handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of request) {
      const buffer = chunk instanceof Buffer ? chunk : Buffer.from(String(chunk))
      size += buffer.length
      if (size > MAX_BODY_BYTES) {
        response.writeHead(413, { 'content-type': 'text/plain' })
        response.end('Request body too large')
        return
      }
      chunks.push(buffer)
    }
    const rawBody = Buffer.concat(chunks).toString('utf8')
    const method = request.method ?? 'GET'
    const url = new URL(request.url ?? '/', 'http://stand-in')
    const headers = headerRecord(request)

    if (url.pathname.startsWith('/v1/')) {
      const { answer, params, requestId, idempotencyKey } = answerApi(method, url, rawBody, headers)
      requestLog.push({
        method,
        path: url.pathname,
        query: decodeParams(url.search.slice(1)),
        body: method === 'POST' ? params : {},
        rawBody,
        headers,
        status: answer.status,
        responseBody: answer.body,
        requestId,
        idempotencyKey,
        replayed: answer.replayed,
        at: new Date(),
      })
      log(`stripe stand-in: ${method} ${url.pathname} → ${answer.status}${answer.replayed ? ' (replayed)' : ''}`)
      if (method !== 'GET' && answer.status === 200 && !answer.replayed) saveState()
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      response.end(JSON.stringify(answer.body, null, 2))
      return
    }

    const record = (status: number) =>
      requestLog.push({
        method,
        path: url.pathname,
        query: decodeParams(url.search.slice(1)),
        body: method === 'POST' ? decodeParams(rawBody) : {},
        rawBody,
        headers,
        status,
        responseBody: '(html)',
        requestId: null,
        idempotencyKey: null,
        replayed: false,
        at: new Date(),
      })
    const form = new URLSearchParams(method === 'POST' ? rawBody : '')
    const checkout = /^\/c\/pay\/([^/]+)$/.exec(url.pathname)
    const portal = /^\/p\/session\/([^/]+)(?:\/(cancel))?$/.exec(url.pathname)
    if (checkout && (method === 'GET' || method === 'POST')) {
      handleCheckoutPage(method, decodeURIComponent(checkout[1] ?? ''), form, response)
    } else if (portal) {
      handlePortalPage(method, decodeURIComponent(portal[1] ?? ''), portal[2] ?? null, form, url.searchParams, response)
    } else if (url.pathname === '/' && method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      response.end('Stripe stand-in for Vigil (demo). The API is under /v1/.\n')
    } else {
      sendHtml(response, 404, page(pageTexts(null), 'checkout', 'Not found', '<h1>Not found.</h1>'))
    }
    if (method === 'POST') saveState()
    record(response.statusCode)
  }

  // ---- State on disk ----

  type SavedState = {
    version: 1
    products: ProductRecord[]
    prices: PriceRecord[]
    sessions: SessionRecord[]
    customers: CustomerRecord[]
    intents: IntentRecord[]
    charges: ChargeRecord[]
    subscriptions: SubscriptionRecord[]
    invoices: InvoiceRecord[]
    invoicePayments: InvoicePaymentRecord[]
    refunds: RefundRecord[]
    disputes: DisputeRecord[]
    portals: PortalRecord[]
    events: StripeEventJson[]
    idempotency: [string, { fingerprint: string; answer: Answer; requestId: string; storedAt: number }][]
    undelivered: [string, string][]
    settlements: { sessionId: string; result: 'succeeded' | 'failed'; dueAt: number }[]
  }

  function saveState() {
    const file = options.stateFile
    if (!file || closed) return
    const now = Date.now()
    for (const [key, stored] of idempotency) if (now - stored.storedAt >= IDEMPOTENCY_WINDOW_MS) idempotency.delete(key)
    const state: SavedState = {
      version: 1,
      products: [...products.values()],
      prices: [...prices.values()],
      sessions: [...sessions.values()],
      customers: [...customers.values()],
      intents: [...intents.values()],
      charges: [...charges.values()],
      subscriptions: [...subscriptions.values()],
      invoices: [...invoices.values()],
      invoicePayments: [...invoicePayments.values()],
      refunds: [...refunds.values()],
      disputes: [...disputes.values()],
      portals: [...portals.values()],
      events: eventList,
      idempotency: [...idempotency],
      undelivered: [...undelivered],
      settlements: [...settlementTimers.values()],
    }
    // Write aside, flush, then rename over the old file: a crash leaves one whole state or the other.
    const temporary = `${file}.${process.pid}.tmp`
    const fd = fs.openSync(temporary, 'w', 0o600)
    try {
      fs.writeFileSync(fd, JSON.stringify(state))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temporary, file)
  }

  function loadState() {
    const file = options.stateFile
    if (!file) return
    let state: SavedState
    try {
      state = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedState
      if (state.version !== 1) throw new Error(`unknown version ${String(state.version)}`)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      // Keep what could not be read for a person to look at; start empty rather than not at all.
      const aside = `${file}.unreadable-${Date.now()}`
      fs.renameSync(file, aside)
      log(`stripe stand-in: could not read ${file} (${error instanceof Error ? error.message : 'invalid'}); moved it to ${aside} and started empty`)
      return
    }
    const fill = <T extends { id: string }>(map: Map<string, T>, records: T[]) => {
      for (const record of records) map.set(record.id, record)
    }
    fill(products, state.products)
    fill(prices, state.prices)
    fill(sessions, state.sessions)
    fill(customers, state.customers)
    fill(intents, state.intents)
    fill(charges, state.charges)
    fill(subscriptions, state.subscriptions)
    fill(invoices, state.invoices)
    fill(invoicePayments, state.invoicePayments)
    fill(refunds, state.refunds)
    fill(disputes, state.disputes)
    fill(portals, state.portals)
    for (const portal of state.portals) portalsByToken.set(portal.token, portal)
    for (const event of state.events) {
      eventList.push(event)
      eventsById.set(event.id, event)
    }
    for (const [key, stored] of state.idempotency) idempotency.set(key, stored)
    for (const settlement of state.settlements) scheduleSettlement(settlement.sessionId, settlement.result, settlement.dueAt)
    // Stripe retries what was not answered: so does the stand-in, once the server is back.
    for (const [eventId, group] of state.undelivered) {
      const event = eventsById.get(eventId)
      if (event) queueDelivery(event, group)
    }
    log(`stripe stand-in: read ${sessions.size} sessions, ${subscriptions.size} subscriptions and ${eventList.length} events from ${file}`)
  }

  function persisting<A extends unknown[], R>(change: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      const result = change(...args)
      saveState()
      return result
    }
  }

  loadState()

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`stripe stand-in: internal error: ${String(error)}`)
      if (!response.headersSent && !response.destroyed) {
        const body = new ApiError(500, 'api_error', 'An unknown error occurred in the Stripe stand-in.').body()
        response.writeHead(500, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      }
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const reachableHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  const url = `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${port}`
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '')

  return {
    url,
    host: reachableHost,
    port,
    secretKey,
    webhookSecret,
    sdkOptions: { host: reachableHost, port, protocol: 'http', maxNetworkRetries: 0 },
    complete: persisting(complete),
    settle: persisting(settle),
    renew: persisting(renew),
    refund: persisting(refund),
    dispute: persisting(dispute),
    closeDispute: persisting(closeDispute),
    cancel: persisting((subscriptionId: string) => cancelSubscription(subscriptionId, null)),
    object: render,
    sessions: () => [...sessions.values()].map(renderSession),
    events: () => eventList.map((event) => structuredClone(event)),
    deliveries: () => deliveryLog.map((delivery) => ({ ...delivery })),
    requests: () => [...requestLog],
    webhookRequest,
    whenIdle: () =>
      pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    async close() {
      // What is still due (settlements, deliveries) is in the state file for the next start.
      saveState()
      closed = true
      for (const timer of settlementTimers.keys()) clearTimeout(timer)
      settlementTimers.clear()
      for (const entry of sleepers) {
        clearTimeout(entry.timer)
        entry.resolve()
      }
      sleepers.clear()
      for (const request of inFlight) request.destroy()
      inFlight.clear()
      pending = 0
      settleIdle()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
