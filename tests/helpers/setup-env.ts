import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'

// Every test file gets its own data folder and SQLite file, migrated on first use.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-'))
process.env.DATABASE_PATH = path.join(dir, 'vigil.db')
process.env.UPLOADS_PATH = path.join(dir, 'uploads')
process.env.SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789'
delete process.env.STRIPE_SECRET_KEY
delete process.env.RESEND_API_KEY
globalThis.__vigilDb = undefined
globalThis.__vigilEnv = undefined

const { getDb } = await import('#db/client.server.ts')
const { migrateDatabase } = await import('#db/migrate.ts')
await migrateDatabase(getDb())

afterAll(async () => {
  const { closeDatabase } = await import('#db/client.server.ts')
  if (globalThis.__vigilDb) await closeDatabase(globalThis.__vigilDb)
  globalThis.__vigilDb = undefined
  fs.rmSync(dir, { recursive: true, force: true })
})
