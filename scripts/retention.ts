/** npm run retention: do now what the hourly retention job does (ADR 010), and print what changed. */
import { describeRetentionReport, runRetention } from '../app/workflows/retention.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { refuseArguments } from './no-arguments.ts'

refuseArguments('retention', "Does now what the hourly retention job does (anonymises signatures past their campaign's retention date, deletes what is due) and prints what changed.")
const db = getDb()
await migrateDatabase(db)
// Under the job's lock: on Postgres, with app servers running their hourly job, one runner at a time.
const run = await runRetention(db)
await closeDatabase(db)
if (run.skipped) {
  console.log('retention: another process is running retention right now; nothing done here')
  process.exit(0)
}
const reports = run.result
for (const report of reports) console.log(`retention: ${describeRetentionReport(report)}`)
const anonymised = reports.reduce((sum, r) => sum + r.anonymised, 0)
const deleted = reports.reduce((sum, r) => sum + r.supportersDeleted, 0)
console.log(
  reports.length === 0
    ? 'retention: nothing is due'
    : `retention: ${anonymised} signature(s) anonymised and ${deleted} supporter(s) deleted in ${reports.length} campaign(s)`,
)
