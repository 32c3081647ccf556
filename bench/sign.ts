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
 *
 * Engines (bench/engines.ts): with no flag, or `--engine sqlite`, the run above on SQLite, as
 * it always was. `--engine postgres` runs it on SQLite first, then on Postgres (a database of
 * its own, made and dropped by the bench; the server gets DATABASE_URL) with ONE app process and
 * with TWO (two servers on different ports on the same database; the load is split by running
 * two autocannon instances at once, 25 connections and half the client threads each, and their
 * figures summed: req/s added, p50/p99 the worse of the two), and prints the three side by side
 * with the issue's goals (Postgres signing ≥ 700/s with p99 < 200 ms on one process, two
 * processes ≥ 1.5 × one, the 1M figures within 10 % of the start). `--engine postgres-only`
 * skips SQLite. On Postgres the 1M signatures are written with INSERT … SELECT generate_series
 * (counters recomputed, then VACUUM ANALYZE, as autovacuum would after such a load, and a
 * CHECKPOINT), and the CPU the database's backends spent per request is printed beside the app
 * process's. Each signing run also prints the load generator's CPU per signature, the rate the
 * machine's cores would allow at that cost, how many cores other processes used meanwhile
 * (a shared machine), and on Postgres where the database's backends were (sampled states and
 * waits: row locks, WAL flushes, idle in a transaction waiting for the app).
 * BENCH_APP_CORES=0.4 caps each app process at that share of a core (a cgroup each): on a
 * machine whose few cores the app, Postgres and the load generator share, that is how one app
 * process and two can be compared where the app tier, not the machine, is the limit.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import pg from 'pg'
import { makeDataDir, startServer, type RunningServer } from '../tests/helpers/server.ts'
import { TEST_DATA_KEY } from '../tests/helpers/data-key.ts'
import { currentDataKeyId, nameWordHashes, sealSignature, sealSupporter } from '../app/models/personal-data.server.ts'
import { capAppCpu, cpuTimeMs, serverPid, startBare } from './baselines.ts'
import { benchDatabase, engineChoice, met, postgresCpu, requirePostgres } from './engines.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = 50
// As bench:pages: two client worker threads for every target, baselines included.
const workers = Number(process.env.BENCH_WORKERS ?? 2)
const seedRows = Number(process.env.BENCH_SEED_ROWS ?? 1_000_000)
// BENCH_APP_CORES=0.4 (Postgres runs): each app process capped at that share of a core (bench/baselines.ts).
const appCores = Number(process.env.BENCH_APP_CORES ?? 0)
const capNotes: string[] = []
function capped(server: RunningServer, name: string) {
  if (appCores > 0) capNotes.push(`app process ${name}: ${capAppCpu(serverPid(server), appCores, name)}`)
  return server
}
// BENCH_PROFILE=1: the server at 1M runs under --cpu-prof; its profile is kept (the path is printed).
const profileDir = process.env.BENCH_PROFILE === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sign-prof-')) : null
const slug = 'free-andry'
// The key the servers get (startServer): the 1M rows are sealed as the app seals them (ADR 017).
process.env.VIGIL_DATA_KEY ??= TEST_DATA_KEY
const engines = engineChoice()
const serverEnv = {
  // The engine is the bench's choice (--engine), not the shell's: SQLite unless a session sets it.
  DATABASE_URL: '',
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
  /** On Postgres: CPU time the database's backends spent per answered request, in ms. */
  dbCpuMs: number
  /** CPU time the load generator (this process and its autocannon threads) spent per answered request, in ms. */
  clientCpuMs: number
  /** Cores busy on the whole machine during the run, and how many of them were neither ours nor the database's. */
  machine: { busyCores: number; otherCores: number }
  /** On Postgres, signing: where the database's client backends were, sampled (share of samples by state and wait). */
  waits?: Map<string, number>
}

