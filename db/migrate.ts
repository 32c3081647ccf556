import { fileURLToPath } from 'node:url'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { driverOf, holdConnection, sqliteOf, type DB } from './client.server.ts'

/** drizzle-kit writes each engine's migrations into a folder of its own (drizzle.config.ts, drizzle.pg.config.ts). */
export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))
export const postgresMigrationsFolder = fileURLToPath(new URL('./migrations-pg', import.meta.url))

/** Apply pending migrations, on the engine the database is on. */
export async function migrateDatabase(db: DB) {
  const driver = driverOf(db)
  if (driver instanceof pg.Pool) await migrateOnPostgres(driver)
  else migrateOnSqlite(db)
}

// Any fixed number: every app server that starts takes this lock before migrating.
const MIGRATION_LOCK = 7_164_311

/**
 * Several app servers may start at once: one migrates while the others wait on an advisory
 * lock, then find nothing left to do. drizzle's migrator runs the pending migrations in one
 * transaction, so a failed one leaves the schema as it was.
 */
async function migrateOnPostgres(pool: pg.Pool) {
  const { client, release } = await holdConnection(pool)
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder: postgresMigrationsFolder })
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  } finally {
    release()
  }
}

/**
 * SQLite changes a column's constraints by rebuilding its table (create a copy, move the rows,
 * drop the old one): with foreign keys enforced, that drop would run the ON DELETE actions of
 * the tables pointing at it (0008 rebuilds `signatures`; its replies would be deleted).
 * drizzle-kit writes `PRAGMA foreign_keys=OFF` into such a migration, but the migrator runs
 * inside a transaction, where that pragma does nothing. So enforcement is off while migrating
 * and back on after; when a migration ran, every reference is checked first (a full check
 * reads every row: not on every start).
 */
function migrateOnSqlite(db: DB) {
  const sqlite = sqliteOf(db)
  const enforced = sqlite.pragma('foreign_keys', { simple: true }) === 1
  if (enforced) sqlite.pragma('foreign_keys = OFF')
  try {
    const before = appliedMigrations(db)
    migrateSqlite(db, { migrationsFolder })
    if (appliedMigrations(db) === before) return
    const broken = sqlite.pragma('foreign_key_check') as { table: string; parent: string }[]
    if (broken.length > 0) {
      const first = broken[0]!
      throw new Error(`migrate: ${broken.length} row(s) point at missing rows after migrating (first: ${first.table} → ${first.parent})`)
    }
  } finally {
    if (enforced) sqlite.pragma('foreign_keys = ON')
  }
}

function appliedMigrations(db: DB) {
  const sqlite = sqliteOf(db)
  const table = sqlite.prepare(`select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'`).get()
  if (!table) return 0
  return (sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n
}
