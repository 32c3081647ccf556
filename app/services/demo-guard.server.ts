import { DEMO_CAMPAIGN_SLUG, DEMO_ORGANIZER_EMAIL, findDemoData } from '~/models/demo.server.ts'

/**
 * At start, after migrations: in live mode the demo organiser, whose password anyone can read
 * in the README, must not be able to log in. Rather than delete an account unannounced, the
 * process refuses to start and names the command that removes the demo. The demo campaign
 * alone (`npm run db:seed` in live mode makes it without the organiser) is only mentioned.
 * Exits the process; `name` starts every line it prints ('vigil', 'vigil worker').
 */
export function refuseDemoOrganizerInLive({ mode, name }: { mode: 'demo' | 'live'; name: string }) {
  if (mode !== 'live') return
  const found = findDemoData()
  if (found.organizer) {
    console.error(
      `${name}: live mode, but this database still has the demo organiser ${DEMO_ORGANIZER_EMAIL}, whose password is published. ` +
        'Run `npm run demo:remove` (it removes the demo organiser and the demo campaign), or set DATABASE_PATH to a new database.',
    )
    process.exit(1)
  }
  if (found.campaign) {
    console.log(`${name}: the demo campaign /c/${DEMO_CAMPAIGN_SLUG} is in this database; \`npm run demo:remove\` removes it`)
  }
}
