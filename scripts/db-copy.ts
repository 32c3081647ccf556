/**
 * npm run db:copy -- --to postgres://user:password@host:5432/database
 *
 * Moves this instance from its SQLite file (DATABASE_PATH) to an empty Postgres database:
 * migrates the target, copies every table in one transaction (ids kept, sequences set), checks
 * the row counts and that every counter equals its recount, and commits only then. A target
 * that holds anything is refused before it is touched. Stop the app servers first (README,
 * "Moving to Postgres"): what they write after the copy's snapshot stays on SQLite.
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { recountFunds, recountSignatures } from '../app/models/counters.server.ts'
import { closeDatabase, databasePath, openDatabase, openPostgres, type DB, type Tx } from '../db/client.server.ts'
import { copyDatabase, CopyRefused, targetRefusal } from '../db/copy.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { transaction } from '../db/transaction.server.ts'

const { values } = parseArgs({ options: { to: { type: 'string' } } })
const to = values.to ?? ''

/** The target, as it may be printed: never the user's password. */
function describe(url: URL) {
  return `database "${decodeURIComponent(url.pathname.slice(1))}" on ${url.hostname}:${url.port || 5432}`
}

function stop(message: string): never {
  // A driver's message could quote the URL; the password never leaves this process.
  const password = target ? decodeURIComponent(target.password) : ''
  const safe = password ? message.replaceAll(to, '<target>').replaceAll(password, '***') : message
  console.error(`db:copy: ${safe}`)
  process.exit(1)
}

let target: URL | null = null
try {
  target = new URL(to)
} catch {
  // refused below, without echoing what may hold a password
}
if (!target || !['postgres:', 'postgresql:'].includes(target.protocol) || target.pathname.length < 2) {
  stop('say where to copy to: npm run db:copy -- --to postgres://user:password@host:5432/database (an empty database)')
}
const file = databasePath()
if (!fs.existsSync(file)) stop(`no SQLite database at ${file} (set DATABASE_PATH)`)

class CountersDrift extends Error {}
/** Every counter must equal its recount: the app's recount runs in a savepoint that is rolled back, so it reports and changes nothing. */
async function verifyCounters(tx: Tx) {
  let drift: string[] = []
  try {
    await transaction(tx, async (inner) => {
      const signatures = await recountSignatures(inner)
      const funds = await recountFunds(inner)
      drift = [
        ...signatures.map((d) => `campaign ${d.campaignId} ${d.field}: counted ${d.stored}, recounted ${d.actual}`),
        ...funds.map((d) => `fund ${d.fundId} ${d.field}: counted ${d.stored}, recounted ${d.actual}`),
      ]
      throw new CountersDrift()
    })
  } catch (error) {
    if (!(error instanceof CountersDrift)) throw error
  }
  if (drift.length > 0) {
    throw new CopyRefused(`counters differ from their recount, nothing was copied (run npm run recount on the SQLite instance first): ${drift.slice(0, 5).join('; ')}`)
  }
}

let source: DB | null = null
let postgres: DB | null = null
try {
  source = openDatabase(file)
  postgres = openPostgres(to, 2)
  console.log(`db:copy: ${file} → the Postgres ${describe(target!)}`)
  const refusal = await targetRefusal(postgres)
  if (refusal) throw new CopyRefused(`refused: the target ${refusal}; db:copy only copies into an empty database (create a new one, or drop and create this one)`)
  // Both at this version's schema: the source as the app would at its next start, the target from nothing.
  await migrateDatabase(source)
  await migrateDatabase(postgres)
  const started = Date.now()
  const report = await copyDatabase(source, postgres, {
    verify: verifyCounters,
    progress: (table, rows) => console.log(`db:copy: ${table}: ${rows} row(s)`),
  })
  const rows = report.tables.reduce((sum, t) => sum + t.rows, 0)
  console.log(
    `db:copy: copied ${rows} row(s) in ${report.tables.length} tables in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `row counts match, every counter equals its recount, ${report.sequences} id sequences set past the highest id`,
  )
  console.log('db:copy: done; point the app servers at it with DATABASE_URL (README, "Moving to Postgres")')
} catch (error) {
  stop(error instanceof CopyRefused ? error.message : `failed, nothing was copied: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  if (source) await closeDatabase(source)
  if (postgres) await closeDatabase(postgres)
}
