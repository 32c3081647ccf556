/**
 * npm run bench:webhooks — signed Stripe events per second processed by the production build
 * (POST /webhooks/stripe), against the machine's ceiling measured in the same run:
 *   bare        a node:http server answering a fixed 10 kB HTML page
 *   distinct    each request a new checkout.session.completed (paid) event for its own open
 *               donation: verify the signature, record the event id, mark the donation paid,
 *               open its sealed address, find or create its supporter (ADR 017: none exists
 *               before payment), move the fund counters, add the donor, queue the receipt,
 *               in one transaction
 *   duplicate   events already applied, sent again (re-signed, as Stripe re-signs retries):
 *               verify, find the event id recorded, answer "duplicate", change nothing
 *   ignored     charge.succeeded events: verified and parsed, answered "ignored", no DB write
 *   bad sig     checkout events signed with another secret: answered 400 (verification alone)
 * The events are the local Stripe stand-in's own: one donation goes through the real donate
 * form and the stand-in's Checkout, and its events are the templates; the other donations are
 * written straight into the server's database as open rows, and their events are the template
 * with the ids (event, session, payment intent, donation) changed. Every body is signed before
 * its run (Stripe's tolerance is 300 s). After the run, the database is checked: every applied
 * event recorded once and its donation paid, fund counters equal to the sum of the donations.
 * autocannon, 50 connections, BENCH_SECONDS (default 10) per target after a 1 s warm-up,
 * BENCH_WORKERS client threads (default 2); BENCH_DONATIONS open donations (default 40,000) for
 * the distinct events: should they run out, the rest of that run are distinct ignored events,
 * and the bench says how many. The mail sender runs in the server (demo mode captures): after
 * the distinct run the bench waits for the receipts to drain. Besides the server's CPU time per
 * request, it prints how its JavaScript thread spent each run (on a CPU, or ready and waiting
 * for one): on a shared machine the wait is other processes' doing. Not a test: it prints figures.
 *
 * Engines (bench/engines.ts): with no flag, or `--engine sqlite`, the run above on SQLite, as it
 * always was. `--engine postgres` runs it on SQLite first, then twice on Postgres, each time on a
 * fresh database of the bench's own (the server gets DATABASE_URL; the open donations are written
 * with one INSERT … SELECT generate_series; the probes read through a pg connection): with ONE app
 * process, and with TWO (two servers on different ports on the same database, sharing the stand-in;
 * every run's events are split between them by two autocannon instances at once, 25 connections and
 * half the client threads each, each sending its own share of the pre-signed events: req/s summed,
 * p50/p99 the worse of the two). The same consistency checks follow every session, and the three are
 * printed side by side. `--engine postgres-only` skips SQLite.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import pg from 'pg'
import { signPayload, startStripeStandIn, type StripeEventJson, type StripeStandIn } from '../stand-ins/stripe/index.ts'
import { TEST_DATA_KEY } from '../tests/helpers/data-key.ts'
import { startServer, type RunningServer } from '../tests/helpers/server.ts'
import { sealDonation } from '../app/models/personal-data.server.ts'
import { cpuTimeMs, serverPid, startBare } from './baselines.ts'
import { benchDatabase, engineChoice, postgresCpu, requirePostgres } from './engines.ts'

// The open donations are sealed here under the key the servers get from startServer (ADR 017).
process.env.VIGIL_DATA_KEY ??= TEST_DATA_KEY

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = 50
const workers = Number(process.env.BENCH_WORKERS ?? 2)
const donationCount = Number(process.env.BENCH_DONATIONS ?? 40_000)
const slug = 'free-andry'
const engines = engineChoice()
const webhookSecret = `whsec_bench_${randomBytes(16).toString('hex')}`
const EVENT_PREFIX = 'evt_bench_'
// Where a template carries the number that makes each event distinct.
const MARK = '{BENCH_N}'

// What Stripe sends with every webhook (the stand-in's webhookRequest); the signature is set per request.
const stripeHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  accept: '*/*; q=0.5, application/xml',
  'cache-control': 'no-cache',
}

/**
 * autocannon's worker threads `require` a request's setupRequest from a file. Each run gets a
 * plan (pre-signed bodies) and a file of its own; each thread that loads it claims a slot
 * (mkdir is atomic) and sends every slots-th entry, so no two threads send the same event.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-webhooks-'))
const driverFile = path.join(tmp, 'driver.cjs')
fs.writeFileSync(
  driverFile,
  `'use strict'
const fs = require('node:fs')
exports.setup = function setup(planFile) {
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'))
  let slot = 0
  for (;;) {
    try {
      fs.mkdirSync(planFile + '.slot-' + slot)
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      slot++
    }
  }
  const share = (pool) => pool && {
    parts: pool.parts,
    ids: pool.ids.filter((_, i) => i % plan.slots === slot),
    signatures: pool.signatures.filter((_, i) => i % plan.slots === slot),
  }
  const main = share(plan.main)
  const fallback = share(plan.fallback)
  const counter = planFile + '.fallback-' + slot
  let n = 0
  let extra = 0
  return function setupRequest(request) {
    let pool = main
    let i
    if (n < main.ids.length) i = n++
    else if (plan.cycle || !fallback) i = n++ % main.ids.length
    else {
      // Out of open donations: distinct events of a kind Vigil verifies and ignores.
      pool = fallback
      i = extra++ % fallback.ids.length
      fs.writeFileSync(counter, String(extra))
    }
    request.body = pool.parts.join(String(pool.ids[i]))
    request.headers['stripe-signature'] = pool.signatures[i]
    return request
  }
}
`,
)

/** Events of one kind: a body template split at MARK, and the numbers that fill it. */
type Pool = { parts: string[]; ids: (number | string)[] }
type Plan = { file: string; planFile: string; slots: number }
let plans = 0

