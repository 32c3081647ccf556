import type { Handle, Tx } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import type { Language } from '~/utils/i18n.ts'
import type { Localized } from './campaigns.server.ts'

/**
 * Milestones (issue 17, ADR 018): counts at which something happens, each reached once.
 * Foundation stub: the signatures are final, Part A fills in the bodies.
 */

/** What the campaign page says about milestones: the next one, and those reached so far. */
export type MilestoneSummary = {
  next: { threshold: number; happens: Localized | null; remaining: number } | null
  reached: { threshold: number; reachedOn: string }[]
}

/**
 * In the confirming transaction, right after the counters moved: marks every milestone the new
 * count reached (once, by a conditional update) and queues what follows. Returns those reached.
 */
export async function reachMilestones(_tx: Tx, _args: { campaignId: number; now: number }): Promise<{ id: number; threshold: number }[]> {
  return []
}

export async function getMilestoneSummary(
  _db: Handle,
  _args: { campaignId: number; lang: Language; defaultLocale: Locale; confirmed: number },
): Promise<MilestoneSummary> {
  return { next: null, reached: [] }
}
