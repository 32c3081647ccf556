import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { getDb, sqliteOf, type DB } from '#db/client.server.ts'
import { DEMO_ORGANIZER, seedDemo } from '../../scripts/seed/seed.ts'
import { hitRateLimit } from '~/models/rate-limits.server.ts'
import { onPostgres } from '../helpers/engine.ts'
import { makeDataDir, ROOT, runScript } from '../helpers/server.ts'
import { sortedRows, sqlOn } from '../helpers/sql.ts'

/** Every table's rows (in an order of their own, the same on every call). */
async function dump(db: DB) {
  const sql = sqlOn(db)
  const result: Record<string, unknown[]> = {}
  for (const name of await sql.tables()) result[name] = sortedRows(await sql.all(`select * from "${name}"`))
  return result
}

describe('the database', () => {
  // SQLite's settings are the connection's pragmas; Postgres' are the server's (below).
  it.skipIf(onPostgres)('runs in WAL mode with foreign keys and a busy timeout', () => {
    const sqlite = sqliteOf(getDb())
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(5000)
  })

  // What transaction() and three languages' texts rely on (db/transaction.server.ts).
  it.runIf(onPostgres)('on Postgres, stores UTF-8 and runs transactions at READ COMMITTED', async () => {
    const sql = sqlOn(getDb())
    expect(await sql.get(`select current_setting('server_encoding') as encoding, current_setting('default_transaction_isolation') as isolation`)).toEqual({
      encoding: 'UTF8',
      isolation: 'read committed',
    })
  })
})

describe('the demo seed', () => {
  it('creates the campaign in three languages with a timeline, and a second run changes nothing', async () => {
    const db = getDb()
    await seedDemo(db, { demoOrganizer: true })
    const first = await dump(db)
    expect(await seedDemo(db, { demoOrganizer: true })).toEqual([])
    expect(await dump(db)).toEqual(first)

    const translations = first.campaign_translations as { locale: string; title: string; petition_text: string }[]
    expect(translations.map((t) => t.locale).sort()).toEqual(['de', 'en', 'es'])
    expect(translations.every((t) => t.title && t.petition_text)).toBe(true)
    expect((first.updates as unknown[]).length).toBeGreaterThanOrEqual(5)
    const organizer = (first.organizers as { email: string; password_hash: string }[])[0]!
    expect(organizer.email).toBe(DEMO_ORGANIZER.email)
    expect(organizer.password_hash).toMatch(/^\$argon2id\$/)
  })
})

describe('rate limits', () => {
  it('allow the limit within the window, refuse the next attempt and say when to retry', async () => {
    const policy = { bucket: 'test', keyHash: 'k', limit: 3, windowMs: 60_000 }
    for (let i = 0; i < 3; i++) expect((await hitRateLimit(getDb(), { ...policy, now: 1000 + i })).allowed).toBe(true)
    const refused = await hitRateLimit(getDb(), { ...policy, now: 2000 })
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000)
    // Once the window has slid past the attempts, the key may try again.
    expect((await hitRateLimit(getDb(), { ...policy, now: 200_000 })).allowed).toBe(true)
  })

  it('count each key separately', async () => {
    const policy = { bucket: 'sep', limit: 1, windowMs: 60_000, now: 5 }
    expect((await hitRateLimit(getDb(), { ...policy, keyHash: 'a' })).allowed).toBe(true)
    expect((await hitRateLimit(getDb(), { ...policy, keyHash: 'b' })).allowed).toBe(true)
    expect((await hitRateLimit(getDb(), { ...policy, keyHash: 'a' })).allowed).toBe(false)
  })
})

// SQLite's online backup; Postgres is backed up with pg_dump (README), not this script.
describe.skipIf(onPostgres)('npm run backup', () => {
  it('writes a consistent copy of a database that is being written to, and says where', async () => {
    const dir = makeDataDir()
    const databasePath = path.join(dir, 'vigil.db')
    const seeded = await runScript('scripts/seed/seed.ts', [], { DATABASE_PATH: databasePath })
    expect(seeded.code).toBe(0)
    // A second process keeps writing while the backup runs.
    const writer = spawn(process.execPath, ['-e', `
      const db = new (require('better-sqlite3'))(${JSON.stringify(databasePath)}); db.pragma('journal_mode = WAL')
      db.exec('create table if not exists churn (n integer)')
      const ins = db.prepare('insert into churn values (?)'); let i = 0
      const stop = Date.now() + 1500; while (Date.now() < stop) ins.run(i++)
      db.close()`], { cwd: ROOT })
    // Listened for now: the writer may be done before the backup is (its exit event would be missed).
    const writerDone = new Promise((resolve) => writer.on('exit', resolve))
    const result = await runScript('scripts/backup.ts', [], { DATABASE_PATH: databasePath })
    await writerDone
    expect(result.code).toBe(0)
    const written = /wrote (\S+\.db)/.exec(result.stdout)?.[1]
    expect(written).toBeDefined()
    const copy = new Database(written!, { readonly: true })
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok')
    expect((copy.prepare('select count(*) as n from campaigns').get() as { n: number }).n).toBe(1)
    copy.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
