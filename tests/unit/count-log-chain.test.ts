/**
 * The count log's chain (ADR 018): the canonical text and hash of an entry, against a vector
 * worked out by hand with `printf … | sha256sum`, and verifyChain on logs changed in every way it
 * must notice.
 */
import { describe, expect, it } from 'vitest'
import { canonicalText, entryHash, GENESIS_PREV, shortCode, verifyChain, type CountLogEntry } from '~/utils/count-log-chain.server.ts'

// printf 'vigil-count-log/1\n0\n2026-12-24T09:00:00.000Z\n12345\n17\ngenesis\n-\n0000…0000' | sha256sum
const GENESIS: CountLogEntry = {
  seq: 0,
  at: '2026-12-24T09:00:00.000Z',
  confirmed: 12345,
  invalidated: 17,
  reason: 'genesis',
  milestone: null,
  prev: '0000000000000000000000000000000000000000000000000000000000000000',
  hash: '42586cc4d0de7ee45f2dcd3d4bb3d45ba047fb1d9bb6abeb07eff8b7a3cd8626',
}
// printf 'vigil-count-log/1\n1\n2026-12-24T10:00:00.000Z\n12400\n17\nmilestone\n10000\n42586cc4…8626' | sha256sum
const MILESTONE: CountLogEntry = {
  seq: 1,
  at: '2026-12-24T10:00:00.000Z',
  confirmed: 12400,
  invalidated: 17,
  reason: 'milestone',
  milestone: 10000,
  prev: '42586cc4d0de7ee45f2dcd3d4bb3d45ba047fb1d9bb6abeb07eff8b7a3cd8626',
  hash: '0f19cb951265a43acc2a9688282f92a7bd70d70087869c1f1b87db89eb7a9641',
}

/** A valid chain of `n` entries: hourly, counts rising, an invalidation at 3 (confirmed down, invalidated up). */
function chain(n: number): CountLogEntry[] {
  const entries: CountLogEntry[] = []
  for (let seq = 0; seq < n; seq++) {
    const fields = {
      seq,
      at: new Date(Date.UTC(2026, 10, 2, 10 + seq)).toISOString(),
      confirmed: 100 + seq * 10 - (seq >= 3 ? 5 : 0),
      invalidated: seq >= 3 ? 5 : 0,
      reason: seq === 0 ? ('genesis' as const) : ('hourly' as const),
      milestone: null,
      prev: entries[seq - 1]?.hash ?? GENESIS_PREV,
    }
    entries.push({ ...fields, hash: entryHash(fields) })
  }
  return entries
}

/** Recompute the hashes from `from` on, as someone rewriting the log would. */
function rehash(entries: CountLogEntry[], from: number) {
  for (let i = from; i < entries.length; i++) {
    entries[i] = { ...entries[i]!, prev: entries[i - 1]?.hash ?? GENESIS_PREV }
    entries[i] = { ...entries[i]!, hash: entryHash(entries[i]!) }
  }
  return entries
}

const kinds = (entries: CountLogEntry[]) => verifyChain(entries).problems.map((p) => `${p.seq}:${p.kind}`)

describe('canonical text and hash', () => {
  it('writes the 8 lines of the format, without a trailing newline', () => {
    expect(canonicalText(GENESIS)).toBe(
      'vigil-count-log/1\n0\n2026-12-24T09:00:00.000Z\n12345\n17\ngenesis\n-\n0000000000000000000000000000000000000000000000000000000000000000',
    )
    expect(canonicalText(MILESTONE)).toBe(
      'vigil-count-log/1\n1\n2026-12-24T10:00:00.000Z\n12400\n17\nmilestone\n10000\n42586cc4d0de7ee45f2dcd3d4bb3d45ba047fb1d9bb6abeb07eff8b7a3cd8626',
    )
  })

  it('hashes it as sha256sum does', () => {
    expect(GENESIS_PREV).toBe(GENESIS.prev)
    expect(entryHash(GENESIS)).toBe(GENESIS.hash)
    expect(entryHash(MILESTONE)).toBe(MILESTONE.hash)
    expect(verifyChain([GENESIS, MILESTONE])).toEqual({ problems: [], head: MILESTONE })
  })

  it('gives the short code as the first 16 hex digits in groups of four', () => {
    expect(shortCode(MILESTONE.hash)).toBe('0f19 cb95 1265 a43a')
  })
})