// What a browser sends: pages are compressed for it (the bare server ignores this header).
const headers = { 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-US,en;q=0.9' }
const formHeaders = { ...headers, 'content-type': 'application/x-www-form-urlencoded' }

/** Who serves a run: the app processes whose CPU is read, and on Postgres the database's backends (and, signing, where they wait). */
type Serving = { pids: number[]; dbCpu?: ReturnType<typeof postgresCpu>; waits?: ReturnType<typeof postgresWaits> }

/** CPU time (ms) every core of the machine has spent busy since boot, from /proc/stat: the others' share of a run is this less ours. */
function machineBusyMs() {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number)
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = ticks.slice(0, 8).reduce((sum, n, i) => (i === 3 || i === 4 ? sum : sum + n), 0)
  return busy * 10
}

/**
 * Where the database's client backends are while signing runs, sampled every 10 ms from
 * pg_stat_activity: running or waiting for a lock (Lock:transactionid is a row another
 * transaction holds, Lock:advisory a rate-limit key), flushing WAL at a commit, or idle in a
 * transaction waiting for the app (Client:ClientRead). Shares of all samples.
 */
function postgresWaits(url: string, database: string) {
  return {
    start() {
      const tally = new Map<string, number>()
      let samples = 0
      let running = true
      // From another database (pg_stat_activity sees them all): this backend's CPU is not the bench database's.
      const elsewhere = new URL(url)
      elsewhere.pathname = '/postgres'
      const pool = new pg.Pool({ connectionString: elsewhere.toString(), max: 1 })
      const loop = (async () => {
        while (running) {
          const { rows } = await pool.query<{ state: string | null; wait: string | null }>(
            `select state, wait_event_type || ':' || wait_event as wait from pg_stat_activity
             where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid() and state <> 'idle'`,
            [database],
          )
          samples++
          for (const { state, wait } of rows) {
            const key = `${state === 'active' ? 'running' : state}${wait ? ` ${wait}` : ''}`
            tally.set(key, (tally.get(key) ?? 0) + 1)
          }
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      })()
      return async () => {
        running = false
        await loop
        await pool.end()
        // Backends per sample in each state: 1.0 is one backend there all the time.
        return new Map([...tally].map(([key, n]) => [key, n / Math.max(1, samples)]))
      }
    },
  }
}

/**
 * One measured run. With one target, one autocannon as always; with two (two app processes),
 * two autocannon instances at once sharing the connections and client threads, summed.
 */
async function run(name: string, targets: autocannon.Options[], serving: Serving = { pids: [] }): Promise<Result> {
  const cpuBefore = serving.pids.map(cpuTimeMs)
  const dbCpuSince = serving.dbCpu?.start()
  const clientBefore = process.cpuUsage()
  const machineBefore = machineBusyMs()
  const startedAt = Date.now()
  const sampling = serving.waits?.start()
  const split = targets.length
  const threads = workers > 0 ? { workers: split === 1 ? workers : Math.max(1, Math.floor(workers / split)) } : {}
  const rs = await Promise.all(
    targets.map((options) => autocannon({ headers, ...options, connections: Math.floor(connections / split), duration: seconds, ...threads })),
  )
  const total = rs.reduce((sum, r) => sum + r.requests.total, 0)
  const rps = rs.reduce((sum, r) => sum + r.requests.average, 0)
  const cpu = serving.pids.reduce((sum, pid, i) => sum + cpuTimeMs(pid) - cpuBefore[i]!, 0)
  const waits = await sampling?.()
  const dbCpu = dbCpuSince ? dbCpuSince() : NaN
  const client = process.cpuUsage(clientBefore)
  const clientCpu = (client.user + client.system) / 1000
  const wallMs = Date.now() - startedAt
  const busy = machineBusyMs() - machineBefore
  const ours = cpu + (Number.isNaN(dbCpu) ? 0 : dbCpu) + clientCpu
  return {
    name,
    rps,
    // Two instances' latencies cannot be merged exactly: the worse of the two.
    p50: Math.max(...rs.map((r) => r.latency.p50)),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    non2xx: rs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
    bytes: rs.reduce((sum, r) => sum + r.throughput.average, 0) / Math.max(1, rps),
    ok: rs.reduce((sum, r) => sum + r['2xx'], 0),
    duration: Math.max(...rs.map((r) => r.duration)),
    cpuMs: serving.pids.length ? cpu / Math.max(1, total) : NaN,
    dbCpuMs: dbCpu / Math.max(1, total),
    clientCpuMs: clientCpu / Math.max(1, total),
    machine: { busyCores: busy / wallMs, otherCores: Math.max(0, busy - ours) / wallMs },
    waits,
  }
}

async function measure(name: string, targets: autocannon.Options[], serving?: Serving): Promise<Result> {
  // A short warm-up lets V8 optimise (and fills the page cache) before the measured run.
  for (const options of targets) await autocannon({ headers, ...options, connections: 10, duration: 1 })
  return run(name, targets, serving)
}

type Probe = { signatures: () => number | Promise<number>; backlog: () => number | Promise<number>; close: () => void | Promise<void> }

/** Reads the server's database beside it (WAL): how many signatures got stored, whether the outbox has caught up. */
function openProbe(file: string): Probe {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const campaignId = (db.prepare('SELECT id FROM campaigns WHERE slug = ?').get(slug) as { id: number }).id
  const signaturesStmt = db.prepare('SELECT count(*) AS n FROM signatures WHERE campaign_id = ?').pluck()
  const backlogStmt = db.prepare(`SELECT count(*) AS n FROM email_messages WHERE status IN ('queued', 'sending')`).pluck()
  return {
    signatures: () => signaturesStmt.get(campaignId) as number,
    backlog: () => backlogStmt.get() as number,
    close: () => {
      db.close()
    },
  }
}

/** The same figures from the servers' Postgres database, over a connection of the bench's own. */
async function openPostgresProbe(url: string): Promise<Probe> {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  const count = async (query: string, params: unknown[] = []) => Number((await pool.query<{ n: string }>(query, params)).rows[0]!.n)
  const campaignId = (await pool.query<{ id: string }>('SELECT id FROM campaigns WHERE slug = $1', [slug])).rows[0]!.id
  return {
    signatures: () => count('SELECT count(*) AS n FROM signatures WHERE campaign_id = $1', [campaignId]),
    backlog: () => count(`SELECT count(*) AS n FROM email_messages WHERE status IN ('queued', 'sending')`),
    close: () => pool.end(),
  }
}

type SignFigures = { stored: number; backlog: number; drainMs: number }

/** Sign, then let the in-process mail sender(s) drain the confirmation emails before the next target. */
async function measureSigning(name: string, servers: RunningServer[], serving: Serving, probe: Probe): Promise<Result & SignFigures> {
  const targets = servers.map(
    (server): autocannon.Options => ({
      url: server.url,
      headers: formHeaders,
      requests: [{ method: 'POST', path: `/c/${slug}.data`, setupRequest: signerFile }],
    }),
  )
  for (const options of targets) await autocannon({ ...options, connections: 10, duration: 1 })
  const before = await probe.signatures()
  const result = await run(name, targets, serving)
  const stored = (await probe.signatures()) - before
  const backlog = await probe.backlog()
  const started = Date.now()
  while ((await probe.backlog()) > 0 && Date.now() - started < 60_000) await new Promise((resolve) => setTimeout(resolve, 100))
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
    'INSERT INTO supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const insertSignature = db.prepare(
    `INSERT INTO signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, show_name, confirmations_sent, created_at, confirmed_at)
     VALUES (?, ?, 'confirmed', ?, ?, ?, ?, ?, 1, ?, ?)`,
  )
  const insertWord = db.prepare('INSERT INTO signature_name_words (campaign_id, word_hash, signature_id) VALUES (?, ?, ?)')
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
      // Sealed and hashed as signing does: one envelope per row, the address's hashes, the name words.
      const supporter = sealSupporter({ email, firstName, lastName })
      const supporterId = insertSupporter.run(supporter.emailHash, supporter.emailDomainHash, supporter.sealed, supporter.dataKeyId, country, locale, createdAt, createdAt).lastInsertRowid
      const signature = sealSignature({ firstName, lastName, postalCode: null, message: null })
      const signatureId = insertSignature.run(campaignId, supporterId, signature.sealed, signature.dataKeyId, country, locale, i % 3 === 0 ? 1 : 0, createdAt, confirmedAt).lastInsertRowid
      for (const word of nameWordHashes(firstName, lastName)) insertWord.run(campaignId, word, signatureId)
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
 * The same `rows` confirmed signatures on Postgres, with the servers stopped: INSERT … SELECT
 * over generate_series (the same names, countries and times as the SQLite rows), counters
 * recomputed, then VACUUM ANALYZE (what autovacuum does soon after such a load; the planner
 * and index-only scans need it).
 */
async function seedSignaturesPostgres(url: string, rows: number) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('SET synchronous_commit = off')
    const campaignId = Number((await client.query<{ id: string }>('SELECT id FROM campaigns WHERE slug = $1', [slug])).rows[0]!.id)
    const countries = COUNTRY_WEIGHTS.flatMap(([code, weight]) => Array<string>(weight).fill(code))
    const first = ['Ana', 'Luis', 'María', 'José', 'Zoë', 'Jürgen', 'Aisha', 'Chen', 'Olga', 'Pedro', 'Sarah', 'Tomás', 'Inés', 'Karim']
    const last = ['Pérez', 'García', 'Müller', 'Smith', 'Rodríguez', 'Nguyen', 'Okafor', 'Silva', 'Rossi', 'Dubois', 'Hernández']
    const end = Date.now() - 60 * 60_000
    const span = 60 * 24 * 60 * 60_000
    // The name words of each name (every one is a single word), in the same order as the names.
    const firstWords = first.map((name) => nameWordHashes(name)[0]!)
    const lastWords = last.map((name) => nameWordHashes(name)[0]!)
    await client.query('BEGIN')
    for (let from = 0; from < rows; from += 20_000) {
      const to = Math.min(rows, from + 20_000)
      // Sealed and hashed here, as signing does (ADR 017); the same names as the SQLite loader's.
      const sealed = { emailHash: [] as string[], domainHash: [] as string[], supporter: [] as string[], signature: [] as string[] }
      for (let i = from; i < to; i++) {
        const hash = Math.imul(i + 1, 2654435761) >>> 0
        const names = { firstName: first[hash % first.length]!, lastName: last[(hash >>> 8) % last.length]! }
        const supporter = sealSupporter({ email: `seed${i}@seed.vigil.example`, ...names })
        sealed.emailHash.push(supporter.emailHash)
        sealed.domainHash.push(supporter.emailDomainHash)
        sealed.supporter.push(supporter.sealed)
        sealed.signature.push(sealSignature({ ...names, postalCode: null, message: null }).sealed)
      }
      // h is the SQLite loader's Math.imul(i + 1, 2654435761) >>> 0; ids grow with confirmed_at.
      await client.query(
        `WITH g AS (
           SELECT i, k, ((i + 1) * 2654435761) % 4294967296 AS h FROM generate_series($1::bigint, $2::bigint - 1) WITH ORDINALITY AS t(i, k)
         ), v AS (
           SELECT i, ($11::text[])[k] AS email_hash, ($12::text[])[k] AS domain_hash, ($13::text[])[k] AS supporter_sealed, ($14::text[])[k] AS signature_sealed,
                  ($3::text[])[h % cardinality($3::text[]) + 1] AS country,
                  ($4::text[])[h % cardinality($4::text[]) + 1] AS first_word,
                  ($5::text[])[(h >> 8) % cardinality($5::text[]) + 1] AS last_word,
                  $6::bigint - $7::bigint + ($7::bigint * i) / $8::bigint AS confirmed_at
           FROM g
         ), w AS (
           SELECT v.*, CASE WHEN country = ANY($9::text[]) THEN 'es' WHEN country = 'DE' THEN 'de' ELSE 'en' END AS locale FROM v
         ), s AS (
           INSERT INTO supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale, created_at, updated_at)
           SELECT email_hash, domain_hash, supporter_sealed, $15, country, locale, confirmed_at - 600000, confirmed_at - 600000 FROM w ORDER BY i
           RETURNING id, email_hash
         ), sg AS (
           INSERT INTO signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, show_name, confirmations_sent, created_at, confirmed_at)
           SELECT $10, s.id, 'confirmed', w.signature_sealed, $15, w.country, w.locale, w.i % 3 = 0, 1, w.confirmed_at - 600000, w.confirmed_at
           FROM w JOIN s ON s.email_hash = w.email_hash ORDER BY s.id
           RETURNING id, supporter_id
         )
         INSERT INTO signature_name_words (campaign_id, word_hash, signature_id)
         SELECT $10, word, sg.id FROM sg JOIN s ON s.id = sg.supporter_id JOIN w ON w.email_hash = s.email_hash, LATERAL (VALUES (w.first_word), (w.last_word)) AS x(word)`,
        [from, to, countries, firstWords, lastWords, end, span, rows, [...SPANISH], campaignId, sealed.emailHash, sealed.domainHash, sealed.supporter, sealed.signature, currentDataKeyId()],
      )
    }
    const by = (await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM signatures WHERE campaign_id = $1 GROUP BY status', [campaignId])).rows
    const n = (status: string) => Number(by.find((b) => b.status === status)?.n ?? 0)
    await client.query(
      `INSERT INTO campaign_counters (campaign_id, confirmed, pending, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (campaign_id) DO UPDATE SET confirmed = excluded.confirmed, pending = excluded.pending, updated_at = excluded.updated_at`,
      [campaignId, n('confirmed'), n('pending'), Date.now()],
    )
    await client.query('DELETE FROM country_counters WHERE campaign_id = $1', [campaignId])
    await client.query(
      `INSERT INTO country_counters (campaign_id, country, confirmed)
       SELECT campaign_id, country, count(*) FROM signatures WHERE campaign_id = $1 AND status = 'confirmed' GROUP BY campaign_id, country`,
      [campaignId],
    )
    await client.query('COMMIT')
    await client.query('VACUUM (ANALYZE) supporters, signatures, signature_name_words, campaign_counters, country_counters')
    // The load's dirty pages written out now, not by a checkpoint during the measured run (the
    // SQLite run checkpoints its WAL before its restart too); needs a superuser or pg_checkpoint.
    await client.query('CHECKPOINT').catch((error: Error) => console.error(`bench: no CHECKPOINT after the load (${error.message})`))
    return { confirmed: n('confirmed'), pending: n('pending') }
  } finally {
    await client.end()
  }
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

type Session = {
  title: string
  results: Result[]
  signing: (Result & SignFigures)[]
  seedFigures: { ms: number; confirmed: number; pending: number; restartMs: number }
  loadBefore: number
}

/** Today's run: one server on a SQLite file, then the same file with 1M signatures. */
async function sqliteSession(): Promise<Session> {
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
    let serving: Serving = { pids: [serverPid(vigil)] }
    probe = openProbe(vigil.databasePath)
    results.push(await measure('bare node:http, 10 kB', [{ url: `${bare.url}/` }]))
    results.push(await measure('Remix floor (POST /healthz/echo)', [floorOptions(vigil)], serving))
    signing.push(await measureSigning('sign (POST /c/:slug.data)', [vigil], serving, probe))
    results.push(signing.at(-1)!)
    results.push(await measure('count.json', [{ url: `${vigil.url}/c/${slug}/count.json` }], serving))
    results.push(await measure('campaign, anonymous (cached)', [{ url: `${vigil.url}/c/${slug}` }], serving))

    await probe.close()
    probe = undefined
    keptDir = await stopKeepingData(vigil)
    vigil = undefined
    const seedStarted = Date.now()
    const counters = seedSignatures(path.join(keptDir, 'vigil.db'), seedRows)
    const restartStarted = Date.now()
    vigil = await startServer({ seed: false, dir: keptDir, env: serverEnv, nodeArgs: profileArgs() })
    seedFigures = { ms: restartStarted - seedStarted, ...counters, restartMs: Date.now() - restartStarted }
    serving = { pids: [serverPid(vigil)] }
    probe = openProbe(vigil.databasePath)
    signing.push(await measureSigning('sign @1M', [vigil], serving, probe))
    results.push(signing.at(-1)!)
    results.push(await measure('count.json @1M', [{ url: `${vigil.url}/c/${slug}/count.json` }], serving))
    results.push(await measure('campaign, anonymous @1M', [{ url: `${vigil.url}/c/${slug}` }], serving))
  } finally {
    await probe?.close()
    bare.stop()
    await vigil?.stop()
    if (keptDir) fs.rmSync(keptDir, { recursive: true, force: true })
  }
  return { title: 'SQLite, one app process', results, signing, seedFigures, loadBefore }
}

