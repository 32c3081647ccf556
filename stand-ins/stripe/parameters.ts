/**
 * Stripe's form parameters as the stand-in reads them: `a[b][0][c]=v` decoding, the errors Stripe answers
 * for a bad parameter (with its wording; see api.ts for the wire format), the typed readers, and the
 * parameter lists of stripe@23.1.0 (every parameter Stripe knows, and the ones the stand-in models: a
 * known one it does not model is refused rather than silently ignored).
 */
import type { Interval, JsonObject } from './objects.ts'

// ---- Form parameters -------------------------------------------------------------------------------

export type Param = string | ParamMap | Param[]
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

export function isParamMap(value: Param | undefined): value is ParamMap {
  return typeof value === 'object' && !Array.isArray(value)
}

// ---- Errors ---------------------------------------------------------------------------------------------

export class ApiError extends Error {
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

export const invalid = (message: string, param?: string, code?: string) =>
  new ApiError(400, 'invalid_request_error', message, code, param)
export const missingParam = (param: string) => invalid(`Missing required param: ${param}.`, param, 'parameter_missing')
export const unknownParam = (param: string) => invalid(`Received unknown parameter: ${param}`, param, 'parameter_unknown')
export const unsupportedParam = (param: string) =>
  invalid(
    `The Stripe stand-in does not model \`${param}\` (real Stripe accepts it); extend stand-ins/stripe/ before sending it.`,
    param,
    'stand_in_unsupported_parameter',
  )
export const noSuch = (object: string, id: string, param: string) =>
  new ApiError(404, 'invalid_request_error', `No such ${object}: '${id}'`, 'resource_missing', param)
export const mustBeOneOf = (param: string, values: readonly string[]) =>
  invalid(`Invalid ${param}: must be one of ${values.slice(0, -1).join(', ')} or ${values.at(-1) ?? ''}`, param)

/** Refuse parameters Stripe does not know, and those it knows that the stand-in does not model. */
export function checkKeys(map: ParamMap, known: readonly string[], modelled: readonly string[], prefix = '') {
  for (const key of Object.keys(map)) {
    const name = prefix ? `${prefix}[${key}]` : key
    if (!known.includes(key)) throw unknownParam(name)
    if (!modelled.includes(key)) throw unsupportedParam(name)
  }
}

export function optString(map: ParamMap, key: string, param: string): string | null {
  const value = map[key]
  if (value === undefined || value === '') return null
  if (typeof value !== 'string') throw invalid(`Invalid string: ${describeParam(value)}`, param)
  return value
}

export function optMap(map: ParamMap, key: string, param: string): ParamMap | null {
  const value = map[key]
  if (value === undefined || value === '') return null
  if (!isParamMap(value)) throw invalid('Invalid hash', param)
  return value
}

export function optInteger(map: ParamMap, key: string, param: string): number | null {
  const value = optString(map, key, param)
  if (value === null) return null
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalid(`Invalid integer: ${value}`, param, 'parameter_invalid_integer')
  }
  return Number(value)
}

export function optBoolean(map: ParamMap, key: string, param: string): boolean | null {
  const value = optString(map, key, param)
  if (value === null) return null
  if (value !== 'true' && value !== 'false') throw invalid(`Invalid boolean: ${value}`, param)
  return value === 'true'
}

export function optEnum<T extends string>(map: ParamMap, key: string, values: readonly T[], param = key): T | null {
  const value = optString(map, key, param)
  if (value === null) return null
  const found = values.find((candidate) => candidate === value)
  if (found === undefined) throw mustBeOneOf(param, values)
  return found
}

/** A list param: an array, or a map keyed 0..n-1 as the SDK's `x[0]=` encoding decodes to. */
export function asList(value: Param, param: string): Param[] {
  if (Array.isArray(value)) return value
  if (isParamMap(value)) {
    const keys = Object.keys(value)
    if (keys.every((key, index) => key === String(index))) return keys.map((key) => value[key] ?? '')
  }
  throw invalid('Invalid array', param)
}

export function describeParam(value: Param): string {
  return JSON.stringify(value)
}

