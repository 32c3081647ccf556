import { getTableName, sql, type Table } from 'drizzle-orm'
import pg from 'pg'
import { driverOf, engineOf, holdConnection, statementName, type Handle, type Tx } from './client.server.ts'
import { onPostgres, rawExecute } from './query.server.ts'

/**
 * Locks for several app servers on one database. On SQLite they cost nothing: a write
 * transaction there is IMMEDIATE and holds the file's one write lock from BEGIN, so a
 * read-then-write inside it cannot interleave with another writer. On Postgres (READ
 * COMMITTED, many connections) they are what makes such a read-then-write safe:
 *
 * - `serializeOn(tx, keys)`: transaction-level advisory locks, one per key, taken in a fixed
 *   order (no deadlock between two holders of the same keys) and released at commit or
 *   rollback; the statements after it see everything the previous holder committed.
 * - `forUpdate(handle, query)`: a select that row-locks what it reads (SELECT … FOR UPDATE)
 *   and, when it waited, returns the row as the other transaction committed it.
 * - `lockTablesAgainstWrites(tx, tables)`: no insert, update or delete on these tables until
 *   this transaction ends (a recount that must not miss a move made while it counts).
 * - `withJobLock(db, name, work)`: one runner of a periodic job at a time across processes.
 */

/** Take a transaction-level lock on each key (sorted, so two holders of the same keys never deadlock). */
export async function serializeOn(tx: Tx, keys: string[]) {
  if (engineOf(tx) !== 'postgres' || keys.length === 0) return
  const held = heldFromStart.get(tx)
  const sorted = [...new Set(keys)].filter((key) => !held?.has(key)).sort()
  if (sorted.length === 0) return
  // All keys in one statement, in the array's order (one round trip, however many keys).
  await onPostgres(() => (driverOf(tx) as pg.PoolClient).query({ name: SERIALIZE_ON, text: SERIALIZE_ON_TEXT, values: [sorted] }))
}

/**
 * serializeOn for every key a transaction will ask for, at its start (before any savepoint: a
 * lock taken in a savepoint that rolls back is let go); serializeOn on these later costs
 * nothing. A group commit's batch (db/batched-writer.server.ts).
 */
export async function serializeWholeTransactionOn(tx: Tx, keys: string[]) {
  await serializeOn(tx, keys)
  heldFromStart.set(tx, new Set(keys))
}
const heldFromStart = new WeakMap<Tx, Set<string>>()

// One class of advisory keys for Vigil's locks, hashtext('vigil') (the two-int form: apart from the migration's lock).
const SERIALIZE_ON_TEXT =
  `select pg_advisory_xact_lock(hashtext('vigil'), hashtext(key)) from unnest($1::text[]) with ordinality as keys(key, position) order by position`
const SERIALIZE_ON = statementName(SERIALIZE_ON_TEXT)

/** The query, locking the rows it reads until the transaction ends (Postgres); unchanged on SQLite. */
export function forUpdate<Q>(handle: Handle, query: Q): Q {
  if (engineOf(handle) !== 'postgres') return query
  // On Postgres the handle builds Postgres queries (db/client.server.ts), which have `.for()`.
  return (query as unknown as { for(strength: 'update'): Q }).for('update')
}

/** Writers to these tables wait until this transaction ends (readers do not); nothing on SQLite. */
export async function lockTablesAgainstWrites(tx: Tx, tables: Table[]) {
  if (engineOf(tx) !== 'postgres' || tables.length === 0) return
  const names = sql.join(
    tables.map((table) => sql.identifier(getTableName(table))),
    sql`, `,
  )
  await rawExecute(tx, sql`lock table ${names} in share row exclusive mode`)
}

/**
 * Run `work` unless another process runs the job `name` now: its result, or `{ skipped: true }`.
 * Postgres: a session advisory lock on a pooled connection of its own, held while the work
 * runs (the work uses the pool as usual) and released after, or by Postgres when that
 * connection dies with its process. SQLite: the work runs; processes sharing the file take
 * turns at each of the job's write transactions, which take only rows not yet done.
 */
export async function withJobLock<T>(db: Handle, name: string, work: () => Promise<T>): Promise<{ skipped: false; result: T } | { skipped: true }> {
  if (engineOf(db) !== 'postgres') return { skipped: false, result: await work() }
  const driver = driverOf(db)
  // A job is a series of transactions of its own: it starts from the database, never inside one.
  if (!(driver instanceof pg.Pool)) throw new Error(`withJobLock(${name}): pass the database, not a transaction`)
  const { client, release } = await holdConnection(driver)
  let broken: Error | undefined
  try {
    const taken = await client.query<{ taken: boolean }>(`select pg_try_advisory_lock(hashtext('vigil'), hashtext($1)) as taken`, [`job:${name}`])
    if (!taken.rows[0]?.taken) return { skipped: true }
    try {
      return { skipped: false, result: await work() }
    } finally {
      try {
        await client.query(`select pg_advisory_unlock(hashtext('vigil'), hashtext($1))`, [`job:${name}`])
      } catch (error) {
        // The connection is gone, and the lock with it; the pool must not hand it out again.
        broken = error as Error
      }
    }
  } finally {
    release(broken)
  }
}
