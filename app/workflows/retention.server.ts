import type { DB } from '#db/client.server.ts'
import { withJobLock } from '#db/locks.server.ts'
import { removeUnpaidDonations } from '~/models/donations.server.ts'
import { anonymiseDueSignatures, type RetentionReport } from '~/models/retention.server.ts'
import { startPeriodic } from '~/utils/periodic.server.ts'

/**
 * The retention job's clock (ADR 010): a run shortly after start, then one an hour, in the
 * web server (unless VIGIL_RETENTION=off) and in `npm run worker`. Every app server runs the
 * clock, and one run at a time does the work: on Postgres a run finds another server's under
 * way (an advisory lock) and leaves it to that one; on SQLite the processes sharing the file
 * take turns batch by batch, each batch a write transaction that takes only rows not yet done.
 */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000

/** One line per campaign: ids, slug and counts, nothing about any person. */
export function describeRetentionReport(r: RetentionReport) {
  const parts = [`${r.anonymised} signature(s) anonymised`]
  if (r.released > 0) parts.push(`${r.released} no longer kept for news`)
  parts.push(`${r.supportersDeleted} supporter(s) deleted`)
  return `campaign ${r.campaignId} (${r.slug}): ${parts.join(', ')}`
}

/** One run, unless another process is running one now (then `skipped`). */
export async function runRetention(db: DB, { shouldStop = () => false, now }: { shouldStop?: () => boolean; now?: number } = {}) {
  return withJobLock(db, 'retention', async () => {
    // Gifts that were never paid go first: what a donor typed before leaving Checkout (app/models/donations.server.ts).
    await removeUnpaidDonations(db, { shouldStop, now })
    return anonymiseDueSignatures(db, { shouldStop, now })
  })
}

export function startRetention({
  db,
  intervalMs = RETENTION_INTERVAL_MS,
  firstRunMs = 2_000,
  log,
}: { db: DB; intervalMs?: number; firstRunMs?: number; log?: (line: string) => void }) {
  return startPeriodic({
    name: 'retention',
    intervalMs,
    firstRunMs,
    log,
    run: async (shouldStop) => {
      const run = await runRetention(db, { shouldStop })
      return run.skipped ? [] : run.result.map(describeRetentionReport)
    },
  })
}
