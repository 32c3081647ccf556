import path from 'node:path'
import { desc, eq, is, isNotNull, sql } from 'drizzle-orm'
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDatabase, openDatabase, openPostgres, type DB } from '#db/client.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import * as schema from '#db/schema.ts'
import { campaignCounters, campaigns, donations, signatures } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { adminUrl, createTestDatabase, dropTestDatabase, postgresReachable } from '../helpers/engine.ts'
import { makeDataDir, runScript, startServer, type RunningServer } from '../helpers/server.ts'

/**
 * Moving up: a lived-in SQLite instance (the demo with its history, an update sent, gifts,
 * anonymised signatures) copied by `npm run db:copy` into a fresh Postgres database serves the
 * same pages and count.json from a server started on it, and a second copy into it is refused.
 * The same on either test engine: the source is SQLite and the target Postgres by definition.
 */

const where = new URL(adminUrl())
const reachable = await postgresReachable()

const PAGES = ['/', '/?lng=de', '/c/free-andry', '/c/free-andry?lng=es', '/c/publish-the-criteria', '/c/free-andry/donate', '/c/free-andry/count.json', '/c/publish-the-criteria/count.json']
// The servers' jobs would change the data between the two reads; the pages do not depend on them.
const QUIET = { VIGIL_SENDER: 'off', VIGIL_RETENTION: 'off', VIGIL_REMINDERS: 'off', VIGIL_COUNT_LOG: 'off' }

async function readPages(server: RunningServer) {
  const pages: Record<string, { status: number; etag: string | null; body: string }> = {}
  for (const page of PAGES) {
    const response = await fetch(`${server.url}${page}`)
    // Each server has its own address (links, share URLs) and each response its own CSP nonce: the rest must be the same.
    const body = (await response.text())
      .replaceAll(server.url, 'ORIGIN')
      .replaceAll(encodeURIComponent(server.url), 'ORIGIN')
      .replace(/nonce="[^"]*"/g, 'nonce=""')
    pages[page] = { status: response.status, etag: response.headers.get('etag'), body }
  }
  return pages
}

const tables = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable => is(value, SQLiteTable))

/** Every table's rows as the app reads them (booleans, JSON), in one order, on either engine. */
async function everyRow(db: DB) {
  const dump: Record<string, string[]> = {}
  for (const table of tables) {
    dump[getTableConfig(table).name] = (await allRows(db.select().from(table))).map((row) => JSON.stringify(row)).sort()
  }
  return dump
}

