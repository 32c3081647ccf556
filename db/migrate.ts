import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { DB } from './client.server.ts'

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))

/**
 * Apply pending migrations. SQLite changes a column's constraints by rebuilding its table
 * (create a copy, move the rows, drop the old one): with foreign keys enforced, that drop
 * would run the ON DELETE actions of the tables pointing at it (0008 rebuilds `signatures`;
 * its replies would be deleted). drizzle-kit writes `PRAGMA foreign_keys=OFF` into such a
 * migration, but the migrator runs inside a transaction, where that pragma does nothing.
 * So enforcement is off while migrating and back on after; when a migration ran, every
 * reference is checked first (a full check reads every row: not on every start).
 */
export function migrateDatabase(db: DB) {
  const sqlite = db.$client
  const enforced = sqlite.pragma('foreign_keys', { simple: true }) === 1
  if (enforced) sqlite.pragma('foreign_keys = OFF')
  try {
    const before = appliedMigrations(db)
    migrate(db, { migrationsFolder })
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
  const table = db.$client.prepare(`select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'`).get()
  if (!table) return 0
  return (db.$client.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n
}
