import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import * as schema from './schema.ts'

export type DB = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export function databasePath() {
  return path.resolve(process.env.DATABASE_PATH ?? './data/vigil.db')
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
 * Statements prepared once per connection, for paths that run on every request:
 * building and compiling a query costs more than running it.
 */
export function preparedPerConnection<T>(prepare: (db: DB) => T): () => T {
  const cache = new WeakMap<DB, T>()
  return () => {
    const db = getDb()
    let prepared = cache.get(db)
    if (!prepared) cache.set(db, (prepared = prepare(db)))
    return prepared
  }
}

/** The handle a synchronous transaction callback receives. */
export type Tx = Parameters<Parameters<DB['transaction']>[0]>[0]
