import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { readVariable } from '../app/utils/config.server.ts'
import * as schema from './schema.ts'

export type Engine = 'sqlite' | 'postgres'

/**
 * The database: the process-wide one (or one a test or script opened), on either engine.
 * Models are written against Drizzle's SQLite types (db/schema.ts is the one description of
 * the tables); on Postgres the same table objects build the queries (docs/decisions/016-two-engines.md)
 * and statements run through db/query.server.ts, never through a driver directly.
 */
export type DB = BetterSQLite3Database<typeof schema>

declare const inTransaction: unique symbol
/**
 * A handle inside an open transaction; only `transaction()` (db/transaction.server.ts) makes
 * one. A function that takes `Tx` writes, and says so in its signature: its writes commit or
 * roll back with whatever else the transaction does.
 */
export type Tx = DB & { readonly [inTransaction]: true }

/** What a function that only reads takes: the database, or a transaction to read inside it. */
export type Handle = DB | Tx

type Driver = Database.Database | pg.Pool | pg.PoolClient
/** The driver under a handle: the SQLite connection, the Postgres pool, or a transaction's pooled connection. */
export function driverOf(handle: Handle): Driver {
  return (handle as unknown as { $client: Driver }).$client
}

export function engineOf(handle: Handle): Engine {
  return driverOf(handle) instanceof Database ? 'sqlite' : 'postgres'
}

/** The SQLite connection under a handle (for db/ code that speaks SQLite's own words). */
export function sqliteOf(handle: Handle): Database.Database {
  const driver = driverOf(handle)
  if (!(driver instanceof Database)) throw new Error('this handle is not on SQLite')
  return driver
}

/** DATABASE_PATH, by the configuration's rule (app/utils/config.server.ts), which also gives the default. */
export function databasePath() {
  return readVariable('DATABASE_PATH')
}

/** What this process is configured to use: DATABASE_URL (Postgres) or the SQLite file. */
export function configuredDatabase(): { engine: 'postgres'; url: string } | { engine: 'sqlite'; path: string } {
  const url = readVariable('DATABASE_URL')
  return url ? { engine: 'postgres', url } : { engine: 'sqlite', path: databasePath() }
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
  // Deleted rows (a forgotten supporter) are zeroed on disk, not just unlinked: see db/sql/erase.server.ts.
  sqlite.pragma('secure_delete = ON')
  sqlite.pragma('busy_timeout = 5000')
  return drizzle(sqlite, { schema })
}

// Times, ids and money are integers in both engines; Postgres keeps the large ones in bigint
// (and sums in numeric), which node-postgres hands over as strings. Every such value Vigil
// stores is far below 2^53, so they are read as numbers, the same as SQLite gives them.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value))

export function openPostgres(url = readVariable('DATABASE_URL') ?? '', poolSize = readVariable('DATABASE_POOL_SIZE')): DB {
  if (!url) throw new Error('openPostgres: no DATABASE_URL')
  // A connection that cannot be made in 10 s fails the request instead of holding it forever.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'vigil', connectionTimeoutMillis: 10_000 })
  // A pooled connection that dies while idle (a Postgres restart, a failover) is dropped and
  // replaced on next use; without a listener its error would stop the process.
  pool.on('error', (error) => console.error(`vigil: an idle Postgres connection failed (${(error as { code?: string }).code ?? error.message}); it will be replaced`))
  return drizzlePostgres(pool) as unknown as DB
}

/**
 * A pooled connection held by its caller (a transaction, an advisory lock) until `release`.
 * While held it is not the pool's, whose listener covers only the ones it holds: an error on it
 * between two queries (Postgres ended the session: a restart, a failover, pg_terminate_backend)
 * would have no listener and stop the process. It is kept instead (the next query on the
 * connection fails anyway), and the connection is released as broken, so the pool makes a new one.
 */
