import { sql } from 'drizzle-orm'
import pg from 'pg'
import { driverOf, engineOf, holdConnection, sqliteOf, type DB, type Tx } from '../client.server.ts'
import { rawExecute } from '../query.server.ts'

/**
 * What sealing an upgraded database's plaintext (app/models/seal-existing.server.ts) needs in each
 * engine's own words: a lock that makes every process starting at once wait for the one sealing
 * (so none serves before the plaintext is gone), and the scrub of the bytes the rewritten rows leave.
 */

// Apart from the migration's lock (db/migrate.ts): a process waits for migrating, then for sealing.
const SEALING_LOCK = 7_164_312

/**
 * Run `work` while holding the sealing lock. Postgres: a session advisory lock on a connection of
 * its own, WAITED for (not skipped), so a second app server starting meanwhile serves only once
 * the first has finished. SQLite: the work runs; the batches are IMMEDIATE transactions that take
 * only rows still plain, so two processes on one file share the work without doing any twice.
 */
export async function withSealingLock<T>(db: DB, work: () => Promise<T>): Promise<T> {
  const driver = driverOf(db)
  if (!(driver instanceof pg.Pool)) return work()
  const { client, release } = await holdConnection(driver)
  let broken: Error | undefined
  try {
    await client.query('select pg_advisory_lock($1)', [SEALING_LOCK])
    try {
      return await work()
    } finally {
      try {
        await client.query('select pg_advisory_unlock($1)', [SEALING_LOCK])
      } catch (error) {
        broken = error as Error
      }
    }
  } finally {
    release(broken)
  }
}

/**
 * Remove the plaintext the rewritten rows left behind. SQLite: VACUUM rewrites the file without
 * its free pages, then the write-ahead log is checkpointed and truncated; `complete` is false when
 * another connection's reader kept either from finishing (the next start tries again). Postgres:
 * VACUUM marks the dead row versions' space reusable; only VACUUM FULL (or pg_repack) rewrites the
 * tables, which locks them, so it is left to the operator (README), as are old WAL archives.
 */
export async function scrubFreedBytes(db: DB, tables: string[]): Promise<{ complete: boolean }> {
  if (engineOf(db) === 'sqlite') {
    const sqlite = sqliteOf(db)
    try {
      sqlite.exec('VACUUM')
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return { complete: false }
      throw error
    }
    const [result] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
    return { complete: result?.busy === 0 }
  }
  const names = sql.join(
    tables.map((table) => sql.identifier(table)),
    sql`, `,
  )
  await rawExecute(db, sql`vacuum ${names}`)
  return { complete: true }
}

/**
 * One UPDATE for a whole batch of rows by id: `columns` take each row's values (text), `blank`
 * columns become null. Row by row, Postgres spent a round trip per row: sealing a million rows
 * took most of an hour; one statement per 500 rows takes minutes. `(values …) as v` names its
 * columns column1, column2… on both engines.
 */
export async function updateRowsById(tx: Tx, table: string, { columns, blank = [], rows }: { columns: string[]; blank?: string[]; rows: { id: number; values: (string | null)[] }[] }) {
  if (rows.length === 0) return { changes: 0 }
  const target = sql.identifier(table)
  const sets = [
    ...columns.map((column, i) => sql`${sql.identifier(column)} = v.${sql.raw(`column${i + 2}`)}`),
    ...blank.map((column) => sql`${sql.identifier(column)} = null`),
  ]
  const values = rows.map(
    (row) =>
      sql`(cast(${row.id} as bigint), ${sql.join(
        row.values.map((value) => sql`cast(${value} as text)`),
        sql`, `,
      )})`,
  )
  return rawExecute(tx, sql`update ${target} set ${sql.join(sets, sql`, `)} from (values ${sql.join(values, sql`, `)}) as v where ${target}.id = v.column1`)
}
