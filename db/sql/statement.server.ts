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
 */
export type RawStatement<Row> = {
  all: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<Row[]>
  get: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<Row | undefined>
  run: (handle: Handle, params?: unknown[] | Record<string, unknown>) => Promise<{ changes: number }>
}

export function rawStatement<Row>(sqliteText: string, postgresText?: string): RawStatement<Row> {
  const prepared = preparedPerConnection((db) => sqliteOf(db).prepare(sqliteText))
  const postgres = toPostgres(postgresText ?? withoutIndexHints(sqliteText))
  const name = statementName(postgres.text)
  const sqliteArgs = (params: unknown[] | Record<string, unknown> = []) => (Array.isArray(params) ? params : [params])
  const onPostgres = async (handle: Handle, params: unknown[] | Record<string, unknown> = []) => {
    const values = Array.isArray(params) ? params : postgres.names.map((n) => params[n])
    return runOnPostgres(() => (driverOf(handle) as pg.Pool | pg.PoolClient).query({ name, text: postgres.text, values }))
  }
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
  }
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
