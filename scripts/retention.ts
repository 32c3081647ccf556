/** npm run retention: do now what the hourly retention job does (ADR 010), and print what changed. */
import { anonymiseDueSignatures } from '../app/models/retention.server.ts'
import { describeRetentionReport } from '../app/workflows/retention.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

const db = getDb()
await migrateDatabase(db)
const reports = await anonymiseDueSignatures(db)
await closeDatabase(db)
for (const report of reports) console.log(`retention: ${describeRetentionReport(report)}`)
const anonymised = reports.reduce((sum, r) => sum + r.anonymised, 0)
const deleted = reports.reduce((sum, r) => sum + r.supportersDeleted, 0)
console.log(
  reports.length === 0
    ? 'retention: nothing is due'
    : `retention: ${anonymised} signature(s) anonymised and ${deleted} supporter(s) deleted in ${reports.length} campaign(s)`,
)
