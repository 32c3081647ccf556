import type { DB } from '#db/client.server.ts'
import { withJobLock } from '#db/locks.server.ts'
import { sendDueReminders, type ReminderReport } from '~/models/reminders.server.ts'
import { startPeriodic } from '~/utils/periodic.server.ts'

/**
 * The confirmation reminder's clock: a run shortly after start, then one every
 * five minutes, in the web server (unless VIGIL_REMINDERS=off) and in `npm run worker`.
 * One run at a time does the work: on Postgres a run that finds another process's under way
 * (an advisory lock) leaves it to that one. Were two to overlap all the same (SQLite, where
 * processes take turns chunk by chunk), each signature is still reminded by the first chunk
 * that marks it (see app/models/reminders.server.ts).
 */
export const REMINDERS_INTERVAL_MS = 5 * 60 * 1000

/** One line per campaign: id, slug and a count, nothing about any person. */
export function describeReminderReport(r: ReminderReport) {
  return `campaign ${r.campaignId} (${r.slug}): ${r.reminded} reminder(s) to confirm queued`
}

/** One run, unless another process is running one now (then `skipped`). */
export async function runReminders(db: DB, { shouldStop = () => false, now }: { shouldStop?: () => boolean; now?: number } = {}) {
  return withJobLock(db, 'reminders', () => sendDueReminders(db, { shouldStop, now }))
}

export function startReminders({
  db,
  intervalMs = REMINDERS_INTERVAL_MS,
  firstRunMs = 3_000,
  log,
}: { db: DB; intervalMs?: number; firstRunMs?: number; log?: (line: string) => void }) {
  return startPeriodic({
    name: 'reminders',
    intervalMs,
    firstRunMs,
    log,
    run: async (shouldStop) => {
      const run = await runReminders(db, { shouldStop })
      return run.skipped ? [] : run.result.map(describeReminderReport)
    },
  })
}
