/**
 * Vigil's boot: read the configuration, migrate the database, start the background jobs, build
 * the app (server/app.ts) and listen; in demo mode also the local Stripe stand-in. On SIGTERM and
 * SIGINT it stops gracefully: no new connections, requests in flight finish (within a deadline),
 * the sender and the jobs stop with their work recorded, the database is closed, exit 0.
 */
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { startCheckpointer } from '../db/checkpointer.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { sealAtStart } from '../app/models/seal-existing.server.ts'
import { refuseDemoOrganizerInLive } from '../app/workflows/demo-guard.server.ts'
import { ConfigError, getEnv } from '../app/utils/config.server.ts'
import { startSender } from '../app/workflows/mail-sender.server.ts'
import { startImageBackfill } from '../app/utils/image-variants.server.ts'
import { startReminders } from '../app/workflows/reminders.server.ts'
import { startRetention } from '../app/workflows/retention.server.ts'
import { startCountLog } from '../app/workflows/count-log.server.ts'
import { pointStripeAt } from '../app/utils/stripe-client.server.ts'
import { setMetricsProcess } from '../app/utils/metrics.server.ts'
import { createApp } from './app.ts'
import { logConsoleAsJson, reportConfigError } from './logging.ts'
import { warmShareCards } from './share-card.ts'

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
let env: ReturnType<typeof getEnv>
try {
  env = getEnv()
} catch (error) {
  if (error instanceof ConfigError) {
    reportConfigError('vigil', error)
    process.exit(1)
  }
  throw error
}
if (env.logFormat === 'json') logConsoleAsJson()
const dev = !env.production
const quiet = env.quietLog
// Brotli/gzip by Vigil itself; VIGIL_COMPRESS=off when the proxy compresses (server/compression.ts).
const compress = env.compress

const db = getDb()
await migrateDatabase(db)
// Plaintext an upgrade from before ADR 017 left is sealed before anything is served or sent.
await sealAtStart(db, { name: 'vigil' })
await refuseDemoOrganizerInLive(db, { mode: env.mode, name: 'vigil' })
// SQLite: WAL checkpoints in a worker thread, not inside a request's COMMIT (db/checkpointer.server.ts).
const checkpointer = startCheckpointer(db)
// The outbox sender runs here by default; VIGIL_SENDER=off leaves it to a separate process.
const sender = env.jobs.sender ? startSender({ db }) : undefined
// Signatures of closed campaigns are anonymised once their retention period is over (hourly).
const retention = env.jobs.retention ? startRetention({ db }) : undefined
// One reminder to signers who have not confirmed after a day (every five minutes).
const reminders = env.jobs.reminders ? startReminders({ db }) : undefined
// The public count log gets an entry per live campaign every hour (a run every five minutes).
const countLog = env.jobs.countLog ? startCountLog({ db }) : undefined
// AVIF/WebP variants for images uploaded before they existed (in the background, one at a time).
startImageBackfill()

const viteDevServer = dev
  ? await import('vite').then((vite) =>
      vite.createServer({ root, server: { middlewareMode: true } }),
    )
  : undefined

async function loadBuild(): Promise<ServerBuild> {
  if (viteDevServer) {
    return (await viteDevServer.ssrLoadModule('virtual:remix/server-build')) as ServerBuild
  }
  return (await import(path.join(root, 'build/server/index.js'))) as ServerBuild
}
const productionBuild = dev ? undefined : await loadBuild()
const mode = dev ? 'development' : 'production'

const { server, shutdown: stopServing, allowPaymentPages } = createApp({
  root,
  db,
  env,
  build: productionBuild ?? loadBuild,
  vite: viteDevServer,
  quiet,
  compress,
  formBodyDeadlineMs: env.formBodyDeadlineMs,
})

/**
 * Demo mode: payments go to the local Stripe stand-in, started here, whose checkout page
 * (clearly marked as a demo) sends signed webhooks back to this server.
 */
