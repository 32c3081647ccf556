import type { Handle, Tx } from '#db/client.server.ts'
import type { CountLogReason } from '#db/schema.ts'
import { GENESIS_PREV, type CountLogEntry } from '~/utils/count-log-chain.server.ts'

/**
 * The public count log (issue 17, ADR 018): a hash chain per campaign, appended to and never
 * changed. Foundation stub: the signatures are final, Part C fills in the bodies.
 */

export const COUNT_LOG_PERIOD_MS = 60 * 60 * 1000

/** Append one entry in the caller's transaction; a genesis entry first if the campaign has none. */
export async function appendCountLogEntry(
  _tx: Tx,
  { campaignId: _campaignId, reason, milestone = null, now = Date.now() }: { campaignId: number; reason: Exclude<CountLogReason, 'genesis'>; milestone?: number | null; now?: number },
): Promise<CountLogEntry> {
  // Stub: nothing is written.
  return { seq: 0, at: new Date(now).toISOString(), confirmed: 0, invalidated: 0, reason, milestone, prev: GENESIS_PREV, hash: GENESIS_PREV }
}

export async function getCountLogHead(_db: Handle, _args: { campaignId: number }): Promise<CountLogEntry | null> {
  return null
}

/** A public campaign's whole log, oldest first; null for an unknown slug or a draft. */
export async function listCountLog(_db: Handle, _args: { slug: string }): Promise<{ slug: string; entries: CountLogEntry[] } | null> {
  return null
}
