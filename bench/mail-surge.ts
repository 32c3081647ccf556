/**
 * npm run bench:mail-surge — a viral petition in live mode: do confirmation emails keep up?
 * For each provider limit (2 requests/s, Resend's default, then 10): the Resend stand-in, in this
 * process, allows that many requests per second and answers 429 beyond it; the production build
 * runs in live mode against it (RESEND_REQUESTS_PER_SECOND set to the same limit; the mail sender
 * runs in the web server, as by default) on the demo campaign (VIGIL_ALLOW_DEMO_DATA=1). Then
 * BENCH_SIGNATURES (default 20,000) distinct signatures arrive as fast as the server takes them:
 * BENCH_CONCURRENCY (default 50) signers at once, each posting the petition form as the hydrated
 * page's fetcher does (form-encoded to /c/:slug.data with _js=1). As in bench:sign, each signer
 * comes from its own address (TRUST_PROXY=1, X-Forwarded-For) and the signing limits are lifted.
 * Measured: signatures accepted per second; confirmation emails accepted by the stand-in per second;
 * the time from the first signature to the last confirmation accepted, against the floor at that
 * limit (signatures / (limit × 100): every request a full batch of 100); duplicates and lost at the
 * stand-in (each signer's address must get exactly one confirmation); the 429s the sender received.
 * Goals: within 110 % of the floor, 0 duplicates, 0 lost. A phase gives up BENCH_TIMEOUT_S (default
 * 600) after its first signature and counts what has not arrived as lost. BENCH_LIMITS (default
 * "2,10") picks the limits. Not a test: it prints figures, and exits non-zero on a missed goal only
 * with BENCH_STRICT=1. Needs `npm run build` first.
 *
 * Engines (bench/engines.ts): with no flag, or `--engine sqlite`, the run above on SQLite.
 * `--engine postgres` runs every limit on SQLite first, then on Postgres (a fresh database of the
 * bench's own per limit, made and dropped by the bench; the server gets DATABASE_URL), printed in
 * one table; `--engine postgres-only` skips SQLite.
 *
 * The figures above are wall-clock: on a busy machine signing slows, and at 10/s the floor
 * (20 s) is shorter than 20,000 signatures may take to arrive. So each phase also prints what
 * contention distorts far less: how long after the last signature the last confirmation was
 * accepted (the sender's lag), and the CPU the server (and on Postgres its backends) spent per
 * signature while signing and in all, from /proc.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { startResendStandIn, type ResendStandIn } from '../stand-ins/resend/index.ts'
import { startServer, type RunningServer } from '../tests/helpers/server.ts'
import { cpuTimeMs, serverPid } from './baselines.ts'
import { benchDatabase, engineChoice, postgresCpu, requirePostgres } from './engines.ts'

function positiveInt(name: string, fallback: number) {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a whole number above 0, got "${raw}"`)
  return value
}

const signatures = positiveInt('BENCH_SIGNATURES', 20_000)
const concurrency = positiveInt('BENCH_CONCURRENCY', 50)
const timeoutS = positiveInt('BENCH_TIMEOUT_S', 600)
const limits = (process.env.BENCH_LIMITS ?? '2,10').split(',').map((part) => {
  const limit = Number(part.trim())
  if (!Number.isInteger(limit) || limit <= 0) throw new Error(`BENCH_LIMITS must list whole numbers above 0, got "${process.env.BENCH_LIMITS}"`)
  return limit
})
const strict = process.env.BENCH_STRICT === '1'
const engines = engineChoice()
type Engine = 'sqlite' | 'postgres'
const slug = 'free-andry'
// After the last signer's first confirmation, how long to keep counting, so late duplicates show.
const GRACE_MS = 2_000

type Phase = {
  engine: Engine
  limit: number
  accepted: number
  /** Signing answers other than 200, by status ('network' when there was no answer). */
  refused: Map<string, number>
  signingMs: number
  confirmations: number
  /** From the first signature to the first and the last confirmation accepted (the last so far, if timed out). */
  firstConfirmationMs: number | null
  lastConfirmationMs: number | null
  duplicates: number
  lost: number
  /** Confirmations to addresses the bench did not see accepted (a signature whose answer got lost). */
  unexpected: number
  status429: number
  requests: number
  /** Accepted batch requests that carried fewer than 100 emails (each one a part of a request unused). */
  partial: number
  /** Mean time between the starts of accepted requests, against the pace's 1000 / limit. */
  meanGapMs: number | null
  /** Requests or batch items the stand-in found invalid (should be 0). */
  invalid: number
  timedOut: boolean
  /** From the last signature accepted to the last confirmation accepted. */
  lagMs: number | null
  /** CPU ms (app process; Postgres backends, null on SQLite) while signing, and from the first signature to the end. */
  appCpuSigningMs: number
  appCpuMs: number
  dbCpuSigningMs: number | null
  dbCpuMs: number | null
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Only the confirmation email carries the /confirm/ link. */
function isConfirmation(email: Record<string, unknown>) {
  return typeof email.text === 'string' && email.text.includes('/confirm/')
}

