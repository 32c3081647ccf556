/**
 * email_messages' references to its batch and its supporter, on either engine
 * (VIGIL_TEST_ENGINE=postgres): what db/schema.ts declares (ON DELETE CASCADE from the batch,
 * SET NULL from the supporter) is what the database enforces, so deleting a timeline entry whose
 * update was emailed works, and a database migrated before the fix keeps every row on upgrade.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrate as migrateSqliteTo } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgresTo } from 'drizzle-orm/node-postgres/migrator'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDatabase, driverOf, getDb, openDatabase, openPostgres, sqliteOf, type DB } from '#db/client.server.ts'
import { migrateDatabase, migrationsFolder, postgresMigrationsFolder } from '#db/migrate.ts'
import { organizers } from '#db/schema.ts'
import { firstRow } from '#db/query.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { deleteTimelineEntry } from '~/models/timeline.server.ts'
import { startUpdateSend } from '~/models/update-sends.server.ts'
import { createTestDatabase, dropTestDatabase, onPostgres } from '../helpers/engine.ts'
import { rawSql } from '../helpers/mail-worker.ts'

const sql = () => rawSql(getDb())
let campaignId: number
let organizerId: number
let n = 0

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: true })
  campaignId = (await sql().get<{ id: number }>(`select id from campaigns where slug = 'free-andry'`))!.id
  organizerId = (await firstRow(getDb().select({ id: organizers.id }).from(organizers)))!.id
})

async function signerWhoWantsNews() {
  n++
  const address = `reader.${n}@example.org`
  const id = await sql().insert(`insert into supporters (email_normalized, email, first_name, last_name, country, locale) values (?, ?, 'P', 'Q', 'DE', 'en')`, address, address)
  await sql().run(`insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale) values (?, ?, 'confirmed', 'P', 'Q', 'DE', 'en')`, campaignId, id)
  await sql().run(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, true, 'petition_form')`, id, campaignId)
  return id
}

async function publishedUpdate() {
  const id = await sql().insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-20', ?)`, campaignId, Date.now())
  await sql().run(`insert into update_translations (update_id, locale, title, body_md) values (?, 'en', 'He is home', 'Free.')`, id)
  return id
}

describe('deleting what emailed messages point at', () => {
  it('deletes a timeline entry whose update was emailed, with its send, batches and messages', async () => {
    for (let i = 0; i < 3; i++) await signerWhoWantsNews()
    const updateId = await publishedUpdate()
    const started = await startUpdateSend(getDb(), { updateId, campaignId, audience: { signers: true, donors: 'none' }, organizerId })
    expect(started).toMatchObject({ status: 'started', recipients: 3 })
    // As the sender leaves them once delivered.
    await sql().run(`update email_messages set status = 'sent', sent_at = ? where batch_id is not null`, Date.now())
    await sql().run(`update email_batches set status = 'submitted', submitted_at = ?`, Date.now())
    const unrelated = await sql().insert(`insert into email_messages (template, to_email, locale, props, idempotency_key) values ('confirm-signature', 'x@example.org', 'en', '{}', ?)`, `unrelated:${n}`)

    expect(await deleteTimelineEntry(getDb(), { actorId: organizerId, campaignId, entryId: updateId })).toBe(true)

    expect(await sql().get(`select id from updates where id = ?`, updateId)).toBeUndefined()
    expect(await sql().all(`select id from update_sends where update_id = ?`, updateId)).toEqual([])
    expect(await sql().all(`select id from email_batches`)).toEqual([])
    expect(await sql().all(`select id from email_messages where batch_id is not null`)).toEqual([])
    expect(await sql().all(`select id from email_messages`)).toEqual([{ id: unrelated }])
  })

  it('deletes a supporter and keeps the mail sent to them, without the link to them', async () => {
    const supporterId = await signerWhoWantsNews()
    const message = await sql().insert(
      `insert into email_messages (template, to_email, locale, props, idempotency_key, supporter_id, status) values ('update', '', 'en', '{}', ?, ?, 'sent')`,
      `kept:${supporterId}`,
      supporterId,
    )
    await sql().run(`delete from signatures where supporter_id = ?`, supporterId)
    expect((await sql().run(`delete from supporters where id = ?`, supporterId)).changes).toBe(1)
    expect(await sql().get(`select id, supporter_id as supporterId from email_messages where id = ?`, message)).toEqual({ id: message, supporterId: null })
  })
})

/**
 * A migrations folder holding the real ones before the fix (its tag ends in FIX): what a database
 * migrated by the release before it was brought to (drizzle's migrator reads the journal).
 */
