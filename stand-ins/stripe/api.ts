/**
 * The stand-in's /v1 API: authentication, idempotency, `expand`, and the endpoints Vigil calls.
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
 */
import {
  ApiError,
  CANCEL_PARAMS,
  DEFAULT_PORTAL_CONFIGURATION,
  IDEMPOTENCY_WINDOW_MS,
  INTENT_DATA_MODELLED,
  INTERVALS,
  INVOICE_PAYMENT_LIST_MODELLED,
  INVOICE_PAYMENT_LIST_PARAMS,
  LINE_ITEM_MODELLED,
  LINE_ITEM_PARAMS,
  LOCALES,
  MAX_INTERVAL_COUNT,
  MINIMUM_AMOUNT,
  MODES,
  PAYMENT_INTENT_DATA_PARAMS,
  PORTAL_MODELLED,
  PORTAL_PARAMS,
  PRICE_DATA_MODELLED,
  PRICE_DATA_PARAMS,
  PRODUCT_DATA_MODELLED,
  PRODUCT_DATA_PARAMS,
  type Param,
  type ParamMap,
  RECURRING_PARAMS,
  SESSION_MODELLED,
  SESSION_PARAMS,
  SUBMIT_TYPES,
  SUBMIT_TYPE_IN_SUBSCRIPTIONS_SINCE,
  SUBSCRIPTION_DATA_PARAMS,
  asList,
  canonical,
  checkKeys,
  decodeParams,
  invalid,
  isParamMap,
  missingParam,
  noSuch,
  optBoolean,
  optEnum,
  optInteger,
  optMap,
  optString,
  readMetadata,
  readUrl,
  unsupportedParam,
} from './parameters.ts'
import {
  type JsonObject,
  type PortalRecord,
  type PriceRecord,
  type ProductRecord,
  type RequestRef,
  type SessionRecord,
  type createRenderers,
  formatAmount,
  isRecord,
  newId,
  nowSeconds,
  token,
} from './objects.ts'
import type { Store } from './state.ts'
import type { createLifecycle } from './lifecycle.ts'

export type Answer = { status: number; body: JsonObject; headers: Record<string, string>; replayed: boolean }
type Route = {
  method: 'GET' | 'POST' | 'DELETE'
  pattern: RegExp
  handle: (match: RegExpExecArray, params: ParamMap, context: RequestContext) => JsonObject
}
type RequestContext = { ref: RequestRef; stripeVersion: string }

function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? ''
  const rest = key.slice(prefix.length)
  return `${prefix}${'*'.repeat(Math.max(0, rest.length - 4))}${rest.slice(-4)}`
}

export function createApi(
  store: Store,
  { render, renderSession, renderPortal, renderInvoicePayment }: ReturnType<typeof createRenderers>,
  { cancelSubscription }: ReturnType<typeof createLifecycle>,
) {
  const { products, prices, sessions, customers, subscriptions, invoicePayments, portals, portalsByToken, idempotency } = store
  const { apiVersion, secretKey } = store.config

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

  return { answerApi }
}
