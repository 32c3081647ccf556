import { and, asc, count, eq, gt, lt, sql } from 'drizzle-orm'
import { getDb, preparedPerConnection } from '#db/client.server.ts'
import { rateLimitHits } from '#db/schema.ts'

export type RateLimitHit = { bucket: string; keyHash: string; limit: number; windowMs: number }

const p = sql.placeholder
const inWindow = and(eq(rateLimitHits.bucket, p('bucket')), eq(rateLimitHits.keyHash, p('keyHash')), gt(rateLimitHits.at, p('since')))

// Every signature and login passes here: prepared once per connection.
const statements = preparedPerConnection((db) => ({
  forget: db
    .delete(rateLimitHits)
    .where(and(eq(rateLimitHits.bucket, p('bucket')), eq(rateLimitHits.keyHash, p('keyHash')), lt(rateLimitHits.at, p('since'))))
    .prepare(),
  record: db.insert(rateLimitHits).values({ bucket: p('bucket'), keyHash: p('keyHash'), at: p('now') }).prepare(),
  count: db.select({ n: count() }).from(rateLimitHits).where(inWindow).prepare(),
  // The attempt whose leaving the window lets the next one through.
  opener: db.select({ at: rateLimitHits.at }).from(rateLimitHits).where(inWindow).orderBy(asc(rateLimitHits.at)).limit(1).offset(p('offset')).prepare(),
}))

/**
 * Sliding-window limits: record this attempt against every limit, then count attempts
 * in each window. Attempts over a limit are still recorded, so hammering keeps the
 * window shut. Refused when any limit is exceeded; retryAfterMs is when the last of
 * them reopens. Runs inside the caller's transaction, so a caller can check and act
 * in one write.
 */
export function recordHits(hits: RateLimitHit[], now: number): { allowed: boolean; retryAfterMs: number } {
  const q = statements()
  let retryAfterMs = 0
  for (const { bucket, keyHash, limit, windowMs } of hits) {
    const since = now - windowMs
    q.forget.run({ bucket, keyHash, since })
    q.record.run({ bucket, keyHash, now })
    const n = q.count.get({ bucket, keyHash, since })?.n ?? 0
    if (n <= limit) continue
    const opener = q.opener.get({ bucket, keyHash, since, offset: n - limit })
    retryAfterMs = Math.max(retryAfterMs, 1000, (opener?.at ?? now) + windowMs - now)
  }
  return { allowed: retryAfterMs === 0, retryAfterMs }
}

export async function hitRateLimits(hits: RateLimitHit[], now = Date.now()) {
  return getDb().transaction(() => recordHits(hits, now))
}

export async function hitRateLimit({ now, ...hit }: RateLimitHit & { now?: number }) {
  return hitRateLimits([hit], now)
}

export async function clearRateLimit({ bucket, keyHash }: { bucket: string; keyHash: string }) {
  getDb()
    .delete(rateLimitHits)
    .where(and(eq(rateLimitHits.bucket, bucket), eq(rateLimitHits.keyHash, keyHash)))
    .run()
}
