import { and, eq, isNull, max } from 'drizzle-orm'
import type { DB } from '../../db/client.server.ts'
import { execute, firstRow } from '../../db/query.server.ts'
import { transaction } from '../../db/transaction.server.ts'
import { auditLog, campaignMilestones, campaigns, signatures } from '../../db/schema.ts'
import { addDefaultMilestones } from '../../app/models/milestones.server.ts'

/**
 * The demo campaign's milestones: the defaults from the rising goal, those its count has already
 * passed stored as passed ('setup', no emails). Added once, after the history (its signatures)
 * and the targets (the texts name them): a campaign with any milestone is left as it is, so
 * seeding again never brings back one an organiser deleted. Returns the seed summary's note.
 *
 * The demo is the same data on every run and has nothing ahead of the clock it was seeded at: the
 * milestones are dated at the campaign's last confirmation (else its creation), not at the moment
 * the seed ran, and so are their audit lines.
 */
export async function seedMilestones(db: DB, { campaignId }: { campaignId: number }): Promise<string | null> {
  if (await firstRow(db.select({ id: campaignMilestones.id }).from(campaignMilestones).where(eq(campaignMilestones.campaignId, campaignId)))) return null
  const campaign = await firstRow(db.select({ createdAt: campaigns.createdAt }).from(campaigns).where(eq(campaigns.id, campaignId)))
  if (!campaign) return null
  const last = await firstRow(db.select({ at: max(signatures.confirmedAt) }).from(signatures).where(eq(signatures.campaignId, campaignId)))
  const now = Math.max(campaign.createdAt, last?.at ?? 0)
  const added = await addDefaultMilestones(db, { campaignId, organizerId: null, now })
  await transaction(db, (tx) =>
    execute(tx.update(auditLog)
      .set({ createdAt: now })
      .where(and(eq(auditLog.action, 'milestone.save'), eq(auditLog.subjectId, String(campaignId)), isNull(auditLog.organizerId)))))
  return added > 0 ? `${added} milestones` : null
}
