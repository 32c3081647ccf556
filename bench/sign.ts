/**
 * npm run bench:sign — what a signature costs, against two floors measured in the same run:
 *   bare     a node:http server answering a fixed 10 kB HTML page (the machine's ceiling)
 *   floor    POST /healthz/echo of the same Remix build: a resource-route action that reads
 *            the form and answers JSON (the framework's ceiling for a form POST)
 * then signing (a distinct valid signature per request, posted as the hydrated petition form's
 * fetcher posts it: form-encoded to /c/:slug.data with _js=1, answered 200), count.json and the
 * campaign page as anonymous visitors get it. Then 1,000,000 confirmed signatures are written
 * straight into the same database (counters set to match), the server restarts on that data,
 * and signing, count.json and the page are measured again.
 * autocannon, 50 connections, BENCH_SECONDS (default 10) per target, BENCH_WORKERS client
 * threads (default 2), with a browser's Accept-Encoding and Accept-Language. Signers come from
 * distinct addresses (TRUST_PROXY=1, one X-Forwarded-For each) and the signing limits are
 * lifted, so the limiter does its work but never refuses. The mail sender runs in the server
 * (the default; demo mode captures): after each signing run the bench waits for the outbox to
 * drain, so confirmation emails do not spill into the next target. BENCH_SEED_ROWS changes
 * the 1M. Not a test: it prints figures.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import { makeDataDir, startServer, type RunningServer } from '../tests/helpers/server.ts'
import { cpuTimeMs, serverPid, startBare } from './baselines.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = 50
// As bench:pages: two client worker threads for every target, baselines included.
const workers = Number(process.env.BENCH_WORKERS ?? 2)
const seedRows = Number(process.env.BENCH_SEED_ROWS ?? 1_000_000)
// BENCH_PROFILE=1: the server at 1M runs under --cpu-prof; its profile is kept (the path is printed).
const profileDir = process.env.BENCH_PROFILE === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sign-prof-')) : null
const slug = 'free-andry'
const serverEnv = {
  VIGIL_QUIET_LOG: '1',
  // The framework-floor routes (/healthz/echo) are served only when asked for.
  VIGIL_BENCH_ROUTES: '1',
  SIGN_LIMIT_PER_10_MIN: '1000000000',
  SIGN_LIMIT_PER_DAY: '1000000000',
  // Many signers behind one reverse proxy: each request names its own client address.
  TRUST_PROXY: '1',
}


// autocannon's worker threads `require` a request's setupRequest from a file: one signer per request.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-sign-'))
const signerFile = path.join(tmp, 'signer.cjs')
fs.writeFileSync(
  signerFile,
  `'use strict'
const crypto = require('node:crypto')
// Per worker thread (and per run): keeps addresses distinct across threads, runs and phases.
const run = crypto.randomBytes(5).toString('hex')
const octet = crypto.randomBytes(1)[0]
const countries = ['VE', 'VE', 'VE', 'US', 'US', 'ES', 'ES', 'CO', 'MX', 'AR', 'DE', 'GB', 'FR', 'CL', 'PE', 'IT', 'BR', 'CA', 'NL', 'PT']
const first = ['Ana', 'Luis', 'María', 'José', 'Zoë', 'Jürgen', 'Aisha', 'Chen', 'Olga', 'Pedro', 'Sarah', 'Tomás']
const last = ['Pérez', 'García', 'Müller', 'Smith', 'Rodríguez', 'Nguyen', 'Okafor', 'Silva', 'Rossi', 'Dubois']
let n = 0
module.exports = function setupRequest(request) {
  n++
  const form = new URLSearchParams({
    firstName: first[n % first.length],
    lastName: last[(n * 7) % last.length],
    email: 'Signer.' + run + '.' + n + '@bench.vigil.example',
    country: countries[(n * 13) % countries.length],
    _js: '1',
  })
  if (n % 3 === 0) form.set('showName', 'on')
  if (n % 2 === 0) form.set('updates', 'on')
  request.body = form.toString()
  request.headers['x-forwarded-for'] = '10.' + octet + '.' + ((n >> 8) & 255) + '.' + (n & 255)
  return request
}
`,
)

type Result = {
  name: string
  rps: number
  p50: number
  p99: number
  non2xx: number
  bytes: number
  ok: number
  duration: number
  /** CPU time the serving process spent per answered request, in ms. */
  cpuMs: number
}

