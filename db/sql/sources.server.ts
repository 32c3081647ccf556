import { sql } from 'drizzle-orm'
import type { Handle } from '../client.server.ts'
import { rawRows } from '../query.server.ts'

/**
 * Confirmed signatures of a campaign per source tag (untagged ones left out), for the sharing
 * page's figures. Raw because it names its index (`INDEXED BY signatures_campaign_source_idx`):
 * without the hint SQLite's planner walks the campaign's status index and reads every row,
 * and Drizzle's builder has no way to say INDEXED BY. SQLite-specific (Postgres has no index
 * hints; there the same query without the clause is the one to use).
 */
export async function confirmedSignaturesBySource(db: Handle, campaignId: number): Promise<{ source: string; n: number }[]> {
  return await rawRows(db, sql`
    select source, count(*) as n from signatures indexed by signatures_campaign_source_idx
    where campaign_id = ${campaignId} and source is not null and status = 'confirmed' group by source`)
}
