/**
 * npm run bench:fanout — sending one update to 100,000 supporters (BENCH_RECIPIENTS), in three parts:
 *   snapshot   startUpdateSend: the audience into one message each and batches of 100, in one
 *              transaction (goal < 10 s)
 *   vigil      `npm run worker` in live mode, unpaced (RESEND_REQUESTS_PER_SECOND=0), draining every
 *              batch into the Resend stand-in: emails/s from "sending" to the last batch recorded, and
 *              the worker's CPU per 1,000 emails from /proc (goal ≥ 5,000 emails/s)
 *   baseline   the same number of batch requests, one at a time as the worker sends them, straight
 *              through the resend SDK from a bare node process: no database, no rendering, bodies
 *              pre-rendered (batches Vigil just sent, each under a fresh idempotency key). What Vigil
 *              costs above it is Vigil's own; the rest is the stand-in's and HTTP's.
 * Each phase gets a fresh stand-in in a process of its own; CPU per 1,000 emails is read from /proc
 * for the sender and for the stand-in. The database is a file in a temporary folder, removed after.
 * BENCH_PROFILE=1 runs the worker under `node --cpu-prof` and prints where its CPU went, step by
 * step. Not a test: it prints figures. The host is shared and noisy: compare the ratios measured in
 * one run, not figures across runs.
 *
 * Engines (bench/engines.ts): with no flag, or `--engine sqlite`, the run above on SQLite, as it
 * always was. `--engine postgres` runs it on SQLite first, then twice on Postgres, each time on a
 * fresh database of the bench's own (migrated and seeded through the app's code, the audience
 * written with one INSERT … SELECT generate_series, the snapshot through startUpdateSend on a
 * pool, the worker given DATABASE_URL): with ONE worker, and with TWO workers started together on
 * the same send and the same stand-in (every email must still arrive exactly once). The baseline
 * sends the first session's batches again; the sessions are printed one after another, then side
 * by side with the goal (≥ 5,000 emails/s on Postgres). A Postgres session that fails is
 * reported and the others still print. `--engine postgres-only` skips SQLite.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { entryArgs, makeDataDir, ROOT } from '../tests/helpers/server.ts'
import { cpuTimeMs } from './baselines.ts'
import { benchDatabase, engineChoice, requirePostgres } from './engines.ts'

const recipients = Number(process.env.BENCH_RECIPIENTS ?? 100_000)
const profile = process.env.BENCH_PROFILE === '1'
const engines = engineChoice()
const from = 'Vigil <team@example.org>'
const dir = makeDataDir()
const databasePath = path.join(dir, 'vigil.db')
// Set before the app's modules open the database (getDb reads it on first use).
process.env.DATABASE_PATH = databasePath
// The engine is the bench's choice (--engine), not the shell's: getDb() is the SQLite file.
process.env.DATABASE_URL = ''
process.env.SESSION_SECRET ??= 'bench-session-secret-that-is-long-enough-0123456789'
// Live mode needs a data key (ADR 017): one of the bench's own, given to the worker(s) too.
process.env.VIGIL_DATA_KEY ??= randomBytes(32).toString('base64')
const { getDb, sqliteOf, openPostgres, closeDatabase } = await import('../db/client.server.ts')
const { migrateDatabase } = await import('../db/migrate.ts')
const { seedDemo } = await import('../scripts/seed/seed.ts')
const { startUpdateSend } = await import('../app/models/update-sends.server.ts')
const { sealSignature, sealSupporter } = await import('../app/models/personal-data.server.ts')

const firstNames = ['Ana', 'Luis', 'María', 'José', 'Zoë', 'Jürgen', 'Aisha', 'Chen']
/** Supporter i of the audience as the app writes one: sealed, with its hashes (ADR 017). */
function benchSupporter(i: number) {
  const email = `fan${i}@bench.vigil.example`
  const name = firstNames[i % firstNames.length]!
  return { email, name, supporter: sealSupporter({ email, firstName: name, lastName: 'Pérez' }), signature: sealSignature({ firstName: name, lastName: 'Pérez', postalCode: null, message: null }) }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const loadBefore = os.loadavg()[0]!
const body = (lead: string) =>
  `${lead}\n\nThe hearing was moved twice this month. Our reporters were in the courtroom both times, and we publish their notes in full on the campaign page.\n\n` +
  `- **What happened:** the prosecution asked for more time.\n- **What comes next:** a ruling is expected within four weeks.\n\n` +
  `Thank you for standing with Andry. [Read the full report](https://example.org/report).`
const translations = [
  ['en', 'The hearing, again postponed', body('Andry is still waiting for his day in court.')],
  ['de', 'Die Anhörung, erneut verschoben', body('Andry wartet weiter auf seinen Prozess.')],
  ['es', 'La audiencia, aplazada otra vez', body('Andry sigue esperando su día en el tribunal.')],
] as const

/** A database with the audience and the update snapshotted, ready for the worker(s). */
type Prepared = {
  insertMs: number
  snapshotMs: number
  batchCount: number
  /** Batches not yet submitted. */
  left: () => number | Promise<number>
  /** What a worker needs to reach the database. */
  workerEnv: Record<string, string>
  close: () => void | Promise<void>
}

/** SQLite, as always: the file filled with the SQLite driver directly (fast), then the snapshot. */
async function prepareSqlite(): Promise<Prepared> {
  const db = getDb()
  const sql = sqliteOf(db)
  await migrateDatabase(db)
  await seedDemo(db, { demoOrganizer: false })
  const campaignId = (sql.prepare(`select id from campaigns where slug = 'free-andry'`).get() as { id: number }).id

  // ——— 100,000 confirmed signers who asked for updates ———
  let started = performance.now()
  {
    const supporter = sql.prepare(`insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, ?, ?)`)
    const signature = sql.prepare(
      `insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, confirmed_at) values (?, ?, 'confirmed', ?, ?, ?, ?, ?)`,
    )
    const consent = sql.prepare(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, 1, 'petition_form')`)
    const countries = ['VE', 'VE', 'ES', 'US', 'DE', 'CO', 'MX', 'GB']
    const at = Date.now()
    sql.transaction(() => {
      for (let i = 0; i < recipients; i++) {
        const country = countries[i % countries.length]!
        const locale = country === 'DE' ? 'de' : ['VE', 'ES', 'CO', 'MX'].includes(country) ? 'es' : 'en'
        const b = benchSupporter(i)
        const id = supporter.run(b.supporter.emailHash, b.supporter.emailDomainHash, b.supporter.sealed, b.supporter.dataKeyId, country, locale).lastInsertRowid
        signature.run(campaignId, id, b.signature.sealed, b.signature.dataKeyId, country, locale, at)
        consent.run(id, campaignId)
      }
    })()
  }
  const insertMs = performance.now() - started

  const updateId = Number(sql.prepare(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-22', ?)`).run(campaignId, Date.now()).lastInsertRowid)
  const translation = sql.prepare(`insert into update_translations (update_id, locale, title, body_md) values (?, ?, ?, ?)`)
  for (const [locale, title, text] of translations) translation.run(updateId, locale, title, text)

  // ——— The snapshot ———
  started = performance.now()
  const send = await startUpdateSend(db, { updateId, campaignId, audience: { signers: true, donors: 'none' }, organizerId: null })
  const snapshotMs = performance.now() - started
  if (send.status !== 'started' || send.recipients !== recipients) throw new Error(`the send did not start as expected: ${JSON.stringify(send)}`)
  const batchCount = (sql.prepare(`select count(*) as n from email_batches where send_id = ?`).get(send.sendId) as { n: number }).n
  // Hand the database to the worker as it would find it after a restart: everything in the main file.
  sql.pragma('wal_checkpoint(TRUNCATE)')
  const left = sql.prepare(`select count(*) as n from email_batches where status <> 'submitted'`).pluck()
  return {
    insertMs,
    snapshotMs,
    batchCount,
    left: () => left.get() as number,
    workerEnv: { DATABASE_PATH: databasePath, DATABASE_URL: '' },
    close: () => {
      sql.close()
    },
  }
}

