import type pg from 'pg'
import { driverOf, engineOf, preparedPerConnection, sqliteOf, statementName, type Handle } from '../client.server.ts'
import { onPostgres as runOnPostgres } from '../query.server.ts'

/**
 * A whole raw statement of db/sql/* on either engine, for the ones that run often enough to be
 * prepared: SQLite's text (with `?` or `@name` placeholders) prepared once per connection, and
 * Postgres' text, by default the same with SQLite's index hints (`indexed by …`, the unary `+`
 * on a column) left out and the placeholders numbered ($1, $2, …). Postgres prepares it once per
 * pooled connection under a name of its own. Parameters: values in order for `?`, an object for
 * `@name`. Aliases that are not all lower case must be quoted ("oldestId"): Postgres folds them.
 *
 * `planEachRun`: Postgres plans it at every run instead. For figures that count ranges a surge
 * grows by orders: after five runs Postgres may keep one plan for all (for a statement without
 * parameters, from the first), and one made while the outbox was empty scans all of it once a
 * surge has filled it, until autovacuum's ANALYZE (outbox-stats.test.ts). They run a few times
 * a second at most, so planning costs nothing that matters.
 */
export type RawStatement<Row> = {
  all: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<Row[]>
  get: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<Row | undefined>
  run: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<{ changes: number }>
  /** Postgres only: how many rows its scans read (EXPLAIN ANALYZE), for the tests that keep it on its index. */
  rowsRead: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<number>
}

export function rawStatement<Row>(sqliteText: string, { postgresText, planEachRun = false }: { postgresText?: string; planEachRun?: boolean } = {}): RawStatement<Row> {
  const prepared = preparedPerConnection((db) => sqliteOf(db).prepare(sqliteText))
  const postgres = toPostgres(postgresText ?? withoutIndexHints(sqliteText))
  const name = planEachRun ? undefined : statementName(postgres.text)
  const sqliteArgs = (params: unknown[] | Record<string, unknown> = []) => (Array.isArray(params) ? params : [params])
  const valuesOf = (params: unknown[] | Record<string, unknown> = []) => (Array.isArray(params) ? params : postgres.names.map((n) => params[n]))
  const onPostgres = async (handle: Handle, params?: unknown[] | Record<string, unknown>) =>
    runOnPostgres(() => (driverOf(handle) as pg.Pool | pg.PoolClient).query({ name, text: postgres.text, values: valuesOf(params) }))
  return {
    async all(handle, params) {
      if (engineOf(handle) === 'sqlite') return prepared(handle).all(...sqliteArgs(params)) as Row[]
      return (await onPostgres(handle, params)).rows as Row[]
    },
    async get(handle, params) {
      if (engineOf(handle) === 'sqlite') return prepared(handle).get(...sqliteArgs(params)) as Row | undefined
      return (await onPostgres(handle, params)).rows[0] as Row | undefined
    },
    async run(handle, params) {
      if (engineOf(handle) === 'sqlite') return { changes: prepared(handle).run(...sqliteArgs(params)).changes }
      return { changes: (await onPostgres(handle, params)).rowCount ?? 0 }
    },
    async rowsRead(handle, params) {
      if (engineOf(handle) !== 'postgres') throw new Error('rowsRead: Postgres only (SQLite has EXPLAIN QUERY PLAN)')
      // EXPLAIN ANALYZE runs the statement: reads only.
      if (!/^\s*select\b/i.test(postgres.text)) throw new Error('rowsRead: a select only (EXPLAIN ANALYZE would run the write)')
      const text = `explain (analyze, format json) ${postgres.text}`
      const { rows } = await runOnPostgres(() => (driverOf(handle) as pg.Pool | pg.PoolClient).query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>({ text, values: valuesOf(params) }))
      return scannedRows(rows[0]!['QUERY PLAN'][0].Plan)
    },
  }
}

type PlanNode = { 'Node Type': string; 'Actual Rows': number; 'Actual Loops': number; 'Rows Removed by Filter'?: number; 'Rows Removed by Index Recheck'?: number; Plans?: PlanNode[] }

/** Rows the plan's scans read from tables: what they returned and what their filters dropped, on every loop. */
function scannedRows(node: PlanNode): number {
  const own = / Scan$/.test(node['Node Type']) && node['Node Type'] !== 'Bitmap Index Scan'
    ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops']
    : 0
  return own + (node.Plans ?? []).reduce((total, child) => total + scannedRows(child), 0)
}

/** SQLite's planner hints have no Postgres equivalent (nor need: Postgres keeps statistics). */
export function withoutIndexHints(text: string) {
  return text.replace(/\s+indexed by \w+/gi, '').replace(/\+(?=\w+\.\w+)/g, '')
}

/** `?` → $1, $2, … in order; `@name` → one number per name (a name used twice keeps its number). */
function toPostgres(text: string): { text: string; names: string[] } {
  const names: string[] = []
  let position = 0
  const numbered = text.replace(/\?|@(\w+)/g, (_, name: string | undefined) => {
    if (name === undefined) return `$${++position}`
    let index = names.indexOf(name)
    if (index === -1) index = names.push(name) - 1
    return `$${index + 1}`
  })
  return { text: numbered, names }
}
