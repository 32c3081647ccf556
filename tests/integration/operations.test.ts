/**
 * Operations, over real HTTP against the production build, on either engine
 * (VIGIL_TEST_ENGINE=postgres): the health check and what it says when the database is gone,
 * /metrics behind its token with figures that move, JSON logs that parse and hold nothing
 * personal, and a graceful shutdown that lets a slow request finish.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { eq, inArray } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emailBatches, emailMessages, signatures, supporters } from '#db/schema.ts'
import { allRows, firstRow } from '#db/query.server.ts'
import { auditLog } from '../../scripts/log-audit.ts'
import { emailHashes, openEmail } from '~/models/personal-data.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { adminUrl, closeDatabase, createTestDatabase, dropTestDatabase, onPostgres, openServerDatabase } from '../helpers/engine.ts'
import { entryArgs, captureForLogAudit, freePort, makeDataDir, requireBuild, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'

const TOKEN = 'metrics-token-for-the-operations-test'
const POOL_SIZE = 3
const SLUG = 'free-andry'

type Where = { databasePath: string; databaseUrl: string | null }

/** A new signer's form (a fresh address each time), signed without JavaScript. */
let signers = 0
function signerForm() {
  signers += 1
  return new URLSearchParams({ firstName: 'Ana', lastName: 'Ops', email: `ana.ops.${signers}@example.org`, country: 'DE' })
}

async function sign(url: string, form: URLSearchParams, from: string) {
  return fetch(`${url}/c/${SLUG}?lng=en`, { method: 'POST', redirect: 'manual', headers: { 'X-Forwarded-For': from }, body: form })
}