/** Sign every body now (the timestamp is part of the signature) and write the run's files. */
function writePlan({ main, fallback, cycle, slots, secret = webhookSecret }: { main: Pool; fallback?: Pool; cycle: boolean; slots: number; secret?: string }): Plan {
  const timestamp = Math.floor(Date.now() / 1000)
  const signed = (pool: Pool) => ({ ...pool, signatures: pool.ids.map((id) => signPayload(pool.parts.join(String(id)), secret, timestamp)) })
  const name = `run-${++plans}`
  const planFile = path.join(tmp, `${name}.json`)
  fs.writeFileSync(planFile, JSON.stringify({ slots, cycle, main: signed(main), fallback: fallback ? signed(fallback) : null }))
  const file = path.join(tmp, `${name}.cjs`)
  fs.writeFileSync(file, `module.exports = require(${JSON.stringify(driverFile)}).setup(${JSON.stringify(planFile)})\n`)
  return { file, planFile, slots }
}

/** How many fallback (ignored) events the run's threads sent. */
function fallbacksOf(plan: Plan) {
  let sum = 0
  for (let slot = 0; slot < plan.slots; slot++) {
    try {
      sum += Number(fs.readFileSync(`${plan.planFile}.fallback-${slot}`, 'utf8'))
    } catch {
      // this thread never ran out
    }
  }
  return sum
}

/** A template from a real event: JSON as Stripe sends it (pretty-printed), split where the ids go. */
function template(event: StripeEventJson, edit: (event: StripeEventJson) => void): string[] {
  const copy = structuredClone(event)
  edit(copy)
  const parts = JSON.stringify(copy, null, 2).split(MARK)
  if (parts.length < 2) throw new Error(`template for ${event.type} has no ${MARK}`)
  return parts
}

type Result = {
  name: string
  rps: number
  p50: number
  p99: number
  /** Requests not answered as expected: connection errors, timeouts, another status, another body. */
  errors: number
  /** Answered as expected (status, and body where one is expected; fallback events not included). */
  ok: number
  total: number
  duration: number
  /** CPU time the serving process spent per answered request, in ms. */
  cpuMs: number
  /** The serving process's CPU time over the run, in % of one core. */
  cpuPct: number
  /** On Postgres: CPU time the database's backends spent per request, in ms. */
  dbCpuMs: number
  /** The bench process's (autocannon's threads) CPU time over the run, in % of one core. */
  clientPct: number
  /** The server's JavaScript thread over the run: % of the time it ran, % it was ready but waited for a CPU. */
  jsRunPct: number
  jsWaitPct: number
  fallbacks: number
}

/**
 * The server's main (JavaScript) thread from /proc: ns on a CPU, ns runnable but waiting for
 * one. A request waits for that thread; on a shared machine, the wait says how much of a slow
 * figure is other processes' doing rather than the server's own cost.
 */
function schedNs(pid: number) {
  const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number)
  return { run: run!, wait: wait! }
}

type Expect = { status: 200 | 400; body?: string }

/** autocannon refuses expectBody with `requests`; a verifyBody file (for the threads) does the same. */
function verifierFor(body: string) {
  const file = path.join(tmp, `expect-${body.replace(/\W/g, '_')}.cjs`)
  fs.writeFileSync(file, `module.exports = (body) => body === ${JSON.stringify(body)}\n`)
  return file
}

/** Who serves a run: the app processes whose CPU is read, and on Postgres the database's backends. */
type Serving = { pids: number[]; dbCpu?: ReturnType<typeof postgresCpu> }

/**
 * One measured run. With one target, one autocannon as always; with two (two app processes),
 * two autocannon instances at once sharing the connections and client threads, summed.
 */
