/**
 * The public count log's chain (issue 17, ADR 018): its entries, their canonical text and hashes.
 * Pure (node:crypto only), so scripts/verify-count-log.ts runs without a database.
 * Foundation stub: the types and constants are final, Part C adds the functions.
 */

export const COUNT_LOG_FORMAT = 'vigil-count-log/1'
/** The `prev` of the first entry (seq 0). */
export const GENESIS_PREV = '0'.repeat(64)

/** db/schema.ts's COUNT_LOG_REASONS (this module imports nothing of the app). */
export type CountLogReason = 'genesis' | 'hourly' | 'milestone' | 'recount'

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
