import { and, asc, count, eq, gt, lt } from 'drizzle-orm'
import { getDb } from '#db/client.server.ts'
import { rateLimitHits } from '#db/schema.ts'

/**
 * Sliding-window limit: record this attempt, then count attempts in the window.
 * Attempts over the limit are still recorded, so hammering keeps the window shut.
 */
export async function hitRateLimit({
  bucket,
  keyHash,
  limit,
  windowMs,
  now = Date.now(),
}: {
  bucket: string
  keyHash: string
  limit: number
  windowMs: number
  now?: number
}): Promise<{ allowed: boolean; retryAfterMs: number }> {
  const db = getDb()
  return db.transaction((tx) => {
    const since = now - windowMs
    tx.delete(rateLimitHits)
      .where(and(eq(rateLimitHits.bucket, bucket), eq(rateLimitHits.keyHash, keyHash), lt(rateLimitHits.at, since)))
      .run()
    tx.insert(rateLimitHits).values({ bucket, keyHash, at: now }).run()
    const where = and(eq(rateLimitHits.bucket, bucket), eq(rateLimitHits.keyHash, keyHash), gt(rateLimitHits.at, since))
    const hits = tx.select({ n: count() }).from(rateLimitHits).where(where).get()?.n ?? 0
    if (hits <= limit) return { allowed: true, retryAfterMs: 0 }
    // Reopens when enough of the oldest attempts leave the window.
    const opener = tx
      .select({ at: rateLimitHits.at })
      .from(rateLimitHits)
      .where(where)
      .orderBy(asc(rateLimitHits.at))
      .limit(1)
      .offset(hits - limit)
      .get()
    return { allowed: false, retryAfterMs: Math.max(1000, (opener?.at ?? now) + windowMs - now) }
  })
}

export async function clearRateLimit({ bucket, keyHash }: { bucket: string; keyHash: string }) {
  getDb()
    .delete(rateLimitHits)
    .where(and(eq(rateLimitHits.bucket, bucket), eq(rateLimitHits.keyHash, keyHash)))
    .run()
}