const FIX = '_email_messages_references'
function migrationsBeforeTheFix(folder: string) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-migrations-'))
  fs.cpSync(folder, copy, { recursive: true })
  const journalFile = path.join(copy, 'meta', '_journal.json')
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] }
  const fix = journal.entries.findIndex((entry) => entry.tag.endsWith(FIX))
  if (fix < 0) throw new Error(`no migration ${FIX} in ${folder}`)
  journal.entries = journal.entries.slice(0, fix)
  fs.writeFileSync(journalFile, JSON.stringify(journal))
  return copy
}

/** The references from email_messages, as `column → table (on delete)`. */
async function referencesOf(db: DB) {
  if (!onPostgres) {
    const rows = sqliteOf(db).pragma('foreign_key_list(email_messages)') as { from: string; table: string; on_delete: string }[]
    return rows.map((r) => `${r.from} → ${r.table} (${r.on_delete.toLowerCase()})`).sort()
  }
  const { rows } = await (driverOf(db) as pg.Pool).query<{ line: string }>(
    `select a.attname || ' → ' || t.relname || ' (' || case c.confdeltype when 'c' then 'cascade' when 'n' then 'set null' when 'a' then 'no action' when 'r' then 'restrict' else 'set default' end || ')' as line
     from pg_constraint c join pg_class t on t.oid = c.confrelid join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
     where c.contype = 'f' and c.conrelid = 'email_messages'::regclass`,
  )
  return rows.map((r) => r.line).sort()
}

/** email_messages' indexes with their definitions. */
async function indexesOf(db: DB) {
  if (!onPostgres) {
    return (sqliteOf(db).prepare(`select name, sql from sqlite_master where type = 'index' and tbl_name = 'email_messages' order by name`).all() as { name: string; sql: string | null }[])
  }
  const { rows } = await (driverOf(db) as pg.Pool).query<{ name: string; sql: string }>(
    `select indexname as name, indexdef as sql from pg_indexes where tablename = 'email_messages' order by indexname`,
  )
  return rows
}

const EXPECTED_REFERENCES = ['batch_id → email_batches (cascade)', 'campaign_id → campaigns (set null)', 'supporter_id → supporters (set null)']