describe('verifyChain', () => {
  it('accepts a valid chain and an empty one', () => {
    const entries = chain(8)
    expect(verifyChain(entries)).toEqual({ problems: [], head: entries[7] })
    expect(verifyChain([])).toEqual({ problems: [], head: null })
  })

  it('finds a changed entry, with or without its hash recomputed', () => {
    const changed = chain(8)
    changed[4] = { ...changed[4]!, confirmed: changed[4]!.confirmed + 1 }
    expect(kinds(changed)).toEqual(['4:changed'])
    // A new hash for the changed entry breaks the link of the next one.
    changed[4] = { ...changed[4]!, hash: entryHash(changed[4]!) }
    expect(kinds(changed)).toEqual(['5:link'])
    expect(verifyChain(changed).problems[0]!.message).toMatch(/^prev is [0-9a-f]{4}… but the entry before it \(seq 4\) has hash [0-9a-f]{4}… \(an entry was removed, inserted or reordered\)$/)
  })

  it('finds a removed entry', () => {
    const removed = chain(8)
    removed.splice(3, 1)
    expect(kinds(removed)).toEqual(['4:order', '4:link'])
    expect(verifyChain(removed).problems[0]!.message).toBe('seq 3 is missing before it (entries were removed)')
    const first = chain(4).slice(1)
    expect(kinds(first)).toEqual(['1:order', '1:link'])
  })

  it('finds reordered entries, reported where the earlier seq comes after the later', () => {
    const swapped = chain(8)
    ;[swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!]
    const { problems } = verifyChain(swapped)
    expect(problems.filter((p) => p.kind === 'order')).toEqual([{ seq: 5, kind: 'order', message: 'seq 6 comes before seq 5 (entries reordered)' }])
    expect(problems.filter((p) => p.kind === 'link').map((p) => p.seq)).toEqual([6, 5, 7])
    expect(problems.some((p) => p.kind === 'changed')).toBe(false)
  })

  it('finds a log that goes backwards even when every hash was recomputed', () => {
    const lowered = chain(8)
    lowered[6] = { ...lowered[6]!, confirmed: lowered[5]!.confirmed - 20 }
    rehash(lowered, 6)
    const { problems } = verifyChain(lowered)
    expect(problems).toEqual([{ seq: 6, kind: 'backwards', message: 'confirmed + invalidated went down from 150 to 130 (the log went backwards)' }])
    // A recount may lower the count: it is in the log openly.
    lowered[6] = { ...lowered[6]!, reason: 'recount' }
    expect(kinds(rehash(lowered, 6))).toEqual([])

    const untaken = chain(8)
    untaken[5] = { ...untaken[5]!, invalidated: 2, confirmed: untaken[5]!.confirmed + 3 }
    expect(kinds(rehash(untaken, 5))).toEqual(['5:backwards'])

    const earlier = chain(8)
    earlier[2] = { ...earlier[2]!, at: '2026-11-01T00:00:00.000Z' }
    expect(verifyChain(rehash(earlier, 2)).problems).toEqual([
      { seq: 2, kind: 'backwards', message: 'at went back from 2026-11-02T11:00:00.000Z to 2026-11-01T00:00:00.000Z (the log went backwards)' },
    ])
  })

  it('reports every problem, not only the first', () => {
    const entries = chain(10)
    entries[2] = { ...entries[2]!, confirmed: entries[2]!.confirmed + 1 }
    entries.splice(6, 1)
    expect(kinds(entries)).toEqual(['2:changed', '7:order', '7:link'])
  })

  it('reports fields that are not what the format says, from a file that may hold anything', () => {
    const entries = chain(5) as unknown[]
    entries[1] = { ...(entries[1] as CountLogEntry), at: '2026-11-02 11:00' }
    entries[2] = { ...(entries[2] as CountLogEntry), confirmed: '110' }
    entries[3] = null
    const { problems } = verifyChain(entries as CountLogEntry[])
    expect(problems.filter((p) => p.kind === 'format')).toEqual([
      { seq: 1, kind: 'format', message: 'at is not a time written as 2026-12-24T09:00:00.000Z' },
      { seq: 2, kind: 'format', message: 'confirmed is not a whole number' },
      { seq: 3, kind: 'format', message: 'the entry is not an object' },
    ])
  })
})
