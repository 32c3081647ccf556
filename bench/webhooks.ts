/**
 * npm run bench:webhooks — signed Stripe events per second processed by the production build
 * (POST /webhooks/stripe), against the machine's ceiling measured in the same run:
 *   bare        a node:http server answering a fixed 10 kB HTML page
 *   distinct    each request a new checkout.session.completed (paid) event for its own open
 *               donation: verify the signature, record the event id, mark the donation paid,
 *               move the fund counters, add the donor, queue the receipt, in one transaction
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
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import { signPayload, startStripeStandIn, type StripeEventJson, type StripeStandIn } from '../stand-ins/stripe/index.ts'
import { startServer, type RunningServer } from '../tests/helpers/server.ts'
import { cpuTimeMs, serverPid, startBare } from './baselines.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = 50
const workers = Number(process.env.BENCH_WORKERS ?? 2)
const donationCount = Number(process.env.BENCH_DONATIONS ?? 40_000)
const slug = 'free-andry'
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

async function run(name: string, options: autocannon.Options, expect: Expect, pid?: number, plan?: Plan): Promise<Result> {
  const cpuBefore = pid ? cpuTimeMs(pid) : NaN
  const schedBefore = pid ? schedNs(pid) : undefined
  const clientBefore = process.cpuUsage()
  const r = await autocannon({
    ...options,
    // A file path, as worker threads need (autocannon requires it; @types/autocannon knows only functions).
    ...(expect.body ? { verifyBody: verifierFor(expect.body) as unknown as autocannon.Options['verifyBody'] } : {}),
    connections,
    duration: seconds,
    ...(workers > 0 ? { workers } : {}),
  })
  const client = process.cpuUsage(clientBefore)
  const cpu = pid ? cpuTimeMs(pid) - cpuBefore : NaN
  const sched = pid ? schedNs(pid) : undefined
  const schedPct = (key: 'run' | 'wait') => (sched && schedBefore ? (sched[key] - schedBefore[key]) / 1e7 / r.duration : NaN)
  const fallbacks = plan ? fallbacksOf(plan) : 0
  const total = r.requests.total
  const answered = expect.status === 200 ? r['2xx'] : r['4xx']
  // With an expected body, any other answer (another status too) is a mismatch; the fallback
  // events of a distinct run are answered "ignored": mismatches too, but reported apart.
  const wrong = expect.body ? Math.max(r.mismatches - fallbacks, total - answered) : total - answered
  const ok = expect.body ? total - r.mismatches : answered
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + wrong, // r.errors counts timeouts too
    ok,
    total,
    duration: r.duration,
    cpuMs: pid ? cpu / Math.max(1, r.requests.total) : NaN,
    cpuPct: pid ? cpu / (r.duration * 10) : NaN,
    clientPct: (client.user + client.system) / 1000 / (r.duration * 10),
    jsRunPct: schedPct('run'),
    jsWaitPct: schedPct('wait'),
    fallbacks,
  }
}

/** A 1 s warm-up (V8 optimises the path) from pool `warm`, then the measured run from `main`. */
async function measureEvents(
  name: string,
  server: RunningServer,
  pid: number,
  expect: Expect,
  pools: { warm: Pool; main: Pool; fallback?: Pool; cycle: boolean; secret?: string },
) {
  const options = (plan: Plan): autocannon.Options => ({
    url: server.url,
    method: 'POST',
    headers: stripeHeaders,
    requests: [{ method: 'POST', path: '/webhooks/stripe', setupRequest: plan.file }],
  })
  const warm = writePlan({ main: pools.warm, fallback: pools.fallback, cycle: pools.cycle, slots: 1, secret: pools.secret })
  await autocannon({ ...options(warm), connections: 10, duration: 1 })
  const plan = writePlan({ main: pools.main, fallback: pools.fallback, cycle: pools.cycle, slots: Math.max(1, workers), secret: pools.secret })
  return run(name, options(plan), expect, pid, plan)
}