function floorOptions(server: RunningServer): autocannon.Options {
  return {
    url: `${server.url}/healthz/echo`,
    method: 'POST',
    headers: formHeaders,
    body: new URLSearchParams({ firstName: 'Ana', lastName: 'Pérez', email: 'ana@bench.vigil.example', country: 'VE', _js: '1' }).toString(),
  }
}

function profileArgs() {
  return profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
}

/**
 * The same runs on Postgres, on one database of the bench's own: one server (A), then a second
 * one (B) on the same database beside it; both stopped, 1M signatures written, both started
 * again on that data. The two-process figures follow the one-process ones at each size.
 */
async function postgresSession(): Promise<{ one: Session; two: Session }> {
  const database = await benchDatabase()
  const dbCpu = postgresCpu(database.name)
  const waits = postgresWaits(database.url, database.name)
  // Both servers sign the same session cookies, as servers behind one load balancer must.
  const env = { ...serverEnv, DATABASE_URL: database.url, SESSION_SECRET: `bench-${randomBytes(24).toString('hex')}` }
  const one: Session = { title: 'Postgres, one app process', results: [], signing: [], seedFigures: { ms: 0, confirmed: 0, pending: 0, restartMs: 0 }, loadBefore: os.loadavg()[0]! }
  const two: Session = { title: 'Postgres, two app processes (A + B, load split)', results: [], signing: [], seedFigures: one.seedFigures, loadBefore: one.loadBefore }
  const bare = await startBare()
  let a: RunningServer | undefined
  let b: RunningServer | undefined
  let probe: Probe | undefined
  try {
    a = capped(await startServer({ env }), 'a')
    probe = await openPostgresProbe(database.url)
    const bareResult = await measure('bare node:http, 10 kB', [{ url: `${bare.url}/` }])
    one.results.push(bareResult)
    two.results.push(bareResult)
    const atSize = async (suffix: string, servers: RunningServer[], session: Session) => {
      const serving: Serving = { pids: servers.map(serverPid), dbCpu }
      if (!suffix) session.results.push(await measure('Remix floor (POST /healthz/echo)', servers.map(floorOptions), serving))
      session.signing.push(await measureSigning(suffix ? `sign ${suffix}` : 'sign (POST /c/:slug.data)', servers, { ...serving, waits }, probe!))
      session.results.push(session.signing.at(-1)!)
      session.results.push(await measure(`count.json${suffix ? ` ${suffix}` : ''}`, servers.map((s) => ({ url: `${s.url}/c/${slug}/count.json` })), serving))
      session.results.push(await measure(suffix ? `campaign, anonymous ${suffix}` : 'campaign, anonymous (cached)', servers.map((s) => ({ url: `${s.url}/c/${slug}` })), serving))
    }
    await atSize('', [a], one)
    b = capped(await startServer({ seed: false, env }), 'b')
    await atSize('', [a, b], two)

    await b.stop()
    b = undefined
    await a.stop({ keepData: true })
    const dir = a.dir
    a = undefined
    const seedStarted = Date.now()
    const counters = await seedSignaturesPostgres(database.url, seedRows)
    const restartStarted = Date.now()
    a = capped(await startServer({ seed: false, dir, env, nodeArgs: profileArgs() }), 'a')
    Object.assign(one.seedFigures, { ms: restartStarted - seedStarted, ...counters, restartMs: Date.now() - restartStarted })
    await atSize('@1M', [a], one)
    b = capped(await startServer({ seed: false, env }), 'b')
    await atSize('@1M', [a, b], two)
  } finally {
    await probe?.close()
    bare.stop()
    await b?.stop()
    await a?.stop()
    await database.drop()
  }
  return { one, two }
}

