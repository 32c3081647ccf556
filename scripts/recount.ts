/** npm run recount: recompute every signature counter from the rows, print any drift, repair it. */
import { recountSignatures } from '../app/models/signatures.server.ts'
import { getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

const db = getDb()
migrateDatabase(db)
const drift = await recountSignatures()
db.$client.close()
if (drift.length === 0) {
  console.log('recount: all counters match the signatures')
} else {
  for (const d of drift) console.log(`recount: campaign ${d.campaignId} ${d.field}: stored ${d.stored}, actual ${d.actual} (repaired)`)
  console.log(`recount: repaired ${drift.length} counter(s)`)
}
