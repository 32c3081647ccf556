import { is, SQL, sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  doublePrecision,
  foreignKey,
  index,
  type PgColumnBuilderBase,
  pgTable,
  type PgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { getTableConfig, SQLiteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core'
import * as sqliteSchema from './schema.ts'

/**
 * Postgres' tables, derived from the one description in db/schema.ts (docs/decisions/016-two-engines.md):
 * the same tables, columns, defaults, indexes, keys and references, in Postgres' types. Only
 * drizzle-kit reads these (drizzle.pg.config.ts), to write db/migrations-pg; at run time the
 * queries are built from db/schema.ts's table objects on both engines. Integers are bigint
 * (epoch milliseconds and minor units outgrow int4), booleans and JSON keep the values SQLite
 * stores (boolean, and JSON as text), ids are identity columns that accept given ids (db:copy).
 * tests/integration/schema-engines.test.ts compares the two migrated databases.
 */
const nowOnPostgres = sql`((extract(epoch from clock_timestamp()) * 1000)::bigint)`

function columnFor(column: SQLiteColumn): PgColumnBuilderBase {
  let built
  switch (column.columnType) {
    case 'SQLiteInteger':
      built = bigint(column.name, { mode: 'number' })
      if ((column as unknown as { autoIncrement: boolean }).autoIncrement) built = built.generatedByDefaultAsIdentity()
      break
    case 'SQLiteBoolean':
      built = boolean(column.name)
      break
    case 'SQLiteText':
    case 'SQLiteTextJson':
      built = text(column.name)
      break
    case 'SQLiteReal':
      built = doublePrecision(column.name)
      break
    default:
      throw new Error(`db/schema.pg.ts: no Postgres type for ${column.columnType} (${column.name})`)
  }
  if (column.primary) built = built.primaryKey()
  if (column.notNull && !column.primary) built = built.notNull()
  if (column.isUnique) built = built.unique(column.uniqueName)
  if (column.hasDefault && column.default !== undefined) {
    const value = column.default
    if (value === sqliteSchema.nowMs) built = built.default(nowOnPostgres)
    else if (is(value, SQL)) throw new Error(`db/schema.pg.ts: translate the SQL default of ${column.name}`)
    else built = built.default(value as never)
  }
  return built
}

const derived = new Map<SQLiteTable, PgTable>()

function derive(table: SQLiteTable): PgTable {
  const config = getTableConfig(table)
  const columns = Object.fromEntries(Object.entries(table).filter(([, c]) => config.columns.includes(c as SQLiteColumn)).map(([key, c]) => [key, columnFor(c as SQLiteColumn)]))
  const pgColumn = (pgTable: Record<string, unknown>, c: SQLiteColumn) => Object.values(pgTable).find((p) => (p as { name?: string }).name === c.name)
  return pgTable(config.name, columns, (t) => [
    ...config.primaryKeys.map((key) => primaryKey({ name: key.getName(), columns: key.columns.map((c) => pgColumn(t, c)) as never })),
    ...config.indexes.map(({ config: ix }) => {
      const built = (ix.unique ? uniqueIndex : index)(ix.name).on(...(ix.columns.map((c) => pgColumn(t, c as SQLiteColumn)) as [never]))
      return ix.where ? built.where(ix.where) : built
    }),
    ...config.uniqueConstraints.map((u) => unique(u.name).on(...(u.columns.map((c) => pgColumn(t, c)) as [never]))),
    ...config.foreignKeys.map((fk) => {
      const reference = fk.reference()
      const target = derived.get(reference.foreignTable)!
      let built = foreignKey({
        columns: reference.columns.map((c) => pgColumn(t, c)) as never,
        foreignColumns: reference.foreignColumns.map((c) => pgColumn(target as unknown as Record<string, unknown>, c)) as never,
      })
      if (fk.onDelete) built = built.onDelete(fk.onDelete)
      if (fk.onUpdate) built = built.onUpdate(fk.onUpdate)
      return built
    }),
  ])
}

for (const value of Object.values(sqliteSchema)) if (is(value, SQLiteTable)) derived.set(value, derive(value))

/** Every table, by the name db/schema.ts exports it under. */
export const postgresTables = Object.fromEntries(
  Object.entries(sqliteSchema).flatMap(([key, value]) => (is(value, SQLiteTable) ? [[key, derived.get(value)!]] : [])),
)

// drizzle-kit finds tables among a module's named exports.
export const { organizations, organizers, organizerTokens, sessions, auditLog, campaigns, campaignFrameOrigins, campaignMemberships, campaignTranslations, campaignSources, updates, updateTranslations, rateLimitHits, supporters, consents, signatures, signatureNameWords, campaignCounters, countryCounters, replies, emailMessages, updateSends, emailBatches, suppressions, suppressedAddresses, resendEvents, funds, fundTranslations, fundCounters, fundDonors, donations, stripeEvents, instanceSettings, siteTexts, myDataAccess, campaignTargets, campaignTargetTranslations, campaignMilestones, campaignMilestoneTranslations, deliveries, targetResponses, packetMessages, countLogEntries, organizerTotp, organizerRecoveryCodes, organizerPasskeys, webauthnChallenges, organizerDevices } = postgresTables
