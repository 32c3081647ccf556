import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { readVariable } from '../app/utils/config.server.ts'
import * as schema from './schema.ts'

/** The database: the process-wide connection (or one a test or script opened). */
export type DB = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

declare const inTransaction: unique symbol
/**
 * A handle inside an open transaction; only `transaction()` (db/transaction.server.ts) makes
 * one. A function that takes `Tx` writes, and says so in its signature: its writes commit or
 * roll back with whatever else the transaction does.
 */
export type Tx = DB & { readonly [inTransaction]: true }

/** What a function that only reads takes: the database, or a transaction to read inside it. */
export type Handle = DB | Tx

/** DATABASE_PATH, by the configuration's rule (app/utils/config.server.ts), which also gives the default. */
export function databasePath() {
  return readVariable('DATABASE_PATH')
}

export function openDatabase(file = databasePath()): DB {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL')
  // SQLite's default page cache is 2 MB. At a million signatures the indexes a signature
  // writes into (addresses, tokens) are far larger, and every random insert would go back to
  // the OS for its pages: keep up to 64 MB of them in the process.
  sqlite.pragma('cache_size = -65536')
  sqlite.pragma('mmap_size = 268435456')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  return drizzle(sqlite, { schema }) as DB
}

declare global {
  var __vigilDb: DB | undefined
}

/** The process-wide connection, opened on first use (kept across dev reloads). */
export function getDb(): DB {
  globalThis.__vigilDb ??= openDatabase()
  return globalThis.__vigilDb
}

/**
 * Statements prepared once per connection, for paths that run on every request: building
 * and compiling a query costs more than running it. Keyed by the connection under the
 * handle, so a transaction's handle finds the statements of its database.
 */
export function preparedPerConnection<T>(prepare: (db: DB) => T): (handle: Handle) => T {
  const cache = new WeakMap<object, T>()
  return (handle) => {
    const key = handle.$client
    let prepared = cache.get(key)
    if (!prepared) cache.set(key, (prepared = prepare(handle)))
    return prepared
  }
}