async function run(name: string, targets: autocannon.Options[], expect: Expect, serving: Serving = { pids: [] }, plan?: Plan): Promise<Result> {
  const { pids } = serving
  const cpuBefore = pids.map(cpuTimeMs)
  const schedBefore = pids.map(schedNs)
  const dbCpuSince = serving.dbCpu?.start()
  const clientBefore = process.cpuUsage()
  const split = targets.length
  const rs = await Promise.all(
    targets.map((options) =>
      autocannon({
        ...options,
        // A file path, as worker threads need (autocannon requires it; @types/autocannon knows only functions).
        ...(expect.body ? { verifyBody: verifierFor(expect.body) as unknown as autocannon.Options['verifyBody'] } : {}),
        connections: Math.floor(connections / split),
        duration: seconds,
        ...(workers > 0 ? { workers: workersPer(split) } : {}),
      }),
    ),
  )
  const client = process.cpuUsage(clientBefore)
  const duration = Math.max(...rs.map((r) => r.duration))
  const cpu = pids.length ? pids.reduce((sum, pid, i) => sum + cpuTimeMs(pid) - cpuBefore[i]!, 0) : NaN
  const sched = pids.map(schedNs)
  // Summed over the serving processes (two processes: up to 200 % of one core).
  const schedPct = (key: 'run' | 'wait') => (pids.length ? sched.reduce((sum, now, i) => sum + now[key] - schedBefore[i]![key], 0) / 1e7 / duration : NaN)
  const fallbacks = plan ? fallbacksOf(plan) : 0
  const sum = (pick: (r: autocannon.Result) => number) => rs.reduce((total, r) => total + pick(r), 0)
  const total = sum((r) => r.requests.total)
  const answered = expect.status === 200 ? sum((r) => r['2xx']) : sum((r) => r['4xx'])
  const mismatches = sum((r) => r.mismatches)
  // With an expected body, any other answer (another status too) is a mismatch; the fallback
  // events of a distinct run are answered "ignored": mismatches too, but reported apart.
  const wrong = expect.body ? Math.max(mismatches - fallbacks, total - answered) : total - answered
  const ok = expect.body ? total - mismatches : answered
  return {
    name,
    rps: sum((r) => r.requests.average),
    // Two instances' latencies cannot be merged exactly: the worse of the two.
    p50: Math.max(...rs.map((r) => r.latency.p50)),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    errors: sum((r) => r.errors) + wrong, // r.errors counts timeouts too
    ok,
    total,
    duration,
    cpuMs: cpu / Math.max(1, total),
    cpuPct: cpu / (duration * 10),
    dbCpuMs: dbCpuSince ? dbCpuSince() / Math.max(1, total) : NaN,
    clientPct: (client.user + client.system) / 1000 / (duration * 10),
    jsRunPct: schedPct('run'),
    jsWaitPct: schedPct('wait'),
    fallbacks,
  }
}

/** Client threads per autocannon instance: BENCH_WORKERS in all, shared when the load is split. */
const workersPer = (split: number) => (split === 1 ? workers : Math.max(1, Math.floor(workers / split)))

/** A 1 s warm-up (V8 optimises the path) from pool `warm`, then the measured run from `main`. */
async function measureEvents(
  name: string,
  servers: RunningServer[],
  serving: Serving,
  expect: Expect,
  pools: { warm: Pool; main: Pool; fallback?: Pool; cycle: boolean; secret?: string },
) {
  const options = (plan: Plan, server: RunningServer): autocannon.Options => ({
    url: server.url,
    method: 'POST',
    headers: stripeHeaders,
    requests: [{ method: 'POST', path: '/webhooks/stripe', setupRequest: plan.file }],
  })
  // In this thread a plan's module loads once, so warm-ups on two servers share its one slot.
  const warm = writePlan({ main: pools.warm, fallback: pools.fallback, cycle: pools.cycle, slots: 1, secret: pools.secret })
  for (const server of servers) await autocannon({ ...options(warm, server), connections: 10, duration: 1 })
  // Every client thread of every instance claims a slot of its own: no event is sent twice.
  const slots = workers > 0 ? workersPer(servers.length) * servers.length : 1
  const plan = writePlan({ main: pools.main, fallback: pools.fallback, cycle: pools.cycle, slots, secret: pools.secret })
  return run(name, servers.map((server) => options(plan, server)), expect, serving, plan)
}

/** What the bench reads and writes in the server's database, on either engine. */
type Probe = {
  benchEvents: () => number | Promise<number>
  backlog: () => number | Promise<number>
  raised: () => number | Promise<number>
  /** `count` open donations like donation `modelId`, each from its own address (sealed), no supporter yet; their ids. */
  insertOpenDonations: (modelId: number, count: number) => number[] | Promise<number[]>
  /** The donation ids of the bench events recorded, in the order they were. */
  appliedIds: () => number[] | Promise<number[]>
  checkConsistency: (firstBenchId: number) => Check[] | Promise<Check[]>
  close: () => void | Promise<void>
}

