/** npm run recount: recompute every signature and fund counter from the rows, print any drift, repair it. */
import { appendCountLogEntry } from '../app/models/count-log.server.ts'
import { recountFunds, recountSignatures } from '../app/models/counters.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { transaction } from '../db/transaction.server.ts'
import { refuseArguments } from './no-arguments.ts'

refuseArguments('recount', 'Recomputes every signature and fund counter from the rows, prints any drift and repairs it.')
const db = getDb()
await migrateDatabase(db)
const signatureDrift = await recountSignatures(db)
const fundDrift = await recountFunds(db)
// A repaired count is shown openly in the public count log: a 'recount' entry, the one kind that may go down (ADR 018).
const recounted = [...new Set(signatureDrift.filter((d) => d.field === 'confirmed').map((d) => d.campaignId))]
const logged: string[] = []
for (const campaignId of recounted) {
  const entry = await transaction(db, (tx) => appendCountLogEntry(tx, { campaignId, reason: 'recount' }))
  logged.push(`recount: campaign ${campaignId} count log: entry ${entry.seq} (recount) with ${entry.confirmed} confirmed`)
}
await closeDatabase(db)
for (const d of signatureDrift) console.log(`recount: campaign ${d.campaignId} ${d.field}: stored ${d.stored}, actual ${d.actual} (repaired)`)
for (const d of fundDrift) console.log(`recount: fund ${d.fundId} ${d.field}: stored ${d.stored}, actual ${d.actual} (repaired)`)
for (const line of logged) console.log(line)
const repaired = signatureDrift.length + fundDrift.length
console.log(repaired === 0 ? 'recount: all counters match the signatures and donations' : `recount: repaired ${repaired} counter(s)`)
