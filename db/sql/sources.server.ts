import { sql } from 'drizzle-orm'
import { engineOf, type Handle } from '../client.server.ts'
import { rawRows } from '../query.server.ts'

/**
 * Confirmed signatures of a campaign per source tag (untagged ones left out), for the sharing
 * page's figures. Raw because it names its index (`INDEXED BY signatures_campaign_source_idx`):
 * without the hint SQLite's planner walks the campaign's status index and reads every row,
 * and Drizzle's builder has no way to say INDEXED BY. The hint is SQLite's own: Postgres has
 * none (its planner has statistics) and runs the same query without it.
 */
export async function confirmedSignaturesBySource(db: Handle, campaignId: number): Promise<{ source: string; n: number }[]> {
  const hint = engineOf(db) === 'sqlite' ? sql` indexed by signatures_campaign_source_idx` : sql``
  return await rawRows(db, sql`
    select source, count(*) as n from signatures${hint}
    where campaign_id = ${campaignId} and source is not null and status = 'confirmed' group by source`)
}