/**
 * Postgres: a database of the bench's own, migrated and seeded through the app's code, the same
 * audience written with one INSERT … SELECT generate_series (then ANALYZE, as autovacuum would),
 * then the same snapshot through startUpdateSend on a pool.
 */
async function preparePostgres(): Promise<Prepared> {
  const database = await benchDatabase()
  const db = openPostgres(database.url, 4)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await migrateDatabase(db)
    await seedDemo(db, { demoOrganizer: false })
    const campaignId = Number((await client.query<{ id: string }>(`select id from campaigns where slug = 'free-andry'`)).rows[0]!.id)
    let started = performance.now()
    // Sealed in JS (the database never sees a plain address), written as arrays in one statement.
    const sealedRows = Array.from({ length: recipients }, (_, i) => benchSupporter(i))
    await client.query(
      `with g as (
         select (i - 1) as i, email_hash, email_domain_hash, supporter_sealed, signature_sealed,
                (array['VE', 'VE', 'ES', 'US', 'DE', 'CO', 'MX', 'GB'])[(i - 1) % 8 + 1] as country
         from unnest($3::text[], $4::text[], $5::text[], $6::text[]) with ordinality as u(email_hash, email_domain_hash, supporter_sealed, signature_sealed, i)
       ), v as (
         select g.*, case when country = 'DE' then 'de' when country in ('VE', 'ES', 'CO', 'MX') then 'es' else 'en' end as locale from g
       ), s as (
         insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale)
         select email_hash, email_domain_hash, supporter_sealed, $7, country, locale from v order by i
         returning id, email_hash
       ), signed as (
         insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, confirmed_at)
         select $1, s.id, 'confirmed', v.signature_sealed, $7, v.country, v.locale, $2 from v join s on s.email_hash = v.email_hash order by s.id
       )
       insert into consents (supporter_id, purpose, campaign_id, granted, source)
       select id, 'campaign_updates', $1, true, 'petition_form' from s order by id`,
      [
        campaignId,
        Date.now(),
        sealedRows.map((r) => r.supporter.emailHash),
        sealedRows.map((r) => r.supporter.emailDomainHash),
        sealedRows.map((r) => r.supporter.sealed),
        sealedRows.map((r) => r.signature.sealed),
        sealedRows[0]?.supporter.dataKeyId ?? '1',
      ],
    )
    await client.query('analyze supporters, signatures, consents')
    const insertMs = performance.now() - started

    const updateId = Number(
      (await client.query<{ id: string }>(`insert into updates (campaign_id, happened_on, published_at) values ($1, '2026-11-22', $2) returning id`, [campaignId, Date.now()])).rows[0]!.id,
    )
    for (const [locale, title, text] of translations) {
      await client.query(`insert into update_translations (update_id, locale, title, body_md) values ($1, $2, $3, $4)`, [updateId, locale, title, text])
    }

    started = performance.now()
    const send = await startUpdateSend(db, { updateId, campaignId, audience: { signers: true, donors: 'none' }, organizerId: null })
    const snapshotMs = performance.now() - started
    if (send.status !== 'started' || send.recipients !== recipients) throw new Error(`the send did not start as expected: ${JSON.stringify(send)}`)
    const count = async (query: string, params: unknown[] = []) => Number((await client.query<{ n: string }>(query, params)).rows[0]!.n)
    const batchCount = await count(`select count(*) as n from email_batches where send_id = $1`, [send.sendId])
    return {
      insertMs,
      snapshotMs,
      batchCount,
      left: () => count(`select count(*) as n from email_batches where status <> 'submitted'`),
      workerEnv: { DATABASE_URL: database.url, DATABASE_PATH: databasePath },
      close: async () => {
        await client.end()
        await closeDatabase(db)
        await database.drop()
      },
    }
  } catch (error) {
    await client.end()
    await closeDatabase(db)
    await database.drop()
    throw error
  }
}

