import os from 'node:os'

/**
 * This process's figures for Prometheus (`GET /metrics`, server/metrics.ts): counters and
 * histograms kept in memory, written out in the text exposition format (version 0.0.4) at
 * scrape time. Every sample carries `process="<host>:<port>"`, so several app servers behind
 * one load balancer are told apart; counters start at zero when a process starts, which
 * Prometheus' rate() expects.
 *
 * Labels take only values from the fixed lists below (route groups, status classes, outcomes),
 * never a path, an id or anything a client chose, so the number of series stays small and no
 * personal data reaches the metrics.
 *
 * The registry lives on globalThis: the server imports this module directly and the Remix
 * build bundles its own copy, and both must count into the same figures.
 */

export const ROUTE_GROUPS = ['public', 'sign', 'confirm', 'donate', 'webhook', 'admin', 'asset', 'other'] as const
export type RouteGroup = (typeof ROUTE_GROUPS)[number]

/** Seconds; a page from the cache takes about a millisecond, a signature under load some tens. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

type Help = { name: string; help: string; type: 'counter' | 'gauge' | 'histogram' }

type Histogram = { buckets: number[]; sum: number; count: number }

type Registry = {
  process: string
  startedAt: number
  counters: Map<string, Map<string, number>>
  histograms: Map<string, Map<string, Histogram>>
}

declare global {
  var __vigilMetrics: Registry | undefined
}

function registry(): Registry {
  globalThis.__vigilMetrics ??= {
    process: `${os.hostname()}:${process.pid}`,
    startedAt: Date.now(),
    counters: new Map(),
    histograms: new Map(),
  }
  return globalThis.__vigilMetrics
}

/** Names this process in every sample: the web server once it knows its port, the worker at start. */
export function setMetricsProcess(name: string) {
  registry().process = name
}

/** `a="x",b="y"` in a fixed order; values come from our own lists, escaped all the same. */
function labelKey(labels: Record<string, string>) {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')
}

function increment(name: string, labels: Record<string, string> = {}, by = 1) {
  const counters = registry().counters
  let series = counters.get(name)
  if (!series) counters.set(name, (series = new Map()))
  const key = labelKey(labels)
  series.set(key, (series.get(key) ?? 0) + by)
}

function observe(name: string, labels: Record<string, string>, value: number) {
  const histograms = registry().histograms
  let series = histograms.get(name)
  if (!series) histograms.set(name, (series = new Map()))
  const key = labelKey(labels)
  let histogram = series.get(key)
  if (!histogram) series.set(key, (histogram = { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }))
  // Stored per bucket, made cumulative when written out.
  const at = LATENCY_BUCKETS.findIndex((bound) => value <= bound)
  if (at >= 0) histogram.buckets[at]! += 1
  histogram.sum += value
  histogram.count += 1
}

const HELP: Record<string, Help> = {}
function describe(name: string, type: Help['type'], help: string) {
  HELP[name] = { name, type, help }
  return name
}