function recipients(email: Record<string, unknown>): string[] {
  const to = email.to
  return (Array.isArray(to) ? to : [to]).filter((a): a is string => typeof a === 'string').map((a) => a.trim().toLowerCase())
}

function liveEnv(resend: ResendStandIn, limit: number): Record<string, string> {
  return {
    VIGIL_QUIET_LOG: '1',
    SESSION_SECRET: 'bench-mail-surge-session-secret-0123456789abcdef',
    // Live mode; nothing may reach Stripe (a closed port), mail goes to the stand-in.
    STRIPE_SECRET_KEY: 'sk_test_bench_mail_surge',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_mail_surge',
    STRIPE_API_BASE: 'http://127.0.0.1:9',
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: resend.url,
    RESEND_WEBHOOK_SECRET: 'whsec_YmVuY2gtbWFpbC1zdXJnZS1zZWNyZXQ=',
    MAIL_FROM: 'Vigil <team@example.org>',
    RESEND_REQUESTS_PER_SECOND: String(limit),
    // Live mode on the demo's campaign, on purpose (the seed leaves the demo organiser out in live mode).
    VIGIL_ALLOW_DEMO_DATA: '1',
    // As bench:sign: many signers behind one reverse proxy, and the per-address limits lifted.
    TRUST_PROXY: '1',
    SIGN_LIMIT_PER_10_MIN: '1000000000',
    SIGN_LIMIT_PER_DAY: '1000000000',
  }
}

const FIRST = ['Ana', 'Luis', 'María', 'José', 'Zoë', 'Jürgen', 'Aisha', 'Chen', 'Olga', 'Pedro', 'Sarah', 'Tomás']
const LAST = ['Pérez', 'García', 'Müller', 'Smith', 'Rodríguez', 'Nguyen', 'Okafor', 'Silva', 'Rossi', 'Dubois']
const COUNTRIES = ['VE', 'VE', 'VE', 'US', 'US', 'ES', 'ES', 'CO', 'MX', 'AR', 'DE', 'GB', 'FR', 'CL', 'PE']

/** Every signature once, `concurrency` at a time, each answered before that signer posts the next. */
async function sign(server: RunningServer, onAccepted: (address: string) => void) {
  const run = randomBytes(4).toString('hex')
  const refused = new Map<string, number>()
  let next = 0
  async function signer() {
    while (next < signatures) {
      const n = next++
      const address = `signer.${run}.${n}@bench.vigil.example`
      const form = new URLSearchParams({
        firstName: FIRST[n % FIRST.length]!,
        lastName: LAST[(n * 7) % LAST.length]!,
        email: address,
        country: COUNTRIES[(n * 13) % COUNTRIES.length]!,
        _js: '1',
      })
      if (n % 2 === 0) form.set('updates', 'on')
      let status = 'network'
      try {
        const response = await fetch(`${server.url}/c/${slug}.data`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'accept-language': n % 3 === 0 ? 'es' : 'en-US,en;q=0.9',
            'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
          },
          body: form,
        })
        await response.arrayBuffer()
        status = String(response.status)
      } catch {
        // counted as 'network'
      }
      if (status === '200') onAccepted(address)
      else refused.set(status, (refused.get(status) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, signer))
  return refused
}

