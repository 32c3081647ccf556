import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrate as migrateSqliteTo } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgresTo } from 'drizzle-orm/node-postgres/migrator'
import type pg from 'pg'
import { driverOf, sqliteOf, type DB } from '#db/client.server.ts'
import { migrationsFolder, postgresMigrationsFolder } from '#db/migrate.ts'
import { emailHashes, openEmail, type EmailData } from '~/models/personal-data.server.ts'
import type { DataCrypto } from '~/utils/data-crypto.server.ts'
import { myDataLinkToken } from '~/utils/tokens.server.ts'
import { onPostgres } from './engine.ts'
import { rawSql } from './mail-worker.ts'

/**
 * For the tests of encryption at rest (ADR 017): a database as the release before it left it
 * (migrated up to the tag that ends in `_my_data_access`: SQLite 0020, Postgres 0003), and the
 * My data page of an address through a real server, reading its link from the outbox whether the
 * outbox row is sealed or not.
 */

const LAST_PLAIN = '_my_data_access'

/** A copy of this engine's migrations folder whose journal stops at the release before ADR 017. */
export function migrationsBeforeSealing() {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-migrations-'))
  fs.cpSync(onPostgres ? postgresMigrationsFolder : migrationsFolder, copy, { recursive: true })
  const journalFile = path.join(copy, 'meta', '_journal.json')
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] }
  const last = journal.entries.findIndex((entry) => entry.tag.endsWith(LAST_PLAIN))
  if (last < 0) throw new Error(`no migration ${LAST_PLAIN}`)
  journal.entries = journal.entries.slice(0, last + 1)
  fs.writeFileSync(journalFile, JSON.stringify(journal))
  return copy
}

/** Bring an empty database to the schema of the release before ADR 017. */
export async function migrateBeforeSealing(db: DB) {
  const folder = migrationsBeforeSealing()
  try {
    if (onPostgres) {
      const client = await (driverOf(db) as pg.Pool).connect()
      try {
        await migratePostgresTo(drizzlePostgres(client), { migrationsFolder: folder })
      } finally {
        client.release()
      }
    } else {
      // As db/migrate.ts does: earlier migrations rebuild tables, which needs enforcement off.
      sqliteOf(db).pragma('foreign_keys = OFF')
      migrateSqliteTo(db, { migrationsFolder: folder })
      sqliteOf(db).pragma('foreign_keys = ON')
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true })
  }
}

export type PlainData = { campaignId: number; campaignSlug: string; signers: number }

/**
 * Plaintext rows of every table that holds personal data, as the release before ADR 017 wrote
 * them: `signers` supporters each with a confirmed signature (every third with a message, approved,
 * name shown), a pending one with resubmitted details, an anonymised one, replies, donations
 * (one forgotten), outbox rows (a confirmation, an update's fan-out row) and two suppressions.
 * Every name contains QUILLFEATHER, every message and postal code a marker, so bytes can be grepped.
 */
export async function fillPlainDatabase(db: DB, { signers }: { signers: number }): Promise<PlainData> {
  const q = rawSql(db)
  const organization = await q.insert(`insert into organizations (slug, name) values ('o', 'Upgrade Org')`)
  const campaignId = await q.insert(`insert into campaigns (organization_id, slug, status, published_at) values (?, 'upgrade', 'live', 1)`, organization)
  await q.run(`insert into campaign_translations (campaign_id, locale, title, petition_text) values (?, 'en', 'Upgrade campaign', 'Free them.')`, campaignId)
  const fundId = await q.insert(`insert into funds (campaign_id, slug, goal_minor, currency) values (?, 'general', 100000, 'EUR')`, campaignId)
  await q.run(`insert into fund_translations (fund_id, locale, title) values (?, 'en', 'General fund')`, fundId)
  // Generated in the database: thousands of rows in a few statements on either engine. (No `@` in
  // the SQL text: the Postgres helper reads `@name` as a named parameter.)
  await q.run(
    `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
     insert into supporters (email_normalized, email, first_name, last_name, country, locale)
     select 'signer.' || i || ?, 'Signer.' || i || ?, 'Ysolde' || i, 'Quillfeather', 'DE', 'en' from n`,
    signers,
    '@example.org',
    '@Example.org',
  )
  await q.run(
    `insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, postal_code, locale, show_name, message, message_status, confirmed_at)
     select cast(? as bigint), id, 'confirmed', first_name, last_name, country, 'QX' || id, locale, true,
            case when id % 3 = 0 then 'Marker message ' || id || ' for Quillfeather' end, case when id % 3 = 0 then 'approved' end, 5
     from supporters order by id`,
    campaignId,
  )
  // A second campaign's pending signature with details waiting for their link.
  const other = await q.insert(`insert into campaigns (organization_id, slug, status) values (?, 'other', 'live')`, organization)
  await q.run(
    `insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale, resubmitted_details, resubmitted_token_hash)
     values (?, 2, 'pending', 'Ysolde2', 'Quillfeather', 'DE', 'en', ?, 'resubmitted-token-hash')`,
    other,
    JSON.stringify({ firstName: 'Resubmitted', lastName: 'Quillfeather', country: 'AT', postalCode: 'QXRESUB', message: 'Resubmitted marker message', showName: true, locale: 'de', updates: false }),
  )
  // Anonymised by retention before the upgrade: '' names, no supporter.
  await q.run(`insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale, anonymised_at) values (?, null, 'confirmed', '', '', 'FR', 'fr', 7)`, other)
  await q.run(`insert into replies (signature_id, body) select id, 'Thank you, Quillfeather reply marker' from signatures where supporter_id = 3 and campaign_id = ?`, campaignId)
  for (const i of [1, 2, 3]) {
    await q.run(
      `insert into donations (campaign_id, fund_id, supporter_id, interval, gift_minor, amount_minor, currency, status, paid_at, counted_minor, public_name, message, wall_status, receipt_name, receipt_number, locale, email, stripe_checkout_session_id)
       values (?, ?, ?, 'one_time', 2500, 2500, 'EUR', 'paid', 9, 2500, ?, ?, 'approved', ?, ?, 'en', ?, ?)`,
      campaignId,
      fundId,
      i,
      `Wall Quillfeather ${i}`,
      `Donor marker message ${i}`,
      `Receipt Quillfeather ${i}`,
      i,
      `Signer.${i}@Example.org`,
      `cs_upgrade_${i}`,
    )
  }
  // Forgotten before the upgrade: the accounting record without a name or address.
  await q.run(
    `insert into donations (campaign_id, fund_id, supporter_id, interval, gift_minor, amount_minor, currency, status, paid_at, counted_minor, receipt_number, locale, email)
     values (?, ?, null, 'one_time', 1000, 1000, 'EUR', 'paid', 9, 1000, 4, 'en', '')`,
    campaignId,
    fundId,
  )
  await q.run(
    `insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, status, sent_at)
     values ('confirm-signature', ?, 'en', ?, 'signature:1:confirm', ?, 'sent', 3)`,
    'Signer.1@Example.org',
    JSON.stringify({ tokenSeed: 'seed-1', firstName: 'Ysolde1', campaignTitle: 'Upgrade campaign', petitionText: 'Free them.', organizationName: 'Upgrade Org' }),
    campaignId,
  )
  await q.run(
    `insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, supporter_id, status, sent_at)
     values ('campaign-update', ?, 'en', '{"updateId":1,"supporterId":3}', 'update:1:3', ?, 3, 'sent', 3)`,
    'Signer.3@Example.org',
    campaignId,
  )
  await q.run(`insert into suppressions (email_normalized, reason) values (?, 'bounce'), (?, 'complaint')`, 'bounced.quillfeather@example.org', 'signer.4@example.org')
  return { campaignId, campaignSlug: 'upgrade', signers }
}

