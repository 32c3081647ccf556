import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { campaigns, donations, type DonorWallStatus } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'
import { openDonation } from './personal-data.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * The donor wall's entries (a donor's name and message) are moderated like messages of
 * support: each gift that asks to show something starts `pending` (or `approved` when the
 * campaign publishes at once), an editor approves or hides it, and only approved entries of
 * paid gifts reach the public page (listDonorWall). Amounts and addresses are never part
 * of an entry.
 */

type SealedEntry = { id: number; sealed: string | null; paidAt: number | null }

/** An entry as shown: the name and message opened from the row (ADR 017); none once the donor was forgotten. */
function openEntries(rows: SealedEntry[]) {
  return rows.flatMap(({ id, sealed, paidAt }) => {
    const data = openDonation(sealed)
    return data?.publicName ? [{ id, name: data.publicName, message: data.message, paidAt }] : []
  })
}

/**
 * The donor wall: approved names and messages donors chose to show, never amounts. One entry per gift, not per month.
 * `wall_status` is set only for a gift that gave a public name, so it stands for the sealed name in the query.
 */
export async function listDonorWall(db: Handle, { campaignId, limit = 12 }: { campaignId: number; limit?: number }) {
  return openEntries(await allRows(db
    .select({ id: donations.id, sealed: donations.sealed, paidAt: donations.paidAt })
    .from(donations)
    .where(
      and(
        eq(donations.campaignId, campaignId),
        eq(donations.status, 'succeeded'),
        eq(donations.wallStatus, 'approved'),
        sql`${donations.parentId} is null`,
        sql`${donations.sealed} is not null`,
      ),
    )
    .orderBy(sql`${donations.paidAt} desc`)
    .limit(limit)))
}

/** Entries of paid gifts in one state: what an editor reads to decide, nothing more. */
export async function listDonorWallForModeration(db: Handle, { campaignId, status }: { campaignId: number; status: DonorWallStatus }) {
  return openEntries(await allRows(db
    .select({ id: donations.id, sealed: donations.sealed, paidAt: donations.paidAt })
    .from(donations)
    .where(and(eq(donations.campaignId, campaignId), eq(donations.wallStatus, status), sql`${donations.paidAt} is not null`, sql`${donations.parentId} is null`))
    .orderBy(status === 'pending' ? asc(donations.paidAt) : desc(donations.paidAt))
    .limit(100)))
}

export async function countPendingDonorWall(db: Handle, { campaignId }: { campaignId: number }) {
  return (
    (await firstRow(db
      .select({ n: sql<number>`count(*)` })
      .from(donations)
      .where(and(eq(donations.campaignId, campaignId), eq(donations.wallStatus, 'pending'), sql`${donations.paidAt} is not null`, sql`${donations.parentId} is null`))))?.n ?? 0
  )
}

/** Approve or hide one entry of this campaign; false when there is no such entry. */
export async function moderateDonorWallEntry(
  db: Handle,
  {
    actorId,
    campaignId,
    donationId,
    decision,
  }: {
    actorId: number
    campaignId: number
    donationId: number
    decision: 'approved' | 'hidden'
  },
) {
  const changed = await transaction(db, async (tx) => {
    const result = await execute(tx
      .update(donations)
      .set({ wallStatus: decision })
      .where(and(eq(donations.id, donationId), eq(donations.campaignId, campaignId), sql`${donations.wallStatus} is not null`, sql`${donations.parentId} is null`)))
    if (result.changes === 0) return false
    await recordAudit(tx, { organizerId: actorId, action: `donor_wall.${decision === 'approved' ? 'approve' : 'hide'}`, subjectType: 'donation', subjectId: donationId, details: { campaignId } })
    return true
  })
  if (changed) purgePublicPages()
  return changed
}

/** Whether new entries wait for approval (the default) or show at once. Entries already in are left as they are. */
export async function setDonorWallNeedsApproval(db: Handle, { actorId, campaignId, needsApproval }: { actorId: number; campaignId: number; needsApproval: boolean }) {
  await transaction(db, async (tx) => {
    const result = await execute(tx
      .update(campaigns)
      .set({ donorWallNeedsApproval: needsApproval })
      .where(and(eq(campaigns.id, campaignId), sql`${campaigns.donorWallNeedsApproval} <> ${needsApproval ? 1 : 0}`)))
    if (result.changes === 0) return
    await recordAudit(tx, { organizerId: actorId, action: 'donor_wall.setting', subjectType: 'campaign', subjectId: campaignId, details: { needsApproval } })
  })
}

export async function getDonorWallNeedsApproval(db: Handle, { campaignId }: { campaignId: number }) {
  return (await firstRow(db.select({ v: campaigns.donorWallNeedsApproval }).from(campaigns).where(eq(campaigns.id, campaignId))))?.v ?? true
}