// What a browser sends: pages are compressed for it (the bare server ignores this header).
const headers = { 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-US,en;q=0.9' }
const formHeaders = { ...headers, 'content-type': 'application/x-www-form-urlencoded' }

async function run(name: string, options: autocannon.Options, pid?: number): Promise<Result> {
  const cpuBefore = pid ? cpuTimeMs(pid) : NaN
  const r = await autocannon({ headers, ...options, connections, duration: seconds, ...(workers > 0 ? { workers } : {}) })
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors,
    bytes: r.throughput.average / Math.max(1, r.requests.average),
    ok: r['2xx'],
    duration: r.duration,
    cpuMs: pid ? (cpuTimeMs(pid) - cpuBefore) / Math.max(1, r.requests.total) : NaN,
  }
}

async function measure(name: string, options: autocannon.Options, pid?: number): Promise<Result> {
  // A short warm-up lets V8 optimise (and fills the page cache) before the measured run.
  await autocannon({ headers, ...options, connections: 10, duration: 1 })
  return run(name, options, pid)
}

/** Reads the server's database beside it (WAL): how many signatures got stored, whether the outbox has caught up. */
function openProbe(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const campaignId = (db.prepare('SELECT id FROM campaigns WHERE slug = ?').get(slug) as { id: number }).id
  const signaturesStmt = db.prepare('SELECT count(*) AS n FROM signatures WHERE campaign_id = ?').pluck()
  const backlogStmt = db.prepare(`SELECT count(*) AS n FROM email_messages WHERE status IN ('queued', 'sending')`).pluck()
  return {
    signatures: () => signaturesStmt.get(campaignId) as number,
    backlog: () => backlogStmt.get() as number,
    close: () => db.close(),
  }
}
type Probe = ReturnType<typeof openProbe>

type SignFigures = { stored: number; backlog: number; drainMs: number }

/** Sign, then let the in-process mail sender drain the confirmation emails before the next target. */
async function measureSigning(name: string, server: RunningServer, pid: number, probe: Probe): Promise<Result & SignFigures> {
  const options: autocannon.Options = {
    url: server.url,
    headers: formHeaders,
    requests: [{ method: 'POST', path: `/c/${slug}.data`, setupRequest: signerFile }],
  }
  await autocannon({ ...options, connections: 10, duration: 1 })
  const before = probe.signatures()
  const result = await run(name, options, pid)
  const stored = probe.signatures() - before
  const backlog = probe.backlog()
  const started = Date.now()
  while (probe.backlog() > 0 && Date.now() - started < 60_000) await new Promise((resolve) => setTimeout(resolve, 100))
  return { ...result, stored, backlog, drainMs: Date.now() - started }
}

const COUNTRY_WEIGHTS: [string, number][] = [
  ['VE', 30], ['US', 12], ['ES', 10], ['CO', 8], ['MX', 6], ['AR', 5], ['DE', 5], ['GB', 4], ['FR', 4],
  ['CL', 3], ['PE', 3], ['IT', 2], ['BR', 2], ['CA', 2], ['NL', 1], ['PT', 1], ['EC', 1], ['PA', 1],
]
const SPANISH = new Set(['VE', 'ES', 'CO', 'MX', 'AR', 'CL', 'PE', 'EC', 'PA'])

/**
 * `rows` confirmed signatures (one new supporter each) straight into the database, with no
 * server running; then the counters are recomputed from the rows, as `npm run recount` would.
 */
