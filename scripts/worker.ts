/**
 * npm run worker: the email sender on its own, for when the web server runs with
 * VIGIL_SENDER=off (or alongside it: batch and message claims are atomic, so two senders
 * never send the same thing), and the hourly retention job (anonymising signatures of
 * closed campaigns; safe beside the web server's), the reminder to confirm (every five minutes,
 * likewise) and the public count log's hourly entries (likewise). Works from the database only; stop it any time.
 */
import os from 'node:os'
import { refuseDemoOrganizerInLive } from '../app/workflows/demo-guard.server.ts'
import { ConfigError, getEnv } from '../app/utils/config.server.ts'
import { startSender } from '../app/workflows/mail-sender.server.ts'
import { startReminders } from '../app/workflows/reminders.server.ts'
import { startRetention } from '../app/workflows/retention.server.ts'
import { startCountLog } from '../app/workflows/count-log.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { sealAtStart } from '../app/models/seal-existing.server.ts'
import { logConsoleAsJson, reportConfigError } from '../server/logging.ts'
import { startMetricsServer } from '../server/metrics.ts'
import { setMetricsProcess } from '../app/utils/metrics.server.ts'

try {
  getEnv()
} catch (error) {
  if (error instanceof ConfigError) {
    reportConfigError('vigil worker', error)
    process.exit(1)
  }
  throw error
}
if (getEnv().logFormat === 'json') logConsoleAsJson()
const db = getDb()
await migrateDatabase(db)
// Plaintext an upgrade from before ADR 017 left is sealed before anything is served or sent.
await sealAtStart(db, { name: 'vigil worker' })
await refuseDemoOrganizerInLive(db, { mode: getEnv().mode, name: 'vigil worker' })
const env = getEnv()
// With METRICS_TOKEN and METRICS_PORT: the sender's and the jobs' figures, as the web server's /metrics.
const metrics =
  env.metricsToken && env.metricsPort !== null
    ? await startMetricsServer({ db, token: env.metricsToken, requestsPerSecond: env.resend.requestsPerSecond, host: env.host, port: env.metricsPort }).catch(
        async (error: NodeJS.ErrnoException) => {
          console.error(`vigil worker: cannot serve /metrics on METRICS_PORT ${env.metricsPort} (${error.code ?? error.name})`)
          await closeDatabase(db).catch(() => undefined)
          process.exit(1)
        },
      )
    : undefined
if (metrics) {
  setMetricsProcess(`${os.hostname()}:${metrics.port}`)
  console.log(`vigil worker: metrics on port ${metrics.port} (/metrics, bearer token)`)
}
const sender = startSender({ db })
const retention = getEnv().jobs.retention ? startRetention({ db, log: (line) => console.log(`vigil worker: retention: ${line}`) }) : undefined
const reminders = getEnv().jobs.reminders ? startReminders({ db, log: (line) => console.log(`vigil worker: reminders: ${line}`) }) : undefined
const countLog = getEnv().jobs.countLog ? startCountLog({ db, log: (line) => console.log(`vigil worker: count-log: ${line}`) }) : undefined
console.log(`vigil worker: sending (${getEnv().mode} mode)${retention ? ', retention hourly' : ''}${reminders ? ', reminders every 5 minutes' : ''}${countLog ? ', count log hourly' : ''}`)

// As the web server's (server/index.ts, SHUTDOWN_TIMEOUT_MS): below the 10 s orchestrators wait before SIGKILL by default.
const STOP_DEADLINE_MS = env.shutdownTimeoutMs
let stopping = false
async function stop(signal: string) {
  if (stopping) {
    console.log(`vigil worker: ${signal} received again, stopping now`)
    process.exit(1)
  }
  stopping = true
  console.log(`vigil worker: ${signal} received, stopping`)
  setTimeout(() => process.exit(0), STOP_DEADLINE_MS + 2_000).unref()
  sender.stop()
  // A request in flight is answered and its outcome recorded, so its claim is not left to time out.
  const finished = await Promise.race([
    Promise.all([sender.stopped(), retention?.stop(), reminders?.stop(), countLog?.stop()]).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_DEADLINE_MS)),
  ])
  await metrics?.close()
  await closeDatabase(db).catch(() => undefined)
  console.log(`vigil worker: stopped${finished ? '' : ' (work in flight cut at the deadline: its claims time out and are taken again)'}`)
  process.exit(0)
}
process.on('SIGTERM', () => void stop('SIGTERM'))
process.on('SIGINT', () => void stop('SIGINT'))
