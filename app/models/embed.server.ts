/**
 * Which sites may frame a campaign's embed pages. Read on every uncached embed view (one
 * indexed lookup by slug), written from the back office; a change purges the page cache,
 * since cached embed pages carry the policy built from the list.
 */
import { asc, eq } from 'drizzle-orm'
import { getDb, legacyPreparedPerConnection } from '#db/client.server.ts'
import { campaignFrameOrigins } from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'

const queries = legacyPreparedPerConnection((db) => ({
  bySlug: db.$client.prepare(
    `select f.origin as origin from campaign_frame_origins f join campaigns c on c.id = f.campaign_id where c.slug = ? order by f.created_at, f.origin`,
  ),
}))

/** The origins allowed to frame the campaign with this slug (none for an unknown slug). */
export function getFrameOriginsBySlug({ slug }: { slug: string }): string[] {
  return (queries().bySlug.all(slug) as { origin: string }[]).map((row) => row.origin)
}

export async function listFrameOrigins({ campaignId }: { campaignId: number }) {
  return getDb()
    .select({ origin: campaignFrameOrigins.origin })
    .from(campaignFrameOrigins)
    .where(eq(campaignFrameOrigins.campaignId, campaignId))
    .orderBy(asc(campaignFrameOrigins.createdAt), asc(campaignFrameOrigins.origin))
    .all()
    .map((row) => row.origin)
}

/** Replaces the list with `origins` (already normalised by parseOriginList), in one transaction with its audit entry. */
export async function saveFrameOrigins({ actorId, campaignId, origins }: { actorId: number; campaignId: number; origins: string[] }) {
  const db = getDb()
  db.transaction((tx) => {
    const before = tx.select({ origin: campaignFrameOrigins.origin }).from(campaignFrameOrigins).where(eq(campaignFrameOrigins.campaignId, campaignId)).all().map((r) => r.origin)
    const added = origins.filter((o) => !before.includes(o))
    const removed = before.filter((o) => !origins.includes(o))
    if (added.length === 0 && removed.length === 0) return
    tx.delete(campaignFrameOrigins).where(eq(campaignFrameOrigins.campaignId, campaignId)).run()
    const at = Date.now()
    if (origins.length > 0) tx.insert(campaignFrameOrigins).values(origins.map((origin, i) => ({ campaignId, origin, createdAt: at + i }))).run()
    recordAudit(tx, { organizerId: actorId, action: 'campaign.frame_origins', subjectType: 'campaign', subjectId: campaignId, details: { added, removed } })
  })
  purgePublicPages()
}
