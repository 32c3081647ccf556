import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { DB } from './client.server.ts'

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))

export function migrateDatabase(db: DB) {
  migrate(db, { migrationsFolder })
}