export function readUrl(map: ParamMap, key: string): string | null {
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
export function readMetadata(map: ParamMap, key: string, param: string): Record<string, string> {
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

export const SESSION_PARAMS = [
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
export const SESSION_MODELLED = [
  'cancel_url', 'client_reference_id', 'customer', 'customer_creation', 'customer_email', 'expand', 'line_items',
  'locale', 'metadata', 'mode', 'payment_intent_data', 'submit_type', 'subscription_data', 'success_url',
] as const
export const LINE_ITEM_PARAMS = ['adjustable_quantity', 'metadata', 'price', 'price_data', 'quantity', 'tax_rates'] as const
export const LINE_ITEM_MODELLED = ['metadata', 'price', 'price_data', 'quantity'] as const
export const PRICE_DATA_PARAMS = [
  'currency', 'product', 'product_data', 'recurring', 'tax_behavior', 'unit_amount', 'unit_amount_decimal',
] as const
export const PRICE_DATA_MODELLED = ['currency', 'product', 'product_data', 'recurring', 'tax_behavior', 'unit_amount'] as const
export const PRODUCT_DATA_PARAMS = ['description', 'images', 'metadata', 'name', 'tax_code', 'tax_details', 'unit_label'] as const
export const PRODUCT_DATA_MODELLED = ['description', 'metadata', 'name'] as const
export const RECURRING_PARAMS = ['interval', 'interval_count'] as const
export const PAYMENT_INTENT_DATA_PARAMS = [
  'application_fee_amount', 'capture_method', 'description', 'metadata', 'on_behalf_of', 'receipt_email',
  'setup_future_usage', 'shipping', 'statement_descriptor', 'statement_descriptor_suffix', 'transfer_data',
  'transfer_group',
] as const
export const SUBSCRIPTION_DATA_PARAMS = [
  'application_fee_percent', 'billing_cycle_anchor', 'billing_cycle_anchor_config', 'billing_mode',
  'default_tax_rates', 'description', 'invoice_settings', 'metadata', 'on_behalf_of', 'pending_invoice_item_interval',
  'proration_behavior', 'transfer_data', 'trial_end', 'trial_period_days', 'trial_settings',
] as const
export const INTENT_DATA_MODELLED = ['description', 'metadata'] as const
export const PORTAL_PARAMS = [
  'after_expiration', 'configuration', 'customer', 'customer_account', 'expand', 'flow_data', 'locale',
  'on_behalf_of', 'return_url',
] as const
export const PORTAL_MODELLED = ['configuration', 'customer', 'expand', 'locale', 'return_url'] as const
export const INVOICE_PAYMENT_LIST_PARAMS = [
  'created', 'ending_before', 'expand', 'invoice', 'limit', 'payment', 'starting_after', 'status',
] as const
export const INVOICE_PAYMENT_LIST_MODELLED = [
  'ending_before', 'expand', 'invoice', 'limit', 'payment', 'starting_after', 'status',
] as const
export const CANCEL_PARAMS = ['cancellation_details', 'expand', 'invoice_now', 'prorate'] as const

export const MODES = ['payment', 'setup', 'subscription'] as const
export const SUBMIT_TYPES = ['auto', 'book', 'donate', 'pay', 'subscribe'] as const
export const LOCALES = [
  'auto', 'bg', 'cs', 'da', 'de', 'el', 'en', 'en-GB', 'es', 'es-419', 'et', 'fi', 'fil', 'fr', 'fr-CA', 'hi-IN',
  'hr', 'hu', 'id', 'it', 'ja', 'ko', 'lt', 'lv', 'ms', 'mt', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'ro', 'ru', 'sk',
  'sl', 'sv', 'th', 'tr', 'vi', 'zh', 'zh-HK', 'zh-TW',
] as const
export const INTERVALS = ['day', 'week', 'month', 'year'] as const
export const MAX_INTERVAL_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 }
/** Stripe accepted submit_type in subscription mode from this API version on. */
export const SUBMIT_TYPE_IN_SUBSCRIPTIONS_SINCE = '2024-11-20'
export const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, chf: 50, cad: 50, aud: 50, gbp: 30 }
export const DEFAULT_PORTAL_CONFIGURATION = 'bpc_1VigilStandInDefault00'
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
export const MAX_BODY_BYTES = 1024 * 1024

/** JSON with object keys sorted, so equal parameters compare equal whatever their order. */
export function canonical(value: Param): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key] ?? '')}`).join(',')}}`
}