type Phase = { emails: number; batches: number; ms: number; senderCpuMs: number; standInCpuMs: number }
type StandInReport = { sent: number; distinct: number; keys: number; rejected: number; emailBytes: number; htmlBytes: number; textBytes: number }

/** A child process with a line-by-line conversation on stdin/stdout; `line(match)` waits for a line. */
function startChild(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  const waiting: { match: RegExp; resolve: (line: string) => void }[] = []
  const lines: string[] = []
  let partial = ''
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString()
    partial += d.toString()
    const parts = partial.split('\n')
    partial = parts.pop()!
    lines.push(...parts)
    for (const w of [...waiting]) {
      const found = lines.find((l) => w.match.test(l))
      if (found !== undefined) {
        waiting.splice(waiting.indexOf(w), 1)
        lines.splice(lines.indexOf(found), 1)
        w.resolve(found)
      }
    }
  })
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    pid: child.pid!,
    output: () => output,
    exitCode: () => child.exitCode,
    send: (text: string) => child.stdin.write(`${text}\n`),
    line(match: RegExp) {
      const found = lines.find((l) => match.test(l))
      if (found !== undefined) {
        lines.splice(lines.indexOf(found), 1)
        return Promise.resolve(found)
      }
      return Promise.race([
        new Promise<string>((resolve) => waiting.push({ match, resolve })),
        exited.then((code) => Promise.reject(new Error(`${args.at(-1)} exited (${code}) waiting for ${match}:\n${output}`))),
      ])
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      child.stdin.end()
      if (child.exitCode === null) child.kill(signal)
      return exited
    },
  }
}

