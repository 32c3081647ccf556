/**
 * npm run worker: the email sender on its own, for when the web server runs with
 * VIGIL_SENDER=off (or alongside it: batch and message claims are atomic, so two senders
 * never send the same thing), and the hourly retention job (anonymising signatures of
 * closed campaigns; safe beside the web server's) and the reminder to confirm (every five minutes,
 * likewise). Works from the database only; stop it any time.
 */
import { refuseDemoOrganizerInLive } from '../app/workflows/demo-guard.server.ts'
import { ConfigError, getEnv } from '../app/utils/config.server.ts'
import { startSender } from '../app/workflows/mail-sender.server.ts'
import { startReminders } from '../app/workflows/reminders.server.ts'
import { startRetention } from '../app/workflows/retention.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

try {
  getEnv()
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`vigil worker: configuration error: ${error.message}`)
    process.exit(1)
  }
  throw error
}
const db = getDb()
await migrateDatabase(db)
await refuseDemoOrganizerInLive(db, { mode: getEnv().mode, name: 'vigil worker' })
const sender = startSender({ db })
const retention = getEnv().jobs.retention ? startRetention({ db, log: (line) => console.log(`vigil worker: retention: ${line}`) }) : undefined
const reminders = getEnv().jobs.reminders ? startReminders({ db, log: (line) => console.log(`vigil worker: reminders: ${line}`) }) : undefined
console.log(`vigil worker: sending (${getEnv().mode} mode)${retention ? ', retention hourly' : ''}${reminders ? ', reminders every 5 minutes' : ''}`)

function stop(signal: string) {
  console.log(`vigil worker: ${signal} received, stopping`)
  sender.stop()
  retention?.stop()
  reminders?.stop()
  // Let an in-flight request finish; its claim is released or recorded by then.
  setTimeout(() => void closeDatabase(db).finally(() => process.exit(0)), 500).unref()
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
