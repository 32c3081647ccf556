import type { Handle } from '#db/client.server.ts'
import { anonymiseDueSignatures, type RetentionReport } from '~/models/retention.server.ts'
import { startPeriodic } from '~/utils/periodic.server.ts'

/**
 * The retention job's clock (ADR 010): a run shortly after start, then one an hour, in the
 * web server (unless VIGIL_RETENTION=off) and in `npm run worker`. Several processes may run
 * it at once: each batch is a write transaction of its own that takes only rows not yet done.
 */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000

/** One line per campaign: ids, slug and counts, nothing about any person. */
export function describeRetentionReport(r: RetentionReport) {
  const parts = [`${r.anonymised} signature(s) anonymised`]
  if (r.released > 0) parts.push(`${r.released} no longer kept for news`)
  parts.push(`${r.supportersDeleted} supporter(s) deleted`)
  return `campaign ${r.campaignId} (${r.slug}): ${parts.join(', ')}`
}

export function startRetention({
  db,
  intervalMs = RETENTION_INTERVAL_MS,
  firstRunMs = 2_000,
  log,
}: { db: Handle; intervalMs?: number; firstRunMs?: number; log?: (line: string) => void }) {
  return startPeriodic({
    name: 'retention',
    intervalMs,
    firstRunMs,
    log,
    run: async (shouldStop) => (await anonymiseDueSignatures(db, { shouldStop })).map(describeRetentionReport),
  })
}
