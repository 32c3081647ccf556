/**
 * npm run demo:remove: take the demo out of a database before it goes live. Removes the demo
 * organiser (demo@vigil.example) and the demo campaigns (/c/free-andry and the living demo's closed one) with the signatures,
 * gifts and emails collected for it; everything else stays. Safe to run twice.
 */
import { DEMO_CAMPAIGN_SLUG, DEMO_ORGANIZER_EMAIL, removeDemoData } from '../app/models/demo.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { refuseArguments } from './no-arguments.ts'

refuseArguments('demo:remove', 'Removes the demo organiser and the demo campaigns, with the signatures, gifts and emails collected for them; everything else stays.')
const db = getDb()
await migrateDatabase(db)
const removed = await removeDemoData(db)
await closeDatabase(db)
if (removed.organizer) console.log(`demo:remove: removed the demo organiser ${DEMO_ORGANIZER_EMAIL}`)
if (removed.campaign) {
  console.log(`demo:remove: removed the demo campaign /c/${DEMO_CAMPAIGN_SLUG} and ${removed.supportersDeleted} supporter(s) who had nothing else here`)
}
if (!removed.organizer && !removed.campaign) console.log('demo:remove: no demo organiser or demo campaign here, nothing changed')
