/**
 * A database that served the demo, started in live mode: the demo organiser (whose password
 * is in the README) must not come along. Live mode refuses to start, in the web server and in
 * the worker, naming `npm run demo:remove`; that command removes the demo organiser and the
 * demo campaign with what was collected for it, and then live mode starts.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { petitionClient } from '../helpers/petition.ts'
import { closeDatabase, engineOf, sqliteOf } from '#db/client.server.ts'
import { copyTestDatabase, createTestDatabase, dropTestDatabase, onPostgres, openServerDatabase } from '../helpers/engine.ts'
import { entryArgs, databaseEnv, makeDataDir, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql } from '../helpers/sql.ts'

const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

const LIVE: Record<string, string> = {
  STRIPE_SECRET_KEY: 'sk_test_demo_in_live',
  STRIPE_WEBHOOK_SECRET: 'whsec_demo_in_live',
  RESEND_API_KEY: 're_demo_in_live',
  RESEND_WEBHOOK_SECRET: 'whsec_ZGVtby1pbi1saXZlLXRlc3Qtc2VjcmV0',
  MAIL_FROM: 'Vigil <team@example.org>',
  SESSION_SECRET: 'demo-in-live-session-secret-0123456789abcdef',
  // Nothing here may reach Stripe or Resend: both point at a closed port.
  STRIPE_API_BASE: 'http://127.0.0.1:9',
  RESEND_BASE_URL: 'http://127.0.0.1:9',
}

/** A data folder and, on Postgres, its database (null: a new one for each server). */
type Data = { databasePath: string; databaseUrl: string | null }
let demo: Data
const running: RunningServer[] = []
const databases: string[] = []

/** Each step starts on a copy of the data, so the next step finds them as they were. */
async function copyOf(source: Data): Promise<Data> {
  const copy = makeDataDir()
  fs.cpSync(path.dirname(source.databasePath), copy, { recursive: true })
  const databaseUrl = source.databaseUrl ? await copyTestDatabase(source.databaseUrl) : null
  if (databaseUrl) databases.push(databaseUrl)
  return { databasePath: path.join(copy, 'vigil.db'), databaseUrl }
}

async function startLive(from = demo) {
  const copy = await copyOf(from)
  const server = await startServer({ seed: false, dir: path.dirname(copy.databasePath), env: { ...LIVE, ...(copy.databaseUrl ? { DATABASE_URL: copy.databaseUrl } : {}) } })
  running.push(server)
  return server
}

