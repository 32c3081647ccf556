import type { DB } from '../../db/client.server.ts'

/**
 * The demo campaign's milestones: the defaults from the rising goal, those its count has already
 * passed stored as passed ('setup', no emails). Added once, after the history (its signatures);
 * returns what it created for the seed's summary line, or null. Foundation stub: Part A fills it in.
 */
export async function seedMilestones(_db: DB, _args: { campaignId: number }): Promise<string | null> {
  return null
}