function seedSignatures(file: string, rows: number) {
  const db = new Database(file, { fileMustExist: true })
  // Nobody else has the file open: a rollback journal without fsync is the fastest bulk load.
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  db.pragma('foreign_keys = OFF')
  db.pragma('cache_size = -262144')
  const campaignId = (db.prepare('SELECT id FROM campaigns WHERE slug = ?').get(slug) as { id: number }).id
  const countries = COUNTRY_WEIGHTS.flatMap(([code, weight]) => Array<string>(weight).fill(code))
  const first = ['Ana', 'Luis', 'María', 'José', 'Zoë', 'Jürgen', 'Aisha', 'Chen', 'Olga', 'Pedro', 'Sarah', 'Tomás', 'Inés', 'Karim']
  const last = ['Pérez', 'García', 'Müller', 'Smith', 'Rodríguez', 'Nguyen', 'Okafor', 'Silva', 'Rossi', 'Dubois', 'Hernández']
  const insertSupporter = db.prepare(
    'INSERT INTO supporters (email_normalized, email, first_name, last_name, country, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const insertSignature = db.prepare(
    `INSERT INTO signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale, show_name, confirmations_sent, created_at, confirmed_at)
     VALUES (?, ?, 'confirmed', ?, ?, ?, ?, ?, 1, ?, ?)`,
  )
  // Spread over the last 60 days, oldest first, so confirmed_at grows with the row id as it would.
  const end = Date.now() - 60 * 60_000
  const span = 60 * 24 * 60 * 60_000
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const hash = Math.imul(i + 1, 2654435761) >>> 0
      const country = countries[hash % countries.length]!
      const locale = SPANISH.has(country) ? 'es' : country === 'DE' ? 'de' : 'en'
      const firstName = first[hash % first.length]!
      const lastName = last[(hash >>> 8) % last.length]!
      const email = `seed${i}@seed.vigil.example`
      const confirmedAt = end - span + Math.floor((span * i) / rows)
      const createdAt = confirmedAt - 10 * 60_000
      const supporterId = insertSupporter.run(email, email, firstName, lastName, country, locale, createdAt, createdAt).lastInsertRowid
      insertSignature.run(campaignId, supporterId, firstName, lastName, country, locale, i % 3 === 0 ? 1 : 0, createdAt, confirmedAt)
    }
  })
  for (let from = 0; from < rows; from += 50_000) batch(from, Math.min(rows, from + 50_000))
  const counters = db.transaction(() => {
    const by = db.prepare('SELECT status, count(*) AS n FROM signatures WHERE campaign_id = ? GROUP BY status').all(campaignId) as { status: string; n: number }[]
    const n = (status: string) => by.find((b) => b.status === status)?.n ?? 0
    db.prepare(
      `INSERT INTO campaign_counters (campaign_id, confirmed, pending, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (campaign_id) DO UPDATE SET confirmed = excluded.confirmed, pending = excluded.pending, updated_at = excluded.updated_at`,
    ).run(campaignId, n('confirmed'), n('pending'), Date.now())
    db.prepare('DELETE FROM country_counters WHERE campaign_id = ?').run(campaignId)
    db.prepare(
      `INSERT INTO country_counters (campaign_id, country, confirmed)
       SELECT campaign_id, country, count(*) FROM signatures WHERE campaign_id = ? AND status = 'confirmed' GROUP BY country`,
    ).run(campaignId)
    return { confirmed: n('confirmed'), pending: n('pending') }
  })()
  db.pragma('journal_mode = WAL')
  db.close()
  return counters
}

/**
 * Stop `server` but keep its data: startServer's stop() removes the data folder, so the
 * database is checkpointed (everything in the main file) and hard-linked into a new folder
 * first, with the rest (session secret, uploads) copied. Returns the new folder.
 */