export async function holdConnection(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (broken?: Error) => void }> {
  const client = await pool.connect()
  let lost: Error | undefined
  const onError = (error: Error) => {
    if (!lost) console.error(`vigil: a Postgres connection in use failed (${(error as { code?: string }).code ?? error.message}); it will be replaced`)
    lost = error
  }
  client.on('error', onError)
  return {
    client,
    release: (broken) => {
      client.off('error', onError)
      client.release(broken ?? lost)
    },
  }
}

/** Open what the configuration names: Postgres when DATABASE_URL is set, else SQLite. */
export function openConfiguredDatabase(): DB {
  const target = configuredDatabase()
  return target.engine === 'postgres' ? openPostgres(target.url) : openDatabase(target.path)
}

/** Close a database opened by this module (waits for Postgres' pooled connections to end). */
export async function closeDatabase(db: DB) {
  const driver = driverOf(db)
  if (driver instanceof Database) driver.close()
  else if (driver instanceof pg.Pool) await driver.end()
}

/** For a transaction on Postgres: a Drizzle handle over one pooled connection, made once per connection. */
const perConnection = new WeakMap<pg.PoolClient, DB>()
export function handleForConnection(client: pg.PoolClient): DB {
  let db = perConnection.get(client)
  if (!db) perConnection.set(client, (db = drizzlePostgres(client) as unknown as DB))
  return db
}

declare global {
  var __vigilDb: DB | undefined
}

/** The process-wide database, opened on first use (kept across dev reloads). */
export function getDb(): DB {
  globalThis.__vigilDb ??= openConfiguredDatabase()
  return globalThis.__vigilDb
}

/**
 * Statements prepared once per connection, for paths that run on every request: building
 * and compiling a query costs more than running it. Keyed by the connection under the
 * handle, so a transaction's handle finds the statements of its own connection (on Postgres,
 * a statement prepared on the pool would run outside the transaction).
 *
 * `planEachRun`: the statements (by their key) that on Postgres stay unnamed, planned at every
 * run for the rows there are then. For reads of a range a surge grows by orders (the outbox's due
 * mail): Postgres may keep one plan for a named statement after five runs, and one made on a
 * quiet day's near-empty outbox sorts the whole queue at every claim once a surge has filled it,
 * until autovacuum's ANALYZE.
 */
export function preparedPerConnection<T>(prepare: (db: DB) => T, { planEachRun = [] }: { planEachRun?: readonly (keyof T)[] } = {}): (handle: Handle) => T {
  const cache = new WeakMap<object, T>()
  return (handle) => {
    const key = driverOf(handle)
    let prepared = cache.get(key)
    if (!prepared) cache.set(key, (prepared = nameOnPostgres(handle, prepare(handle), planEachRun)))
    return prepared
  }
}

/**
 * A statement's name on Postgres: the same text gets the same name in every copy of a module
 * (the server loads some twice: the build and the source) and on every pooled connection.
 */
export function statementName(text: string) {
  return `vigil_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`
}

type NodePgPrepared = { queryConfig: { name?: string; text: string }; rawQueryConfig: { name?: string; text: string } }
const isNodePgPrepared = (value: unknown): value is NodePgPrepared =>
  typeof value === 'object' && value !== null && 'queryConfig' in value && 'rawQueryConfig' in value

/**
 * On Postgres, Drizzle's prepared queries run as unnamed statements: parsed and planned again
 * at every run. Named, each pooled connection parses one once and may keep its plan.
 */
function nameOnPostgres<T>(handle: Handle, prepared: T, unnamed: readonly (keyof T)[] = []): T {
  if (engineOf(handle) !== 'postgres' || typeof prepared !== 'object' || prepared === null) return prepared
  const entries = isNodePgPrepared(prepared) ? [['', prepared] as const] : Object.entries(prepared)
  for (const [name, query] of entries) {
    if (!isNodePgPrepared(query) || unnamed.includes(name as keyof T)) continue
    query.queryConfig.name = query.rawQueryConfig.name = statementName(query.queryConfig.text)
  }
  return prepared
}