describe('upgrading a database that holds email rows', () => {
  const opened: DB[] = []
  const cleanUps: (() => Promise<void> | void)[] = []

  afterAll(async () => {
    for (const db of opened) await closeDatabase(db)
    for (const cleanUp of cleanUps) await cleanUp()
  })

  async function newDatabase(): Promise<DB> {
    let db: DB
    if (onPostgres) {
      const url = await createTestDatabase()
      db = openPostgres(url, 2)
      cleanUps.push(() => dropTestDatabase(url))
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-upgrade-'))
      db = openDatabase(path.join(dir, 'vigil.db'))
      cleanUps.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    }
    opened.push(db)
    return db
  }

  it('keeps every email row, index and setting, and enforces the references db/schema.ts declares', async () => {
    const folder = onPostgres ? postgresMigrationsFolder : migrationsFolder
    const before = migrationsBeforeTheFix(folder)
    cleanUps.push(() => fs.rmSync(before, { recursive: true, force: true }))
    const db = await newDatabase()
    if (onPostgres) {
      const client = await (driverOf(db) as pg.Pool).connect()
      try {
        await migratePostgresTo(drizzlePostgres(client), { migrationsFolder: before })
      } finally {
        client.release()
      }
    } else {
      // As db/migrate.ts does: the rebuilds of earlier migrations need enforcement off.
      sqliteOf(db).pragma('foreign_keys = OFF')
      migrateSqliteTo(db, { migrationsFolder: before })
      sqliteOf(db).pragma('foreign_keys = ON')
    }
    expect(await referencesOf(db)).not.toEqual(EXPECTED_REFERENCES)

    // Plain SQL, only required columns: the schema.ts of today may have columns that database lacks.
    const q = rawSql(db)
    const organization = await q.insert(`insert into organizations (slug, name) values ('o', 'O')`)
    const campaign = await q.insert(`insert into campaigns (organization_id, slug) values (?, 'c')`, organization)
    const supporter = await q.insert(`insert into supporters (email_normalized, email, first_name, last_name, country, locale) values ('a@example.org', 'a@example.org', 'A', 'B', 'DE', 'de')`)
    const updateId = await q.insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-20', 1)`, campaign)
    const send = await q.insert(`insert into update_sends (update_id, campaign_id, audience, recipients) values (?, ?, '{}', 1)`, updateId, campaign)
    const batch = await q.insert(`insert into email_batches (send_id, priority, idempotency_key, status, size, submitted_at) values (?, 2, 'batch:1', 'submitted', 1, 5)`, send)
    await q.run(
      `insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, status, attempts, next_attempt_at, claimed_at, provider_id, last_error, created_at, sent_at, batch_id, supporter_id, delivery_status, delivery_at, priority, batchable)
       values ('update', 'a@example.org', 'de', '{"title":"Zu Hause"}', 'update:1:a', ?, 'sent', 1, 0, 3, 're_1', null, 2, 4, ?, ?, 'delivered', 6, 2, true),
              ('confirm-signature', 'c@example.org', 'en', '{"tokenSeed":"s"}', 'signature:1:confirm', ?, 'queued', 0, 7, null, null, 'timeout', 8, null, null, null, null, null, 0, false)`,
      campaign,
      batch,
      supporter,
      campaign,
    )
    // A message already pruned: its id is not to be given again.
    const pruned = await q.insert(`insert into email_messages (template, to_email, locale, props, idempotency_key) values ('x', '', 'en', '{}', 'pruned')`)
    await q.run(`delete from email_messages where id = ?`, pruned)
    const rowsBefore = await q.all(`select * from email_messages order by id`)
    expect(rowsBefore).toHaveLength(2)

    await migrateDatabase(db)

    // Every column the rows had keeps its value; later migrations' new columns (ADR 017's sealed and
    // data_key_id) start null, and the start-up step seals them (tests/integration/seal-existing.test.ts).
    const rowsAfter = (await q.all(`select * from email_messages order by id`)) as Record<string, unknown>[]
    const columnsBefore = Object.keys(rowsBefore[0] as object)
    expect(rowsAfter.map((row) => Object.fromEntries(columnsBefore.map((c) => [c, row[c]])))).toEqual(rowsBefore)
    expect(rowsAfter.map((row) => [row.sealed, row.data_key_id])).toEqual([[null, null], [null, null]])
    expect(await referencesOf(db)).toEqual(EXPECTED_REFERENCES)
    // The same indexes as a database migrated from scratch (the setup's).
    expect(await indexesOf(db)).toEqual(await indexesOf(getDb()))
    expect((await indexesOf(db)).map((i) => i.name)).toEqual(expect.arrayContaining(['email_messages_due_idx', 'email_messages_supporter_idx', 'email_messages_batch_idx']))
    const next = await q.insert(`insert into email_messages (template, to_email, locale, props, idempotency_key) values ('x', 'x@example.org', 'en', '{}', 'after')`)
    expect(next).toBeGreaterThan(pruned)
    if (!onPostgres) {
      const sqlite = sqliteOf(db)
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(sqlite.pragma('foreign_key_check')).toEqual([])
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok')
    }

    // And the references act: the supporter goes, the message stays; the send goes, its messages too.
    await q.run(`delete from supporters where id = ?`, supporter)
    expect(await q.get(`select supporter_id as supporterId from email_messages where idempotency_key = 'update:1:a'`)).toEqual({ supporterId: null })
    await q.run(`delete from updates where id = ?`, updateId)
    expect(await q.all(`select idempotency_key as key from email_messages where idempotency_key <> 'after' order by id`)).toEqual([{ key: 'signature:1:confirm' }])
  })
})
