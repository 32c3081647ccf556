import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { is } from 'drizzle-orm'
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDatabase, openDatabase, openPostgres } from '#db/client.server.ts'
import { migrateDatabase } from '#db/migrate.ts'
import * as schema from '#db/schema.ts'
import { adminUrl, createTestDatabase, dropTestDatabase, postgresReachable } from '../helpers/engine.ts'

/**
 * One schema, two engines: a fresh SQLite file and a fresh Postgres database, each migrated by
 * its own real migrations (db/migrations, db/migrations-pg), are read back from the engines'
 * catalogues and must define the same tables, columns, types (by the mapping below),
 * nullability, defaults, keys, indexes and references. Runs the same on either test engine:
 * it always needs both.
 */

type Column = { type: string; notNull: boolean; default: string | null; identity: boolean }
type Index = { unique: boolean; columns: string[]; where: string | null }
type ForeignKey = { columns: string[]; table: string; refColumns: string[]; onDelete: string; onUpdate: string }
type Table = { columns: Record<string, Column>; primaryKey: string[]; indexes: Record<string, Index>; foreignKeys: ForeignKey[] }
type Catalogue = Record<string, Table>

// db/schema.ts's boolean columns: SQLite stores them as integers, Postgres as booleans.
const booleanColumns = new Set(
  Object.values(schema).flatMap((value) => {
    if (!is(value, SQLiteTable)) return []
    const config = getTableConfig(value)
    return config.columns.filter((c) => c.columnType === 'SQLiteBoolean').map((c) => `${config.name}.${c.name}`)
  }),
)

/** SQLite's declared type, in the Postgres type db/schema.pg.ts gives it. */
function postgresTypeFor(table: string, column: string, sqliteType: string) {
  switch (sqliteType.toLowerCase()) {
    case 'integer':
      return booleanColumns.has(`${table}.${column}`) ? 'boolean' : 'bigint'
    case 'text':
      return 'text'
    case 'real':
      return 'double precision'
    default:
      return `unmapped sqlite type ${sqliteType}`
  }
}

const EPOCH_MS_NOW = 'now in epoch ms'

/** A default as both engines would agree on it: casts, brackets and the engines' words for "now" aside. */
export function normaliseDefault(value: string | null): string | null {
  if (value === null) return null
  const text = value.trim()
  if (/unixepoch\('subsec'\)\s*\*\s*1000/i.test(text) || /extract\(epoch from clock_timestamp\(\)\)/i.test(text)) return EPOCH_MS_NOW
  let plain = text.replace(/::[a-z ]+$/i, '')
  while (/^\(.*\)$/.test(plain)) plain = plain.slice(1, -1).replace(/::[a-z ]+$/i, '')
  return /^(true|false)$/i.test(plain) ? plain.toLowerCase() : plain
}

