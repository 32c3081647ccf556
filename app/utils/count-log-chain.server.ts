import crypto from 'node:crypto'

/**
 * The public count log's chain (issue 17, ADR 018): its entries, their canonical text and hashes.
 * Pure (node:crypto only), so scripts/verify-count-log.ts runs on any clone without a database.
 *
 * An entry is hashed over 8 lines of text joined by "\n" (no trailing newline): the format, seq,
 * at (ISO 8601 UTC with milliseconds), confirmed, invalidated, reason, the milestone's threshold
 * or "-", and the previous entry's hash (64 zeros for seq 0). Lines rather than JSON: nothing to
 * escape and no key order to agree on, so a shell can check an entry with printf and sha256sum.
 */

export const COUNT_LOG_FORMAT = 'vigil-count-log/1'
/** The `prev` of the first entry (seq 0). */
export const GENESIS_PREV = '0'.repeat(64)

/** db/schema.ts's COUNT_LOG_REASONS (this module imports nothing of the app). */
export type CountLogReason = 'genesis' | 'hourly' | 'milestone' | 'recount'
const REASONS: readonly string[] = ['genesis', 'hourly', 'milestone', 'recount'] satisfies CountLogReason[]

export type CountLogEntry = {
  seq: number
  /** ISO 8601 UTC with milliseconds, as Date.prototype.toISOString writes it. */
  at: string
  confirmed: number
  invalidated: number
  reason: CountLogReason
  /** The threshold, for a 'milestone' entry. */
  milestone: number | null
  prev: string
  hash: string
}

export type ChainProblem = { seq: number; kind: 'format' | 'changed' | 'link' | 'order' | 'backwards'; message: string }

export function canonicalText(e: Omit<CountLogEntry, 'hash'>): string {
  return [COUNT_LOG_FORMAT, String(e.seq), e.at, String(e.confirmed), String(e.invalidated), e.reason, e.milestone === null ? '-' : String(e.milestone), e.prev].join('\n')
}

/** Lower-case hex SHA-256 of the entry's canonical text. */
export function entryHash(e: Omit<CountLogEntry, 'hash'>): string {
  return crypto.createHash('sha256').update(canonicalText(e), 'utf8').digest('hex')
}

/** The code printed in the packet: the head hash's first 16 hex digits in groups of 4. */
export function shortCode(hash: string): string {
  return (hash.slice(0, 16).match(/.{1,4}/g) ?? []).join(' ')
}

const HEX64 = /^[0-9a-f]{64}$/
const count = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

/** What is wrong with one entry's fields (read from a file: anything may be there), or null. */
function formatProblem(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'the entry is not an object'
  const entry = e as Record<string, unknown>
  if (!count(entry.seq)) return 'seq is not a whole number'
  if (typeof entry.at !== 'string' || Number.isNaN(Date.parse(entry.at)) || new Date(entry.at).toISOString() !== entry.at) {
    return 'at is not a time written as 2026-12-24T09:00:00.000Z'
  }
  if (!count(entry.confirmed)) return 'confirmed is not a whole number'
  if (!count(entry.invalidated)) return 'invalidated is not a whole number'
  if (typeof entry.reason !== 'string' || !REASONS.includes(entry.reason)) return 'reason is not one of genesis, hourly, milestone, recount'
  if (entry.milestone !== null && !count(entry.milestone)) return 'milestone is neither a whole number nor null'
  if (typeof entry.prev !== 'string' || !HEX64.test(entry.prev)) return 'prev is not 64 lower-case hex digits'
  if (typeof entry.hash !== 'string' || !HEX64.test(entry.hash)) return 'hash is not 64 lower-case hex digits'
  return null
}

const short = (hash: unknown) => (typeof hash === 'string' ? `${hash.slice(0, 4)}…` : String(hash))

/**
 * Check a whole log, oldest first, and report every problem (not only the first): entries out of
 * order or missing (order), an entry that does not name the one before it (link), an entry whose
 * hash is not that of its contents (changed), a time or count that went back (backwards: `at` and
 * `invalidated` never go down, nor `confirmed + invalidated` except in a 'recount' entry), and
 * fields that are not what the format says (format). `head` is the last entry.
 */
export function verifyChain(entries: CountLogEntry[]): { problems: ChainProblem[]; head: CountLogEntry | null } {
  const problems: ChainProblem[] = []
  // Read from a file, an entry may be anything: its fields are looked at through this until checked.
  const loose = (x: unknown): Partial<CountLogEntry> => (typeof x === 'object' && x !== null ? (x as Partial<CountLogEntry>) : {})
  const seqs = new Set(entries.map((e) => loose(e).seq))
  entries.forEach((e, i) => {
    const seq = typeof loose(e).seq === 'number' ? e.seq : i
    const report = (kind: ChainProblem['kind'], message: string) => problems.push({ seq, kind, message })
    const malformed = formatProblem(e)
    if (malformed) {
      report('format', malformed)
      return
    }
    const before = i > 0 ? loose(entries[i - 1]) : null
    const beforeSeq = typeof before?.seq === 'number' ? before.seq : i - 1
    // Order: each entry follows the one before it. A gap whose seqs all appear elsewhere is a
    // reordering, reported where the earlier seq comes after the later one.
    if (i === 0 && e.seq !== 0) report('order', `the log starts at seq ${e.seq}, not 0 (entries were removed from its start)`)
    else if (i > 0 && e.seq === beforeSeq) report('order', `seq ${e.seq} appears twice (an entry was inserted or copied)`)
    else if (i > 0 && e.seq < beforeSeq) report('order', `seq ${beforeSeq} comes before seq ${e.seq} (entries reordered)`)
    else if (i > 0 && e.seq > beforeSeq + 1) {
      const missing: number[] = []
      for (let s = beforeSeq + 1; s < e.seq && missing.length <= 3; s++) if (!seqs.has(s)) missing.push(s)
      if (missing.length > 0) {
        const which = missing.length === 1 ? `seq ${missing[0]} is` : `seqs ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''} are`
        report('order', `${which} missing before it (entries were removed)`)
      }
    }
    // Link: each entry names the hash of the one before it.
    const expectedPrev = before ? before.hash : GENESIS_PREV
    if (e.prev !== expectedPrev) {
      report(
        'link',
        before
          ? `prev is ${short(e.prev)} but the entry before it (seq ${beforeSeq}) has hash ${short(before.hash)} (an entry was removed, inserted or reordered)`
          : `prev is ${short(e.prev)} but the first entry's prev must be 64 zeros (entries were removed from the start)`,
      )
    }
    // Changed: the hash is that of the contents.
    if (entryHash(e) !== e.hash) report('changed', 'the hash does not match the contents (the entry was changed)')
    // Backwards: the log never goes back.
    const last = i > 0 && !formatProblem(entries[i - 1]) ? entries[i - 1]! : null
    if (last) {
      if (Date.parse(e.at) < Date.parse(last.at)) report('backwards', `at went back from ${last.at} to ${e.at} (the log went backwards)`)
      if (e.invalidated < last.invalidated) report('backwards', `invalidated went down from ${last.invalidated} to ${e.invalidated} (the log went backwards)`)
      const was = last.confirmed + last.invalidated
      const is = e.confirmed + e.invalidated
      if (e.reason !== 'recount' && is < was) report('backwards', `confirmed + invalidated went down from ${was} to ${is} (the log went backwards)`)
    }
  })
  return { problems, head: entries.at(-1) ?? null }
}