/**
 * The Resend stand-in in a process of its own, fresh for each phase: it keeps every email it
 * accepts (gigabytes at 100,000), so a shared one would make the later phase pay for the
 * earlier one's heap. `report <file>` prints what it received and writes sample batches.
 */
async function startStandIn() {
  const code = `
    import fs from 'node:fs'
    import readline from 'node:readline'
    const { startResendStandIn } = await import('./stand-ins/resend/index.ts')
    const resend = await startResendStandIn()
    console.log(JSON.stringify({ url: resend.url, apiKey: resend.apiKey }))
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const [command, file] = line.split(' ')
      if (command !== 'report') continue
      const sent = resend.sent()
      const byKey = new Map()
      for (const s of sent) {
        if (!byKey.has(s.idempotencyKey)) byKey.set(s.idempotencyKey, [])
        byKey.get(s.idempotencyKey).push(s.email)
      }
      const batches = [...byKey.values()]
      // A few batches as they went out, one per language among them, for the baseline to send again.
      fs.writeFileSync(file, JSON.stringify([0, 0.34, 0.67, 0.99].map((at) => batches[Math.floor(at * (batches.length - 1))])))
      const size = (pick) => sent.reduce((sum, s) => sum + Buffer.byteLength(pick(s.email)), 0) / sent.length
      console.log('report ' + JSON.stringify({
        sent: sent.length, distinct: new Set(sent.map((s) => s.email.to)).size, keys: byKey.size, rejected: resend.rejected().length,
        emailBytes: size((e) => JSON.stringify(e)), htmlBytes: size((e) => e.html ?? ''), textBytes: size((e) => e.text ?? ''),
      }))
    }
    await resend.close()`
  const child = startChild(['--max-old-space-size=8192', '--import', 'tsx', '--input-type=module', '-e', code, 'resend-stand-in'])
  const { url, apiKey } = JSON.parse(await child.line(/^\{/)) as { url: string; apiKey: string }
  return {
    url,
    apiKey,
    cpuMs: () => cpuTimeMs(child.pid),
    async report(file: string) {
      child.send(`report ${file}`)
      return JSON.parse((await child.line(/^report /)).slice('report '.length)) as StandInReport
    },
    stop: () => child.stop(),
  }
}

// ——— Vigil: npm run worker ———
async function sendWithWorker(
  standIn: Awaited<ReturnType<typeof startStandIn>>,
  prepared: Prepared,
  processes = 1,
): Promise<Phase & { profileDir: string | null }> {
  const profileDir = profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-fanout-prof-')) : null
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    ...prepared.workerEnv,
    STRIPE_SECRET_KEY: 'sk_test_bench_fanout',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_fanout',
    RESEND_API_KEY: standIn.apiKey,
    RESEND_WEBHOOK_SECRET: 'whsec_YmVuY2gtZmFub3V0LXNlY3JldA==',
    RESEND_BASE_URL: standIn.url,
    MAIL_FROM: from,
    PUBLIC_URL: 'https://campaigns.example.org',
    // Live mode on the demo's data, on purpose.
    VIGIL_ALLOW_DEMO_DATA: '1',
    RESEND_REQUESTS_PER_SECOND: '0',
  }
  // Two workers are started together; the clock starts when the first says it sends (the
  // other follows within its start-up jitter, a fraction of a second of a run of many).
  const workers = Array.from({ length: processes }, () =>
    startChild([...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...entryArgs('scripts/worker.ts')], env),
  )
  await Promise.race(workers.map((worker) => worker.line(/vigil worker: sending \(live mode\)/)))
  // The sender starts right after it says so: time and CPU run from here (start-up is not sending).
  const t0 = performance.now()
  const cpu0 = workers.map((worker) => cpuTimeMs(worker.pid))
  const standIn0 = standIn.cpuMs()
  const output = () => workers.map((worker) => worker.output()).join('\n')
  while ((await prepared.left()) > 0) {
    if (workers.some((worker) => worker.exitCode() !== null)) throw new Error(`worker died:\n${output()}`)
    if (/error/i.test(output())) throw new Error(`the worker reported errors:\n${output()}`)
    await sleep(20)
  }
  const ms = performance.now() - t0
  const senderCpuMs = workers.reduce((sum, worker, i) => sum + cpuTimeMs(worker.pid) - cpu0[i]!, 0)
  const standInCpuMs = standIn.cpuMs() - standIn0
  for (const worker of workers) await worker.stop()
  if (/error/i.test(output())) throw new Error(`the worker reported errors:\n${output()}`)
  return { emails: recipients, batches: prepared.batchCount, ms, senderCpuMs, standInCpuMs, profileDir }
}

