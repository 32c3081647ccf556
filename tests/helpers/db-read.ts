import { sql, type SQL } from 'drizzle-orm'
import { closeDatabase, engineOf, type DB } from '#db/client.server.ts'
import { rawExecute, rawRows } from '#db/query.server.ts'
import { openServerDatabase } from './engine.ts'

/**
 * Tests read (and now and then arrange) a server's rows with plain SQL, on either engine: `?`
 * placeholders as on SQLite, run through db/query.server.ts. The SQL must be what both engines
 * accept (aliases in double quotes where their case matters, `returning id` instead of
 * lastInsertRowid, `true`/`false` for booleans).
 *
 * Rows look the same on both engines: Postgres' booleans come back as 1 and 0, as SQLite gives
 * them (bigint and numeric are numbers already, db/client.server.ts); JS booleans passed as
 * parameters go to SQLite as 1 and 0.
 */
export type ServerSql = {
  db: DB
  all: <T = Record<string, unknown>>(text: string, ...params: unknown[]) => Promise<T[]>
  get: <T = Record<string, unknown>>(text: string, ...params: unknown[]) => Promise<T | undefined>
  /** The first column of every row. */
  column: <T = unknown>(text: string, ...params: unknown[]) => Promise<T[]>
  run: (text: string, ...params: unknown[]) => Promise<{ changes: number }>
  close: () => Promise<void>
}

function statement(db: DB, text: string, params: unknown[]): SQL {
  const parts = text.split('?')
  if (parts.length - 1 !== params.length) throw new Error(`${parts.length - 1} placeholders, ${params.length} values: ${text}`)
  const sqlite = engineOf(db) === 'sqlite'
  const chunks: SQL[] = [sql.raw(parts[0]!)]
  params.forEach((value, i) => chunks.push(sql`${sqlite && typeof value === 'boolean' ? Number(value) : value}`, sql.raw(parts[i + 1]!)))
  return sql.join(chunks)
}

function sqliteShaped<T>(rows: unknown[]): T[] {
  for (const row of rows as Record<string, unknown>[]) {
    for (const key of Object.keys(row)) if (typeof row[key] === 'boolean') row[key] = Number(row[key])
  }
  return rows as T[]
}

/** Plain SQL on a database handle (either engine). */
export function sqlOn(db: DB): Omit<ServerSql, 'close'> {
  const all = async <T>(text: string, ...params: unknown[]) => sqliteShaped<T>(await rawRows(db, statement(db, text, params)))
  return {
    db,
    all,
    get: async <T>(text: string, ...params: unknown[]) => (await all<T>(text, ...params))[0],
    column: async <T>(text: string, ...params: unknown[]) => (await all<Record<string, T>>(text, ...params)).map((row) => Object.values(row)[0]!),
    run: (text: string, ...params: unknown[]) => rawExecute(db, statement(db, text, params)),
  }
}

/** A running server's database (its SQLite file or its Postgres database) to read with plain SQL; close it when done. */
export function openServerSql(server: { databasePath: string; databaseUrl: string | null }): ServerSql {
  const db = openServerDatabase(server)
  return { ...sqlOn(db), close: () => closeDatabase(db) }
}

/** What a project script (recount, retention, organizer:create…) needs to work on a server's database, either engine. */
export function scriptEnv(server: { databasePath: string; databaseUrl: string | null }): Record<string, string> {
  return { DATABASE_PATH: server.databasePath, DATABASE_URL: server.databaseUrl ?? '' }
}