/** Every marker fillPlainDatabase writes (none may be left in a sealed database's bytes). */
export const PLAIN_MARKERS = ['Quillfeather', 'quillfeather', 'Ysolde', 'Marker message', 'reply marker', 'QXRESUB', '@example.org', '@Example.org']

/**
 * The My data page of `address` through `serverUrl`: asks for the link, reads it from the outbox, opens it.
 * `crypto` opens the outbox row when the server seals under a key this process does not hold (a rotation's new key).
 */
export async function myDataPage(db: DB, serverUrl: string, address: string, supporterId: number, crypto?: DataCrypto) {
  const headers = { Origin: serverUrl, 'X-Forwarded-For': `10.77.${supporterId % 250}.${(supporterId >> 8) % 250}` }
  const asked = await fetch(`${serverUrl}/me?index`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ intent: 'request', email: address }) })
  if (asked.status !== 200) throw new Error(`asking for a My data link answered ${asked.status}`)
  const q = rawSql(db)
  const row = await q.get<{ sealed: string | null; props: string | Record<string, unknown> }>(
    `select sealed, props from email_messages where idempotency_key like ? order by id desc`,
    `me:${supporterId}:link:%`,
  )
  if (!row) throw new Error(`no My data link was queued for supporter ${supporterId}`)
  const opened = (sealed: string) => (crypto ? (JSON.parse(crypto.open(sealed, { table: 'email_messages', column: 'sealed' })) as EmailData) : openEmail(sealed))
  const props = row.sealed ? opened(row.sealed).props : typeof row.props === 'string' ? (JSON.parse(row.props) as Record<string, unknown>) : row.props
  const token = myDataLinkToken(String(props.tokenSeed))
  const link = await fetch(`${serverUrl}/me/open/${token}`, { method: 'POST', redirect: 'manual', headers: { Origin: serverUrl }, body: new URLSearchParams() })
  if (link.status !== 303) throw new Error(`opening the My data link answered ${link.status}`)
  const cookie = link.headers.get('set-cookie')!.split(';')[0]!
  const page = await fetch(`${serverUrl}/me`, { headers: { Cookie: cookie } })
  return { status: page.status, html: await page.text(), cookie }
}

type Reader = { get: <T>(text: string, ...params: unknown[]) => Promise<T | undefined>; all: <T>(text: string, ...params: unknown[]) => Promise<T[]> }

/** The supporter an address belongs to, found as the app finds it: by its keyed hash under every loaded key. */
export async function supporterIdOf(db: Reader, address: string) {
  const hashes = emailHashes(address)
  const row = await db.get<{ id: number }>(`select id from supporters where email_hash in (${hashes.map(() => '?').join(', ')})`, ...hashes)
  return row?.id ?? null
}

/** The My data link emails queued for an address (none when it belongs to no supporter). */
export async function myDataLinkEmails(db: Reader, address: string) {
  const supporterId = await supporterIdOf(db, address)
  if (supporterId === null) return []
  return db.all<{ id: number; locale: string; status: string }>(`select id, locale, status from email_messages where idempotency_key like ? and template = 'my-data-link' order by id`, `me:${supporterId}:link:%`)
}