/** The server's database, read beside it (WAL), and written once to add the open donations. */
function openProbe(file: string): Probe {
  const db = new Database(file, { fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const benchEvents = db.prepare(`SELECT count(*) FROM stripe_events WHERE id GLOB '${EVENT_PREFIX}*'`).pluck()
  const backlog = db.prepare(`SELECT count(*) FROM email_messages WHERE status IN ('queued', 'sending')`).pluck()
  const raised = db.prepare('SELECT coalesce(sum(raised_minor), 0) FROM fund_counters').pluck()
  return {
    benchEvents: () => benchEvents.get() as number,
    backlog: () => backlog.get() as number,
    raised: () => raised.get() as number,
    insertOpenDonations: (modelId, count) => insertOpenDonations(db, modelId, count),
    appliedIds: () =>
      db.prepare(`SELECT CAST(substr(id, ${EVENT_PREFIX.length + 1}) AS INTEGER) FROM stripe_events WHERE id GLOB '${EVENT_PREFIX}*' ORDER BY rowid`).pluck().all() as number[],
    checkConsistency: (firstBenchId) => checkConsistency(db, firstBenchId),
    close: () => {
      db.close()
    },
  }
}

/**
 * The same on Postgres, over a connection of the bench's own. Bench event ids are
 * 'evt_bench_' and the donation id (LIKE with `_` escaped: Postgres has no GLOB).
 */
async function openPostgresProbe(url: string): Promise<Probe> {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  const n = async (query: string, params: unknown[] = []) => Number(Object.values((await pool.query(query, params)).rows[0] as object)[0])
  const benchEvent = `id LIKE '${EVENT_PREFIX.replace(/_/g, '\\_')}%'`
  // SQLite's CAST gives 0 for a non-number; Postgres' would fail: NULL instead, which joins nothing either.
  const donationOf = `CASE WHEN substr(e.id, ${EVENT_PREFIX.length + 1}) ~ '^[0-9]+$' THEN substr(e.id, ${EVENT_PREFIX.length + 1})::bigint END`
  return {
    benchEvents: () => n(`SELECT count(*) FROM stripe_events WHERE ${benchEvent}`),
    backlog: () => n(`SELECT count(*) FROM email_messages WHERE status IN ('queued', 'sending')`),
    raised: () => n('SELECT coalesce(sum(raised_minor), 0) FROM fund_counters'),
    async insertOpenDonations(modelId, count) {
      const sealed = openDonationsSealed(count)
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO donations (campaign_id, fund_id, interval, gift_minor, amount_minor, currency, locale, wants_updates, sealed, data_key_id)
         SELECT m.campaign_id, m.fund_id, m.interval, m.gift_minor, m.amount_minor, m.currency, m.locale, m.wants_updates, x.sealed, $3
         FROM unnest($2::text[]) WITH ORDINALITY AS x(sealed, i), donations m WHERE m.id = $1 ORDER BY x.i
         RETURNING id`,
        [modelId, sealed.map((s) => s.sealed), sealed[0]?.dataKeyId ?? null],
      )
      return rows.map((row) => Number(row.id)).sort((a, b) => a - b)
    },
    async appliedIds() {
      const { rows } = await pool.query<{ d: string }>(`SELECT ${donationOf} AS d FROM stripe_events e WHERE e.${benchEvent} ORDER BY e.received_at`)
      return rows.map((row) => Number(row.d))
    },
    async checkConsistency(firstBenchId) {
      const events = await n(`SELECT count(*) FROM stripe_events WHERE ${benchEvent}`)
      const paid = await n('SELECT count(*) FROM donations WHERE id >= $1 AND paid_at IS NOT NULL', [firstBenchId])
      const eventsWithoutPayment = await n(
        `SELECT count(*) FROM stripe_events e LEFT JOIN donations d ON d.id = ${donationOf}
         WHERE e.${benchEvent} AND (d.id IS NULL OR d.paid_at IS NULL)`,
      )
      const paymentsWithoutEvent = await n(
        `SELECT count(*) FROM donations d WHERE d.id >= $1 AND d.paid_at IS NOT NULL
         AND (SELECT count(*) FROM stripe_events e WHERE e.id = '${EVENT_PREFIX}' || d.id) <> 1`,
        [firstBenchId],
      )
      const funds = (
        await pool.query<Record<string, string>>(
          `SELECT f.id,
                  coalesce(c.raised_minor, 0) AS raised, (SELECT coalesce(sum(counted_minor), 0) FROM donations WHERE fund_id = f.id) AS counted,
                  coalesce(c.donations, 0) AS donations, (SELECT count(*) FROM donations WHERE fund_id = f.id AND counted_minor > 0) AS counting,
                  coalesce(c.donors, 0) AS donors, (SELECT count(*) FROM fund_donors WHERE fund_id = f.id) AS "donorRows"
           FROM funds f LEFT JOIN fund_counters c ON c.fund_id = f.id`,
        )
      ).rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)])) as FundFigures)
      const allPaid = await n('SELECT count(*) FROM donations WHERE paid_at IS NOT NULL')
      const receipts = await n(`SELECT count(*) FROM email_messages WHERE idempotency_key LIKE 'donation:%:receipt'`)
      return consistencyChecks({ events, paid, eventsWithoutPayment, paymentsWithoutEvent, funds, allPaid, receipts })
    },
    close: () => pool.end(),
  }
}

/**
 * When autocannon stops, requests the server has read may still be waiting for its JavaScript
 * thread (on a busy machine, for a while): wait until the ledger stops moving.
 */
async function settle(probe: Probe) {
  const started = Date.now()
  let last = await probe.benchEvents()
  for (let still = 0; still < 3 && Date.now() - started < 30_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    const now = await probe.benchEvents()
    still = now === last ? still + 1 : 0
    last = now
  }
}

async function drainOutbox(probe: Probe) {
  const started = Date.now()
  const backlog = await probe.backlog()
  while ((await probe.backlog()) > 0 && Date.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 100))
  return { backlog, drainMs: Date.now() - started, left: await probe.backlog() }
}

/** One donation the real way: the donate form, the stand-in's Checkout, its webhook delivered by hand. */
async function realDonation(server: RunningServer, standIn: StripeStandIn) {
  const form = new URLSearchParams({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: 'bench-0@bench.vigil.example' })
  const response = await fetch(`${server.url}/c/${slug}/donate`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  const sessionId = /\/c\/pay\/([^/?#]+)/.exec(response.headers.get('location') ?? '')?.[1]
  if (response.status !== 303 || !sessionId) throw new Error(`donate form answered ${response.status}, not a redirect to Checkout`)
  standIn.complete(decodeURIComponent(sessionId))
  const events = standIn.events()
  const find = (type: string) => {
    const event = events.find((e) => e.type === type)
    if (!event) throw new Error(`the stand-in built no ${type}`)
    return event
  }
  const completed = find('checkout.session.completed')
  const { body, headers } = standIn.webhookRequest(completed)
  const answer = await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', body, headers })
  const text = await answer.text()
  if (answer.status !== 200 || text !== 'applied') throw new Error(`the real event was answered ${answer.status} ${text}`)
  return { completed, charge: find('charge.succeeded') }
}

/**
 * What the donate form seals into each open donation (its own address, no names): the webhook
 * opens it to find or create the supporter and address the receipt, as for a real gift.
 */
function openDonationsSealed(count: number) {
  return Array.from({ length: count }, (_, i) => sealDonation({ email: `bench-${i + 1}@bench.vigil.example`, publicName: null, message: null, receiptName: null }))
}

/** `count` open donations like `model`, each from its own address, no supporter yet (the webhook makes it); returns their ids. */
function insertOpenDonations(db: Database.Database, modelId: number, count: number) {
  const model = db.prepare('SELECT campaign_id, fund_id, interval, gift_minor, amount_minor, currency, locale, wants_updates FROM donations WHERE id = ?').get(modelId) as {
    campaign_id: number
    fund_id: number
    interval: string
    gift_minor: number
    amount_minor: number
    currency: string
    locale: string
    wants_updates: number
  }
  const donation = db.prepare(
    `INSERT INTO donations (campaign_id, fund_id, interval, gift_minor, amount_minor, currency, locale, wants_updates, sealed, data_key_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const sealed = openDonationsSealed(count)
  return db.transaction(() => {
    const m = model
    return sealed.map((s) => Number(donation.run(m.campaign_id, m.fund_id, m.interval, m.gift_minor, m.amount_minor, m.currency, m.locale, m.wants_updates, s.sealed, s.dataKeyId).lastInsertRowid))
  }).immediate()
}

type Check = { name: string; ok: boolean; detail: string }

type FundFigures = { id: number; raised: number; counted: number; donations: number; counting: number; donors: number; donorRows: number }
type Figures = {
  events: number
  paid: number
  eventsWithoutPayment: number
  paymentsWithoutEvent: number
  funds: FundFigures[]
  allPaid: number
  receipts: number
}

/** After the run: the ledger, the donations, the counters and the receipts agree. */
function checkConsistency(db: Database.Database, firstBenchId: number): Check[] {
  const n = (query: string, ...params: unknown[]) => db.prepare(query).pluck().get(...params) as number
  const events = n(`SELECT count(*) FROM stripe_events WHERE id GLOB '${EVENT_PREFIX}*'`)
  const paid = n('SELECT count(*) FROM donations WHERE id >= ? AND paid_at IS NOT NULL', firstBenchId)
  // Every bench event names its donation; each must be paid, and each paid bench donation must have its event.
  const eventsWithoutPayment = n(
    `SELECT count(*) FROM stripe_events e LEFT JOIN donations d ON d.id = CAST(substr(e.id, ${EVENT_PREFIX.length + 1}) AS INTEGER)
     WHERE e.id GLOB '${EVENT_PREFIX}*' AND (d.id IS NULL OR d.paid_at IS NULL)`,
  )
  const paymentsWithoutEvent = n(
    `SELECT count(*) FROM donations d WHERE d.id >= ? AND d.paid_at IS NOT NULL
     AND (SELECT count(*) FROM stripe_events e WHERE e.id = '${EVENT_PREFIX}' || d.id) <> 1`,
    firstBenchId,
  )
  const funds = db
    .prepare(
      `SELECT f.id,
              coalesce(c.raised_minor, 0) AS raised, (SELECT coalesce(sum(counted_minor), 0) FROM donations WHERE fund_id = f.id) AS counted,
              coalesce(c.donations, 0) AS donations, (SELECT count(*) FROM donations WHERE fund_id = f.id AND counted_minor > 0) AS counting,
              coalesce(c.donors, 0) AS donors, (SELECT count(*) FROM fund_donors WHERE fund_id = f.id) AS donorRows
       FROM funds f LEFT JOIN fund_counters c ON c.fund_id = f.id`,
    )
    .all() as FundFigures[]
  const allPaid = n('SELECT count(*) FROM donations WHERE paid_at IS NOT NULL')
  const receipts = n(`SELECT count(*) FROM email_messages WHERE idempotency_key LIKE 'donation:%:receipt'`)
  return consistencyChecks({ events, paid, eventsWithoutPayment, paymentsWithoutEvent, funds, allPaid, receipts })
}

function consistencyChecks({ events, paid, eventsWithoutPayment, paymentsWithoutEvent, funds, allPaid, receipts }: Figures): Check[] {
  const checks: Check[] = [
    {
      name: 'events ↔ payments',
      ok: eventsWithoutPayment === 0 && paymentsWithoutEvent === 0 && events === paid,
      detail: `${events} distinct events recorded, ${paid} donations paid by them; ${eventsWithoutPayment} events without their payment, ${paymentsWithoutEvent} payments without exactly one event`,
    },
  ]
  const drift = funds.flatMap((f) => [
    ...(f.raised !== f.counted ? [`fund ${f.id} raised_minor ${f.raised} vs ${f.counted} counted (${f.raised - f.counted})`] : []),
    ...(f.donations !== f.counting ? [`fund ${f.id} donations ${f.donations} vs ${f.counting}`] : []),
    ...(f.donors !== f.donorRows ? [`fund ${f.id} donors ${f.donors} vs ${f.donorRows}`] : []),
  ])
  const raised = funds.reduce((sum, f) => sum + f.raised, 0)
  checks.push({ name: 'fund counters', ok: drift.length === 0, detail: drift.length === 0 ? `raised_minor = sum of counted_minor (${raised}) in ${funds.length} funds` : drift.join('; ') })
  checks.push({ name: 'receipts', ok: receipts === allPaid, detail: `${receipts} receipts queued for ${allPaid} paid donations` })
  return checks
}

type Session = {
  title: string
  results: Result[]
  notes: string[]
  checks: Check[]
  distinctStored: { answered: number; stored: number; fallbacks: number; warmStored: number }
  outbox: { backlog: number; drainMs: number; left: number }
  setupMs: number
  loadBefore: number
}

/**
 * One whole run: bare, then the four kinds of event on `processes` app servers, then the checks.
 * On SQLite one server on its own file, as always; on Postgres a fresh database of the bench's own.
 */
async function session(engine: 'sqlite' | 'postgres', processes: 1 | 2): Promise<Session> {
  const results: Result[] = []
  const notes: string[] = []
  let checks: Check[] = []
  let duplicateEffect = { events: 0, raised: 0 }
  let distinctStored = { answered: 0, stored: 0, fallbacks: 0, warmStored: 0 }
  let outbox = { backlog: 0, drainMs: 0, left: 0 }
  let setupMs = 0
  const loadBefore = os.loadavg()[0]!
  const bare = await startBare()
  const database = engine === 'postgres' ? await benchDatabase() : undefined
  let standIn: StripeStandIn | undefined
  const servers: RunningServer[] = []
  let probe: Probe | undefined
  try {
    const setupStarted = Date.now()
    standIn = await startStripeStandIn({ deliver: false, webhookSecret })
    // The engine is the bench's choice (--engine), not the shell's.
    const env: Record<string, string> = { DATABASE_URL: '', VIGIL_QUIET_LOG: '1', STRIPE_API_BASE: standIn.url, STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_SECRET_KEY: '' }
    if (database) Object.assign(env, { DATABASE_URL: database.url, SESSION_SECRET: `bench-${randomBytes(24).toString('hex')}` })
    const vigil = await startServer({ env })
    servers.push(vigil)
    if (processes === 2) servers.push(await startServer({ seed: false, env }))
    const serving: Serving = { pids: servers.map(serverPid), dbCpu: database ? postgresCpu(database.name) : undefined }
    probe = database ? await openPostgresProbe(database.url) : openProbe(vigil.databasePath)
    const real = await realDonation(vigil, standIn)
    const modelId = Number((real.completed.data.object.metadata as Record<string, string>).donation_id)
    const ids = await probe.insertOpenDonations(modelId, donationCount)
    const firstBenchId = ids[0]!
    setupMs = Date.now() - setupStarted

    // Templates: the real events with the ids that must differ per event replaced by MARK.
    const checkoutParts = template(real.completed, (event) => {
      const session = event.data.object as Record<string, unknown>
      event.id = `${EVENT_PREFIX}${MARK}`
      session.id = `cs_test_bench_${MARK}`
      session.client_reference_id = MARK
      session.payment_intent = `pi_bench_${MARK}`
      session.customer_email = `bench-${MARK}@bench.vigil.example`
      ;(session.customer_details as Record<string, unknown>).email = session.customer_email
      ;(session.metadata as Record<string, string>).donation_id = MARK
    })
    const chargeParts = template(real.charge, (event) => {
      event.id = `evt_bench_ignored_${MARK}`
    })
    const numbers = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
    const ignoredPool: Pool = { parts: chargeParts, ids: numbers(1, 20_000) }

    const bareOptions = { url: `${bare.url}/`, headers: { 'accept-encoding': 'gzip, deflate, br' } }
    await autocannon({ ...bareOptions, connections: 10, duration: 1 })
    results.push(await run('bare node:http, 10 kB', [bareOptions], { status: 200 }))
    // The warm-up takes the first donations, the measured run the rest; both apply events.
    const warmCount = Math.min(3000, Math.floor(ids.length / 10))
    const eventsBefore = await probe.benchEvents()
    const distinct = await measureEvents('distinct (applied)', servers, serving, { status: 200, body: 'applied' }, {
      warm: { parts: checkoutParts, ids: ids.slice(0, warmCount) },
      main: { parts: checkoutParts, ids: ids.slice(warmCount) },
      fallback: ignoredPool,
      cycle: false,
    })
    results.push(distinct)
    const backlogAtStop = await probe.backlog()
    const settleStarted = Date.now()
    await settle(probe)
    const drained = await drainOutbox(probe)
    outbox = { backlog: backlogAtStop, drainMs: Date.now() - settleStarted, left: drained.left }
    const applied = await probe.appliedIds()
    const warmStored = applied.filter((id) => id < ids[warmCount]!).length
    distinctStored = { answered: distinct.ok, stored: applied.length - eventsBefore - warmStored, fallbacks: distinct.fallbacks, warmStored }
    if (distinct.fallbacks > 0) notes.push(`the open donations ran out: ${distinct.fallbacks} requests of the distinct run were ignored events (raise BENCH_DONATIONS)`)

    const before = { events: await probe.benchEvents(), raised: await probe.raised() }
    results.push(
      await measureEvents('duplicate (already applied)', servers, serving, { status: 200, body: 'duplicate' }, {
        warm: { parts: checkoutParts, ids: applied.slice(0, 2000) },
        main: { parts: checkoutParts, ids: applied },
        cycle: true,
      }),
    )
    await settle(probe)
    duplicateEffect = { events: (await probe.benchEvents()) - before.events, raised: (await probe.raised()) - before.raised }
    results.push(
      await measureEvents('ignored (charge.succeeded)', servers, serving, { status: 200, body: 'ignored' }, {
        warm: { parts: chargeParts, ids: numbers(100_000, 2000) },
        main: ignoredPool,
        cycle: true,
      }),
    )
    results.push(
      await measureEvents('bad signature (400)', servers, serving, { status: 400 }, {
        warm: { parts: checkoutParts, ids: ids.slice(0, 2000) },
        main: { parts: checkoutParts, ids: ids.slice(0, 20_000) },
        cycle: true,
        secret: `whsec_not_this_endpoint_${randomBytes(8).toString('hex')}`,
      }),
    )
    await drainOutbox(probe)
    checks = await probe.checkConsistency(firstBenchId)
    if (duplicateEffect.events !== 0 || duplicateEffect.raised !== 0) {
      checks.push({ name: 'duplicates', ok: false, detail: `the duplicate run changed the ledger by ${duplicateEffect.events} events and the funds by ${duplicateEffect.raised}` })
    } else {
      checks.push({ name: 'duplicates', ok: true, detail: 'the duplicate run recorded no event and moved no counter' })
    }
  } finally {
    await probe?.close()
    bare.stop()
    for (const server of servers) await server.stop()
    await standIn?.close()
    await database?.drop()
  }
  const title = engine === 'sqlite' ? 'SQLite, one app process' : processes === 1 ? 'Postgres, one app process' : 'Postgres, two app processes'
  return { title, results, notes, checks, distinctStored, outbox, setupMs, loadBefore }
}

const sessions: Session[] = []
try {
  if (engines.postgres) await requirePostgres()
  if (engines.sqlite) sessions.push(await session('sqlite', 1))
  if (engines.postgres) {
    sessions.push(await session('postgres', 1))
    sessions.push(await session('postgres', 2))
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const fixed = (x: number, digits: number) => (Number.isNaN(x) ? '-' : x.toFixed(digits))

/** One session's figures, as the SQLite run has always printed them (Postgres adds its backends' CPU). */
function printSession({ title, results, notes, checks, distinctStored, outbox, setupMs, loadBefore }: Session) {
  const onPostgres = title.startsWith('Postgres')
  const twoProcesses = title.includes('two app processes')
  console.log(`\nbench:webhooks — POST /webhooks/stripe, ${connections} connections, ${seconds} s each, ${workers} client workers, ${new Date().toISOString()}`)
  if (engines.label !== 'sqlite') {
    console.log(`engine: ${title}${twoProcesses ? ` — two autocannon instances at once, ${connections / 2} connections each, each sending its share of the events; req/s summed, p50/p99 the worse of the two` : ''}`)
  }
  console.log(`machine load before the run: ${loadBefore.toFixed(2)} (1-min average, ${os.availableParallelism()} cores); setup (server, real donation, ${donationCount.toLocaleString('en')} open donations) ${(setupMs / 1000).toFixed(1)} s`)
  console.log(`machine load after the run: ${os.loadavg()[0]!.toFixed(2)} (other processes take CPU from the server and the client alike: compare ratios, not absolute figures)`)
  console.log(
    `${'target'.padEnd(29)}${pad('req/s', 8)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('errors', 7)}${pad('CPU ms/req', 11)}` +
      `${pad('server CPU', 11)}${pad('JS run/wait', 13)}${pad('client CPU', 11)}${pad('vs bare', 9)}${onPostgres ? pad('PG CPU ms/req', 15) : ''}`,
  )
  const bareRps = results[0]!.rps
  const percent = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(0)} %`)
  for (const r of results) {
    console.log(
      `${r.name.padEnd(29)}${pad(r.rps.toFixed(0), 8)}${pad(r.p50, 8)}${pad(r.p99, 8)}${pad(r.errors, 7)}${pad(fixed(r.cpuMs, 3), 11)}` +
        `${pad(percent(r.cpuPct), 11)}${pad(Number.isNaN(r.jsRunPct) ? '-' : `${r.jsRunPct.toFixed(0)}/${r.jsWaitPct.toFixed(0)} %`, 13)}` +
        `${pad(percent(r.clientPct), 11)}${pad(`${((r.rps / bareRps) * 100).toFixed(1)} %`, 9)}${onPostgres ? pad(fixed(r.dbCpuMs, 3), 15) : ''}`,
    )
  }
  console.log("(CPU ms/req: the serving process's CPU time per answered request; server CPU: that process over the run, in % of one core;")
  console.log(' JS run/wait: its JavaScript thread, which every request needs, on a CPU / ready but waiting for one, in % of the run;')
  console.log(' client CPU: autocannon, in this process; errors: requests not answered with the expected status and body)')
  if (twoProcesses) console.log('(two processes: CPU, server CPU and JS run/wait are summed over both)')
  if (onPostgres) console.log("(PG CPU ms/req: the CPU time of the Postgres backends serving the bench's database, per request)")

  const by = (name: string) => results.find((r) => r.name.startsWith(name))
  const distinct = by('distinct')
  const duplicate = by('duplicate')
  const ignored = by('ignored')
  const bad = by('bad signature')
  console.log('')
  if (distinct) {
    const inFlight = distinctStored.stored - distinctStored.answered
    console.log(
      `distinct events  : ${(distinct.ok / distinct.duration).toFixed(0)} applied/s, p99 ${distinct.p99} ms ` +
        `(${distinct.ok} answered "applied", ${distinctStored.stored} recorded, ${inFlight >= 0 ? `${inFlight} more in flight at the stop` : `${-inFlight} MISSING`}; ` +
        `${distinctStored.warmStored} more in the warm-up)`,
    )
    console.log(`receipts         : ${outbox.backlog} queued at the end of the distinct run, all sent (captured) in ${(outbox.drainMs / 1000).toFixed(1)} s${outbox.left ? ` (${outbox.left} left)` : ''}`)
    if (inFlight < 0 || inFlight > connections) notes.push(`the distinct run answered ${distinctStored.answered} "applied" but recorded ${distinctStored.stored}`)
  }
  if (duplicate) console.log(`duplicate events : ${(duplicate.ok / duplicate.duration).toFixed(0)} answered "duplicate"/s, p99 ${duplicate.p99} ms`)
  if (distinct && duplicate && ignored && bad) {
    console.log(`\nratios (same run)`)
    console.log(`distinct  / bare      : ${((distinct.rps / bareRps) * 100).toFixed(1)} % of the req/s`)
    console.log(`duplicate / bare      : ${((duplicate.rps / bareRps) * 100).toFixed(1)} %`)
    console.log(`distinct  / duplicate : ${((distinct.rps / duplicate.rps) * 100).toFixed(0)} % of the req/s, ${(distinct.cpuMs / duplicate.cpuMs).toFixed(2)}× the CPU per request`)
    console.log(`duplicate / ignored   : ${((duplicate.rps / ignored.rps) * 100).toFixed(0)} % of the req/s, ${(duplicate.cpuMs / ignored.cpuMs).toFixed(2)}× the CPU per request`)
    console.log(`ignored   / bad sig   : ${((ignored.rps / bad.rps) * 100).toFixed(0)} % of the req/s, ${(ignored.cpuMs / bad.cpuMs).toFixed(2)}× the CPU per request`)
    const step = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)} ms`
    console.log(
      `server CPU per request, step by step: framework and a failed verification ${bad.cpuMs.toFixed(3)} ms; ` +
        `verified and parsed ${step(ignored.cpuMs - bad.cpuMs)}; ledger transaction (duplicate) ${step(duplicate.cpuMs - ignored.cpuMs)}; ` +
        `applying the payment ${step(distinct.cpuMs - duplicate.cpuMs)}`,
    )
  }
  console.log('\nconsistency')
  for (const c of checks) console.log(`${c.name.padEnd(18)}: ${c.ok ? 'consistent' : 'INCONSISTENT'} — ${c.detail}`)
  for (const note of notes) console.log(`note: ${note}`)
  const failed = results.some((r) => r.errors > 0)
  if (failed) console.log('\nwarning: some requests failed or were answered unexpectedly; figures are not comparable')
  if (failed || checks.length === 0 || checks.some((c) => !c.ok) || notes.some((n) => n.startsWith('the distinct run answered'))) process.exitCode = 1
}

for (const s of sessions) printSession(s)

if (engines.postgres) {
  const column = 22
  const short = (title: string) => title.replace(', one app process', ', 1 proc').replace(', two app processes', ', 2 procs')
  console.log(`\nside by side, same session: req/s (p99 ms)`)
  console.log(`${'target'.padEnd(29)}${sessions.map((s) => pad(short(s.title), column)).join('')}`)
  for (const name of sessions[0]!.results.map((r) => r.name)) {
    console.log(`${name.padEnd(29)}${sessions.map((s) => {
      const r = s.results.find((x) => x.name === name)
      return pad(r ? `${r.rps.toFixed(0)} (${r.p99})` : '-', column)
    }).join('')}`)
  }
  console.log(`${'consistency'.padEnd(29)}${sessions.map((s) => pad(s.checks.length > 0 && s.checks.every((c) => c.ok) ? 'consistent' : 'INCONSISTENT', column)).join('')}`)
  const applied = (s: Session | undefined) => {
    const r = s?.results.find((x) => x.name.startsWith('distinct'))
    return r ? r.ok / r.duration : NaN
  }
  const sqlite = sessions.find((s) => s.title.startsWith('SQLite'))
  const [one, two] = sessions.filter((s) => s.title.startsWith('Postgres'))
  console.log('')
  if (sqlite) console.log(`Postgres / SQLite, distinct events applied/s : ${((applied(one) / applied(sqlite)) * 100).toFixed(0)} %`)
  console.log(`two processes / one, distinct events applied/s: ×${(applied(two) / applied(one)).toFixed(2)}`)
  console.log(`(${os.availableParallelism()} cores here, shared by autocannon, the app processes and Postgres)`)
}
