import { getDb, legacyPreparedPerConnection } from '#db/client.server.ts'
import { MAIL_PRIORITIES } from '#db/schema.ts'

/**
 * Where the outbox stands: what waits, how fast the provider takes it, and when it will be
 * empty. Counts only, never an address: every organiser may read it (ADR 011).
 *
 * "Queued" transactional mail is a message `queued` on its own, or `batched` in a
 * transactional batch (no update send) that is not submitted yet. Update mail still to go
 * is the size of its batches not yet submitted. "Accepted in the last minute" is the
 * transactional batches submitted then plus messages sent alone then; a message that
 * waited more than an hour before going alone is not counted (only what Resend refuses in
 * a batch goes alone, so that is rare), which keeps every query on an index.
 */
const RATE_WINDOW_MS = 60_000
/** How far back a message sent alone in the last minute may have been queued (see above). */
const SINGLE_LOOKBACK_MS = 60 * 60_000
/** Emails in one batch request (Resend's limit): the configured pace in emails per second. */
const BATCH_SIZE = 100
/** The hot pages read the figures; this is how long one computation serves them all. */
const MEMO_MS = 1000

export type OutboxStats = {
  at: number
  confirmationsQueued: number
  /** Transactional mail other than confirmations: receipts, "already signed", account mail. */
  otherQueued: number
  updatesRemaining: number
  oldestConfirmationAgeMs: number | null
  acceptedLastMinute: number
  /** Emails per second the estimates assume; null when nothing was measured and the sender is unpaced. */
  ratePerSecond: number | null
  rateSource: 'measured' | 'configured' | null
  /** When the queued confirmations, all queued transactional mail, and everything with update mail will be sent; null when unknown. */
  confirmationsEmptyInMs: number | null
  transactionalEmptyInMs: number | null
  everythingEmptyInMs: number | null
}

type Waiting = { priority: number; n: number; oldestId: number | null }

// INDEXED BY: without statistics SQLite would answer "batch_id is null" or "send_id is null" from
// the batch and send indexes, walking every transactional email or batch there ever was.
const SQL = {
  // Per priority: count and oldest in one pass over the due index (ids grow with time).
  queuedAlone: `select count(*) as n, min(id) as oldestId from email_messages indexed by email_messages_due_idx
    where batch_id is null and status = 'queued' and priority = ?`,
  queuedInBatches: `select m.priority as priority, count(*) as n, min(m.id) as oldestId
    from email_batches b indexed by email_batches_due_idx join email_messages m indexed by email_messages_batch_idx on m.batch_id = b.id
    where b.status in ('pending', 'submitting') and b.send_id is null and m.status = 'batched'
    group by m.priority`,
  updatesRemaining: `select coalesce(sum(size), 0) as n from email_batches indexed by email_batches_due_idx
    where status in ('pending', 'submitting') and send_id is not null`,
  createdAt: `select created_at as createdAt from email_messages where id = ?`,
  batchesAccepted: `select coalesce(sum(size), 0) as n from email_batches indexed by email_batches_submitted_idx where submitted_at >= ? and send_id is null`,
  // The first message queued in the lookback, by the created index: first attempts sent alone are
  // then a range of the due index (next_attempt_at 0, ids from it); retried ones a range of their due time.
  firstIdSince: `select id from email_messages where created_at >= ? order by created_at limit 1`,
  firstAttemptsAccepted: `select count(*) as n from email_messages indexed by email_messages_due_idx
    where batch_id is null and status in ('sent', 'captured') and priority in (${MAIL_PRIORITIES.confirmation}, ${MAIL_PRIORITIES.transactional})
      and next_attempt_at = 0 and id >= @firstId and sent_at >= @since`,
  retriesAccepted: `select count(*) as n from email_messages indexed by email_messages_due_idx
    where batch_id is null and status in ('sent', 'captured') and priority in (${MAIL_PRIORITIES.confirmation}, ${MAIL_PRIORITIES.transactional})
      and next_attempt_at >= @lookback and sent_at >= @since`,
} as const

const statements = legacyPreparedPerConnection((db) => {
  const p = (query: string) => db.$client.prepare(query)
  return Object.fromEntries(Object.entries(SQL).map(([name, query]) => [name, p(query)])) as Record<keyof typeof SQL, ReturnType<typeof p>>
})

/** Each query's plan (EXPLAIN QUERY PLAN), for the test that keeps them on indexes. */
export function outboxStatsQueryPlans() {
  const db = getDb().$client
  return Object.entries(SQL).map(([name, query]) => {
    const params = (query.match(/@\w+/g) ?? []).reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.slice(1)]: 0 }), {})
    const args = query.includes('?') ? [0] : Object.keys(params).length ? [params] : []
    const rows = db.prepare(`explain query plan ${query}`).all(...args) as { detail: string }[]
    return { name, plan: rows.map((r) => r.detail) }
  })
}

const num = (row: unknown) => (row as { n: number } | undefined)?.n ?? 0

