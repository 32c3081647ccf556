import { eq } from 'drizzle-orm'
import type { DB } from '../../db/client.server.ts'
import { firstRow } from '../../db/query.server.ts'
import { campaignMilestones } from '../../db/schema.ts'
import { addDefaultMilestones } from '../../app/models/milestones.server.ts'

/**
 * The demo campaign's milestones: the defaults from the rising goal, those its count has already
 * passed stored as passed ('setup', no emails). Added once, after the history (its signatures)
 * and the targets (the texts name them): a campaign with any milestone is left as it is, so
 * seeding again never brings back one an organiser deleted. Returns the seed summary's note.
 */
export async function seedMilestones(db: DB, { campaignId }: { campaignId: number }): Promise<string | null> {
  if (await firstRow(db.select({ id: campaignMilestones.id }).from(campaignMilestones).where(eq(campaignMilestones.campaignId, campaignId)))) return null
  const added = await addDefaultMilestones(db, { campaignId, organizerId: null })
  return added > 0 ? `${added} milestones` : null
}
