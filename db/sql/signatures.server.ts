import { sql, type AnyColumn, type SQL } from 'drizzle-orm'

/**
 * Engine-specific SQL for signing and its back office, in one place.
 *
 * Drizzle has no date functions: turning a time stored as milliseconds since 1970 into a
 * calendar day needs the engine's own. SQLite-specific (`strftime`); on Postgres the same
 * day is `to_char(to_timestamp(ms / 1000) at time zone 'UTC', 'YYYY-MM-DD')`.
 */

/** The UTC calendar day ('YYYY-MM-DD') of a column holding epoch milliseconds, for SELECT and GROUP BY. */
export function utcDay(epochMs: AnyColumn): SQL<string> {
  return sql<string>`strftime('%Y-%m-%d', ${epochMs} / 1000, 'unixepoch')`
}
