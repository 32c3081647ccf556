/**
 * The HTTP server: the /v1 API (api.ts), the hosted pages (pages.ts), the state file written after every
 * change, and the handle the tests and the demo drive it with.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiError, MAX_BODY_BYTES, type ParamMap, decodeParams } from './parameters.ts'
import { type JsonObject, type JsonValue, type StripeEventJson, createRenderers } from './objects.ts'
import { createStore, loadState, saveState } from './state.ts'
import { type DeliveryRecord, createWebhooks } from './webhooks.ts'
import { type CompleteOptions, type CompleteResult, type SubscriptionEventOrder, createLifecycle } from './lifecycle.ts'
import { createApi } from './api.ts'
import { createPages } from './pages.ts'
import { pageTexts } from './texts.ts'

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

function headerRecord(request: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

export async function startStripeStandIn(options: StripeStandInOptions = {}): Promise<StripeStandIn> {
  const store = createStore(options)
  const { sessions, eventList, deliveryLog, requestLog, settlementTimers, sleepers, inFlight } = store
  const { log, secretKey, webhookSecret } = store.config
  const save = () => saveState(store)
  const objects = createRenderers(store)
  const { render, renderSession } = objects
  const webhooks = createWebhooks(store)
  const { queueDelivery, webhookRequest, settleIdle } = webhooks
  const lifecycle = createLifecycle(store, objects, webhooks, save)
  const { complete, settle, renew, refund, dispute, closeDispute, cancelSubscription, scheduleSettlement } = lifecycle
  const { answerApi } = createApi(store, objects, lifecycle)
  const { page, sendHtml, handleCheckoutPage, handlePortalPage } = createPages(store, objects, lifecycle)

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
      if (method !== 'GET' && answer.status === 200 && !answer.replayed) save()
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
    if (method === 'POST') save()
    record(response.statusCode)
  }
  function persisting<A extends unknown[], R>(change: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      const result = change(...args)
      save()
      return result
    }
  }

  loadState(store, { scheduleSettlement, queueDelivery })

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
  store.publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '')

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
      store.pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => store.idleWaiters.push(resolve)),
    async close() {
      // What is still due (settlements, deliveries) is in the state file for the next start.
      save()
      store.closed = true
      for (const timer of settlementTimers.keys()) clearTimeout(timer)
      settlementTimers.clear()
      for (const entry of sleepers) {
        clearTimeout(entry.timer)
        entry.resolve()
      }
      sleepers.clear()
      for (const request of inFlight) request.destroy()
      inFlight.clear()
      store.pending = 0
      settleIdle()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
