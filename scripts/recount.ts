/** npm run recount: recompute every signature and fund counter from the rows, print any drift, repair it. */
import { recountFunds, recountSignatures } from '../app/models/counters.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

const db = getDb()
await migrateDatabase(db)
const signatureDrift = await recountSignatures(db)
const fundDrift = await recountFunds(db)
await closeDatabase(db)
for (const d of signatureDrift) console.log(`recount: campaign ${d.campaignId} ${d.field}: stored ${d.stored}, actual ${d.actual} (repaired)`)
for (const d of fundDrift) console.log(`recount: fund ${d.fundId} ${d.field}: stored ${d.stored}, actual ${d.actual} (repaired)`)
const repaired = signatureDrift.length + fundDrift.length
console.log(repaired === 0 ? 'recount: all counters match the signatures and donations' : `recount: repaired ${repaired} counter(s)`)