async function startDemoStripe(port: number) {
  if (env.mode !== 'demo' || env.stripe.apiBase) return null
  const { startStripeStandIn } = await import('../stand-ins/stripe/index.ts')
  const standInPort = env.stripe.demoPort ?? (await freePort())
  // The browser reaches the stand-in's checkout page on the host it reaches Vigil on.
  const pages = new URL(env.publicUrl)
  pages.port = String(standInPort)
  const standIn = await startStripeStandIn({
    port: standInPort,
    host: env.host,
    publicUrl: pages.origin,
    secretKey: env.stripe.secretKey,
    webhookUrl: `http://127.0.0.1:${port}/webhooks/stripe`,
    webhookSecret: env.stripe.webhookSecret,
    asyncDelayMs: env.stripe.demoAsyncDelayMs,
    // Beside the database, so monthly donors' portal links survive a restart.
    stateFile: path.join(path.dirname(env.databasePath), 'stripe-stand-in.json'),
  })
  pointStripeAt(`http://127.0.0.1:${standIn.port}`)
  allowPaymentPages(pages.origin)
  return { standIn, pagesUrl: pages.origin }
}

function freePort() {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, env.host, () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
let demoStripe: Awaited<ReturnType<typeof startDemoStripe>> = null

server.listen(env.port, env.host, async () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : env.port
  // Two app servers on one host are told apart in /metrics by their port.
  setMetricsProcess(`${os.hostname()}:${port}`)
  demoStripe = await startDemoStripe(port)
  warmShareCards()
  console.log(`vigil: listening on http://localhost:${port} (${env.mode} mode, ${mode} build)`)
  if (env.mode === 'demo') {
    console.log(`vigil: demo mode: emails are captured to the outbox, payments are simulated.`)
    if (demoStripe) console.log(`vigil: demo payments: a local Stripe stand-in on ${demoStripe.pagesUrl} (no money moves)`)
    console.log(`vigil: organiser login: ${env.publicUrl}/admin/login  (demo@vigil.example / vigil-demo-2026)`)
  }
})

/**
 * How long requests in flight (and the sender's requests to the provider) may take after
 * SIGTERM (SHUTDOWN_TIMEOUT_MS): 8 s by default, below the 10 s that `docker stop` and most
 * orchestrators wait before SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = env.shutdownTimeoutMs

let stopping = false
async function shutdown(signal: string) {
  if (stopping) {
    console.log(`vigil: ${signal} received again, stopping now`)
    process.exit(1)
  }
  stopping = true
  const deadline = Date.now() + SHUTDOWN_DEADLINE_MS
  // Should anything below hang (a database that stopped answering), exit all the same.
  setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS + 2_000).unref()
  console.log(`vigil: ${signal} received: finishing the requests in flight (at most ${SHUTDOWN_DEADLINE_MS / 1000} s), then stopping`)
  // No new claims from here; a request to the provider already made is answered and recorded,
  // so no claim of this process is left to time out (one cut at the deadline times out and goes again with its key).
  sender?.stop()
  const background = Promise.all([sender?.stopped(), retention?.stop(), reminders?.stop(), countLog?.stop()]).then(() => true)
  const { cut } = await stopServing({ deadlineMs: SHUTDOWN_DEADLINE_MS })
  const finished = await Promise.race([background, new Promise<false>((resolve) => setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())))])
  void demoStripe?.standIn.close()
  await viteDevServer?.close()
  await checkpointer?.stop()
  await closeDatabase(db).catch((error: unknown) => console.error(`vigil: closing the database failed: ${error instanceof Error ? error.name : 'error'}`))
  const notes = [cut > 0 ? `${cut} request(s) cut at the deadline` : '', finished ? '' : 'background work cut at the deadline'].filter(Boolean)
  console.log(`vigil: stopped${notes.length ? ` (${notes.join('; ')})` : ''}`)
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))