import type { Handle } from '#db/client.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { DEMO_CAMPAIGN_SLUG, DEMO_ORGANIZER_EMAIL, findDemoData } from '~/models/demo.server.ts'

/**
 * At start, after migrations: live mode carries none of the demo. The demo organiser's
 * password is in the README, and the demo campaign's signatures and gifts are invented: the
 * process refuses to start and names the command that removes them, rather than delete
 * anything unannounced. Benchmarks and crash tests that run live mode on the demo's data on
 * purpose set VIGIL_ALLOW_DEMO_DATA=1 (the demo organiser is refused even then).
 * Exits the process; `name` starts every line it prints ('vigil', 'vigil worker').
 */
export async function refuseDemoOrganizerInLive(db: Handle, { mode, name }: { mode: 'demo' | 'live'; name: string }) {
  if (mode !== 'live') return
  const found = await findDemoData(db)
  const remedy = 'Run `npm run demo:remove` (it removes the demo organiser and the demo campaign), or set DATABASE_PATH to a new database.'
  if (found.organizer) {
    console.error(`${name}: live mode, but this database still has the demo organiser ${DEMO_ORGANIZER_EMAIL}, whose password is published. ${remedy}`)
    process.exit(1)
  }
  if (!found.campaign) return
  if (getEnv().allowDemoData) {
    console.log(`${name}: the demo campaign /c/${DEMO_CAMPAIGN_SLUG} is in this database, allowed by VIGIL_ALLOW_DEMO_DATA=1; \`npm run demo:remove\` removes it`)
    return
  }
  console.error(`${name}: live mode, but this database still has the demo campaign /c/${DEMO_CAMPAIGN_SLUG}, whose supporters and gifts are invented. ${remedy}`)
  process.exit(1)
}