/** A partial index's condition, without the brackets, casts and quotes Postgres adds when it prints it back. */
export function normaliseWhere(value: string | null): string | null {
  if (value === null) return null
  return value
    .replace(/::[a-z]+/gi, '')
    .replace(/[()"`]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
}

const actions: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' }

function readSqlite(file: string): Catalogue {
  const db = new Database(file, { readonly: true })
  try {
    const tables = db
      .prepare(`select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '__drizzle_migrations' order by name`)
      .all() as { name: string; sql: string }[]
    const catalogue: Catalogue = {}
    for (const { name, sql } of tables) {
      const info = db.pragma(`table_info("${name}")`) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[]
      const autoIncrement = /autoincrement/i.test(sql)
      const columns = Object.fromEntries(
        info.map((c) => [
          c.name,
          {
            type: postgresTypeFor(name, c.name, c.type),
            // A key column is never null, whatever SQLite's pragma says of it.
            notNull: c.notnull === 1 || c.pk > 0,
            default: normaliseDefault(c.dflt_value),
            identity: autoIncrement && c.pk === 1 && info.filter((k) => k.pk > 0).length === 1,
          },
        ]),
      )
      const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
      const indexes: Record<string, Index> = {}
      for (const ix of db.pragma(`index_list("${name}")`) as { name: string; unique: number; origin: string; partial: number }[]) {
        if (ix.origin === 'pk') continue
        const columnsOf = (db.pragma(`index_info("${ix.name}")`) as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name)
        const definition = (db.prepare(`select sql from sqlite_master where type = 'index' and name = ?`).get(ix.name) as { sql: string | null } | undefined)?.sql ?? ''
        const where = ix.partial ? (/\swhere\s([\s\S]*)$/i.exec(definition)?.[1] ?? '?') : null
        indexes[ix.name] = { unique: ix.unique === 1, columns: columnsOf, where: normaliseWhere(where) }
      }
      const byId = new Map<number, ForeignKey>()
      for (const fk of db.pragma(`foreign_key_list("${name}")`) as { id: number; seq: number; table: string; from: string; to: string; on_update: string; on_delete: string }[]) {
        const entry = byId.get(fk.id) ?? { columns: [], table: fk.table, refColumns: [], onDelete: fk.on_delete.toLowerCase(), onUpdate: fk.on_update.toLowerCase() }
        entry.columns[fk.seq] = fk.from
        entry.refColumns[fk.seq] = fk.to
        byId.set(fk.id, entry)
      }
      catalogue[name] = { columns, primaryKey, indexes, foreignKeys: sortKeys([...byId.values()]) }
    }
    return catalogue
  } finally {
    db.close()
  }
}

/** Read through a client, so a test can read a schema it changed inside a transaction it rolls back. */
async function readPostgres(client: pg.ClientBase): Promise<Catalogue> {
  const { rows: tables } = await client.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  )
  const { rows: columns } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null; is_identity: string }>(
    `select table_name, column_name, data_type, is_nullable, column_default, is_identity from information_schema.columns where table_schema = 'public'`,
  )
  const { rows: keys } = await client.query<{ table_name: string; columns: string[] }>(
    `select t.relname as table_name,
            array(select a.attname from unnest(c.conkey) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns
       from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = 'public' and c.contype = 'p'`,
  )
  // Every index but the primary keys', unique constraints' included (SQLite lists those as unique indexes).
  const { rows: indexes } = await client.query<{ table_name: string; name: string; unique: boolean; columns: string[]; where: string | null }>(
    `select t.relname as table_name, ic.relname as name, i.indisunique as unique,
            array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord)::text[] as columns,
            pg_get_expr(i.indpred, i.indrelid) as where
       from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
       join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = 'public' and not i.indisprimary`,
  )
  const { rows: references } = await client.query<{ table_name: string; columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string; on_update: string }>(
    `select t.relname as table_name, r.relname as ref_table,
            array(select a.attname from unnest(c.conkey) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns,
            array(select a.attname from unnest(c.confkey) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.ord)::text[] as ref_columns,
            c.confdeltype as on_delete, c.confupdtype as on_update
       from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class r on r.oid = c.confrelid
       join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = 'public' and c.contype = 'f'`,
  )
  const catalogue: Catalogue = {}
  for (const { name } of tables) {
    catalogue[name] = {
      columns: Object.fromEntries(
        columns
          .filter((c) => c.table_name === name)
          .map((c) => [
            c.column_name,
            { type: c.data_type, notNull: c.is_nullable === 'NO', default: normaliseDefault(c.column_default), identity: c.is_identity === 'YES' },
          ]),
      ),
      primaryKey: keys.find((k) => k.table_name === name)?.columns ?? [],
      indexes: Object.fromEntries(
        indexes.filter((i) => i.table_name === name).map((i) => [i.name, { unique: i.unique, columns: i.columns, where: normaliseWhere(i.where) }]),
      ),
      foreignKeys: sortKeys(
        references
          .filter((r) => r.table_name === name)
          .map((r) => ({ columns: r.columns, table: r.ref_table, refColumns: r.ref_columns, onDelete: actions[r.on_delete]!, onUpdate: actions[r.on_update]! })),
      ),
    }
  }
  return catalogue
}

const describeKey = (fk: ForeignKey) => `(${fk.columns.join(', ')}) → ${fk.table}(${fk.refColumns.join(', ')}) on delete ${fk.onDelete} on update ${fk.onUpdate}`
const sortKeys = (keys: ForeignKey[]) => keys.sort((a, b) => describeKey(a).localeCompare(describeKey(b)))
const shown = (value: unknown) => JSON.stringify(value)

