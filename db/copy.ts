import { is } from 'drizzle-orm'
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type pg from 'pg'
import { driverOf, engineOf, sqliteOf, type DB, type Tx } from './client.server.ts'
import * as schema from './schema.ts'
import { transaction } from './transaction.server.ts'

/**
 * Moving up (npm run db:copy): every row of a SQLite database into an empty Postgres database
 * of the same schema version, in one transaction on the target (all or nothing). Both sides
 * speak their own SQL here, which is why it lives in db/: SQLite is read in one read
 * transaction (a consistent snapshot, even while an app server still writes), Postgres is
 * written with one `INSERT … SELECT FROM unnest(…)` per batch of rows.
 *
 * Ids are kept, so every reference stays right; tables go parents first (by db/schema.ts's
 * references), a table's references to itself (a monthly gift's first month) are filled in
 * after its rows. Values go over as they are, but for booleans (0/1 on SQLite); JSON is text on
 * both engines. Each identity's sequence is set past the highest id SQLite ever gave (its
 * AUTOINCREMENT counter: ids of deleted rows are not given again). Row counts are compared
 * table by table, and `verify` (the script's recount) runs before the commit.
 */

export class CopyRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CopyRefused'
  }
}

export type CopyReport = { tables: { name: string; rows: number }[]; sequences: number }

const BATCH_ROWS = 2000

/** Vigil's tables, parents before the tables that refer to them. */
export function tablesInCopyOrder(): { name: string; parents: string[] }[] {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable => is(value, SQLiteTable))
  const parentsOf = new Map<string, string[]>(
    tables.map((table) => {
      const config = getTableConfig(table)
      return [config.name, [...new Set(config.foreignKeys.map((fk) => getTableConfig(fk.reference().foreignTable).name))]]
    }),
  )
  const ordered: { name: string; parents: string[] }[] = []
  const placed = new Set<string>()
  while (placed.size < parentsOf.size) {
    const ready = [...parentsOf].filter(([name, parents]) => !placed.has(name) && parents.every((p) => p === name || placed.has(p)))
    if (ready.length === 0) throw new Error(`db:copy: the tables' references go round in a circle (${[...parentsOf.keys()].filter((n) => !placed.has(n)).join(', ')})`)
    for (const [name, parents] of ready.sort(([a], [b]) => a.localeCompare(b))) {
      ordered.push({ name, parents })
      placed.add(name)
    }
  }
  return ordered
}

/** Columns of a table that refer to the table itself (filled in once all its rows are there). */
function selfReferences(name: string): string[] {
  const table = (Object.values(schema) as unknown[]).find((value): value is SQLiteTable => is(value, SQLiteTable) && getTableConfig(value).name === name)!
  return getTableConfig(table).foreignKeys.flatMap((fk) => {
    const reference = fk.reference()
    return getTableConfig(reference.foreignTable).name === name ? reference.columns.map((c) => c.name) : []
  })
}

type TargetColumn = { name: string; type: string; identity: boolean }

async function targetColumns(client: pg.ClientBase): Promise<Map<string, TargetColumn[]>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; is_identity: string }>(
    `select table_name, column_name, data_type, is_identity from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`,
  )
  const byTable = new Map<string, TargetColumn[]>()
  for (const row of rows) {
    const list = byTable.get(row.table_name) ?? []
    list.push({ name: row.column_name, type: row.data_type, identity: row.is_identity === 'YES' })
    byTable.set(row.table_name, list)
  }
  return byTable
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * Why the target may not be copied into, or null: it must hold no table but Vigil's, and no
 * rows in those. Read before migrating it, so a database in use is never touched.
 */