describe.skipIf(!reachable)(
  reachable ? 'npm run db:copy' : `npm run db:copy (skipped: no Postgres at ${where.hostname}:${where.port || 5432}; set VIGIL_TEST_POSTGRES_URL)`,
  () => {
    const dir = makeDataDir()
    const file = path.join(dir, 'vigil.db')
    const onSqlite = { DATABASE_PATH: file, DATABASE_URL: '' }
    let targetUrl = ''
    let sqliteServer: RunningServer | null = null
    let postgresServer: RunningServer | null = null
    let before: Awaited<ReturnType<typeof readPages>>
    let copy: { code: number; stdout: string; stderr: string }

    beforeAll(async () => {
      const seeded = await runScript('scripts/seed/seed.ts', ['--history'], onSqlite)
      expect(seeded.code, seeded.stderr).toBe(0)
      const source = openDatabase(file)
      try {
        await transaction(source, async (tx) => {
          // The closed campaign's signers are due for anonymising: retention removes names and supporters.
          await execute(tx.update(campaigns).set({ retentionDays: 1 }).where(eq(campaigns.slug, 'publish-the-criteria')))
          // Ids need not follow the references: the oldest gift is made a renewal of the newest,
          // so a copy that inserted donations in id order would break the reference.
          const newest = (await firstRow(tx.select({ id: donations.id }).from(donations).orderBy(desc(donations.id)).limit(1)))!.id
          const oldest = (await firstRow(tx.select({ id: donations.id }).from(donations).orderBy(donations.id).limit(1)))!.id
          await execute(tx.update(donations).set({ parentId: newest }).where(eq(donations.id, oldest)))
        })
      } finally {
        await closeDatabase(source)
      }
      const retention = await runScript('scripts/retention.ts', [], onSqlite)
      expect(retention.code, retention.stderr).toBe(0)
      expect(retention.stdout).toMatch(/retention: [1-9]\d* signature\(s\) anonymised/)

      sqliteServer = await startServer({ seed: false, dir, env: { DATABASE_URL: '', ...QUIET } })
      before = await readPages(sqliteServer)
      await sqliteServer.stop({ keepData: true })
      sqliteServer = null

      targetUrl = await createTestDatabase()
      copy = await runScript('scripts/db-copy.ts', ['--to', targetUrl], onSqlite)
    }, 120_000)

    afterAll(async () => {
      await sqliteServer?.stop()
      await postgresServer?.stop()
      if (targetUrl) await dropTestDatabase(targetUrl)
    })

    it('copies every table, checks the counts and counters, and never prints the password', () => {
      expect(copy.code, copy.stderr).toBe(0)
      expect(copy.stdout).toMatch(/db:copy: copied [1-9]\d* row\(s\) in \d+ tables/)
      expect(copy.stdout).toContain('row counts match, every counter equals its recount')
      const password = decodeURIComponent(new URL(targetUrl).password)
      expect(password.length).toBeGreaterThan(0)
      for (const output of [copy.stdout, copy.stderr]) {
        expect(output).not.toContain(targetUrl)
        expect(output).not.toContain(`:${password}@`)
      }
    })

    it('keeps every row as the app reads it: ids, booleans, JSON, anonymised signatures and a reference to a later row', async () => {
      const source = openDatabase(file)
      const target = openPostgres(targetUrl, 2)
      try {
        const [fromSqlite, fromPostgres] = [await everyRow(source), await everyRow(target)]
        expect(Object.keys(fromPostgres)).toEqual(Object.keys(fromSqlite))
        for (const name of Object.keys(fromSqlite)) expect(fromPostgres[name], name).toEqual(fromSqlite[name])
        // The history is really there to compare.
        for (const name of ['signatures', 'donations', 'email_messages', 'email_batches', 'update_sends', 'consents', 'replies', 'stripe_events', 'country_counters']) {
          expect(fromSqlite[name]!.length, name).toBeGreaterThan(0)
        }
        const anonymised = await allRows(target.select({ id: signatures.id }).from(signatures).where(isNotNull(signatures.anonymisedAt)))
        expect(anonymised.length).toBeGreaterThan(0)
        const renewals = await allRows(target.select({ id: donations.id, parentId: donations.parentId }).from(donations).where(isNotNull(donations.parentId)))
        expect(renewals.some((r) => r.parentId! > r.id)).toBe(true)
      } finally {
        await closeDatabase(source)
        await closeDatabase(target)
      }
    })

    it('serves the same pages and count.json from Postgres, and new rows take ids after the copied ones', async () => {
      postgresServer = await startServer({ seed: false, env: { DATABASE_URL: targetUrl, ...QUIET } })
      const after = await readPages(postgresServer)
      for (const page of PAGES) {
        expect(before[page]!.status, page).toBe(200)
        expect(after[page], page).toEqual(before[page])
      }
      expect(after['/c/free-andry']!.body).toContain('340 signatures')
      expect(JSON.parse(after['/c/free-andry/count.json']!.body)).toMatchObject({ confirmed: 340 })

      const target = openPostgres(targetUrl, 2)
      try {
        const highest = async () => (await firstRow(target.select({ id: sql<number>`max(${signatures.id})` }).from(signatures)))!.id
        const copiedUpTo = await highest()
        const signed = await fetch(`${postgresServer.url}/c/free-andry`, {
          method: 'POST',
          redirect: 'manual',
          body: new URLSearchParams({ firstName: 'Nadia', lastName: 'Copy', email: 'nadia.after.copy@example.org', country: 'DE' }),
        })
        expect(signed.status).toBe(303)
        expect(await highest()).toBeGreaterThan(copiedUpTo)
        const counters = await firstRow(target.select().from(campaignCounters).where(eq(campaignCounters.campaignId, 1)))
        expect(counters).toMatchObject({ confirmed: 340, pending: expect.any(Number) })
      } finally {
        await closeDatabase(target)
      }
    })

    it('refuses a second copy into the now non-empty database, and leaves it as it was', async () => {
      const target = openPostgres(targetUrl, 2)
      try {
        const count = async () => (await firstRow(target.select({ n: sql<number>`count(*)` }).from(signatures)))!.n
        const held = await count()
        const again = await runScript('scripts/db-copy.ts', ['--to', targetUrl], onSqlite)
        expect(again.code).toBe(1)
        expect(again.stderr).toMatch(/db:copy: refused: the target is not empty \(\w+/)
        expect(again.stderr + again.stdout).not.toContain(targetUrl)
        expect(await count()).toBe(held)
      } finally {
        await closeDatabase(target)
      }
    })

    it('commits nothing when a counter differs from its recount (all or nothing)', async () => {
      const source = openDatabase(file)
      try {
        await transaction(source, async (tx) => {
          await execute(tx.update(campaignCounters).set({ confirmed: sql`${campaignCounters.confirmed} + 1` }).where(eq(campaignCounters.campaignId, 1)))
        })
      } finally {
        await closeDatabase(source)
      }
      const emptyUrl = await createTestDatabase()
      try {
        const refused = await runScript('scripts/db-copy.ts', ['--to', emptyUrl], onSqlite)
        expect(refused.code).toBe(1)
        expect(refused.stderr).toContain('db:copy: counters differ from their recount, nothing was copied')
        expect(refused.stderr).toContain('campaign 1 confirmed: counted 341, recounted 340')
        const target = openPostgres(emptyUrl, 2)
        try {
          // Migrated, but not one row: the copy's transaction rolled back whole.
          const rows = await everyRow(target)
          expect(Object.keys(rows).length).toBe(tables.length)
          expect(Object.entries(rows).filter(([, list]) => list.length > 0)).toEqual([])
        } finally {
          await closeDatabase(target)
        }
      } finally {
        await dropTestDatabase(emptyUrl)
      }
    })
  },
)