/** The server's database, read beside it (WAL), and written once to add the open donations. */
function openProbe(file: string) {
  const db = new Database(file, { fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const benchEvents = db.prepare(`SELECT count(*) FROM stripe_events WHERE id GLOB '${EVENT_PREFIX}*'`).pluck()
  const backlog = db.prepare(`SELECT count(*) FROM email_messages WHERE status IN ('queued', 'sending')`).pluck()
  const raised = db.prepare('SELECT coalesce(sum(raised_minor), 0) FROM fund_counters').pluck()
  return {
    db,
    benchEvents: () => benchEvents.get() as number,
    backlog: () => backlog.get() as number,
    raised: () => raised.get() as number,
    close: () => db.close(),
  }
}
type Probe = ReturnType<typeof openProbe>

/**
 * When autocannon stops, requests the server has read may still be waiting for its JavaScript
 * thread (on a busy machine, for a while): wait until the ledger stops moving.
 */
async function settle(probe: Probe) {
  const started = Date.now()
  let last = probe.benchEvents()
  for (let still = 0; still < 3 && Date.now() - started < 30_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    const now = probe.benchEvents()
    still = now === last ? still + 1 : 0
    last = now
  }
}

async function drainOutbox(probe: Probe) {
  const started = Date.now()
  const backlog = probe.backlog()
  while (probe.backlog() > 0 && Date.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 100))
  return { backlog, drainMs: Date.now() - started, left: probe.backlog() }
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

/** `count` open donations like `model`, each from its own new supporter; returns their ids. */
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
  const supporter = db.prepare(`INSERT INTO supporters (email_normalized, email, first_name, last_name, country, locale) VALUES (?, ?, '', '', '', ?)`)
  const donation = db.prepare(
    `INSERT INTO donations (campaign_id, fund_id, supporter_id, interval, gift_minor, amount_minor, currency, locale, wants_updates, email)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  return db.transaction(() => {
    const ids: number[] = []
    for (let i = 1; i <= count; i++) {
      const email = `bench-${i}@bench.vigil.example`
      const supporterId = supporter.run(email, email, model.locale).lastInsertRowid
      const m = model
      ids.push(Number(donation.run(m.campaign_id, m.fund_id, supporterId, m.interval, m.gift_minor, m.amount_minor, m.currency, m.locale, m.wants_updates, email).lastInsertRowid))
    }
    return ids
  }).immediate()
}

type Check = { name: string; ok: boolean; detail: string }

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
  const checks: Check[] = [
    {
      name: 'events ↔ payments',
      ok: eventsWithoutPayment === 0 && paymentsWithoutEvent === 0 && events === paid,
      detail: `${events} distinct events recorded, ${paid} donations paid by them; ${eventsWithoutPayment} events without their payment, ${paymentsWithoutEvent} payments without exactly one event`,
    },
  ]
  const funds = db
    .prepare(
      `SELECT f.id,
              coalesce(c.raised_minor, 0) AS raised, (SELECT coalesce(sum(counted_minor), 0) FROM donations WHERE fund_id = f.id) AS counted,
              coalesce(c.donations, 0) AS donations, (SELECT count(*) FROM donations WHERE fund_id = f.id AND counted_minor > 0) AS counting,
              coalesce(c.donors, 0) AS donors, (SELECT count(*) FROM fund_donors WHERE fund_id = f.id) AS donorRows
       FROM funds f LEFT JOIN fund_counters c ON c.fund_id = f.id`,
    )
    .all() as { id: number; raised: number; counted: number; donations: number; counting: number; donors: number; donorRows: number }[]
  const drift = funds.flatMap((f) => [
    ...(f.raised !== f.counted ? [`fund ${f.id} raised_minor ${f.raised} vs ${f.counted} counted (${f.raised - f.counted})`] : []),
    ...(f.donations !== f.counting ? [`fund ${f.id} donations ${f.donations} vs ${f.counting}`] : []),
    ...(f.donors !== f.donorRows ? [`fund ${f.id} donors ${f.donors} vs ${f.donorRows}`] : []),
  ])
  const raised = funds.reduce((sum, f) => sum + f.raised, 0)
  checks.push({ name: 'fund counters', ok: drift.length === 0, detail: drift.length === 0 ? `raised_minor = sum of counted_minor (${raised}) in ${funds.length} funds` : drift.join('; ') })
  const allPaid = n('SELECT count(*) FROM donations WHERE paid_at IS NOT NULL')
  const receipts = n(`SELECT count(*) FROM email_messages WHERE idempotency_key LIKE 'donation:%:receipt'`)
  checks.push({ name: 'receipts', ok: receipts === allPaid, detail: `${receipts} receipts queued for ${allPaid} paid donations` })
  return checks
}

const results: Result[] = []
const notes: string[] = []
let checks: Check[] = []
let duplicateEffect = { events: 0, raised: 0 }
let distinctStored = { answered: 0, stored: 0, fallbacks: 0, warmStored: 0 }
let outbox = { backlog: 0, drainMs: 0, left: 0 }
let setupMs = 0
const loadBefore = os.loadavg()[0]!
const bare = await startBare()
let standIn: StripeStandIn | undefined
let vigil: RunningServer | undefined
let probe: Probe | undefined
try {
  const setupStarted = Date.now()
  standIn = await startStripeStandIn({ deliver: false, webhookSecret })
  vigil = await startServer({
    env: { VIGIL_QUIET_LOG: '1', STRIPE_API_BASE: standIn.url, STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_SECRET_KEY: '' },
  })
  const pid = serverPid(vigil)
  probe = openProbe(vigil.databasePath)
  const real = await realDonation(vigil, standIn)
  const modelId = Number((real.completed.data.object.metadata as Record<string, string>).donation_id)
  const ids = insertOpenDonations(probe.db, modelId, donationCount)
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
  results.push(await run('bare node:http, 10 kB', bareOptions, { status: 200 }))
  // The warm-up takes the first donations, the measured run the rest; both apply events.
  const warmCount = Math.min(3000, Math.floor(ids.length / 10))
  const eventsBefore = probe.benchEvents()
  const distinct = await measureEvents('distinct (applied)', vigil, pid, { status: 200, body: 'applied' }, {
    warm: { parts: checkoutParts, ids: ids.slice(0, warmCount) },
    main: { parts: checkoutParts, ids: ids.slice(warmCount) },
    fallback: ignoredPool,
    cycle: false,
  })
  results.push(distinct)
  const backlogAtStop = probe.backlog()
  const settleStarted = Date.now()
  await settle(probe)
  const drained = await drainOutbox(probe)
  outbox = { backlog: backlogAtStop, drainMs: Date.now() - settleStarted, left: drained.left }
  const applied = probe.db.prepare(`SELECT CAST(substr(id, ${EVENT_PREFIX.length + 1}) AS INTEGER) FROM stripe_events WHERE id GLOB '${EVENT_PREFIX}*' ORDER BY rowid`).pluck().all() as number[]
  const warmStored = applied.filter((id) => id < ids[warmCount]!).length
  distinctStored = { answered: distinct.ok, stored: applied.length - eventsBefore - warmStored, fallbacks: distinct.fallbacks, warmStored }
  if (distinct.fallbacks > 0) notes.push(`the open donations ran out: ${distinct.fallbacks} requests of the distinct run were ignored events (raise BENCH_DONATIONS)`)

  const before = { events: probe.benchEvents(), raised: probe.raised() }
  results.push(
    await measureEvents('duplicate (already applied)', vigil, pid, { status: 200, body: 'duplicate' }, {
      warm: { parts: checkoutParts, ids: applied.slice(0, 2000) },
      main: { parts: checkoutParts, ids: applied },
      cycle: true,
    }),
  )
  await settle(probe)
  duplicateEffect = { events: probe.benchEvents() - before.events, raised: probe.raised() - before.raised }
  results.push(
    await measureEvents('ignored (charge.succeeded)', vigil, pid, { status: 200, body: 'ignored' }, {
      warm: { parts: chargeParts, ids: numbers(100_000, 2000) },
      main: ignoredPool,
      cycle: true,
    }),
  )
  results.push(
    await measureEvents('bad signature (400)', vigil, pid, { status: 400 }, {
      warm: { parts: checkoutParts, ids: ids.slice(0, 2000) },
      main: { parts: checkoutParts, ids: ids.slice(0, 20_000) },
      cycle: true,
      secret: `whsec_not_this_endpoint_${randomBytes(8).toString('hex')}`,
    }),
  )
  await drainOutbox(probe)
  checks = checkConsistency(probe.db, firstBenchId)
  if (duplicateEffect.events !== 0 || duplicateEffect.raised !== 0) {
    checks.push({ name: 'duplicates', ok: false, detail: `the duplicate run changed the ledger by ${duplicateEffect.events} events and the funds by ${duplicateEffect.raised}` })
  } else {
    checks.push({ name: 'duplicates', ok: true, detail: 'the duplicate run recorded no event and moved no counter' })
  }
} finally {
  probe?.close()
  bare.stop()
  await vigil?.stop()
  await standIn?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const fixed = (x: number, digits: number) => (Number.isNaN(x) ? '-' : x.toFixed(digits))
console.log(`\nbench:webhooks — POST /webhooks/stripe, ${connections} connections, ${seconds} s each, ${workers} client workers, ${new Date().toISOString()}`)
console.log(`machine load before the run: ${loadBefore.toFixed(2)} (1-min average, ${os.availableParallelism()} cores); setup (server, real donation, ${donationCount.toLocaleString('en')} open donations) ${(setupMs / 1000).toFixed(1)} s`)
console.log(`machine load after the run: ${os.loadavg()[0]!.toFixed(2)} (other processes take CPU from the server and the client alike: compare ratios, not absolute figures)`)
console.log(
  `${'target'.padEnd(29)}${pad('req/s', 8)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('errors', 7)}${pad('CPU ms/req', 11)}` +
    `${pad('server CPU', 11)}${pad('JS run/wait', 13)}${pad('client CPU', 11)}${pad('vs bare', 9)}`,
)
const bareRps = results[0]!.rps
const percent = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(0)} %`)
for (const r of results) {
  console.log(
    `${r.name.padEnd(29)}${pad(r.rps.toFixed(0), 8)}${pad(r.p50, 8)}${pad(r.p99, 8)}${pad(r.errors, 7)}${pad(fixed(r.cpuMs, 3), 11)}` +
      `${pad(percent(r.cpuPct), 11)}${pad(Number.isNaN(r.jsRunPct) ? '-' : `${r.jsRunPct.toFixed(0)}/${r.jsWaitPct.toFixed(0)} %`, 13)}` +
      `${pad(percent(r.clientPct), 11)}${pad(`${((r.rps / bareRps) * 100).toFixed(1)} %`, 9)}`,
  )
}
console.log("(CPU ms/req: the serving process's CPU time per answered request; server CPU: that process over the run, in % of one core;")
console.log(' JS run/wait: its JavaScript thread, which every request needs, on a CPU / ready but waiting for one, in % of the run;')
console.log(' client CPU: autocannon, in this process; errors: requests not answered with the expected status and body)')

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
