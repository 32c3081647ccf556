import { and, desc, eq, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle } from '#db/client.server.ts'
import { signatures } from '#db/schema.ts'
import { allRows } from '#db/query.server.ts'

/**
 * What a campaign whose supporters may be at risk (`campaigns.at_risk`, issue 16) shows in
 * place of names: recent signers by country only. The query reads no name at all, so none can
 * reach the page however it is rendered.
 */
const queries = preparedPerConnection((db: DB) => ({
  recentCountries: db
    .select({ country: signatures.country })
    .from(signatures)
    .where(and(eq(signatures.campaignId, sql.placeholder('campaignId')), eq(signatures.status, 'confirmed')))
    .orderBy(desc(signatures.confirmedAt))
    .limit(sql.placeholder('limit'))
    .prepare(),
}))

/** The countries of the latest confirmed signers, newest first (every signer: none of them is named). */
export async function listRecentSignerCountries(db: Handle, { campaignId, limit = 8 }: { campaignId: number; limit?: number }) {
  return (await allRows(queries(db).recentCountries, { campaignId, limit })).map((r) => r.country)
}
