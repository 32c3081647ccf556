import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { recordHitsInWindows } from '#db/sql/rate-limits.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { hitRateLimits } from '~/models/rate-limits.server.ts'
import { sqlOn } from '../helpers/sql.ts'

// The limiter's write is one statement on Postgres and three per window on SQLite
// (db/sql/rate-limits.server.ts): both must count the same.
const record = (windows: { bucket: string; keyHash: string; since: number }[], now: number) =>
  transaction(getDb(), (tx) => recordHitsInWindows(tx, windows, now))
const stored = async (bucket: string) =>
  (await sqlOn(getDb()).all<{ at: number }>(`SELECT at FROM rate_limit_hits WHERE bucket = ? ORDER BY at`, bucket)).map((r) => Number(r.at))

describe('rate limit windows', () => {
  it('counts this attempt with the ones still in the window, and forgets the ones that left it', async () => {
    expect(await record([{ bucket: 'w:a', keyHash: 'k', since: 0 }], 1_000)).toEqual([1])
    expect(await record([{ bucket: 'w:a', keyHash: 'k', since: 0 }], 2_000)).toEqual([2])
    // 1,000 has left a window starting at 1,500; 2,000 is in it.
    expect(await record([{ bucket: 'w:a', keyHash: 'k', since: 1_500 }], 3_000)).toEqual([2])
    expect(await stored('w:a')).toEqual([2_000, 3_000])
  })

  it('keeps buckets and keys apart, and answers in the order asked', async () => {
    await record([{ bucket: 'w:b', keyHash: 'one', since: 0 }], 1_000)
    await record([{ bucket: 'w:b', keyHash: 'one', since: 0 }], 1_001)
    const counts = await record(
      [
        { bucket: 'w:c', keyHash: 'one', since: 0 },
        { bucket: 'w:b', keyHash: 'two', since: 0 },
        { bucket: 'w:b', keyHash: 'one', since: 0 },
      ],
      2_000,
    )
    expect(counts).toEqual([1, 1, 3])
  })

  it('counts a window listed twice twice, as two statements one after the other would', async () => {
    expect(await record([{ bucket: 'w:d', keyHash: 'k', since: 0 }, { bucket: 'w:d', keyHash: 'k', since: 0 }], 1_000)).toEqual([1, 2])
    expect(await stored('w:d')).toEqual([1_000, 1_000])
  })

  it('refuses over the limit and says when the window reopens, per limit', async () => {
    const limits = [
      { bucket: 'w:short', keyHash: 'ip', limit: 2, windowMs: 10_000 },
      { bucket: 'w:long', keyHash: 'ip', limit: 3, windowMs: 100_000 },
    ]
    expect((await hitRateLimits(getDb(), limits, 1_000)).allowed).toBe(true)
    expect((await hitRateLimits(getDb(), limits, 2_000)).allowed).toBe(true)
    // Third within 10 s: the short window holds 3 > 2 and reopens when 2,000 leaves it (12,000).
    expect(await hitRateLimits(getDb(), limits, 3_000)).toEqual({ allowed: false, retryAfterMs: 9_000 })
    // 20 s later the short window has room, the long one holds 4 > 3 and reopens at 102,000.
    expect(await hitRateLimits(getDb(), limits, 23_000)).toEqual({ allowed: false, retryAfterMs: 79_000 })
  })
})
