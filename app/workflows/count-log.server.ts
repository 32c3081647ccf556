import type { DB, Handle } from '#db/client.server.ts'
import { withJobLock } from '#db/locks.server.ts'
import { appendDueCountLogEntries, listCountLog } from '~/models/count-log.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { COUNT_LOG_FORMAT, shortCode } from '~/utils/count-log-chain.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { startPeriodic } from '~/utils/periodic.server.ts'

/**
 * The count log's clock (ADR 018): a run shortly after start, then one every five minutes, in
 * the web server (unless VIGIL_COUNT_LOG=off) and in `npm run worker`. A run appends to every
 * campaign whose head is an hour old, so entries land every 60 to 65 minutes. On Postgres one
 * process at a time runs it (an advisory lock); each campaign's entry is its own transaction,
 * which decides from the head it reads after the campaign's lock, so overlapping runs (SQLite)
 * still append once.
 */
export const COUNT_LOG_INTERVAL_MS = 5 * 60 * 1000

/** One run, unless another process is running one now (then `skipped`). */
export async function runCountLog(db: DB, { shouldStop = () => false, now }: { shouldStop?: () => boolean; now?: number } = {}) {
  return withJobLock(db, 'count-log', () => appendDueCountLogEntries(db, { shouldStop, now }))
}

export function startCountLog({
  db,
  intervalMs = COUNT_LOG_INTERVAL_MS,
  firstRunMs = 4_000,
  log,
}: { db: DB; intervalMs?: number; firstRunMs?: number; log?: (line: string) => void }) {
  return startPeriodic({
    name: 'count-log',
    intervalMs,
    firstRunMs,
    log,
    run: async (shouldStop) => {
      const run = await runCountLog(db, { shouldStop })
      // Ids, slugs and seqs only.
      return run.skipped ? [] : run.result.map((a) => `campaign ${a.campaignId} (${a.slug}): entry ${a.seq}`)
    },
  })
}

// The job's five-minute clock (the e-petitions rule): fresh for one interval, stale for two more, on error for five.
const CACHE_CONTROL = `public, max-age=${COUNT_LOG_INTERVAL_MS / 1000}, stale-while-revalidate=${(2 * COUNT_LOG_INTERVAL_MS) / 1000}, stale-if-error=${(5 * COUNT_LOG_INTERVAL_MS) / 1000}`

/**
 * GET /c/:slug/count-log.json: the whole log, oldest first, for anyone to verify (CORS open,
 * cacheable, an ETag that is the head's hash). Drafts and unknown slugs are 404. Reads only.
 */
export async function countLogResponse(db: Handle, { slug, ifNoneMatch, lang }: { slug: string; ifNoneMatch: string | null; lang: Language }) {
  const log = await listCountLog(db, { slug })
  if (!log) {
    return Response.json(
      { error: getT(lang)('countLog.notFound') },
      { status: 404, headers: { 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/json; charset=utf-8' } },
    )
  }
  const head = log.entries.at(-1) ?? null
  const etag = `"${head?.hash ?? 'empty'}"`
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Access-Control-Allow-Origin': '*',
    'Cache-Control': CACHE_CONTROL,
    ETag: etag,
  }
  if (ifNoneMatch !== null && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return new Response(null, { status: 304, headers })
  const body = {
    format: COUNT_LOG_FORMAT,
    campaign: log.slug,
    url: `${getEnv().publicUrl}/c/${log.slug}`,
    head: head ? { seq: head.seq, hash: head.hash, code: shortCode(head.hash) } : null,
    entries: log.entries,
  }
  return new Response(JSON.stringify(body), { headers })
}
