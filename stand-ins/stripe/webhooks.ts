/**
 * Events and their delivery: every change the stand-in makes is an event, POSTed to `webhookUrl` and
 * signed as Stripe signs it.
 *
 * Events are `event` objects (api_version = `apiVersion`, request {id, idempotency_key} of the API call
 * that caused them, else nulls), snapshots of the object at that moment; charge.refunded carries
 * `previous_attributes` {amount_refunded, refunded}. Each is POSTed as pretty-printed JSON (as Stripe
 * sends) to `webhookUrl` with `Content-Type: application/json; charset=utf-8`, `User-Agent: Stripe/1.0
 * (+https://stripe.com/docs/webhooks)` and a `Stripe-Signature` computed anew for every attempt (Stripe
 * re-signs retries). A non-2xx answer, a connection error or no answer within `webhookTimeoutMs` is
 * retried after each of `retryDelaysMs` (Stripe retries "three times over a few hours" in test mode and
 * for three days live; the stand-in is quicker), then given up. Delivery is asynchronous and, unlike
 * Stripe, which promises no order, in order per Checkout Session (everything a session led to, renewals
 * and refunds included): a retried event holds back the later ones of its session. Tests that need
 * Stripe's disorder or duplicates use `deliver: false` with `events()` and `webhookRequest()`.
 */
import { createHmac } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { type JsonObject, type RequestRef, type StripeEventJson, newId, nowSeconds } from './objects.ts'
import type { Store } from './state.ts'

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

/** `Stripe-Signature` header value for `payload`: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`. */
export function signPayload(payload: string, secret: string, timestamp = nowSeconds()): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')
  return `t=${timestamp},v1=${signature}`
}

export function createWebhooks(store: Store) {
  const { eventList, eventsById, deliveryLog, undelivered, queues, sleepers, inFlight } = store
  const { apiVersion, webhookUrl, deliver, log, retryDelaysMs, webhookTimeoutMs, webhookSecret } = store.config

  function settleIdle() {
    if (store.pending > 0) return
    const waiters = store.idleWaiters
    store.idleWaiters = []
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

  function queueDelivery(event: StripeEventJson, group: string) {
    if (webhookUrl && deliver && !store.closed) {
      undelivered.set(event.id, group)
      store.pending += 1
      const previousInQueue = queues.get(group) ?? Promise.resolve()
      const next = previousInQueue
        .then(() => deliverEvent(webhookUrl, event))
        .catch((error: unknown) => log(`stripe stand-in: delivery of ${event.id} crashed: ${String(error)}`))
        .finally(() => {
          // close() zeroes the count while deliveries may still be unwinding.
          store.pending = Math.max(0, store.pending - 1)
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
    for (let attempt = 1; !store.closed; attempt++) {
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
      if (store.closed) return
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

  return { emit, queueDelivery, webhookRequest, settleIdle }
}