/** The confirmation email queued for `email`, read engine-neutrally. */
async function confirmationFor(where: Where, email: string) {
  const db = openServerDatabase(where)
  try {
    // Sealed ({to, props}, ADR 017): opened with the servers' test key, then matched by recipient.
    const rows = await allRows(
      db.select({ id: emailMessages.id, status: emailMessages.status, sealed: emailMessages.sealed }).from(emailMessages).where(eq(emailMessages.template, 'confirm-signature')),
    )
    for (const { sealed, ...row } of rows) {
      const opened = sealed ? openEmail(sealed) : null
      if (opened?.to === email) return { ...row, props: opened.props }
    }
    return undefined
  } finally {
    await closeDatabase(db)
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function confirmLink(url: string, where: Where, email: string) {
  const message = await waitFor(`the confirmation email to ${email}`, () => confirmationFor(where, email))
  return { message, url: `${url}/confirm/${signatureToken(String(message.props.tokenSeed))}` }
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  return { res, text: await res.text() }
}

/** A sample's value: the sum over the series of `name` whose labels include every one given. */
function figure(text: string, name: string, labels: Record<string, string> = {}) {
  let total = 0
  let found = false
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = Object.fromEntries([...match[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      total += Number(match[3])
      found = true
    }
  }
  return found ? total : null
}

describe('health check', () => {
  let server: RunningServer

  beforeAll(async () => {
    server = await startServer()
  })

  afterAll(async () => {
    await server?.stop()
  })

  it('answers /healthz with 200 when the database answers', async () => {
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('ok')
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('has no /metrics without METRICS_TOKEN: the ordinary 404', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(404)
  })

  // A SQLite file the process holds open cannot become unreachable: `select 1` answers as long
  // as the process runs. On Postgres the server's database first refuses connections for a
  // while (as in a restart or failover), then is dropped under it.
  it.skipIf(!onPostgres)('answers 503 with a short plain message while its Postgres database is unreachable, 200 once it is back, 503 once it is dropped', async () => {
    const url = new URL(server.databaseUrl!)
    const name = url.pathname.slice(1)
    const asAdmin = async (statements: string[]) => {
      const admin = new pg.Client({ connectionString: adminUrl() })
      await admin.connect()
      try {
        for (const statement of statements) await admin.query(statement)
      } finally {
        await admin.end()
      }
    }
    const unhealthy = () =>
      waitFor('a 503 from /healthz', async () => {
        const res = await fetch(`${server.url}/healthz`)
        return res.status === 503 ? res : null
      })
    const expectPlainAndDiscreet = async (res: Response) => {
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const body = await res.text()
      expect(body).toBe('database unreachable\n')
      // Nothing of the connection: no URL, host, port, role, password or database name.
      for (const secret of ['postgres', url.username, url.password, url.host, url.port, name]) expect(body).not.toContain(secret)
    }

    await asAdmin([
      `alter database "${name}" allow_connections false`,
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`,
    ])
    await expectPlainAndDiscreet(await unhealthy())
    await asAdmin([`alter database "${name}" allow_connections true`])
    const back = await waitFor('a 200 from /healthz', async () => {
      const res = await fetch(`${server.url}/healthz`)
      return res.status === 200 ? res : null
    })
    expect(await back.text()).toContain('ok')

    await dropTestDatabase(server.databaseUrl!)
    await expectPlainAndDiscreet(await unhealthy())
    // The log names the driver's code only (e.g. 3D000), never the URL or its password.
    expect(server.output()).toMatch(/vigil: health: the database does not answer \((?:3D000|55000|57P01|ECONNREFUSED)\)/)
    expect(server.output()).toMatch(/vigil: health: the database answers again/)
    expect(server.output()).not.toContain(`${url.username}:${url.password}@`)
  })
})

describe('metrics and JSON logs', () => {
  let server: RunningServer

  beforeAll(async () => {
    // The sender is off so the outbox backlog stays until the scrape reads it.
    server = await startServer({ env: { METRICS_TOKEN: TOKEN, LOG_FORMAT: 'json', TRUST_PROXY: '1', VIGIL_SENDER: 'off', DATABASE_POOL_SIZE: String(POOL_SIZE) } })
  })

  afterAll(async () => {
    await server?.stop()
  })

  it('refuses /metrics without the bearer token, or with a wrong one (401)', async () => {
    for (const headers of [{} as Record<string, string>, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: 'Bearer short' }, { Authorization: `Basic ${TOKEN}` }, { Authorization: 'Bearer ' }]) {
      const res = await fetch(`${server.url}/metrics`, { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(await res.text()).not.toContain('vigil_')
    }
  })

  it('serves the Prometheus text format, every sample labelled with its process', async () => {
    const { res, text } = await scrape(server.url)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const samples = text.split('\n').filter((line) => line && !line.startsWith('#'))
    expect(samples.length).toBeGreaterThan(10)
    for (const line of samples) expect(line).toMatch(new RegExp(`^[a-z_]+\\{process="[^"]+:${server.port}"[^}]*\\} -?[0-9.e+-]+$`))
    for (const name of ['vigil_http_requests_total', 'vigil_http_request_duration_seconds', 'vigil_signatures_created_total', 'vigil_signatures_confirmed_total', 'vigil_sender_requests_total', 'vigil_sender_emails_total', 'vigil_webhook_events_total', 'vigil_job_runs_total']) {
      expect(text).toContain(`# TYPE ${name} `)
    }
    expect(figure(text, 'vigil_database_up')).toBe(1)
  })

  it('moves its figures after a signature, a confirmation and refused webhooks', async () => {
    const before = (await scrape(server.url)).text
    const form = signerForm()
    const email = form.get('email')!
    expect((await sign(server.url, form, '203.0.113.7')).status).toBe(303)
    const { url: confirmUrl } = await confirmLink(server.url, server, email)

    const queued = (await scrape(server.url)).text
    expect(figure(queued, 'vigil_signatures_created_total')).toBe(figure(before, 'vigil_signatures_created_total')! + 1)
    expect(figure(queued, 'vigil_http_requests_total', { group: 'sign', status: '3xx' })).toBe((figure(before, 'vigil_http_requests_total', { group: 'sign', status: '3xx' }) ?? 0) + 1)
    expect(figure(queued, 'vigil_http_request_duration_seconds_count', { group: 'sign', status: '3xx' })).toBe(figure(queued, 'vigil_http_requests_total', { group: 'sign', status: '3xx' }))

    const confirmed = await fetch(confirmUrl, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(confirmed.status).toBe(303)
    const stripe = await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': 't=1,v1=00' }, body: '{}' })
    expect(stripe.status).toBe(400)
    const resend = await fetch(`${server.url}/webhooks/resend`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    expect(resend.status).toBe(400)

    const after = (await scrape(server.url)).text
    expect(figure(after, 'vigil_signatures_confirmed_total')).toBe(figure(before, 'vigil_signatures_confirmed_total')! + 1)
    expect(figure(after, 'vigil_http_requests_total', { group: 'confirm', status: '3xx' })).toBe((figure(before, 'vigil_http_requests_total', { group: 'confirm', status: '3xx' }) ?? 0) + 1)
    expect(figure(after, 'vigil_webhook_events_total', { provider: 'stripe', outcome: 'refused' })).toBe(1)
    expect(figure(after, 'vigil_webhook_events_total', { provider: 'resend', outcome: 'refused' })).toBe(1)
    expect(figure(after, 'vigil_http_requests_total', { group: 'webhook', status: '4xx' })).toBe(2)
  })

  it('reads the outbox backlog and the age of its oldest due message at scrape time', async () => {
    const before = (await scrape(server.url)).text
    for (const name of ['vigil_outbox_backlog', 'vigil_outbox_oldest_due_age_seconds', 'vigil_outbox_oldest_confirmation_age_seconds']) expect(before).toContain(`# TYPE ${name} gauge`)
    const form = signerForm()
    expect((await sign(server.url, form, '203.0.113.11')).status).toBe(303)
    await waitFor('the confirmation email', () => confirmationFor(server, form.get('email')!))
    await new Promise((resolve) => setTimeout(resolve, 20))
    // This server's sender is off: the email waits, and the scrape sees it.
    const after = (await scrape(server.url)).text
    expect(figure(after, 'vigil_outbox_backlog', { kind: 'confirmation' })).toBe(figure(before, 'vigil_outbox_backlog', { kind: 'confirmation' })! + 1)
    expect(figure(after, 'vigil_outbox_oldest_due_age_seconds')).toBeGreaterThan(0)
    expect(figure(after, 'vigil_outbox_oldest_confirmation_age_seconds')).toBeGreaterThan(0)
  })

  // SQLite has one connection per process; the setting is Postgres' only.
  it.skipIf(!onPostgres)('keeps at most DATABASE_POOL_SIZE connections to Postgres under a burst', async () => {
    const name = new URL(server.databaseUrl!).pathname.slice(1)
    const admin = new pg.Client({ connectionString: adminUrl() })
    await admin.connect()
    try {
      let most = 0
      let bursting = true
      const burst = Promise.all(
        Array.from({ length: 40 }, (_, i) => sign(server.url, signerForm(), `198.51.100.${i + 1}`).then((res) => res.status)),
      ).finally(() => (bursting = false))
      while (bursting) {
        const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'vigil'`, [name])
        most = Math.max(most, rows[0]!.n)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      expect(new Set(await burst)).toEqual(new Set([303]))
      expect(most).toBeGreaterThan(0)
      expect(most).toBeLessThanOrEqual(POOL_SIZE)
    } finally {
      await admin.end()
    }
  })

  it('counts the runs of the retention and reminders jobs', async () => {
    // Both make their first run a few seconds after start.
    const text = await waitFor('both jobs to run', async () => {
      const { text } = await scrape(server.url)
      return figure(text, 'vigil_job_runs_total', { job: 'retention', outcome: 'ok' }) && figure(text, 'vigil_job_runs_total', { job: 'reminders', outcome: 'ok' }) ? text : null
    })
    expect(figure(text, 'vigil_job_runs_total', { outcome: 'error' }) ?? 0).toBe(0)
  })

  it('logs one JSON object per line, requests with their fields, and nothing personal', async () => {
    // The confirmation's line is written when its answer finishes; wait for it.
    await waitFor('the confirm request in the log', async () => server.output().includes('"path":"/confirm/:token"'))
    const lines = server.output().split('\n').filter((line) => line.trim())
    expect(lines.length).toBeGreaterThan(5)
    const entries = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>
      } catch {
        throw new Error(`not a JSON line: ${line.slice(0, 200)}`)
      }
    })
    for (const entry of entries) {
      expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false)
      expect(['info', 'warn', 'error']).toContain(entry.level)
    }
    const requests = entries.filter((e) => e.msg === 'request')
    const signed = requests.find((e) => e.method === 'POST' && e.path === `/c/${SLUG}`)
    expect(signed).toMatchObject({ status: 303, group: 'sign' })
    expect(typeof signed!.ms).toBe('number')
    expect(requests.find((e) => e.path === '/confirm/:token')).toMatchObject({ method: 'POST', status: 303, group: 'confirm' })
    expect(requests.find((e) => e.path === '/metrics' && e.status === 200)).toMatchObject({ method: 'GET', group: 'other' })
    expect(entries.some((e) => typeof e.msg === 'string' && e.msg.startsWith('vigil: listening on'))).toBe(true)
    // The same masking as the text format: no address, client IP, token or key (scripts/log-audit.ts).
    expect(auditLog(server.output())).toEqual([])
    expect(server.output()).not.toContain('203.0.113.7')
    expect(server.output()).not.toContain('@example.org')
  })
})

/**
 * The built server as its own child process (startServer's helper cannot report an exit code),
 * seeded like any test server, on either engine.
 */
async function spawnServer(env: Record<string, string>) {
  requireBuild()
  const dir = makeDataDir()
  const databaseUrl = onPostgres ? await createTestDatabase() : null
  const port = await freePort()
  const where: Where = { databasePath: path.join(dir, 'vigil.db'), databaseUrl }
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_PATH: where.databasePath,
    DATABASE_URL: databaseUrl ?? '',
    UPLOADS_PATH: path.join(dir, 'uploads'),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    STRIPE_SECRET_KEY: '',
    RESEND_API_KEY: '',
    ...env,
  }
  const seeded = await runScript('scripts/seed/seed.ts', [], baseEnv)
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`)
  const child: ChildProcess = spawn(process.execPath, entryArgs('server/index.ts'), { cwd: ROOT, env: { ...process.env, ...baseEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  captureForLogAudit(child, 'server')
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  await waitFor('the server to listen', async () => {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`)
    return output.includes('listening on')
  }, 30_000)
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    where,
    child,
    exited,
    output: () => output,
    async cleanUp() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
      const { rmSync } = await import('node:fs')
      rmSync(dir, { recursive: true, force: true })
      if (databaseUrl) await dropTestDatabase(databaseUrl)
    },
  }
}

/** A POST whose body arrives in two parts: the request is in flight until `finish()` sends the rest. */
function slowPost(port: number, pathname: string, body: string, headers: Record<string, string> = {}) {
  const half = Math.floor(body.length / 2)
  const req = http.request({ host: '127.0.0.1', port, path: pathname, method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)), ...headers } })
  const answered = new Promise<{ status: number; location: string | undefined } | { error: string }>((resolve) => {
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }))
    })
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
  })
  req.write(body.slice(0, half))
  return { answered, finish: () => req.end(body.slice(half)) }
}

describe('graceful shutdown', () => {
  let running: Awaited<ReturnType<typeof spawnServer>>

  beforeAll(async () => {
    running = await spawnServer({ METRICS_TOKEN: TOKEN, TRUST_PROXY: '1', VIGIL_QUIET_LOG: '' })
  })

  afterAll(async () => {
    await running?.cleanUp()
  })

  it('finishes a slow request after SIGTERM, refuses new connections, records the sender\'s work, closes the database and exits 0', { timeout: 40_000 }, async () => {
    // The sender is running: it takes a confirmation, and /metrics says so.
    const first = signerForm()
    expect((await sign(running.url, first, '203.0.113.8')).status).toBe(303)
    const text = await waitFor('the sender to take the confirmation', async () => {
      const { text } = await scrape(running.url)
      return (figure(text, 'vigil_sender_emails_total', { result: 'sent' }) ?? 0) >= 1 ? text : null
    })
    expect(figure(text, 'vigil_sender_requests_total', { result: 'ok' })).toBeGreaterThanOrEqual(1)

    // A signature whose body is still on its way, and a request that never completes its body.
    const slowForm = signerForm()
    const slow = slowPost(running.port, `/c/${SLUG}?lng=en`, slowForm.toString(), { 'X-Forwarded-For': '203.0.113.9' })
    const stuck = slowPost(running.port, `/c/${SLUG}?lng=en`, signerForm().toString(), { 'X-Forwarded-For': '203.0.113.10' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const signalledAt = Date.now()
    running.child.kill('SIGTERM')
    await waitFor('the shutdown to begin', async () => running.output().includes('SIGTERM received'))

    // No new connections once shutting down.
    const refused = await fetch(`${running.url}/healthz`).then(
      (res) => `answered ${res.status}`,
      (error: { cause?: { code?: string } }) => error.cause?.code ?? 'failed',
    )
    expect(refused).toBe('ECONNREFUSED')

    slow.finish()
    const answer = await slow.answered
    expect(answer).toEqual({ status: 303, location: `/c/${SLUG}?signed=1#petition` })

    // The stuck one is cut at the deadline (8 s), then the process ends, and cleanly.
    const exit = await running.exited
    expect(exit).toEqual({ code: 0, signal: null })
    expect(Date.now() - signalledAt).toBeLessThan(10_500)
    expect(await stuck.answered).toHaveProperty('error')
    expect(running.output()).toMatch(/vigil: stopped \(1 request\(s\) cut at the deadline\)/)

    // What the slow request did was committed; no email is left claimed by the stopped sender.
    const db = openServerDatabase(running.where)
    try {
      const stored = await firstRow(
        db
          .select({ status: signatures.status })
          .from(signatures)
          .innerJoin(supporters, eq(supporters.id, signatures.supporterId))
          .where(inArray(supporters.emailHash, emailHashes(slowForm.get('email')!))),
      )
      expect(stored?.status).toBe('pending')
      expect(await allRows(db.select({ id: emailMessages.id }).from(emailMessages).where(eq(emailMessages.status, 'sending')))).toEqual([])
      expect(await allRows(db.select({ id: emailBatches.id }).from(emailBatches).where(eq(emailBatches.status, 'submitting')))).toEqual([])
      expect((await confirmationFor(running.where, first.get('email')!))?.status).toBe('captured')
    } finally {
      await closeDatabase(db)
    }
  })
})

describe('graceful shutdown with SHUTDOWN_TIMEOUT_MS', () => {
  let running: Awaited<ReturnType<typeof spawnServer>>

  beforeAll(async () => {
    running = await spawnServer({ SHUTDOWN_TIMEOUT_MS: '1500', VIGIL_QUIET_LOG: '' })
  })

  afterAll(async () => {
    await running?.cleanUp()
  })

  it('cuts a request still in flight at the configured deadline and exits 0', { timeout: 40_000 }, async () => {
    const stuck = slowPost(running.port, `/c/${SLUG}?lng=en`, signerForm().toString(), { 'X-Forwarded-For': '203.0.113.12' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const signalledAt = Date.now()
    running.child.kill('SIGTERM')
    const exit = await running.exited
    const took = Date.now() - signalledAt
    expect(exit).toEqual({ code: 0, signal: null })
    expect(took).toBeGreaterThanOrEqual(1400)
    expect(took).toBeLessThan(4000)
    expect(await stuck.answered).toHaveProperty('error')
    expect(running.output()).toContain('finishing the requests in flight (at most 1.5 s)')
    expect(running.output()).toMatch(/vigil: stopped \(1 request\(s\) cut at the deadline\)/)
  })
})
