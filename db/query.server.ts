import type { SQL } from 'drizzle-orm'
import type { Handle } from './client.server.ts'
import { DatabaseError } from './errors.server.ts'

/**
 * How a statement runs, on either engine. A model builds it with Drizzle (typed by the SQLite
 * dialect, db/client.server.ts) and hands it here: SQLite's driver runs it at once and
 * synchronously (`get`, `all`, `run`), Postgres' through the pool or the transaction's
 * connection (`execute`). Prepared statements take their placeholder values as `params`.
 */
type Executable = { execute?: (params?: Record<string, unknown>) => Promise<unknown> }

/** Run on Postgres; a failure comes back without the statement's parameters (db/errors.server.ts). */
export async function onPostgres<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new DatabaseError(error)
  }
}

/** The first row, or undefined. */
export async function firstRow<T>(query: { get(params?: Record<string, unknown>): T }, params?: Record<string, unknown>): Promise<T> {
  if (typeof query.get === 'function') return query.get(params)
  const rows = await onPostgres(() => (query as Executable).execute!(params))
  return (Array.isArray(rows) ? rows[0] : undefined) as T
}

/** Every row. */
export async function allRows<T>(query: { all(params?: Record<string, unknown>): T[] }, params?: Record<string, unknown>): Promise<T[]> {
  // node-postgres' prepared statements have an `all` too, which returns rows unmapped (snake_case, no nesting): not theirs.
  if (typeof query.all === 'function' && typeof (query as { get?: unknown }).get === 'function') return query.all(params)
  return (await onPostgres(() => (query as Executable).execute!(params))) as T[]
}

/** A write without rows back; `changes` is how many rows it touched. */
export async function execute(query: { run(params?: Record<string, unknown>): unknown }, params?: Record<string, unknown>): Promise<{ changes: number }> {
  if (typeof query.run === 'function') {
    const result = query.run(params) as { changes: number }
    return { changes: result.changes }
  }
  const result = (await onPostgres(() => (query as Executable).execute!(params))) as { rowCount?: number | null } | unknown[]
  return { changes: Array.isArray(result) ? result.length : (result.rowCount ?? 0) }
}

type RawHandle = {
  all?: (query: SQL) => unknown[]
  run?: (query: SQL) => { changes: number }
  execute?: (query: SQL) => Promise<{ rows: unknown[]; rowCount: number | null }>
}

/** A whole raw statement's rows (db/sql/* only: everywhere else the builder writes the SQL). */
export async function rawRows<T>(handle: Handle, query: SQL): Promise<T[]> {
  const h = handle as unknown as RawHandle
  if (h.execute) return (await onPostgres(() => h.execute!(query))).rows as T[]
  return h.all!(query) as T[]
}

export async function rawFirstRow<T>(handle: Handle, query: SQL): Promise<T | undefined> {
  return (await rawRows<T>(handle, query))[0]
}

export async function rawExecute(handle: Handle, query: SQL): Promise<{ changes: number }> {
  const h = handle as unknown as RawHandle
  if (h.execute) return { changes: (await onPostgres(() => h.execute!(query))).rowCount ?? 0 }
  return { changes: h.run!(query).changes }
}