export async function targetRefusal(target: DB): Promise<string | null> {
  const pool = driverOf(target) as pg.Pool
  const ours = new Set(tablesInCopyOrder().map((t) => t.name))
  const { rows } = await pool.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name from information_schema.tables
      where table_schema not in ('pg_catalog', 'information_schema') and not (table_schema = 'drizzle' and table_name = '__drizzle_migrations')
      order by 1, 2`,
  )
  const foreign = rows.filter((r) => r.schema !== 'public' || !ours.has(r.name)).map((r) => (r.schema === 'public' ? r.name : `${r.schema}.${r.name}`))
  if (foreign.length > 0) return `holds tables that are not Vigil's (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})`
  const filled = await tablesWithRows(pool, rows.map((r) => r.name))
  return filled.length > 0 ? `is not empty (${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''} hold rows)` : null
}

async function tablesWithRows(client: pg.ClientBase | pg.Pool, names: string[]) {
  const filled: string[] = []
  for (const name of names) {
    const { rows } = await client.query<{ any: boolean }>(`select exists (select 1 from ${quote(name)}) as any`)
    if (rows[0]!.any) filled.push(name)
  }
  return filled
}

/**
 * Copy every row of `source` (SQLite) into `target` (Postgres, migrated to the same version,
 * empty: see targetRefusal). `verify` runs inside the target's transaction after the rows are in;
 * if it throws, nothing is committed.
 */
