/**
 * What the stand-in holds: its records, the event log, stored idempotent answers, deliveries not yet
 * answered and settlements not yet due. In memory, and with `stateFile` also on disk (demo mode keeps it
 * beside the database, so a monthly donor's portal link survives a restart): written after every change
 * (temporary file + rename, so a crash leaves the old or the new state, never half of one) and read at start.
 */
import fs from 'node:fs'
import type http from 'node:http'
import { IDEMPOTENCY_WINDOW_MS } from './parameters.ts'
import {
  type ChargeRecord,
  type CustomerRecord,
  type DisputeRecord,
  type IntentRecord,
  type InvoicePaymentRecord,
  type InvoiceRecord,
  type PortalRecord,
  type PriceRecord,
  type ProductRecord,
  type RefundRecord,
  STRIPE_API_VERSION,
  type SessionRecord,
  type StripeEventJson,
  type SubscriptionRecord,
} from './objects.ts'
import type { DeliveryRecord } from './webhooks.ts'
import type { Answer } from './api.ts'
import type { RequestRecord, StripeStandInOptions } from './server.ts'

export type Store = ReturnType<typeof createStore>

export function createStore(options: StripeStandInOptions) {
  const config = {
    secretKey: options.secretKey ?? 'sk_test_vigil_stand_in',
    webhookSecret: options.webhookSecret ?? 'whsec_vigil_stand_in',
    apiVersion: options.apiVersion ?? STRIPE_API_VERSION,
    asyncDelayMs: options.asyncDelayMs ?? 3000,
    retryDelaysMs: options.retryDelaysMs ?? [1000, 5000, 30000],
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    defaultOrder: options.subscriptionEventOrder ?? 'session-first',
    deliver: options.deliver ?? true,
    webhookUrl: options.webhookUrl ? new URL(options.webhookUrl) : null,
    log: options.log ?? (() => {}),
    stateFile: options.stateFile,
  }
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
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  const inFlight = new Set<http.ClientRequest>()
  /** Events queued for delivery and not yet answered 2xx (or given up on): delivered again after a restart. */
  const undelivered = new Map<string, string>()
  const settlementTimers = new Map<NodeJS.Timeout, { sessionId: string; result: 'succeeded' | 'failed'; dueAt: number }>()
  return {
    config,
    /** Base of the page URLs handed out (session.url, portal url): known once the server listens. */
    publicUrl: '',
    products, prices, sessions, customers, intents, charges, subscriptions, invoices, invoicePayments, refunds, disputes, portals, portalsByToken,
    eventList, eventsById, deliveryLog, requestLog, idempotency, queues, sleepers, inFlight, undelivered, settlementTimers,
    /** Deliveries and settlements under way; `whenIdle()` waits for none. */
    pending: 0,
    idleWaiters: [] as (() => void)[],
    closed: false,
  }
}

export type SavedState = {
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

export function saveState(store: Store) {
  const { products, prices, sessions, customers, intents, charges, subscriptions, invoices, invoicePayments, refunds, disputes, portals, eventList, idempotency, undelivered, settlementTimers } = store
  const file = store.config.stateFile
  if (!file || store.closed) return
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

export function loadState(
  store: Store,
  { scheduleSettlement, queueDelivery }: {
    scheduleSettlement: (sessionId: string, result: 'succeeded' | 'failed', dueAt?: number) => void
    queueDelivery: (event: StripeEventJson, group: string) => void
  },
) {
  const { products, prices, sessions, customers, intents, charges, subscriptions, invoices, invoicePayments, refunds, disputes, portals, portalsByToken, eventList, eventsById, idempotency } = store
  const { log } = store.config
  const file = store.config.stateFile
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