const REQUESTS = describe('vigil_http_requests_total', 'counter', 'HTTP requests answered, by route group and status class.')
const LATENCY = describe('vigil_http_request_duration_seconds', 'histogram', 'Time from a request\'s arrival to the end of its answer, by route group and status class.')
const SIGNATURES_CREATED = describe('vigil_signatures_created_total', 'counter', 'New signatures stored (pending until their email is confirmed).')
const SIGNATURES_CONFIRMED = describe('vigil_signatures_confirmed_total', 'counter', 'Signatures confirmed by their email link.')
const SENDER_REQUESTS = describe('vigil_sender_requests_total', 'counter', 'Requests the mail sender made to the provider (or captured in demo mode), by kind (single, batch) and result (ok, retry, failed).')
const SENDER_EMAILS = describe('vigil_sender_emails_total', 'counter', 'Emails the provider accepted (sent) or refused in an accepted batch (refused).')
const SENDER_ERRORS = describe('vigil_sender_errors_total', 'counter', 'Sender requests that failed, by whether they will be retried (transient) or not (permanent).')
const WEBHOOKS = describe('vigil_webhook_events_total', 'counter', 'Webhook deliveries by provider and outcome: applied, duplicate, ignored, failed (recorded as inconsistent), refused (bad signature or body), error (to be retried by the provider).')
const JOB_RUNS = describe('vigil_job_runs_total', 'counter', 'Runs of the background jobs (retention, reminders, count-log), by outcome (ok, error).')
describe('vigil_outbox_backlog', 'gauge', 'Emails waiting to be sent, read from the database at scrape time, by kind (confirmation, transactional, update).')
describe('vigil_outbox_oldest_due_age_seconds', 'gauge', 'Age of the oldest confirmation or other transactional email waiting to be sent (0 when none waits), read at scrape time.')
describe('vigil_outbox_oldest_confirmation_age_seconds', 'gauge', 'Age of the oldest confirmation email waiting to be sent (0 when none waits), read at scrape time.')
describe('vigil_database_up', 'gauge', 'Whether the database answered select 1 at scrape time (1) or not (0).')
describe('vigil_process_start_time_seconds', 'gauge', 'When this process started, in seconds since the epoch.')

/** A request's path to its group (`route` is normalised, decoded and lower case: server/guard.ts). */
export function routeGroupOf(method: string, route: string | null): RouteGroup {
  if (route === null) return 'other'
  const path = route.endsWith('.data') ? route.slice(0, -'.data'.length) : route
  if (path.startsWith('/webhooks/')) return 'webhook'
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin'
  if (path.startsWith('/confirm/')) return 'confirm'
  if (/^\/(?:embed\/)?c\/[^/]+\/donate(?:\/|$)/.test(path) || path.startsWith('/donations/')) return 'donate'
  if (/^\/(?:embed\/)?c\/[^/]+\/?$/.test(path)) return method === 'POST' ? 'sign' : 'public'
  if (
    path.startsWith('/assets/') ||
    path.startsWith('/media/') ||
    /^\/c\/[^/]+\/(?:card-[a-z]+\.png|qr\.(?:png|svg))$/.test(path) ||
    /^\/(?:favicon\.ico|brand\.css|[\w.-]+\.(?:png|svg|ico|webmanifest|woff2?))$/.test(path)
  ) {
    return 'asset'
  }
  if (
    path === '/' ||
    /^\/c\/[^/]+\/(?:count\.json|print\/[^/]+)$/.test(path) ||
    /^\/(?:thanks|unsubscribe|preferences)\/[^/]+\/?$/.test(path) ||
    /^\/(?:privacy|imprint|contact|oembed|share\/mastodon|sitemap\.xml|robots\.txt)$/.test(path)
  ) {
    return 'public'
  }
  return 'other'
}