async function stopKeepingData(server: RunningServer) {
  const db = new Database(server.databasePath, { fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
  db.close()
  if (checkpoint?.busy) throw new Error('could not checkpoint the database before the restart')
  const dir = makeDataDir()
  fs.cpSync(server.dir, dir, { recursive: true, filter: (src) => !/vigil\.db(-wal|-shm)?$/.test(src) })
  fs.linkSync(server.databasePath, path.join(dir, 'vigil.db'))
  await server.stop()
  return dir
}

const results: Result[] = []
const signing: (Result & SignFigures)[] = []
let seedFigures = { ms: 0, confirmed: 0, pending: 0, restartMs: 0 }
// Other processes on the machine skew every figure: say how busy it was when the run began.
const loadBefore = os.loadavg()[0]!
const bare = await startBare()
let vigil: RunningServer | undefined
let probe: Probe | undefined
let keptDir: string | undefined
try {
  vigil = await startServer({ env: serverEnv })
  let pid = serverPid(vigil)
  probe = openProbe(vigil.databasePath)
  results.push(await measure('bare node:http, 10 kB', { url: `${bare.url}/` }))
  results.push(
    await measure(
      'Remix floor (POST /healthz/echo)',
      {
        url: `${vigil.url}/healthz/echo`,
        method: 'POST',
        headers: formHeaders,
        body: new URLSearchParams({ firstName: 'Ana', lastName: 'Pérez', email: 'ana@bench.vigil.example', country: 'VE', _js: '1' }).toString(),
      },
      pid,
    ),
  )
  signing.push(await measureSigning('sign (POST /c/:slug.data)', vigil, pid, probe))
  results.push(signing.at(-1)!)
  results.push(await measure('count.json', { url: `${vigil.url}/c/${slug}/count.json` }, pid))
  results.push(await measure('campaign, anonymous (cached)', { url: `${vigil.url}/c/${slug}` }, pid))

  probe.close()
  probe = undefined
  keptDir = await stopKeepingData(vigil)
  vigil = undefined
  const seedStarted = Date.now()
  const counters = seedSignatures(path.join(keptDir, 'vigil.db'), seedRows)
  const restartStarted = Date.now()
  vigil = await startServer({ seed: false, dir: keptDir, env: serverEnv, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] })
  seedFigures = { ms: restartStarted - seedStarted, ...counters, restartMs: Date.now() - restartStarted }
  pid = serverPid(vigil)
  probe = openProbe(vigil.databasePath)
  signing.push(await measureSigning('sign @1M', vigil, pid, probe))
  results.push(signing.at(-1)!)
  results.push(await measure('count.json @1M', { url: `${vigil.url}/c/${slug}/count.json` }, pid))
  results.push(await measure('campaign, anonymous @1M', { url: `${vigil.url}/c/${slug}` }, pid))
} finally {
  probe?.close()
  bare.stop()
  await vigil?.stop()
  if (keptDir) fs.rmSync(keptDir, { recursive: true, force: true })
  fs.rmSync(tmp, { recursive: true, force: true })
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`
console.log(`\nbench:sign — ${connections} connections, ${seconds} s each, ${workers} client workers, ${new Date().toISOString()}`)
console.log(`machine load before the run: ${loadBefore.toFixed(2)} (1-min average, ${os.availableParallelism()} cores)`)
console.log(`${'target'.padEnd(34)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('kB/resp', 9)}${pad('errors', 8)}${pad('CPU ms/req', 12)}`)
for (const r of results) {
  console.log(
    `${r.name.padEnd(34)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}${pad((r.bytes / 1024).toFixed(1), 9)}${pad(r.non2xx, 8)}${pad(Number.isNaN(r.cpuMs) ? '-' : r.cpuMs.toFixed(2), 12)}`,
  )
}
console.log("(CPU ms/req: the serving process's CPU time per answered request; one process uses one core at most)")
const by = (name: string) => results.find((r) => r.name.startsWith(name))!

console.log('')
for (const s of signing) {
  console.log(
    `${s.name.padEnd(34)}${(s.ok / s.duration).toFixed(0)} signatures/s (${s.ok} answered 200, ${s.stored} stored); ` +
      `outbox ${s.backlog} behind at the end, drained in ${(s.drainMs / 1000).toFixed(1)} s`,
  )
}
console.log(
  `seeded ${seedRows.toLocaleString('en')} confirmed signatures in ${(seedFigures.ms / 1000).toFixed(1)} s; ` +
    `counters now ${seedFigures.confirmed.toLocaleString('en')} confirmed, ${seedFigures.pending} pending; restart ${(seedFigures.restartMs / 1000).toFixed(1)} s`,
)

const sign = signing[0]!
const signRate = sign.ok / sign.duration
const signVsFloor = sign.rps / by('Remix floor').rps
const countVsBare = by('count.json').rps / by('bare').rps
const met = (ok: boolean) => (ok ? 'met' : 'MISSED')
console.log(`\nsign       / Remix floor : ${(signVsFloor * 100).toFixed(0)} %  (goal ≥ 50 %: ${met(signVsFloor >= 0.5)})`)
console.log(`signatures/s             : ${signRate.toFixed(0)}, p99 ${sign.p99} ms  (goal ≥ 330/s with p99 < 200 ms: ${met(signRate >= 330 && sign.p99 < 200)})`)
console.log(`count.json / bare http   : ${(countVsBare * 100).toFixed(0)} %  (goal ≥ 30 %: ${met(countVsBare >= 0.3)})`)

console.log(`\nat ${seedRows.toLocaleString('en')} signatures vs the start (goal: every figure within 10 %)`)
console.log(`${'target'.padEnd(34)}${pad('req/s', 10)}${pad('p50', 10)}${pad('p99', 10)}${pad('CPU/req', 10)}`)
for (const [start, later] of [
  ['sign (POST', 'sign @1M'],
  ['count.json', 'count.json @1M'],
  ['campaign, anonymous (cached)', 'campaign, anonymous @1M'],
] as const) {
  const a = by(start)
  const b = by(later)
  const rps = b.rps / a.rps - 1
  const p50 = b.p50 / a.p50 - 1
  const p99 = b.p99 / a.p99 - 1
  // Worse by more than 10 %: fewer requests per second, or slower answers. Latencies
  // come in whole milliseconds, so a change of 1 ms is below what autocannon can tell.
  const slower = (before: number, after: number) => after > before * 1.1 && after - before > 1
  const within = rps >= -0.1 && !slower(a.p50, b.p50) && !slower(a.p99, b.p99)
  const cpu = b.cpuMs / a.cpuMs - 1
  console.log(`${b.name.padEnd(34)}${pad(pct(rps), 10)}${pad(pct(p50), 10)}${pad(pct(p99), 10)}${pad(pct(cpu), 10)}  ${met(within)}`)
}
if (results.some((r) => r.non2xx > 0) || signing.some((s) => s.stored < s.ok)) {
  console.log('\nwarning: some requests failed or did not store a signature; figures are not comparable')
  process.exitCode = 1
}
if (profileDir) console.log(`\n(the server at ${seedRows.toLocaleString("en")} signatures ran under --cpu-prof: its profile is in ${profileDir})`)