/** Every way the two catalogues differ, one sentence each; none when they define the same schema. */
export function compareCatalogues(sqlite: Catalogue, postgres: Catalogue): string[] {
  const differences: string[] = []
  const names = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  for (const table of names(sqlite, postgres)) {
    const s = sqlite[table]
    const p = postgres[table]
    if (!s || !p) {
      differences.push(`table ${table}: only on ${s ? 'SQLite' : 'Postgres'}`)
      continue
    }
    for (const column of names(s.columns, p.columns)) {
      const sc = s.columns[column]
      const pc = p.columns[column]
      if (!sc || !pc) {
        differences.push(`column ${table}.${column}: only on ${sc ? 'SQLite' : 'Postgres'}`)
        continue
      }
      for (const attribute of ['type', 'notNull', 'default', 'identity'] as const) {
        if (sc[attribute] !== pc[attribute]) differences.push(`column ${table}.${column} ${attribute}: SQLite ${shown(sc[attribute])}, Postgres ${shown(pc[attribute])}`)
      }
    }
    if (shown(s.primaryKey) !== shown(p.primaryKey)) differences.push(`primary key of ${table}: SQLite ${shown(s.primaryKey)}, Postgres ${shown(p.primaryKey)}`)
    for (const index of names(s.indexes, p.indexes)) {
      const si = s.indexes[index]
      const pi = p.indexes[index]
      if (!si || !pi) {
        differences.push(`index ${index} on ${table}: only on ${si ? 'SQLite' : 'Postgres'}`)
        continue
      }
      for (const attribute of ['unique', 'columns', 'where'] as const) {
        if (shown(si[attribute]) !== shown(pi[attribute])) differences.push(`index ${index} ${attribute}: SQLite ${shown(si[attribute])}, Postgres ${shown(pi[attribute])}`)
      }
    }
    const sk = s.foreignKeys.map(describeKey)
    const pk = p.foreignKeys.map(describeKey)
    for (const key of sk.filter((k) => !pk.includes(k))) differences.push(`foreign key of ${table} ${key}: only on SQLite`)
    for (const key of pk.filter((k) => !sk.includes(k))) differences.push(`foreign key of ${table} ${key}: only on Postgres`)
  }
  return differences
}

const where = new URL(adminUrl())
const reachable = await postgresReachable()