const sessions: Session[] = []
try {
  if (engines.postgres) await requirePostgres()
  if (engines.sqlite) sessions.push(await sqliteSession())
  if (engines.postgres) {
    const { one, two } = await postgresSession()
    sessions.push(one, two)
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`
const byName = (results: Result[], name: string) => results.find((r) => r.name.startsWith(name))!
const postgresSessions = sessions.filter((s) => s.title.startsWith('Postgres'))

/** One session's figures, as the SQLite run has always printed them (Postgres adds its backends' CPU). */
function printSession({ title, results, signing, seedFigures, loadBefore }: Session) {
  const onPostgres = title.startsWith('Postgres')
  const twoProcesses = title.includes('two app processes')
  console.log(`\nbench:sign — ${connections} connections, ${seconds} s each, ${workers} client workers, ${new Date().toISOString()}`)
  if (engines.label !== 'sqlite') {
    console.log(`engine: ${title}${twoProcesses ? ` — two autocannon instances at once, ${connections / 2} connections each, req/s summed, p50/p99 the worse of the two` : ''}`)
  }
  console.log(`machine load before the run: ${loadBefore.toFixed(2)} (1-min average, ${os.availableParallelism()} cores)`)
  if (onPostgres && capNotes.length > 0) console.log(`BENCH_APP_CORES=${appCores}: ${[...new Set(capNotes)].join('; ')}`)
  console.log(
    `${'target'.padEnd(34)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('kB/resp', 9)}${pad('errors', 8)}${pad('CPU ms/req', 12)}${onPostgres ? pad('PG CPU ms/req', 15) : ''}`,
  )
  for (const r of results) {
    console.log(
      `${r.name.padEnd(34)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}${pad((r.bytes / 1024).toFixed(1), 9)}${pad(r.non2xx, 8)}${pad(Number.isNaN(r.cpuMs) ? '-' : r.cpuMs.toFixed(2), 12)}` +
        (onPostgres ? pad(Number.isNaN(r.dbCpuMs) ? '-' : r.dbCpuMs.toFixed(2), 15) : ''),
    )
  }
  console.log(
    twoProcesses
      ? "(CPU ms/req: both serving processes' CPU time per answered request; each process uses one core at most)"
      : "(CPU ms/req: the serving process's CPU time per answered request; one process uses one core at most)",
  )
  if (onPostgres) console.log("(PG CPU ms/req: the CPU time of the Postgres backends serving the bench's database, per answered request)")
  const by = (name: string) => byName(results, name)

  console.log('')
  for (const s of signing) {
    console.log(
      `${s.name.padEnd(34)}${(s.ok / s.duration).toFixed(0)} signatures/s (${s.ok} answered 200, ${s.stored} stored); ` +
        `outbox ${s.backlog} behind at the end, drained in ${(s.drainMs / 1000).toFixed(1)} s`,
    )
    // What the machine could do at most: every core busy with this signing and nothing else.
    const perSignature = s.cpuMs + (Number.isNaN(s.dbCpuMs) ? 0 : s.dbCpuMs) + s.clientCpuMs
    const cores = os.availableParallelism()
    console.log(
      `${''.padEnd(34)}CPU per signature: app ${s.cpuMs.toFixed(2)}${onPostgres ? ` + Postgres ${s.dbCpuMs.toFixed(2)}` : ''} + load generator ${s.clientCpuMs.toFixed(2)} = ${perSignature.toFixed(2)} ms ` +
        `(at most ${((cores * 1000) / perSignature).toFixed(0)}/s on ${cores} idle cores); machine ${s.machine.busyCores.toFixed(2)} cores busy, ${s.machine.otherCores.toFixed(2)} of them other processes'`,
    )
    if (s.waits) {
      const shares = [...s.waits].sort((a, b) => b[1] - a[1]).slice(0, 6)
      console.log(`${''.padEnd(34)}Postgres backends, mean number in each state: ${shares.map(([key, n]) => `${key} ${n.toFixed(2)}`).join(', ') || 'none seen'}`)
    }
  }
  if (!twoProcesses) {
    console.log(
      `seeded ${seedRows.toLocaleString('en')} confirmed signatures in ${(seedFigures.ms / 1000).toFixed(1)} s; ` +
        `counters now ${seedFigures.confirmed.toLocaleString('en')} confirmed, ${seedFigures.pending} pending; restart ${(seedFigures.restartMs / 1000).toFixed(1)} s`,
    )
  }

  const sign = signing[0]!
  const signRate = sign.ok / sign.duration
  const signVsFloor = sign.rps / by('Remix floor').rps
  const countVsBare = by('count.json').rps / by('bare').rps
  console.log(`\nsign       / Remix floor : ${(signVsFloor * 100).toFixed(0)} %  (goal ≥ 50 %: ${met(signVsFloor >= 0.5)})`)
  if (onPostgres) {
    const goal = twoProcesses ? '' : `  (goal on Postgres, one process: ≥ 700/s with p99 < 200 ms: ${met(signRate >= 700 && sign.p99 < 200)})`
    console.log(`signatures/s             : ${signRate.toFixed(0)}, p99 ${sign.p99} ms${goal}`)
  } else {
    console.log(`signatures/s             : ${signRate.toFixed(0)}, p99 ${sign.p99} ms  (goal ≥ 330/s with p99 < 200 ms: ${met(signRate >= 330 && sign.p99 < 200)})`)
  }
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
}

