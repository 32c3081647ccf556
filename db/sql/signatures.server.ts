import { sql, type AnyColumn, type SQL } from 'drizzle-orm'
import { engineOf, type Handle } from '../client.server.ts'

/**
 * Engine-specific SQL for signing and its back office, in one place.
 *
 * Drizzle has no date functions: turning a time stored as milliseconds since 1970 into a
 * calendar day needs the engine's own (`strftime` in SQLite, `to_char` in Postgres).
 */

/** The UTC calendar day ('YYYY-MM-DD') of a column holding epoch milliseconds, for SELECT and GROUP BY on `db`'s engine. */
export function utcDay(db: Handle, epochMs: AnyColumn): SQL<string> {
  return engineOf(db) === 'postgres'
    ? sql<string>`to_char(to_timestamp(${epochMs} / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')`
    : sql<string>`strftime('%Y-%m-%d', ${epochMs} / 1000, 'unixepoch')`
}