/** The figures now, from the database (no memo). `requestsPerSecond`: the configured pace, 0 unpaced. */
export async function computeOutboxStats({ now = Date.now(), requestsPerSecond }: { now?: number; requestsPerSecond: number }): Promise<OutboxStats> {
  const q = statements()
  // One read transaction: the counts and the ages describe the same moment.
  const result = getDb().$client.transaction(() => {
    const alone = [MAIL_PRIORITIES.confirmation, MAIL_PRIORITIES.transactional].map((priority) => ({ priority, ...(q.queuedAlone.get(priority) as Omit<Waiting, 'priority'>) }))
    const waiting = [...alone, ...(q.queuedInBatches.all() as Waiting[])]
    const count = (priority: number) => waiting.filter((w) => w.priority === priority).reduce((total, w) => total + w.n, 0)
    const oldestCreatedAt = (priorities: number[]) => {
      const ids = waiting.flatMap((w) => (priorities.includes(w.priority) && w.oldestId !== null ? [w.oldestId] : []))
      return ids.length ? ((q.createdAt.get(Math.min(...ids)) as { createdAt: number } | undefined)?.createdAt ?? null) : null
    }
    const since = now - RATE_WINDOW_MS
    const lookback = now - SINGLE_LOOKBACK_MS
    const firstId = (q.firstIdSince.get(lookback) as { id: number } | undefined)?.id
    return {
      confirmations: count(MAIL_PRIORITIES.confirmation),
      other: count(MAIL_PRIORITIES.transactional),
      oldestConfirmation: oldestCreatedAt([MAIL_PRIORITIES.confirmation]),
      oldestQueued: oldestCreatedAt([MAIL_PRIORITIES.confirmation, MAIL_PRIORITIES.transactional]),
      updatesRemaining: num(q.updatesRemaining.get()),
      accepted:
        num(q.batchesAccepted.get(since)) +
        (firstId === undefined ? 0 : num(q.firstAttemptsAccepted.get({ firstId, since }))) +
        num(q.retriesAccepted.get({ lookback, since })),
    }
  })()

  // The minute's count is the sender's pace only if it had work all minute; a younger queue
  // (a surge that just began) is judged by the configured capacity instead.
  const capacity = requestsPerSecond > 0 ? requestsPerSecond * BATCH_SIZE : null
  const busyAllMinute = result.oldestQueued !== null && now - result.oldestQueued >= RATE_WINDOW_MS
  const measured = result.accepted > 0 ? result.accepted / (RATE_WINDOW_MS / 1000) : null
  const [ratePerSecond, rateSource] =
    measured !== null && (busyAllMinute || capacity === null)
      ? ([measured, 'measured'] as const)
      : capacity !== null
        ? ([capacity, 'configured'] as const)
        : ([null, null] as const)
  const emptyIn = (emails: number) => (emails === 0 ? 0 : ratePerSecond === null ? null : Math.round((emails / ratePerSecond) * 1000))
  return {
    at: now,
    confirmationsQueued: result.confirmations,
    otherQueued: result.other,
    updatesRemaining: result.updatesRemaining,
    oldestConfirmationAgeMs: result.oldestConfirmation === null ? null : Math.max(0, now - result.oldestConfirmation),
    acceptedLastMinute: result.accepted,
    ratePerSecond,
    rateSource,
    confirmationsEmptyInMs: emptyIn(result.confirmations),
    transactionalEmptyInMs: emptyIn(result.confirmations + result.other),
    everythingEmptyInMs: emptyIn(result.confirmations + result.other + result.updatesRemaining),
  }
}

declare global {
  var __vigilOutboxStats: { requestsPerSecond: number; stats: OutboxStats } | undefined
}

/**
 * The figures, computed at most about once a second per process: the page after signing
 * reads them, and a surge of a thousand signers a second then costs one computation a second.
 */
export async function getOutboxStats({ now = Date.now(), requestsPerSecond }: { now?: number; requestsPerSecond: number }): Promise<OutboxStats> {
  const memo = globalThis.__vigilOutboxStats
  if (memo && memo.requestsPerSecond === requestsPerSecond && now >= memo.stats.at && now - memo.stats.at < MEMO_MS) return memo.stats
  const stats = await computeOutboxStats({ now, requestsPerSecond })
  globalThis.__vigilOutboxStats = { requestsPerSecond, stats }
  return stats
}

/** Past this, a confirmation is late enough that the back office says so and what to do. */
export const CONFIRMATION_LATE_MS = 5 * 60_000

export function confirmationsAreLate({ oldestConfirmationAgeMs }: Pick<OutboxStats, 'oldestConfirmationAgeMs'>) {
  return oldestConfirmationAgeMs !== null && oldestConfirmationAgeMs > CONFIRMATION_LATE_MS
}

/** Steps a wait is rounded up to, in minutes; beyond an hour, whole hours. */
const KIND_STEPS = [5, 10, 15, 20, 30, 45, 60]
/** Below this, the email is on its way soon enough that saying anything would only worry. */
const WORTH_SAYING_MS = 2 * 60_000

/**
 * What a signer is told the email may take, in minutes, rounded up to a round figure; null
 * when the wait is short or unknown. It depends on the queue alone, never on who signed.
 */
export function signerWaitMinutes({ transactionalEmptyInMs }: Pick<OutboxStats, 'transactionalEmptyInMs'>): number | null {
  if (transactionalEmptyInMs === null || transactionalEmptyInMs <= WORTH_SAYING_MS) return null
  const minutes = transactionalEmptyInMs / 60_000
  return KIND_STEPS.find((step) => minutes <= step) ?? Math.ceil(minutes / 60) * 60
}
