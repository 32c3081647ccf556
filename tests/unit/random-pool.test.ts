import { describe, expect, it } from 'vitest'
import { randomBytes, randomToken } from '~/utils/crypto.server.ts'

describe('pooled random bytes (nonces, tokens)', () => {
  it('never hands out the same bytes twice, and a slice keeps its bytes across refills', () => {
    const first = randomBytes(12)
    const kept = Buffer.from(first)
    const seen = new Set<string>()
    // 50,000 × 12 bytes is about 150 refills of the 4 kB pool.
    for (let i = 0; i < 50_000; i++) seen.add(randomBytes(12).toString('hex'))
    expect(seen.size).toBe(50_000)
    expect(first.equals(kept)).toBe(true)
  })

  it('gives the size asked for, pooled or not, and tokens of that many bytes', () => {
    for (const size of [1, 12, 16, 32, 256, 257, 5000]) expect(randomBytes(size)).toHaveLength(size)
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16)
  })
})