function login(server: RunningServer, email: string, password: string) {
  return fetch(`${server.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url },
    body: new URLSearchParams({ email, password }),
  })
}

/** `npm run worker` in live mode on the demo database: its exit code and output, or 'running'. */
function runWorker(): Promise<{ code: number | 'running'; output: string }> {
  const child = spawn(process.execPath, entryArgs('scripts/worker.ts'), {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...databaseEnv(demo), PUBLIC_URL: 'http://vigil.test', ...LIVE },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  let started = false
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.stdout.on('data', () => {
      if (started || !output.includes('vigil worker: sending')) return
      started = true
      child.kill('SIGKILL')
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code: started ? 'running' : (code ?? -1), output })
    })
  })
}

async function count(sql: string, ...params: unknown[]) {
  const db = openServerSql(demo)
  try {
    return (await db.get<{ n: number }>(sql, ...params))!.n
  } finally {
    await db.close()
  }
}

beforeAll(async () => {
  // `npm run demo`: seeded in demo mode and used (a signature, confirmed from the outbox).
  const server = await startServer({ env: { TRUST_PROXY: '1' } })
  try {
    const petition = petitionClient(server)
    const signed = await petition.sign({ firstName: 'Maria', lastName: 'González', email: 'maria.demo@example.org', country: 'DE' })
    expect(signed.status).toBeLessThan(400)
    await petition.waitForEmails('maria.demo@example.org')
    await petition.close()
    const db = openServerDatabase(server)
    if (engineOf(db) === 'sqlite') sqliteOf(db).pragma('wal_checkpoint(TRUNCATE)')
    await closeDatabase(db)
    await server.stop({ keepData: true })
    demo = await copyOf(server)
  } finally {
    await server.stop()
  }
  expect(await count('SELECT count(*) AS n FROM organizers WHERE email = ?', DEMO.email)).toBe(1)
})

afterAll(async () => {
  for (const server of running) await server.stop()
  if (demo) fs.rmSync(path.dirname(demo.databasePath), { recursive: true, force: true })
  for (const url of databases) await dropTestDatabase(url)
})

describe('a demo database started in live mode', () => {
  it('is refused by the web server, which names the command that removes the demo', async () => {
    let refusal: unknown
    try {
      const server = await startLive()
      // Before the fix it started, and the demo owner could log in: say so in the failure.
      const demoLogin = await login(server, DEMO.email, DEMO.password)
      refusal = `started in live mode; demo owner login answered ${demoLogin.status}`
    } catch (error) {
      refusal = error
    }
    expect(refusal).toBeInstanceOf(Error)
    const message = (refusal as Error).message
    expect(message).toMatch(/server exited with 1/)
    expect(message).toContain('npm run demo:remove')
    expect(message).toContain(DEMO.email)
    expect(message).not.toMatch(/\n\s+at /) // one clear line, no stack
  })

  it('is refused by the worker too', async () => {
    const { code, output } = await runWorker()
    expect(code, output).toBe(1)
    expect(output).toContain('npm run demo:remove')
  })

  it('starts in live mode after npm run demo:remove, without the demo owner or the demo campaign', async () => {
    const removed = await runScript('scripts/demo-remove.ts', [], { ...databaseEnv(demo), ...LIVE })
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toContain(`removed the demo organiser ${DEMO.email}`)
    expect(removed.stdout).toContain('removed the demo campaign /c/free-andry')
    expect(await count('SELECT count(*) AS n FROM organizers WHERE email = ?', DEMO.email)).toBe(0)
    expect(await count(`SELECT count(*) AS n FROM campaigns WHERE slug = 'free-andry'`)).toBe(0)
    // What the demo collected goes with it: the supporter, their signature, the captured emails.
    expect(await count('SELECT count(*) AS n FROM supporters')).toBe(0)
    expect(await count('SELECT count(*) AS n FROM signatures')).toBe(0)
    expect(await count('SELECT count(*) AS n FROM email_messages')).toBe(0)
    expect(await count(`SELECT count(*) AS n FROM audit_log WHERE action = 'demo.remove'`)).toBe(1)

    const again = await runScript('scripts/demo-remove.ts', [], { ...databaseEnv(demo), ...LIVE })
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('no demo organiser or demo campaign here')

    const server = await startLive()
    expect((await login(server, DEMO.email, DEMO.password)).status).toBe(400)
    expect((await fetch(`${server.url}/c/free-andry`)).status).toBe(404)
    expect((await runWorker()).code).toBe('running')
  })
})

describe('a live database', () => {
  it('starts without a word about the demo when it never had one', async () => {
    const fresh = makeDataDir()
    try {
      const server = await startLive({ databasePath: path.join(fresh, 'vigil.db'), databaseUrl: null })
      expect(server.output()).not.toMatch(/demo/i)
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true })
    }
  })

  it('refuses to start with the demo campaign seeded in live mode (no demo organiser), naming the command; starts with it only when told to', async () => {
    const seeded = makeDataDir()
    const data: Data = { databasePath: path.join(seeded, 'vigil.db'), databaseUrl: onPostgres ? await createTestDatabase() : null }
    if (data.databaseUrl) databases.push(data.databaseUrl)
    try {
      const seed = await runScript('scripts/seed/seed.ts', [], {
        ...databaseEnv(data),
        NODE_ENV: 'production',
        PUBLIC_URL: 'http://vigil.test',
        ...LIVE,
      })
      expect(seed.code, seed.stderr).toBe(0)
      const refused = await startLive(data).then(
        () => null,
        (error: unknown) => error,
      )
      expect(refused).toBeInstanceOf(Error)
      expect(String(refused)).toMatch(/demo campaign \/c\/free-andry.*npm run demo:remove/)
      // Benchmarks and crash tests run live mode on the demo's data on purpose, and say so.
      const copy = await copyOf(data)
      const allowed = await startServer({
        seed: false,
        dir: path.dirname(copy.databasePath),
        env: { ...LIVE, VIGIL_ALLOW_DEMO_DATA: '1', ...(copy.databaseUrl ? { DATABASE_URL: copy.databaseUrl } : {}) },
      })
      running.push(allowed)
      expect((await login(allowed, DEMO.email, DEMO.password)).status).toBe(400)
      expect(allowed.output()).toMatch(/demo campaign \/c\/free-andry .*VIGIL_ALLOW_DEMO_DATA/)
    } finally {
      fs.rmSync(seeded, { recursive: true, force: true })
    }
  })
})