async function runPhase(engine: Engine, limit: number): Promise<Phase> {
  const resend = await startResendStandIn({ requestsPerSecond: limit })
  // The engine is the bench's choice (--engine), not the shell's.
  const database = engine === 'postgres' ? await benchDatabase() : null
  let server: RunningServer | undefined
  try {
    server = await startServer({ env: { ...liveEnv(resend, limit), DATABASE_URL: database?.url ?? '' } })
    const running = server
    const pid = serverPid(server)
    const dbCpu = database ? postgresCpu(database.name) : null
    // Confirmations per accepted signer's address, counted once signing is over (so each address is known).
    const counts = new Map<string, number>()
    let confirmations = 0
    let unexpected = 0
    let delivered = 0
    let firstAt: number | null = null
    let lastAt: number | null = null
    let seen = 0
    const tally = () => {
      const sent = resend.sent()
      for (; seen < sent.length; seen++) {
        const email = sent[seen]!
        if (!isConfirmation(email.email)) continue
        confirmations += 1
        const at = email.receivedAt.getTime()
        firstAt ??= at
        lastAt = Math.max(lastAt ?? at, at)
        for (const address of recipients(email.email)) {
          const count = counts.get(address)
          if (count === undefined) unexpected += 1
          else {
            if (count === 0) delivered += 1
            counts.set(address, count + 1)
          }
        }
      }
    }

    const appCpu0 = cpuTimeMs(pid)
    const dbCpuSince = dbCpu?.start()
    const t0 = Date.now()
    const deadline = t0 + timeoutS * 1000
    const refused = await sign(running, (address) => counts.set(address, 0))
    const signingMs = Date.now() - t0
    const appCpuSigningMs = cpuTimeMs(pid) - appCpu0
    const dbCpuSigningMs = dbCpuSince?.() ?? null
    const accepted = counts.size
    tally()
    let timedOut = false
    while (delivered < accepted) {
      if (!running.running()) throw new Error(`the server stopped:\n${running.output()}`)
      if (Date.now() > deadline) {
        timedOut = true
        break
      }
      await sleep(200)
      tally()
    }
    const appCpuMs = cpuTimeMs(pid) - appCpu0
    const dbCpuMs = dbCpuSince?.() ?? null
    if (!timedOut) {
      await sleep(GRACE_MS)
      tally()
    }
    let duplicates = 0
    let lost = 0
    for (const count of counts.values()) {
      if (count === 0) lost += 1
      else duplicates += count - 1
    }
    const requests = resend.requests()
    const accepted200 = requests.filter((request) => request.status === 200)
    const gaps = accepted200.slice(1).map((request, i) => request.receivedAt.getTime() - accepted200[i]!.receivedAt.getTime())
    return {
      engine,
      limit,
      accepted,
      refused,
      signingMs,
      confirmations,
      firstConfirmationMs: firstAt === null ? null : firstAt - t0,
      lastConfirmationMs: lastAt === null ? null : lastAt - t0,
      duplicates,
      lost,
      unexpected,
      status429: requests.filter((request) => request.status === 429).length,
      requests: requests.length,
      partial: accepted200.filter((request) => Array.isArray(request.body) && request.body.length < 100).length,
      meanGapMs: gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
      invalid: resend.rejected().length,
      timedOut,
      lagMs: lastAt === null || timedOut ? null : lastAt - (t0 + signingMs),
      appCpuSigningMs,
      appCpuMs,
      dbCpuSigningMs,
      dbCpuMs,
    }
  } finally {
    await server?.stop()
    await resend.close()
    await database?.drop()
  }
}