describe.skipIf(!reachable)(
  reachable ? 'one schema on two engines' : `one schema on two engines (skipped: no Postgres at ${where.hostname}:${where.port || 5432}; set VIGIL_TEST_POSTGRES_URL)`,
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-schema-'))
    const sqliteFile = path.join(dir, 'schema.db')
    let databaseUrl = ''
    let sqlite: Catalogue
    let postgres: Catalogue

    beforeAll(async () => {
      const file = openDatabase(sqliteFile)
      await migrateDatabase(file)
      await closeDatabase(file)
      databaseUrl = await createTestDatabase()
      const db = openPostgres(databaseUrl, 1)
      await migrateDatabase(db)
      await closeDatabase(db)
      sqlite = readSqlite(sqliteFile)
      postgres = await withClient((client) => readPostgres(client))
    })

    afterAll(async () => {
      if (databaseUrl) await dropTestDatabase(databaseUrl)
      fs.rmSync(dir, { recursive: true, force: true })
    })

    async function withClient<T>(work: (client: pg.Client) => Promise<T>) {
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      try {
        return await work(client)
      } finally {
        await client.end()
      }
    }

    it('reads every table of db/schema.ts, with its columns, keys, indexes and references, from both', () => {
      const expected = Object.values(schema)
        .filter((value) => is(value, SQLiteTable))
        .map((table) => getTableConfig(table as SQLiteTable).name)
        .sort()
      expect(Object.keys(sqlite).sort()).toEqual(expected)
      expect(Object.keys(postgres).sort()).toEqual(expected)
      // The reading itself found something to compare in every kind (a reader that read nothing would agree with anything).
      for (const catalogue of [sqlite, postgres]) {
        const tables = Object.values(catalogue)
        expect(tables.every((t) => Object.keys(t.columns).length > 0 && t.primaryKey.length > 0)).toBe(true)
        expect(tables.flatMap((t) => Object.values(t.indexes)).filter((i) => i.where !== null).length).toBeGreaterThanOrEqual(5)
        expect(tables.flatMap((t) => Object.values(t.indexes)).filter((i) => i.unique).length).toBeGreaterThanOrEqual(10)
        expect(tables.flatMap((t) => t.foreignKeys).filter((k) => k.onDelete === 'set null').length).toBeGreaterThanOrEqual(5)
        expect(tables.flatMap((t) => Object.values(t.columns)).filter((c) => c.default === EPOCH_MS_NOW).length).toBeGreaterThanOrEqual(20)
        expect(tables.flatMap((t) => Object.values(t.columns)).filter((c) => c.type === 'boolean').length).toBe(booleanColumns.size)
        expect(tables.flatMap((t) => Object.values(t.columns)).filter((c) => c.identity).length).toBeGreaterThanOrEqual(15)
      }
    })

    it('defines the same tables, columns, types, nullability, defaults, keys, indexes and references on SQLite and Postgres', () => {
      expect(compareCatalogues(sqlite, postgres)).toEqual([])
    })

    it('maps the types one to one: integer ↔ bigint, boolean integer ↔ boolean, text ↔ text, and ids stay identities', () => {
      expect(postgres.signatures!.columns.id).toEqual({ type: 'bigint', notNull: true, default: null, identity: true })
      expect(postgres.signatures!.columns.show_name).toEqual({ type: 'boolean', notNull: true, default: 'false', identity: false })
      expect(postgres.campaigns!.columns.confirmation_reminder!.default).toBe('true')
      expect(postgres.campaigns!.columns.status).toEqual({ type: 'text', notNull: true, default: `'draft'`, identity: false })
      expect(postgres.email_messages!.columns.created_at!.default).toBe(EPOCH_MS_NOW)
      expect(postgres.donations!.columns.amount_minor!.type).toBe('bigint')
      expect(sqlite.signatures!.indexes.signatures_campaign_source_idx!.where).toBe(`source is not null and status = 'confirmed'`)
      expect(postgres.signatures!.indexes.signatures_campaign_source_idx!.where).toBe(`source is not null and status = 'confirmed'`)
    })

    it('catches a difference: a catalogue changed in each kind of thing it compares no longer matches', () => {
      const changes: [string, (c: Catalogue) => void, string][] = [
        ['a missing table', (c) => delete c.replies, 'table replies: only on SQLite'],
        ['a missing column', (c) => delete c.signatures!.columns.source, 'column signatures.source: only on SQLite'],
        ['another type', (c) => (c.donations!.columns.amount_minor!.type = 'integer'), 'column donations.amount_minor type: SQLite "bigint", Postgres "integer"'],
        ['a nullable column', (c) => (c.supporters!.columns.country!.notNull = false), 'column supporters.country notNull: SQLite true, Postgres false'],
        ['another default', (c) => (c.campaigns!.columns.retention_days!.default = '90'), 'column campaigns.retention_days default: SQLite "180", Postgres "90"'],
        ['no identity', (c) => (c.updates!.columns.id!.identity = false), 'column updates.id identity: SQLite true, Postgres false'],
        ['another primary key', (c) => (c.fund_donors!.primaryKey = ['fund_id']), 'primary key of fund_donors: SQLite ["fund_id","supporter_id"], Postgres ["fund_id"]'],
        ['a missing index', (c) => delete c.email_messages!.indexes.email_messages_due_idx, 'index email_messages_due_idx on email_messages: only on SQLite'],
        ['an index not unique', (c) => (c.funds!.indexes.funds_campaign_slug_idx!.unique = false), 'index funds_campaign_slug_idx unique: SQLite true, Postgres false'],
        ['index columns in another order', (c) => c.updates!.indexes.updates_campaign_idx!.columns.reverse(), 'index updates_campaign_idx columns: SQLite ["campaign_id","happened_on"], Postgres ["happened_on","campaign_id"]'],
        ['a partial index made whole', (c) => (c.email_messages!.indexes.email_messages_due_idx!.where = null), 'index email_messages_due_idx where: SQLite "batch_id is null", Postgres null'],
        ['another ON DELETE', (c) => (c.signatures!.foreignKeys.find((k) => k.columns[0] === 'supporter_id')!.onDelete = 'cascade'), 'foreign key of signatures (supporter_id) → supporters(id) on delete cascade on update no action: only on Postgres'],
      ]
      for (const [what, change, difference] of changes) {
        const mutated = structuredClone(postgres)
        change(mutated)
        expect(compareCatalogues(sqlite, mutated), what).toContain(difference)
      }
    })

    it('catches a real change to the Postgres schema (an index dropped, a column made nullable, a reference changed)', async () => {
      const differences = await withClient(async (client) => {
        await client.query('begin')
        try {
          await client.query('drop index signatures_campaign_confirmed_idx')
          await client.query('alter table donations alter column currency drop not null')
          await client.query('alter table replies drop constraint replies_signature_id_signatures_id_fk')
          await client.query('alter table replies add foreign key (signature_id) references signatures(id) on delete set null')
          return compareCatalogues(sqlite, await readPostgres(client))
        } finally {
          await client.query('rollback')
        }
      })
      expect(differences.sort()).toEqual(
        [
          'index signatures_campaign_confirmed_idx on signatures: only on SQLite',
          'column donations.currency notNull: SQLite true, Postgres false',
          'foreign key of replies (signature_id) → signatures(id) on delete cascade on update no action: only on SQLite',
          'foreign key of replies (signature_id) → signatures(id) on delete set null on update no action: only on Postgres',
        ].sort(),
      )
      // Rolled back: the database is as migrated again.
      expect(compareCatalogues(sqlite, await withClient((client) => readPostgres(client)))).toEqual([])
    })
  },
)