export async function copyDatabase(
  source: DB,
  target: DB,
  { verify, progress }: { verify?: (tx: Tx) => Promise<void>; progress?: (table: string, rows: number) => void } = {},
): Promise<CopyReport> {
  if (engineOf(source) !== 'sqlite' || engineOf(target) !== 'postgres') throw new Error('db:copy copies a SQLite database into a Postgres one')
  const sqlite = sqliteOf(source)
  const order = tablesInCopyOrder()
  const sourceTables = (sqlite.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '__drizzle_migrations'`).all() as { name: string }[]).map((t) => t.name)
  const unknown = sourceTables.filter((name) => !order.some((t) => t.name === name))
  if (unknown.length > 0) throw new CopyRefused(`the SQLite database has tables this version of Vigil does not know (${unknown.join(', ')})`)
  const hasSequences = sqlite.prepare(`select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'`).get() !== undefined
  const autoIncrement = new Map(
    hasSequences ? (sqlite.prepare('select name, seq from sqlite_sequence').all() as { name: string; seq: number }[]).map((s) => [s.name, s.seq]) : [],
  )

  return transaction(target, async (tx) => {
    const client = driverOf(tx) as pg.PoolClient
    // Nobody else writes into the target while it fills (an app server started on it too early waits).
    await client.query(`lock table ${order.map((t) => quote(t.name)).join(', ')} in access exclusive mode`)
    const filled = await tablesWithRows(client, order.map((t) => t.name))
    if (filled.length > 0) throw new CopyRefused(`the target is not empty (${filled.join(', ')} hold rows)`)
    const columnsOf = await targetColumns(client)
    // One snapshot of the source for every table; SQLite's WAL lets the app keep writing meanwhile.
    sqlite.exec('BEGIN')
    try {
      const report: CopyReport = { tables: [], sequences: 0 }
      for (const { name } of order) {
        const rows = await copyTable(sqlite, client, name, columnsOf.get(name) ?? [])
        report.tables.push({ name, rows })
        progress?.(name, rows)
      }
      for (const { name } of order) {
        for (const column of (columnsOf.get(name) ?? []).filter((c) => c.identity)) {
          const highest = (sqlite.prepare(`select max(${quote(column.name)}) as n from ${quote(name)}`).get() as { n: number | null }).n ?? 0
          const next = Math.max(highest, autoIncrement.get(name) ?? 0)
          await client.query('select setval(pg_get_serial_sequence($1, $2), $3, $4)', [quote(name), column.name, Math.max(next, 1), next > 0])
          report.sequences++
        }
      }
      for (const { name, rows } of report.tables) {
        const { rows: counted } = await client.query<{ n: number }>(`select count(*)::bigint as n from ${quote(name)}`)
        const inSource = (sqlite.prepare(`select count(*) as n from ${quote(name)}`).get() as { n: number }).n
        if (counted[0]!.n !== inSource || rows !== inSource) throw new Error(`db:copy: ${name} has ${inSource} rows on SQLite but ${counted[0]!.n} on Postgres`)
      }
      if (verify) await verify(tx)
      return report
    } finally {
      sqlite.exec('ROLLBACK')
    }
  })
}

/** Postgres' type for a copied value, and the value as Postgres takes it. */
function converterFor(table: string, column: TargetColumn): (value: unknown) => unknown {
  const where = `${table}.${column.name}`
  switch (column.type) {
    case 'boolean':
      return (value) => {
        if (value === null) return null
        if (value === 0 || value === 1) return value === 1
        throw new Error(`db:copy: ${where} holds ${JSON.stringify(value)}, not a boolean (0 or 1)`)
      }
    case 'bigint':
      return (value) => {
        if (value === null || Number.isSafeInteger(value)) return value
        throw new Error(`db:copy: ${where} holds ${JSON.stringify(value)}, not an integer`)
      }
    case 'double precision':
      return (value) => {
        if (value === null || typeof value === 'number') return value
        throw new Error(`db:copy: ${where} holds ${JSON.stringify(value)}, not a number`)
      }
    case 'text':
      return (value) => {
        if (value === null || typeof value === 'string') return value
        throw new Error(`db:copy: ${where} holds a ${typeof value}, not text`)
      }
    default:
      throw new Error(`db:copy: no copy for ${where}'s type ${column.type}`)
  }
}

async function copyTable(sqlite: ReturnType<typeof sqliteOf>, client: pg.PoolClient, name: string, columns: TargetColumn[]) {
  const inSource = (sqlite.pragma(`table_info(${quote(name)})`) as { name: string }[]).map((c) => c.name).sort()
  const inTarget = columns.map((c) => c.name).sort()
  if (inSource.join() !== inTarget.join()) {
    throw new CopyRefused(
      `${name} has other columns on SQLite (${inSource.join(', ')}) than on Postgres (${inTarget.join(', ')}): are both migrated by the same version of Vigil?`,
    )
  }
  const later = selfReferences(name)
  const convert = columns.map((c) => converterFor(name, c))
  const insert = `insert into ${quote(name)} (${columns.map((c) => quote(c.name)).join(', ')})
    select * from unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`
  const select = sqlite.prepare(`select ${columns.map((c) => quote(c.name)).join(', ')} from ${quote(name)} order by rowid`).raw()
  const idAt = columns.findIndex((c) => c.name === 'id')
  if (later.length > 0 && idAt < 0) throw new Error(`db:copy: ${name} refers to itself but has no id column`)
  const laterAt = later.map((column) => columns.findIndex((c) => c.name === column))
  const pending: { id: unknown; values: unknown[] }[] = []
  let batch: unknown[][] = columns.map(() => [])
  let size = 0
  let copied = 0
  const flush = async () => {
    if (size === 0) return
    await client.query(insert, batch)
    copied += size
    batch = columns.map(() => [])
    size = 0
  }
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    if (laterAt.some((at) => row[at] !== null)) pending.push({ id: row[idAt], values: laterAt.map((at) => row[at]) })
    for (let i = 0; i < columns.length; i++) batch[i]!.push(laterAt.includes(i) ? null : convert[i]!(row[i]))
    if (++size >= BATCH_ROWS) await flush()
  }
  await flush()
  for (let from = 0; from < pending.length; from += BATCH_ROWS) {
    const slice = pending.slice(from, from + BATCH_ROWS)
    const sets = later.map((column, i) => `${quote(column)} = v.c${i}`).join(', ')
    const types = later.map((_, i) => `$${i + 2}::${columns[laterAt[i]!]!.type}[]`).join(', ')
    await client.query(`update ${quote(name)} t set ${sets} from unnest($1::bigint[], ${types}) as v(id, ${later.map((_, i) => `c${i}`).join(', ')}) where t.id = v.id`, [
      slice.map((p) => p.id),
      ...later.map((_, i) => slice.map((p) => convert[laterAt[i]!]!(p.values[i]))),
    ])
  }
  return copied
}
