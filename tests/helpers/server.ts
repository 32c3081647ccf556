import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, dropTestDatabase, onPostgres, testEngine } from './engine.ts'
import { TEST_DATA_KEY } from './data-key.ts'
import { seededCopy } from './templates.ts'
import { entryArgs, NODE_BUNDLES } from '../../scripts/node-bundles.ts'

// The server, worker and seed run as they ship: their bundles (scripts/bundle-node.ts).
export { entryArgs }

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)))

export type RunningServer = {
  url: string
  port: number
  dir: string
  databasePath: string
  /** Its Postgres database when the tests run on Postgres (tests/helpers/engine.ts), else null. */
  databaseUrl: string | null
  /** Everything the server printed so far. */
  output: () => string
  pid: number
  /** False once the process has exited (crashed or stopped). */
  running: () => boolean
  /** Stops the server and removes its data folder, unless `keepData` (to start it again on the same data). */
  stop: (options?: { keepData?: boolean }) => Promise<void>
}

/**
 * The log audit (scripts/log-audit.ts): with VIGIL_LOG_AUDIT_DIR set (npm test sets it),
 * everything a server or worker prints is also appended to a file there, named after the
 * test file (and engine) that started it, so the audit reads the logs of a whole test run, both engines'.
 */
let auditFiles = 0
export function captureForLogAudit(child: ChildProcess, kind: string) {
  const dir = process.env.VIGIL_LOG_AUDIT_DIR
  if (!dir) return
  const folder = path.resolve(ROOT, dir)
  fs.mkdirSync(folder, { recursive: true })
  // The first test file on the stack is the one that started this process.
  const caller = /tests\/(?:integration|e2e|unit)\/([\w.-]+?)\.test\.tsx?/.exec(new Error().stack ?? '')?.[1] ?? 'other'
  const file = path.join(folder, `${caller}.${testEngine}.${kind}.${process.pid}.${++auditFiles}.log`)
  const append = (d: Buffer) => fs.appendFileSync(file, d)
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
}

export function requireBuild() {
  if (!fs.existsSync(path.join(ROOT, 'build/server/index.js')) || !fs.existsSync(path.join(ROOT, NODE_BUNDLES['server/index.ts']!))) {
    throw new Error('No production build: run `npm run build` first (npm test does).')
  }
}

/**
 * The environment that points a script (seed, organizer:create, recount…) at a server's data:
 * its SQLite file, or on Postgres its database (a test file's own DATABASE_URL must not leak in).
 */
export function databaseEnv(server: { databasePath: string; databaseUrl: string | null }) {
  return { DATABASE_PATH: server.databasePath, DATABASE_URL: server.databaseUrl ?? '' }
}

/** Run a project script (its bundle, or the source through tsx) against a data folder; resolves with its output. */
export function runScript(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...entryArgs(script), ...args], {
      cwd: ROOT,
      // The key startServer gives its servers, unless the test says otherwise: without one a demo-mode
      // script generates its own into the data folder, and a server then cannot open what it sealed.
      env: { VIGIL_DATA_KEY: TEST_DATA_KEY, ...process.env, ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

export function freePort() {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

export function makeDataDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-srv-'))
}

class PortTaken extends Error {}

/** Spawn the server and wait for it to listen; PortTaken when its port was taken meanwhile. */
function launch(nodeArgs: string[], baseEnv: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...entryArgs('server/index.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...baseEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  captureForLogAudit(child, 'server')
  return new Promise<{ child: ChildProcess; port: number; output: () => string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    const onData = () => {
      const match = /listening on http:\/\/localhost:(\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ child, port: Number(match[1]), output: () => output })
      }
    }
    child.stdout!.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(/EADDRINUSE/.test(output) ? new PortTaken(output) : new Error(`server exited with ${code}:\n${output}`))
    })
  })
}

/** Postgres databases startServer made and no stop() has dropped yet. */
const serverDatabases = new Set<string>()

