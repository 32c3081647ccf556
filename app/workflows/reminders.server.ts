import type { Handle } from '#db/client.server.ts'
import { sendDueReminders, type ReminderReport } from '~/models/reminders.server.ts'
import { startPeriodic } from '~/utils/periodic.server.ts'

/**
 * The confirmation reminder's clock: a run shortly after start, then one every
 * five minutes, in the web server (unless VIGIL_REMINDERS=off) and in `npm run worker`.
 * Several processes may run it at once: each signature is reminded by the first chunk that
 * marks it (see app/models/reminders.server.ts).
 */
export const REMINDERS_INTERVAL_MS = 5 * 60 * 1000

/** One line per campaign: id, slug and a count, nothing about any person. */
export function describeReminderReport(r: ReminderReport) {
  return `campaign ${r.campaignId} (${r.slug}): ${r.reminded} reminder(s) to confirm queued`
}

export function startReminders({
  db,
  intervalMs = REMINDERS_INTERVAL_MS,
  firstRunMs = 3_000,
  log,
}: { db: Handle; intervalMs?: number; firstRunMs?: number; log?: (line: string) => void }) {
  return startPeriodic({
    name: 'reminders',
    intervalMs,
    firstRunMs,
    log,
    run: async (shouldStop) => (await sendDueReminders(db, { shouldStop })).map(describeReminderReport),
  })
}