function statusClass(status: number) {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

export function countRequest({ group, status, seconds }: { group: RouteGroup; status: number; seconds: number }) {
  const labels = { group, status: statusClass(status) }
  increment(REQUESTS, labels)
  observe(LATENCY, labels, seconds)
}

export function countSignatureCreated() {
  increment(SIGNATURES_CREATED)
}

export function countSignatureConfirmed() {
  increment(SIGNATURES_CONFIRMED)
}

/** One request of the sender: `sent` emails accepted, `refused` refused inside an accepted batch, `error` when the request failed. */
export function countSenderRequest({ kind, sent, refused = 0, error }: { kind: 'single' | 'batch'; sent: number; refused?: number; error: 'transient' | 'permanent' | null }) {
  increment(SENDER_REQUESTS, { kind, result: error === null ? 'ok' : error === 'transient' ? 'retry' : 'failed' })
  if (sent > 0) increment(SENDER_EMAILS, { result: 'sent' }, sent)
  if (refused > 0) increment(SENDER_EMAILS, { result: 'refused' }, refused)
  if (error) increment(SENDER_ERRORS, { kind: error })
}

const WEBHOOK_OUTCOMES = new Map([
  ['applied', 'applied'],
  ['recorded', 'applied'],
  ['duplicate', 'duplicate'],
  ['ignored', 'ignored'],
  ['failed', 'failed'],
])

/** A webhook's answer (the workflows' `{ status, body, result? }`) as its outcome. */
export function countWebhook(provider: 'stripe' | 'resend', answer: { status: number; body: string; result?: string }) {
  const outcome =
    answer.status >= 500 ? 'error' : answer.status >= 400 ? 'refused' : (WEBHOOK_OUTCOMES.get(answer.result ?? answer.body) ?? 'other')
  increment(WEBHOOKS, { provider, outcome })
}

export function countJobRun(job: string, outcome: 'ok' | 'error') {
  increment(JOB_RUNS, { job, outcome })
}

/** What is read from the database at scrape time (server/metrics.ts). */
export type ScrapeGauges = {
  databaseUp: boolean
  /** Null when the outbox could not be read. */
  outbox: {
    backlog: { confirmation: number; transactional: number; update: number }
    oldestDueAgeSeconds: number
    oldestConfirmationAgeSeconds: number
  } | null
}

function sample(name: string, labels: string, value: number) {
  return `${name}{${labels}} ${Number.isFinite(value) ? value : 0}`
}

/** The text exposition of every figure, with `gauges` read from the database just before. */
export function renderMetrics(gauges: ScrapeGauges): string {
  const { process: name, startedAt, counters, histograms } = registry()
  const own = labelKey({ process: name })
  const withOwn = (labels: string) => (labels ? `${own},${labels}` : own)
  const lines: string[] = []
  const header = (metric: string) => {
    const help = HELP[metric]!
    lines.push(`# HELP ${metric} ${help.help}`, `# TYPE ${metric} ${help.type}`)
  }
  for (const [metric, help] of Object.entries(HELP)) {
    if (help.type === 'counter') {
      header(metric)
      const series = counters.get(metric)
      // A counter nobody touched yet is written as 0, so rate() has a start and alerts can name it.
      if (!series || series.size === 0) lines.push(sample(metric, own, 0))
      else for (const [labels, value] of series) lines.push(sample(metric, withOwn(labels), value))
    } else if (help.type === 'histogram') {
      header(metric)
      for (const [labels, histogram] of histograms.get(metric) ?? []) {
        let cumulative = 0
        LATENCY_BUCKETS.forEach((bound, i) => {
          cumulative += histogram.buckets[i]!
          lines.push(sample(`${metric}_bucket`, withOwn(`${labels},le="${bound}"`), cumulative))
        })
        lines.push(sample(`${metric}_bucket`, withOwn(`${labels},le="+Inf"`), histogram.count))
        lines.push(sample(`${metric}_sum`, withOwn(labels), histogram.sum))
        lines.push(sample(`${metric}_count`, withOwn(labels), histogram.count))
      }
    }
  }
  header('vigil_process_start_time_seconds')
  lines.push(sample('vigil_process_start_time_seconds', own, Math.floor(startedAt / 1000)))
  header('vigil_database_up')
  lines.push(sample('vigil_database_up', own, gauges.databaseUp ? 1 : 0))
  const outbox = gauges.outbox
  if (outbox) {
    header('vigil_outbox_backlog')
    for (const [kind, value] of Object.entries(outbox.backlog)) lines.push(sample('vigil_outbox_backlog', withOwn(labelKey({ kind })), value))
    header('vigil_outbox_oldest_due_age_seconds')
    lines.push(sample('vigil_outbox_oldest_due_age_seconds', own, outbox.oldestDueAgeSeconds))
    header('vigil_outbox_oldest_confirmation_age_seconds')
    lines.push(sample('vigil_outbox_oldest_confirmation_age_seconds', own, outbox.oldestConfirmationAgeSeconds))
  }
  return `${lines.join('\n')}\n`
}
