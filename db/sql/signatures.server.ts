import { sql, type AnyColumn, type SQL } from 'drizzle-orm'
import type pg from 'pg'
import { driverOf, engineOf, statementName, type Handle, type Tx } from '../client.server.ts'
import { onPostgres } from '../query.server.ts'
import { hitWindowsSql, hitWindowValues, type HitWindow } from './rate-limits.server.ts'

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
 *
 * The attempt is counted against the rate limits in the same statement (db/sql/rate-limits),
 * and nothing else is written when any window then holds more than its limit: the caller gets
 * the counts back and says how long to wait. A signature is one round trip.
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
    updatesRequested: boolean
    source: string | null
  }
  /** The confirmation email, sealed ({to, props}) beside its public props (JSON); its idempotency key is keyPrefix, the new signature's id, keySuffix. */
  email: { template: string; sealed: string; dataKeyId: string; props: string; locale: string; keyPrefix: string; keySuffix: string; priority: number }
}

const FIRST_SIGNATURE_TEXT = `
  with ${hitWindowsSql(29, 18)}, allowed as (
    select coalesce(bool_and(c.n <= l.lim), true) as ok
    from counted c join unnest($32::bigint[]) with ordinality as l(lim, position) using (position)
  ), found as (
    select id from supporters where email_hash = any($1::text[]) and (select ok from allowed) limit 1
  ), made as (
    insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale)
    select $2::text, $3::text, $4::text, $5::text, $6::text, $7::text
    where not exists (select 1 from found) and (select ok from allowed)
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
  select array(select n from counted order by position) as counts,
         (select id from supporter) as supporter_id, (select id from signature) as signature_id`
const FIRST_SIGNATURE = statementName(FIRST_SIGNATURE_TEXT)

export type FirstSignatureResult = {
  /** How many attempts each window holds, this one included (in the order given); over a limit, nothing but the attempt was written. */
  counts: number[]
  supporterId: number | null
  signatureId: number | null
}

export async function insertFirstSignature(
  tx: Tx,
  limits: { windows: (HitWindow & { limit: number })[]; now: number },
  rows: () => FirstSignature,
): Promise<FirstSignatureResult | null> {
  if (engineOf(tx) !== 'postgres') return null
  const { supporter: p, signature: s, email: e } = rows()
  const values = [
    p.emailHashes, p.emailHash, p.emailDomainHash, p.sealed, p.dataKeyId, p.country, p.locale,
    s.campaignId, s.sealed, s.dataKeyId, s.country, s.locale, s.showName, s.messageStatus, s.tokenHash, s.tokenExpiresAt, s.ipHash, limits.now, s.updatesRequested, s.source,
    e.template, e.sealed, e.dataKeyId, e.locale, e.keyPrefix, e.keySuffix, e.priority, e.props,
    ...hitWindowValues(limits.windows), limits.windows.map((w) => w.limit),
  ]
  type Row = { counts: string[]; supporter_id: number | null; signature_id: number | null }
  const result = await onPostgres(() => (driverOf(tx) as pg.PoolClient).query<Row>({ name: FIRST_SIGNATURE, text: FIRST_SIGNATURE_TEXT, values }))
  const row = result.rows[0]!
  return { counts: row.counts.map(Number), supporterId: row.supporter_id, signatureId: row.signature_id }
}
