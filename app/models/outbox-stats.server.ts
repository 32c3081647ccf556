import type { Handle } from '#db/client.server.ts'
import { MAIL_PRIORITIES } from '#db/schema.ts'
import { BATCH_SIZE, outboxStatsQueries, outboxStatsQueryPlans as outboxStatsQueryPlansIn, type WaitingMail } from '#db/sql/mail.server.ts'
import { transaction } from '#db/transaction.server.ts'

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
/** The hot pages read the figures; this is how long one computation serves them all. */
const MEMO_MS = 1000

export type OutboxStats = {
  at: number
  confirmationsQueued: number
  /** Transactional mail other than confirmations: receipts, "already signed", account mail. */
  otherQueued: number
  updatesRemaining: number
  oldestConfirmationAgeMs: number | null
  /** The oldest confirmation or other transactional email still waiting (for /metrics). */
  oldestQueuedAgeMs: number | null
  acceptedLastMinute: number
  /** Emails per second the estimates assume; null when nothing was measured and the sender is unpaced. */
  ratePerSecond: number | null
  rateSource: 'measured' | 'configured' | null
  /** When the queued confirmations, all queued transactional mail, and everything with update mail will be sent; null when unknown. */
  confirmationsEmptyInMs: number | null
  transactionalEmptyInMs: number | null
  everythingEmptyInMs: number | null
}

/** Each stats query's plan, for the test that keeps them on indexes. */
export async function outboxStatsQueryPlans(db: Handle) {
  return outboxStatsQueryPlansIn(db)
}

/** The figures now, from the database (no memo). `requestsPerSecond`: the configured pace, 0 unpaced. */
export async function computeOutboxStats(db: Handle, { now = Date.now(), requestsPerSecond }: { now?: number; requestsPerSecond: number }): Promise<OutboxStats> {
  // One read transaction: the counts and the ages describe the same moment.
  const result = await transaction(
    db,
    async (tx) => {
      const q = outboxStatsQueries(tx)
      const alone: WaitingMail[] = []
      for (const priority of [MAIL_PRIORITIES.confirmation, MAIL_PRIORITIES.transactional]) alone.push({ priority, ...(await q.queuedAlone(priority)) })
      const waiting = [...alone, ...(await q.queuedInBatches())]
      const count = (priority: number) => waiting.filter((w) => w.priority === priority).reduce((total, w) => total + w.n, 0)
      const oldestCreatedAt = async (priorities: number[]) => {
        const ids = waiting.flatMap((w) => (priorities.includes(w.priority) && w.oldestId !== null ? [w.oldestId] : []))
        return ids.length ? await q.createdAt(Math.min(...ids)) : null
      }
      const since = now - RATE_WINDOW_MS
      const lookback = now - SINGLE_LOOKBACK_MS
      const firstId = await q.firstIdSince(lookback)
      return {
        confirmations: count(MAIL_PRIORITIES.confirmation),
        other: count(MAIL_PRIORITIES.transactional),
        oldestConfirmation: await oldestCreatedAt([MAIL_PRIORITIES.confirmation]),
        oldestQueued: await oldestCreatedAt([MAIL_PRIORITIES.confirmation, MAIL_PRIORITIES.transactional]),
        updatesRemaining: await q.updatesRemaining(),
        accepted: (await q.batchesAccepted(since)) + (firstId === undefined ? 0 : await q.firstAttemptsAccepted({ firstId, since })) + (await q.retriesAccepted({ lookback, since })),
      }
    },
    { behavior: 'deferred' },
  )

  // The minute's count is the sender's pace only if it had work all minute; a younger queue
  // (a surge that just began) is judged by the configured capacity (a full batch per request) instead.
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
    oldestQueuedAgeMs: result.oldestQueued === null ? null : Math.max(0, now - result.oldestQueued),
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
export async function getOutboxStats(db: Handle, { now = Date.now(), requestsPerSecond }: { now?: number; requestsPerSecond: number }): Promise<OutboxStats> {
  const memo = globalThis.__vigilOutboxStats
  if (memo && memo.requestsPerSecond === requestsPerSecond && now >= memo.stats.at && now - memo.stats.at < MEMO_MS) return memo.stats
  const stats = await computeOutboxStats(db, { now, requestsPerSecond })
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
