import { sql } from 'drizzle-orm'
import type { Handle } from '../client.server.ts'
import { rawRows } from '../query.server.ts'

/**
 * Whole statements about donations that the Drizzle query builder cannot express. Each is
 * one named, typed function; its rows are declared here once.
 */

/** One calendar month: payments from `starts` (inclusive) to `ends` (exclusive), as epoch ms. */
export type MonthRange = { month: string; starts: number; ends: number }

export type MonthlySumRow = { month: string; currency: string; raisedMinor: number | null; grossMinor: number | null }

/**
 * Per currency and month, what the campaign's (or one fund's) payments in that month count
 * now and what was paid: one row for every currency paid in since `since` × every month, null
 * sums for a month without payments. The months are a `values` list in a CTE, and each sum is
 * a correlated range subquery over a covering index (grouping by a computed month would sort
 * every row): Drizzle has no CTE over `values` nor correlated scalar subqueries in a select.
 * Standard SQL (SQLite and Postgres both read it); the `values` are cast because Postgres
 * takes an untyped parameter there for text, and the camelCase aliases quoted because it folds them.
 */
export async function sumDonationsPerMonth(
  db: Handle,
  { campaignId, fundId, since, months }: { campaignId: number; fundId: number | null; since: number; months: MonthRange[] },
): Promise<MonthlySumRow[]> {
  const fund = fundId ? sql`and d.fund_id = ${fundId}` : sql``
  return await rawRows(db, sql`
    with m(starts, ends, month) as (values ${sql.join(
      months.map((c) => sql`(cast(${c.starts} as bigint), cast(${c.ends} as bigint), cast(${c.month} as text))`),
      sql`, `,
    )}),
    c(currency) as (select distinct d.currency from donations d where d.campaign_id = ${campaignId} ${fund} and d.paid_at >= ${since})
    select m.month as month, c.currency as currency,
      (select sum(d.counted_minor) from donations d
        where d.campaign_id = ${campaignId} ${fund} and d.currency = c.currency and d.paid_at >= m.starts and d.paid_at < m.ends) as "raisedMinor",
      (select sum(d.amount_minor) from donations d
        where d.campaign_id = ${campaignId} ${fund} and d.currency = c.currency and d.paid_at >= m.starts and d.paid_at < m.ends) as "grossMinor"
    from c, m
    order by c.currency, m.starts`)
}
