/**
 * Which sites may frame a campaign's embed pages. Read on every uncached embed view (one
 * indexed lookup by slug), written from the back office; a change purges the page cache,
 * since cached embed pages carry the policy built from the list.
 */
import { asc, eq, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle } from '#db/client.server.ts'
import { campaignFrameOrigins, campaigns } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'
import { allRows, execute } from '#db/query.server.ts'

const queries = preparedPerConnection((db: DB) => ({
  bySlug: db
    .select({ origin: campaignFrameOrigins.origin })
    .from(campaignFrameOrigins)
    .innerJoin(campaigns, eq(campaigns.id, campaignFrameOrigins.campaignId))
    .where(eq(campaigns.slug, sql.placeholder('slug')))
    .orderBy(asc(campaignFrameOrigins.createdAt), asc(campaignFrameOrigins.origin))
    .prepare(),
}))

/** The origins allowed to frame the campaign with this slug (none for an unknown slug). */
export async function getFrameOriginsBySlug(db: Handle, { slug }: { slug: string }): Promise<string[]> {
  return (await allRows(queries(db).bySlug, { slug })).map((row) => row.origin)
}

export async function listFrameOrigins(db: Handle, { campaignId }: { campaignId: number }) {
  const rows = await db
    .select({ origin: campaignFrameOrigins.origin })
    .from(campaignFrameOrigins)
    .where(eq(campaignFrameOrigins.campaignId, campaignId))
    .orderBy(asc(campaignFrameOrigins.createdAt), asc(campaignFrameOrigins.origin))
  return rows.map((row) => row.origin)
}

/** Replaces the list with `origins` (already normalised by parseOriginList), in one transaction with its audit entry. */
export async function saveFrameOrigins(db: Handle, { actorId, campaignId, origins }: { actorId: number; campaignId: number; origins: string[] }) {
  await transaction(db, async (tx) => {
    const before = (await tx.select({ origin: campaignFrameOrigins.origin }).from(campaignFrameOrigins).where(eq(campaignFrameOrigins.campaignId, campaignId))).map((r) => r.origin)
    const added = origins.filter((o) => !before.includes(o))
    const removed = before.filter((o) => !origins.includes(o))
    if (added.length === 0 && removed.length === 0) return
    await execute(tx.delete(campaignFrameOrigins).where(eq(campaignFrameOrigins.campaignId, campaignId)))
    const at = Date.now()
    if (origins.length > 0) await execute(tx.insert(campaignFrameOrigins).values(origins.map((origin, i) => ({ campaignId, origin, createdAt: at + i }))))
    await recordAudit(tx, { organizerId: actorId, action: 'campaign.frame_origins', subjectType: 'campaign', subjectId: campaignId, details: { added, removed } })
  })
  purgePublicPages()
}