for (const session of sessions) printSession(session)

if (postgresSessions.length > 0) {
  // Side by side: every target in every session of this run, then the issue's goals for Postgres.
  const names = sessions[0]!.results.map((r) => r.name).filter((name) => !name.startsWith('bare'))
  const column = 22
  console.log(`\nside by side, same session: req/s (p99 ms)`)
  console.log(`${'target'.padEnd(34)}${sessions.map((s) => pad(s.title.replace(/ \(.*\)$/, '').replace(', one app process', ', 1 proc').replace(', two app processes', ', 2 procs'), column)).join('')}`)
  for (const name of names) {
    const cells = sessions.map((s) => {
      const r = s.results.find((x) => x.name === name)
      return pad(r ? `${r.rps.toFixed(0)} (${r.p99})` : '-', column)
    })
    console.log(`${name.padEnd(34)}${cells.join('')}`)
  }
  const rate = (s: Session | undefined, name: string) => {
    const r = s?.signing.find((x) => x.name.startsWith(name))
    return r ? r.ok / r.duration : NaN
  }
  const sqlite = sessions.find((s) => s.title.startsWith('SQLite'))
  const [one, two] = postgresSessions
  const oneSign = one!.signing[0]!
  console.log('\nPostgres goals')
  console.log(
    `signing, one process      : ${rate(one, 'sign (').toFixed(0)}/s, p99 ${oneSign.p99} ms at ${connections} connections  (goal ≥ 700/s with p99 < 200 ms: ${met(rate(one, 'sign (') >= 700 && oneSign.p99 < 200)})`,
  )
  if (sqlite) console.log(`Postgres / SQLite signing : ${((rate(one, 'sign (') / rate(sqlite, 'sign (')) * 100).toFixed(0)} % (SQLite ${rate(sqlite, 'sign (').toFixed(0)}/s in this session)`)
  const scale = rate(two, 'sign (') / rate(one, 'sign (')
  const floorScale = byName(two!.results, 'Remix floor').rps / byName(one!.results, 'Remix floor').rps
  console.log(`two processes / one       : ×${scale.toFixed(2)} signing (goal ≥ ×1.5: ${met(scale >= 1.5)}); ×${floorScale.toFixed(2)} for the Remix floor on this machine`)
  console.log(`two processes / one @1M   : ×${(rate(two, 'sign @1M') / rate(one, 'sign @1M')).toFixed(2)} signing`)
  console.log(`(${os.availableParallelism()} cores here, shared by autocannon, the app processes and Postgres: the floor's ratio is the most two processes can show on this machine)`)
}
if (profileDir) console.log(`\n(the server at ${seedRows.toLocaleString("en")} signatures ran under --cpu-prof: its profile is in ${profileDir})`)