// Other processes on the machine skew every figure: say how busy it was when the run began.
const loadBefore = os.loadavg()[0]!
const phases: Phase[] = []
if (engines.postgres) await requirePostgres()
for (const engine of (['sqlite', 'postgres'] as const).filter((e) => engines[e])) {
  for (const limit of limits) {
    console.log(`mail-surge: ${signatures.toLocaleString('en')} signatures at ${limit} requests/s on ${engine === 'sqlite' ? 'SQLite' : 'Postgres'} …`)
    phases.push(await runPhase(engine, limit))
  }
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const seconds = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(ms < 1000 ? 2 : 1))
const floorMs = (p: Phase) => (p.accepted / (p.limit * 100)) * 1000
// On SQLite alone the table reads as it always has; with Postgres each row names its engine.
const label = (p: Phase) => (engines.label === 'sqlite' ? `${p.limit}/s` : `${p.engine === 'sqlite' ? 'SQLite' : 'Postgres'} ${p.limit}/s`)
const width = engines.label === 'sqlite' ? 8 : 15
const perSignature = (ms: number | null, p: Phase) => (ms === null || p.accepted === 0 ? '-' : (ms / p.accepted).toFixed(2))
console.log(`\nbench:mail-surge — ${signatures.toLocaleString('en')} signatures, ${concurrency} signers at once, timeout ${timeoutS} s, ${new Date().toISOString()}`)
console.log(`machine load before the run: ${loadBefore.toFixed(2)} (1-min average, ${os.availableParallelism()} cores)`)
console.log(
  `${'limit'.padEnd(width)}${pad('sign/s', 8)}${pad('conf/s', 9)}${pad('last conf s', 13)}${pad('floor s', 9)}${pad('ratio', 9)}` +
    `${pad('dupes', 7)}${pad('lost', 8)}${pad('429s', 7)}${pad('requests', 10)}${pad('lag s', 8)}${pad('app ms/sig', 12)}${pad('db ms/sig', 11)}`,
)
for (const p of phases) {
  const confSpan = p.firstConfirmationMs !== null && p.lastConfirmationMs !== null ? p.lastConfirmationMs - p.firstConfirmationMs : null
  const ratio = p.lastConfirmationMs === null || p.timedOut ? '-' : `${((p.lastConfirmationMs / floorMs(p)) * 100).toFixed(0)} %`
  console.log(
    `${label(p).padEnd(width)}${pad((p.accepted / (p.signingMs / 1000)).toFixed(0), 8)}` +
      `${pad(confSpan ? (p.confirmations / (confSpan / 1000)).toFixed(1) : '-', 9)}` +
      `${pad(p.timedOut ? `>${timeoutS}` : seconds(p.lastConfirmationMs), 13)}${pad(seconds(floorMs(p)), 9)}${pad(ratio, 9)}` +
      `${pad(p.duplicates, 7)}${pad(p.lost, 8)}${pad(p.status429, 7)}${pad(p.requests, 10)}` +
      `${pad(seconds(p.lagMs), 8)}${pad(`${perSignature(p.appCpuSigningMs, p)}/${perSignature(p.appCpuMs, p)}`, 12)}` +
      `${pad(p.dbCpuMs === null ? '-' : `${perSignature(p.dbCpuSigningMs, p)}/${perSignature(p.dbCpuMs, p)}`, 11)}`,
  )
}
console.log(
  '(sign/s: signatures answered 200 per second while signing; conf/s: confirmations the stand-in accepted per second, first to last; ' +
    'last conf s: from the first signature to the last confirmation accepted; floor: signatures / (limit × 100); ' +
    'lost: signers with no confirmation at the end; requests: email requests the stand-in received, 429s among them; ' +
    'lag: from the last signature accepted to the last confirmation accepted (negative: the confirmation was in before the last signer had its answer); app ms/sig and db ms/sig: CPU of the server process ' +
    'and of its Postgres backends per signature, while signing / until the last confirmation)',
)
for (const p of phases) {
  const notes = [`${label(p)}: ${p.accepted.toLocaleString('en')} signatures accepted in ${seconds(p.signingMs)} s`]
  if (p.refused.size > 0) notes.push(`refused: ${[...p.refused].map(([status, n]) => `${n} × ${status}`).join(', ')}`)
  notes.push(`${p.confirmations.toLocaleString('en')} confirmations accepted${p.firstConfirmationMs === null ? '' : `, the first after ${seconds(p.firstConfirmationMs)} s`}`)
  notes.push(`${p.partial} requests with fewer than 100 emails; mean gap between accepted requests ${p.meanGapMs === null ? '-' : p.meanGapMs.toFixed(1)} ms (pace ${(1000 / p.limit).toFixed(0)} ms)`)
  if (p.invalid > 0) notes.push(`${p.invalid} refused by the stand-in as invalid`)
  if (p.unexpected > 0) notes.push(`${p.unexpected} to addresses whose signature got no 200`)
  if (p.timedOut) notes.push(`gave up after ${timeoutS} s (BENCH_TIMEOUT_S) with ${p.lost.toLocaleString('en')} signers still waiting`)
  console.log(notes.join('; '))
}

let missed = false
const verdict = (ok: boolean) => {
  if (!ok) missed = true
  return ok ? 'PASS' : 'FAIL'
}
console.log('')
for (const p of phases) {
  const ratio = p.lastConfirmationMs === null || p.timedOut ? null : p.lastConfirmationMs / floorMs(p)
  console.log(
    `${label(p).padEnd(width - 2)} last confirmation within 110 % of the floor (${seconds(floorMs(p))} s): ` +
      `${ratio === null ? `not all arrived within ${timeoutS} s` : `${(ratio * 100).toFixed(0)} %`}  ${verdict(ratio !== null && ratio <= 1.1)}`,
  )
  console.log(`${label(p).padEnd(width - 2)} duplicates at the stand-in: ${p.duplicates}  ${verdict(p.duplicates === 0)}`)
  console.log(`${label(p).padEnd(width - 2)} lost at the stand-in: ${p.lost}  ${verdict(p.lost === 0)}`)
  console.log(`${label(p).padEnd(width - 2)} signatures accepted: ${p.accepted} of ${signatures}  ${verdict(p.accepted === signatures)}`)
}
if (missed && strict) process.exitCode = 1
