import { sql, type AnyColumn, type SQL } from 'drizzle-orm'
import type pg from 'pg'
import { driverOf, engineOf, statementName, type Handle, type Tx } from '../client.server.ts'
import { onPostgres } from '../query.server.ts'

/**
 * Engine-specific SQL for signing and its back office, in one place.
 *
 * Drizzle has no date functions: turning a time stored as milliseconds since 1970 into a
 * calendar day needs the engine's own (`strftime` in SQLite, `to_char` in Postgres).
 */

/** The UTC calendar day ('YYYY-MM-DD') of a column holding epoch milliseconds, for SELECT and GROUP BY on `db`'s engine. */
export function utcDay(db: Handle, epochMs: AnyColumn): SQL<string> {
  return engineOf(db) === 'postgres'
    ? sql<string>`to_char(to_timestamp(${epochMs} / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')`
    : sql<string>`strftime('%Y-%m-%d', ${epochMs} / 1000, 'unixepoch')`
}

/**
 * A first signature, on Postgres in one statement (a round trip instead of five): the
 * supporter found or made, the signature and its confirmation email, each
 * written only if the step before it was (the caller moves the pending counter, once per
 * group commit). The same rows, in the same transaction, as the step-by-step path in
 * app/models/signatures.server.ts, which SQLite
 * always takes (there each statement costs a function call, not a round trip): there this
 * answers null. On Postgres it answers which ids it got: no supporter when another
 * transaction made the same one after this statement's snapshot (it is committed by then),
 * no signature when the address has signed this campaign. Either way the caller goes on
 * step by step from there. Every personal value arrives sealed or hashed (ADR 017): the
 * supporter is found by any loaded key's hash of the address, `emailHashes`.
 */
export type FirstSignature = {
  supporter: { emailHashes: string[]; emailHash: string; emailDomainHash: string; sealed: string; dataKeyId: string; country: string; locale: string }
  signature: {
    campaignId: number
    sealed: string
    dataKeyId: string
    country: string
    locale: string
    showName: boolean
    messageStatus: string | null
    tokenHash: string
    tokenExpiresAt: number
    ipHash: string | null
    createdAt: number
    updatesRequested: boolean
    source: string | null
  }
  /** The confirmation email, sealed ({to, props}) beside its public props (JSON); its idempotency key is keyPrefix, the new signature's id, keySuffix. */
  email: { template: string; sealed: string; dataKeyId: string; props: string; locale: string; keyPrefix: string; keySuffix: string; priority: number }
}

const FIRST_SIGNATURE_TEXT = `
  with found as (
    select id from supporters where email_hash = any($1::text[]) limit 1
  ), made as (
    insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale)
    select $2::text, $3::text, $4::text, $5::text, $6::text, $7::text where not exists (select 1 from found)
    on conflict (email_hash) do nothing
    returning id
  ), supporter as (
    select id from found union all select id from made
  ), signature as (
    insert into signatures (campaign_id, supporter_id, sealed, data_key_id, country, locale, show_name,
                            message_status, token_hash, token_expires_at, confirmations_sent, ip_hash, created_at, updates_requested, source)
    select $8::bigint, id, $9::text, $10::text, $11::text, $12::text, $13::boolean, $14::text, $15::text, $16::bigint, 1,
           $17::text, $18::bigint, $19::boolean, $20::text
    from supporter
    on conflict (supporter_id, campaign_id) do nothing
    returning id
  ), mailed as (
    insert into email_messages (template, sealed, data_key_id, locale, props, idempotency_key, campaign_id, priority, batchable)
    select $21::text, $22::text, $23::text, $24::text, $28::text, $25::text || id || $26::text, $8::bigint, $27::bigint, true from signature
    on conflict (idempotency_key) do nothing
  )
  select (select id from supporter) as supporter_id, (select id from signature) as signature_id`
const FIRST_SIGNATURE = statementName(FIRST_SIGNATURE_TEXT)

export async function insertFirstSignature(tx: Tx, rows: () => FirstSignature): Promise<{ supporterId: number | null; signatureId: number | null } | null> {
  if (engineOf(tx) !== 'postgres') return null
  const { supporter: p, signature: s, email: e } = rows()
  const values = [
    p.emailHashes, p.emailHash, p.emailDomainHash, p.sealed, p.dataKeyId, p.country, p.locale,
    s.campaignId, s.sealed, s.dataKeyId, s.country, s.locale, s.showName, s.messageStatus, s.tokenHash, s.tokenExpiresAt, s.ipHash, s.createdAt, s.updatesRequested, s.source,
    e.template, e.sealed, e.dataKeyId, e.locale, e.keyPrefix, e.keySuffix, e.priority, e.props,
  ]
  const result = await onPostgres(() => (driverOf(tx) as pg.PoolClient).query<{ supporter_id: number | null; signature_id: number | null }>({ name: FIRST_SIGNATURE, text: FIRST_SIGNATURE_TEXT, values }))
  const row = result.rows[0]!
  return { supporterId: row.supporter_id, signatureId: row.signature_id }
}