// ——— Baseline: the SDK alone, bodies ready ———
async function sendWithSdk(standIn: Awaited<ReturnType<typeof startStandIn>>, samplesFile: string, batchCount: number): Promise<Phase> {
  const code = `
    import fs from 'node:fs'
    import readline from 'node:readline'
    import { Resend } from 'resend'
    const [url, apiKey, file, count] = process.argv.slice(1)
    const samples = JSON.parse(fs.readFileSync(file, 'utf8'))
    const resend = new Resend(apiKey, { baseUrl: url })
    const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
    console.log('ready')
    await input.next()
    const t0 = performance.now()
    let emails = 0
    for (let i = 0; i < Number(count); i++) {
      const { data, error } = await resend.batch.send(samples[i % samples.length], { idempotencyKey: 'baseline:' + i, batchValidation: 'permissive' })
      if (error) throw new Error(JSON.stringify(error))
      emails += data.data.length
    }
    console.log('done ' + JSON.stringify({ emails, ms: performance.now() - t0 }))
    await input.next()`
  const sender = startChild(['--input-type=module', '-e', code, standIn.url, standIn.apiKey, samplesFile, String(batchCount), 'sdk-baseline'])
  await sender.line(/^ready$/)
  const cpu0 = cpuTimeMs(sender.pid)
  const standIn0 = standIn.cpuMs()
  sender.send('go')
  const done = JSON.parse((await sender.line(/^done /)).slice('done '.length)) as { emails: number; ms: number }
  const senderCpuMs = cpuTimeMs(sender.pid) - cpu0
  const standInCpuMs = standIn.cpuMs() - standIn0
  await sender.stop()
  return { emails: done.emails, batches: batchCount, ms: done.ms, senderCpuMs, standInCpuMs }
}

/**
 * Where the worker's CPU went while it sent, from its --cpu-prof profile: samples from its first
 * batch on (start-up left out), time inside each step of a batch (inclusive, so the indented
 * lines are part of the line above), then the functions with the most self time.
 */
