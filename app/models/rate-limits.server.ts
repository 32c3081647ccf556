import { and, asc, count, eq, gt, inArray, lt, max, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { serializeOn } from '#db/locks.server.ts'
import { recordHitsInWindows } from '#db/sql/rate-limits.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { rateLimitHits } from '#db/schema.ts'
import { execute, firstRow } from '#db/query.server.ts'

export type RateLimitHit = { bucket: string; keyHash: string; limit: number; windowMs: number }

const p = sql.placeholder
const inWindow = and(eq(rateLimitHits.bucket, p('bucket')), eq(rateLimitHits.keyHash, p('keyHash')), gt(rateLimitHits.at, p('since')))

// Every signature and login passes here: prepared once per connection.
const statements = preparedPerConnection((db) => ({
  forget: db
    .delete(rateLimitHits)
    .where(and(eq(rateLimitHits.bucket, p('bucket')), eq(rateLimitHits.keyHash, p('keyHash')), lt(rateLimitHits.at, p('since'))))
    .prepare(),
  count: db.select({ n: count() }).from(rateLimitHits).where(inWindow).prepare(),
  // The attempt whose leaving the window lets the next one through.
  opener: db.select({ at: rateLimitHits.at }).from(rateLimitHits).where(inWindow).orderBy(asc(rateLimitHits.at)).limit(1).offset(p('offset')).prepare(),
  reserve: db.insert(rateLimitHits).values({ bucket: p('bucket'), keyHash: p('keyHash'), at: p('now') }).returning({ id: rateLimitHits.id }).prepare(),
  failures: db.select({ n: count(), latest: max(rateLimitHits.at) }).from(rateLimitHits).where(inWindow).prepare(),
}))

/**
 * Several servers count into the same windows: each key's count-then-decide waits for the
 * others' (a transaction lock per key on Postgres), so two requests at once cannot both be
 * the last one allowed.
 */
function serializeOnKeys(tx: Tx, keys: { bucket: string; keyHash: string }[]) {
  return serializeOn(tx, rateLimitLockKeys(keys))
}

/** The locks counting these windows takes (a group commit takes its jobs' at its start). */
export function rateLimitLockKeys(keys: { bucket: string; keyHash: string }[]) {
  return keys.map(({ bucket, keyHash }) => `rate:${bucket}:${keyHash}`)
}

/**
 * Sliding-window limits: record this attempt against every limit, then count attempts
 * in each window. Attempts over a limit are still recorded, so hammering keeps the
 * window shut. Refused when any limit is exceeded; retryAfterMs is when the last of
 * them reopens. Runs inside the caller's transaction, so a caller can check and act
 * in one write.
 */
export async function recordHits(tx: Tx, hits: RateLimitHit[], now: number): Promise<{ allowed: boolean; retryAfterMs: number }> {
  await serializeOnKeys(tx, hits)
  return limitOutcome(tx, hits, await recordHitsInWindows(tx, hitWindows(hits, now), now), now)
}

/** The windows an attempt at `now` is counted in, for a statement that records it (db/sql). */
export function hitWindows(hits: RateLimitHit[], now: number) {
  return hits.map(({ bucket, keyHash, limit, windowMs }) => ({ bucket, keyHash, limit, since: now - windowMs }))
}

/**
 * What recording an attempt decided, from how many attempts each window then holds (`counts`,
 * in the order of `hits`), for a caller that recorded it with its own statement: the same
 * locks must be held (`lockHitWindows` before it).
 */
export async function limitOutcome(tx: Tx, hits: RateLimitHit[], counts: number[], now: number): Promise<{ allowed: boolean; retryAfterMs: number }> {
  const q = statements(tx)
  let retryAfterMs = 0
  for (const [i, { bucket, keyHash, limit, windowMs }] of hits.entries()) {
    const n = counts[i]!
    if (n <= limit) continue
    const opener = await firstRow(q.opener, { bucket, keyHash, since: now - windowMs, offset: n - limit })
    retryAfterMs = Math.max(retryAfterMs, 1000, (opener?.at ?? now) + windowMs - now)
  }
  return { allowed: retryAfterMs === 0, retryAfterMs }
}

/** The locks recording an attempt in these windows takes (nothing more inside a batch that took them at its start). */
export function lockHitWindows(tx: Tx, hits: RateLimitHit[]) {
  return serializeOnKeys(tx, hits)
}

export async function hitRateLimits(db: Handle, hits: RateLimitHit[], now = Date.now()) {
  return transaction(db, (tx) => recordHits(tx, hits, now))
}

export async function hitRateLimit(db: Handle, { now, ...hit }: RateLimitHit & { now?: number }) {
  return hitRateLimits(db, [hit], now)
}

export async function clearRateLimit(db: Handle, { bucket, keyHash }: { bucket: string; keyHash: string }) {
  await transaction(db, async (tx) => {
    await execute(tx.delete(rateLimitHits)
      .where(and(eq(rateLimitHits.bucket, bucket), eq(rateLimitHits.keyHash, keyHash))))
  })
}

/**
 * A growing wait for one client guessing one thing (a password for one account from one
 * address): `free` failures cost nothing, then each further attempt waits `baseMs` after the
 * latest failure, doubling with every failure, `capMs` at most. Failures are forgotten
 * `forgetAfterMs` after they happened.
 */
export type BackoffPolicy = { bucket: string; free: number; baseMs: number; capMs: number; forgetAfterMs: number }

export type AttemptReservation = { hitIds: number[]; backoff: { bucket: string; keyHash: string } }

/**
 * Let an attempt through the backoff and the sliding-window limits, or say how long to wait.
 * An attempt let through is recorded at once, as if it failed, before the slow check it
 * guards (a password hash): parallel attempts then cannot all slip past a limit. A success
 * takes the record back (forgiveAttempt); a failure leaves it, and that is the count.
 * Attempts refused here are not recorded: waiting is not failing, and cannot make the wait longer.
 */
export async function reserveAttempt(
  db: Handle,
  {
    backoff,
    limits,
    now = Date.now(),
  }: {
    backoff: BackoffPolicy & { keyHash: string }
    limits: RateLimitHit[]
    now?: number
  },
): Promise<{ allowed: true; reservation: AttemptReservation } | { allowed: false; retryAfterMs: number }> {
  return transaction(db, async (tx) => {
    const q = statements(tx)
    await serializeOnKeys(tx, [backoff, ...limits])
    let retryAfterMs = 0
    {
      const { bucket, keyHash, free, baseMs, capMs, forgetAfterMs } = backoff
      const since = now - forgetAfterMs
      await execute(q.forget, { bucket, keyHash, since })
      const { n, latest } = await firstRow(q.failures, { bucket, keyHash, since }) ?? { n: 0, latest: null }
      if (n >= free && latest !== null) {
        const wait = Math.min(capMs, baseMs * 2 ** (n - free))
        retryAfterMs = Math.max(retryAfterMs, latest + wait - now)
      }
    }
    for (const { bucket, keyHash, limit, windowMs } of limits) {
      const since = now - windowMs
      await execute(q.forget, { bucket, keyHash, since })
      const n = (await firstRow(q.count, { bucket, keyHash, since }))?.n ?? 0
      if (n < limit) continue
      const opener = await firstRow(q.opener, { bucket, keyHash, since, offset: n - limit })
      retryAfterMs = Math.max(retryAfterMs, (opener?.at ?? now) + windowMs - now)
    }
    if (retryAfterMs > 0) return { allowed: false as const, retryAfterMs: Math.max(1000, retryAfterMs) }
    const hitIds: number[] = []
    for (const { bucket, keyHash } of [backoff, ...limits]) hitIds.push((await firstRow(q.reserve, { bucket, keyHash, now }))!.id)
    return { allowed: true as const, reservation: { hitIds, backoff: { bucket: backoff.bucket, keyHash: backoff.keyHash } } }
  })
}

/** The attempt succeeded: it was no failure, and this client's earlier failures at this backoff are forgiven. */
export async function forgiveAttempt(db: Handle, { hitIds, backoff }: AttemptReservation) {
  await transaction(db, async (tx) => {
    if (hitIds.length > 0) await execute(tx.delete(rateLimitHits).where(inArray(rateLimitHits.id, hitIds)))
    await execute(tx.delete(rateLimitHits)
      .where(and(eq(rateLimitHits.bucket, backoff.bucket), eq(rateLimitHits.keyHash, backoff.keyHash))))
  })
}