/**
 * Start the production build on a free port with its own SQLite file (on Postgres: its own
 * database; a restart on the same data passes `dir` and `env: { DATABASE_URL: first.databaseUrl }`).
 * With `seed`, the demo data (and demo organiser) are loaded first through the real seed script.
 */
export async function startServer({
  seed = true,
  env = {},
  dir = makeDataDir(),
  nodeArgs = [],
}: { seed?: boolean; env?: Record<string, string>; dir?: string; nodeArgs?: string[] } = {}): Promise<RunningServer> {
  requireBuild()
  const databasePath = path.join(dir, 'vigil.db')
  // What every start of this server shares; the port is chosen per attempt.
  const shared: Record<string, string> = {
    NODE_ENV: 'production',
    UPLOADS_PATH: path.join(dir, 'uploads'),
    HOST: '127.0.0.1',
    STRIPE_SECRET_KEY: '',
    RESEND_API_KEY: '',
    // One key for the test and its servers (tests/helpers/data-key.ts); benches start servers without setup-env.
    VIGIL_DATA_KEY: process.env.VIGIL_DATA_KEY ?? TEST_DATA_KEY,
    ...env,
  }
  const runSeed = async (data: { DATABASE_PATH: string; DATABASE_URL: string }) => {
    // Live mode needs a public URL to start; the seed writes no link, so any will do (the port is not chosen yet).
    const result = await runScript('scripts/seed/seed.ts', [], { PUBLIC_URL: 'http://127.0.0.1', ...shared, ...data })
    if (result.code !== 0) throw new Error(`seed failed: ${result.stderr}`)
  }
  // On Postgres a server gets a new database, unless the test hands it one (a restart on the same
  // data). New data is seeded from the run's copy of the seed's result (tests/helpers/templates.ts).
  let databaseUrl: string | null
  let seedHere = false
  const copied = env.DATABASE_URL === undefined && seed && !fs.existsSync(databasePath) ? await seededCopy(testEngine, databasePath, shared, runSeed) : false
  if (copied) databaseUrl = copied.databaseUrl
  else {
    databaseUrl = env.DATABASE_URL !== undefined ? env.DATABASE_URL || null : onPostgres ? await createTestDatabase() : null
    seedHere = seed
  }
  if (databaseUrl && env.DATABASE_URL === undefined) serverDatabases.add(databaseUrl)
  if (seedHere) await runSeed({ DATABASE_PATH: databasePath, DATABASE_URL: databaseUrl ?? '' })
  // freePort's port can be taken by another process before the server binds it (many test
  // servers start at once): the server then exits with EADDRINUSE, and starts again on another.
  let started: { child: ChildProcess; port: number; output: () => string } | undefined
  for (let attempt = 1; !started; attempt++) {
    const freshPort = await freePort()
    const baseEnv: Record<string, string> = {
      DATABASE_PATH: databasePath,
      DATABASE_URL: databaseUrl ?? '',
      PORT: String(freshPort),
      PUBLIC_URL: `http://127.0.0.1:${freshPort}`,
      ...shared,
    }
    // The log audit must see every request line, so a test's wish for a quiet log gives way to it.
    if (process.env.VIGIL_LOG_AUDIT_DIR) baseEnv.VIGIL_QUIET_LOG = ''
    try {
      started = await launch(nodeArgs, baseEnv)
    } catch (error) {
      if (!(error instanceof PortTaken) || env.PORT !== undefined || attempt >= 5) throw error
    }
  }
  const { child, port } = started
  const output = started.output
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    port,
    dir,
    databasePath,
    databaseUrl,
    output,
    pid: child.pid!,
    running: () => child.exitCode === null && child.signalCode === null,
    stop: async ({ keepData = false } = {}) => {
      // A process killed by a signal has no exit code, and its exit event has already fired.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timeout = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timeout)
      }
      if (!keepData) {
        fs.rmSync(dir, { recursive: true, force: true })
        // The database goes with the data folder, whichever of the servers started on it stops last.
        if (databaseUrl && serverDatabases.delete(databaseUrl)) await dropTestDatabase(databaseUrl)
      }
    },
  }
}
