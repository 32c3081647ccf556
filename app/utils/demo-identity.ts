/**
 * Who and what the demo is: the seed (scripts/seed/) creates them, and the demo guard and
 * `npm run demo:remove` find them by these names. Live mode must not carry them.
 */
export const DEMO_ORGANIZER = { email: 'demo@vigil.example', password: 'vigil-demo-2026', name: 'Demo Organiser' }
export const DEMO_CAMPAIGN_SLUG = 'free-andry'
/** The demo team's second campaign, closed a while ago (the demo's history). */
export const DEMO_CLOSED_CAMPAIGN_SLUG = 'publish-the-criteria'
