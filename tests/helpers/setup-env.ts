import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { TEST_DATA_KEY } from './data-key.ts'
import { migratedPostgres } from './templates.ts'

async function migrateUrl(url: string) {
  const { closeDatabase, openPostgres } = await import('#db/client.server.ts')
  const { migrateDatabase } = await import('#db/migrate.ts')
  const db = openPostgres(url, 1)
  try {
    await migrateDatabase(db)
  } finally {
    await closeDatabase(db)
  }
}

// Every test file gets its own data folder and database (a SQLite file, or a Postgres database
// with VIGIL_TEST_ENGINE=postgres: tests/helpers/engine.ts), migrated before its tests run.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-'))
process.env.DATABASE_PATH = path.join(dir, 'vigil.db')
process.env.UPLOADS_PATH = path.join(dir, 'uploads')
process.env.SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789'
process.env.VIGIL_DATA_KEY = TEST_DATA_KEY
delete process.env.STRIPE_SECRET_KEY
delete process.env.RESEND_API_KEY
const engine = await import('./engine.ts')
// On Postgres a copy of the run's migrated template (tests/helpers/templates.ts); the migration below then finds nothing to do.
const databaseUrl = engine.onPostgres ? await migratedPostgres(migrateUrl) : null
if (databaseUrl) process.env.DATABASE_URL = databaseUrl
else delete process.env.DATABASE_URL
globalThis.__vigilDb = undefined
globalThis.__vigilEnv = undefined

const { getDb } = await import('#db/client.server.ts')
const { migrateDatabase } = await import('#db/migrate.ts')
await migrateDatabase(getDb())

afterAll(async () => {
  const { closeDatabase } = await import('#db/client.server.ts')
  if (globalThis.__vigilDb) await closeDatabase(globalThis.__vigilDb)
  if (databaseUrl) await engine.dropTestDatabase(databaseUrl)
  globalThis.__vigilDb = undefined
  fs.rmSync(dir, { recursive: true, force: true })
})