function summariseProfile(profileDir: string, batches: number) {
  type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
  type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] }
  // One file per thread (tsx loads modules on one of its own): the main thread is the one that sent.
  const profiles = fs
    .readdirSync(profileDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(profileDir, f), 'utf8')) as Profile)
  const p = profiles.find((candidate) => candidate.nodes.some((n) => n.callFrame.functionName === 'sendClaimedBatch'))
  if (!p) return ['(no profile of the sending thread was written)']
  const nodes = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const where = (url: string) =>
    url.includes('/node_modules/') ? url.replace(/.*\/node_modules\/((@[^/]+\/)?[^/]+).*/, '$1') : url.startsWith('node:') ? 'node' : url ? path.relative(ROOT, url.replace(/^file:\/\//, '')) : ''
  const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}`.trim()
  const stack = (id: number) => {
    const labels = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) labels.add(label(nodes.get(at)!))
    return labels
  }
  const first = p.samples.findIndex((id) => stack(id).has('sendClaimedBatch app/workflows/mail-sender.server.ts'))
  const inclusive = new Map<string, number>()
  const self = new Map<string, number>()
  let busy = 0
  let idle = 0
  for (let i = Math.max(0, first); i < p.samples.length; i++) {
    const us = p.timeDeltas[i] ?? 0
    const node = nodes.get(p.samples[i]!)!
    if (node.callFrame.functionName === '(idle)') {
      idle += us
      continue
    }
    busy += us
    const own = `${label(node)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`
    self.set(own, (self.get(own) ?? 0) + us)
    for (const l of stack(p.samples[i]!)) inclusive.set(l, (inclusive.get(l) ?? 0) + us)
  }
  const steps: [string, string][] = [
    ['claim a batch (claimNextWork)', 'claimNextWork app/models/outbox.server.ts'],
    ['check unsubscribes since (blockedRecipients)', 'blockedRecipients app/models/update-sends.server.ts'],
    ['render 100 emails (renderEmail)', 'renderEmail app/workflows/email-templates.server.tsx'],
    ['  the update text, once per email (getUpdateForEmail)', 'getUpdateForEmail app/models/update-sends.server.ts'],
    ['  the unsubscribe and preference tokens (hmac)', 'hmac app/utils/crypto.server.ts'],
    ['send through the SDK (sendBatch)', 'sendBatch app/workflows/mail-sender.server.ts'],
    ['record the outcome (recordBatchOutcome)', 'recordBatchOutcome app/models/outbox.server.ts'],
    ['poll for due mail (hasDueMail)', 'hasDueMail app/models/outbox.server.ts'],
    ['SQLite statement preparation, everywhere (prepare)', 'prepare better-sqlite3'],
    ['garbage collection', '(garbage collector)'],
  ]
  const line = (name: string, us: number) => `  ${name.padEnd(56)}${((us / batches) / 1000).toFixed(2).padStart(7)} ms/batch ${((us / busy) * 100).toFixed(1).padStart(6)} %`
  return [
    `worker profile while sending: ${(busy / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle (waiting for the stand-in), ${batches} batches`,
    '(the profiler slows the worker: read the shares, not the milliseconds)',
    ...steps.map(([name, key]) => line(name, inclusive.get(key) ?? 0)),
    'largest self time:',
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([name, us]) => line(name.length > 56 ? `${name.slice(0, 53)}…` : name, us)),
  ]
}

type Session = {
  title: string
  processes: number
  prepared?: Prepared
  vigil?: Phase & { profileDir: string | null }
  received?: StandInReport
  /** Each recipient received exactly once, under one key per batch, none rejected. */
  exactlyOnce?: boolean
  /** Why the session could not finish (Postgres sessions report it and let the others run). */
  failure?: string
}

/** Prepare a database, drain its send with `processes` workers into a fresh stand-in, check what it got. */
async function fanoutSession(title: string, prepare: () => Promise<Prepared>, processes: number, samples: string): Promise<Session> {
  const session: Session = { title, processes }
  const prepared = (session.prepared = await prepare())
  try {
    const standIn = await startStandIn()
    try {
      session.vigil = await sendWithWorker(standIn, prepared, processes)
      session.received = await standIn.report(samples)
    } finally {
      await standIn.stop()
    }
  } finally {
    await prepared.close()
  }
  const received = session.received
  session.exactlyOnce = received.sent === recipients && received.distinct === recipients && received.keys === prepared.batchCount && received.rejected === 0
  return session
}

/** On Postgres a failure (the engine's SQL not written yet, a claim sent twice…) is printed, not thrown. */
async function postgresSession(title: string, processes: number, samples: string): Promise<Session> {
  try {
    return await fanoutSession(title, preparePostgres, processes, samples)
  } catch (error) {
    return { title, processes, failure: (error as Error).message.split('\n').slice(0, 6).join('\n') }
  }
}

const sessions: Session[] = []
let baseline: Phase | undefined
const samplesFile = path.join(dir, 'baseline-batches.json')
try {
  if (engines.postgres) await requirePostgres()
  if (engines.sqlite) {
    const sqlite = await fanoutSession('SQLite, one worker', prepareSqlite, 1, samplesFile)
    if (!sqlite.exactlyOnce) throw new Error(`the stand-in did not receive each recipient once: ${JSON.stringify(sqlite.received)}`)
    sessions.push(sqlite)
  }
  if (engines.postgres) {
    sessions.push(await postgresSession('Postgres, one worker', 1, engines.sqlite ? path.join(dir, 'postgres-batches.json') : samplesFile))
    sessions.push(await postgresSession('Postgres, two workers', 2, path.join(dir, 'postgres-2-batches.json')))
  }
  // The baseline: the batches of the first session that sent, sent again by the SDK alone.
  const first = sessions.find((s) => s.vigil)
  if (first) {
    const second = await startStandIn()
    try {
      baseline = await sendWithSdk(second, samplesFile, first.prepared!.batchCount)
    } finally {
      await second.stop()
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const rate = (p: Phase) => p.emails / (p.ms / 1000)
const perK = (cpuMs: number, p: Phase) => (cpuMs / p.emails) * 1000
const met = (ok: boolean) => (ok ? 'met' : 'MISSED')

/** One session's figures, as the SQLite run has always printed them. */
function printSession({ title, processes, prepared, vigil, received, exactlyOnce, failure }: Session) {
  if (failure || !prepared || !vigil || !received || !baseline) {
    console.log(`\nbench:fanout — ${title}: FAILED\n${failure}`)
    process.exitCode = 1
    return
  }
  const { batchCount, insertMs, snapshotMs } = prepared
  console.log(`\nbench:fanout — ${recipients.toLocaleString('en')} recipients, ${batchCount.toLocaleString('en')} batches, ${new Date().toISOString()}`)
  if (engines.label !== 'sqlite') console.log(`engine: ${title}${processes > 1 ? ` (${processes} × npm run worker at once on the same send, one stand-in; CPU summed)` : ''}`)
  console.log(`machine load before the run: ${loadBefore.toFixed(2)} (1-min average, ${os.availableParallelism()} cores)`)
  console.log(`setup: ${recipients.toLocaleString('en')} supporters, signatures and consents inserted in ${(insertMs / 1000).toFixed(1)} s`)
  console.log(`snapshot (startUpdateSend): ${recipients.toLocaleString('en')} messages in ${batchCount.toLocaleString('en')} batches in ${(snapshotMs / 1000).toFixed(2)} s, ${((snapshotMs / recipients) * 1000).toFixed(1)} ms per 1,000`)
  console.log('')
  console.log(`${'sending'.padEnd(36)}${pad('emails/s', 10)}${pad('req/s', 8)}${pad('ms/req', 8)}${pad('wall s', 8)}${pad('sender CPU', 12)}${pad('stand-in CPU', 14)}`)
  console.log(`${''.padEnd(36)}${pad('', 10)}${pad('', 8)}${pad('', 8)}${pad('', 8)}${pad('ms/1k', 12)}${pad('ms/1k', 14)}`)
  for (const [name, p] of [
    [processes > 1 ? `vigil (${processes} × npm run worker)` : 'vigil (npm run worker)', vigil],
    ['baseline (SDK, bodies pre-rendered)', baseline],
  ] as const) {
    console.log(
      `${name.padEnd(36)}${pad(rate(p).toFixed(0), 10)}${pad((p.batches / (p.ms / 1000)).toFixed(1), 8)}${pad((p.ms / p.batches).toFixed(1), 8)}${pad((p.ms / 1000).toFixed(1), 8)}` +
        `${pad(perK(p.senderCpuMs, p).toFixed(0), 12)}${pad(perK(p.standInCpuMs, p).toFixed(0), 14)}`,
    )
  }
  console.log(
    `checked: the stand-in received ${received.sent.toLocaleString('en')} emails for ${received.distinct.toLocaleString('en')} distinct recipients under ${received.keys.toLocaleString('en')} keys, ${received.rejected} rejected; ` +
      `an email is ${(received.emailBytes / 1024).toFixed(1)} kB of JSON (html ${(received.htmlBytes / 1024).toFixed(1)} kB, text ${(received.textBytes / 1024).toFixed(1)} kB)`,
  )
  if (!exactlyOnce) {
    console.log(`NOT EXACTLY ONCE: ${recipients.toLocaleString('en')} recipients in ${batchCount.toLocaleString('en')} batches were expected; figures are not comparable`)
    process.exitCode = 1
  }
  console.log('(CPU from /proc: the sending process, and the stand-in, each in its own process; ms/req: wall time per batch request, one at a time)')

  const ratio = rate(vigil) / rate(baseline)
  const ownMsPerBatch = vigil.ms / vigil.batches - baseline.ms / baseline.batches
  const ownCpuPerK = perK(vigil.senderCpuMs, vigil) - perK(baseline.senderCpuMs, baseline)
  console.log('')
  console.log(`vigil / baseline emails/s       : ${(ratio * 100).toFixed(0)} %`)
  console.log(`vigil / baseline sender CPU     : ×${(vigil.senderCpuMs / baseline.senderCpuMs).toFixed(1)}`)
  console.log(`Vigil's own cost per batch      : ${ownMsPerBatch.toFixed(1)} ms of wall time, ${((ownCpuPerK * 100) / 1000).toFixed(1)} ms of CPU (above the SDK and stand-in's)`)
  console.log(`Vigil's own CPU per 1,000 emails: ${ownCpuPerK.toFixed(0)} ms`)
  console.log('')
  console.log(`snapshot ${(snapshotMs / 1000).toFixed(2)} s for ${recipients.toLocaleString('en')}   (goal < 10 s: ${met(snapshotMs < 10_000)})`)
  console.log(`sending  ${rate(vigil).toFixed(0)} emails/s        (goal ≥ 5,000 emails/s: ${met(rate(vigil) >= 5000)})`)
  console.log(
    `         (one request at a time, the SDK alone gets ${rate(baseline).toFixed(0)} emails/s from this stand-in on this host: ` +
      `${rate(baseline) >= 5000 ? 'the goal is within reach of a sender with one request out at a time' : 'with one request out at a time, even that misses the goal here'})`,
  )
  if (!vigil.profileDir && rate(vigil) < 5000) console.log('(BENCH_PROFILE=1 shows where the worker spends its CPU)')
  if (vigil.profileDir) {
    console.log('')
    for (const line of summariseProfile(vigil.profileDir, vigil.batches)) console.log(line)
    console.log(`(profile kept in ${vigil.profileDir})`)
  }
}

for (const session of sessions) printSession(session)

if (engines.postgres) {
  const column = 24
  console.log(`\nside by side, same session`)
  console.log(`${''.padEnd(28)}${sessions.map((s) => pad(s.title, column)).join('')}`)
  const row = (name: string, cell: (s: Session) => string) => console.log(`${name.padEnd(28)}${sessions.map((s) => pad(s.failure ? 'failed' : cell(s), column)).join('')}`)
  row('snapshot s', (s) => (s.prepared!.snapshotMs / 1000).toFixed(2))
  row('emails/s', (s) => rate(s.vigil!).toFixed(0))
  row('sender CPU ms/1k', (s) => perK(s.vigil!.senderCpuMs, s.vigil!).toFixed(0))
  row('each email exactly once', (s) => (s.exactlyOnce ? 'yes' : 'NO'))
  const sqlite = sessions.find((s) => s.title.startsWith('SQLite') && s.vigil)
  const [one, two] = sessions.filter((s) => s.title.startsWith('Postgres'))
  console.log('')
  for (const s of [one, two]) {
    if (s?.vigil) console.log(`${s.title.padEnd(22)}: ${rate(s.vigil).toFixed(0)} emails/s  (goal on Postgres ≥ 5,000 emails/s: ${met(rate(s.vigil) >= 5000)})`)
  }
  if (sqlite && one?.vigil) console.log(`Postgres / SQLite, one worker: ${((rate(one.vigil) / rate(sqlite.vigil!)) * 100).toFixed(0)} % of the emails/s`)
  if (one?.vigil && two?.vigil) console.log(`two workers / one on Postgres: ×${(rate(two.vigil) / rate(one.vigil)).toFixed(2)}`)
}
