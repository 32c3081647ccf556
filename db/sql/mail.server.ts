import { sql, type SQL } from 'drizzle-orm'
import { engineOf, sqliteOf, type Handle, type Tx } from '../client.server.ts'
import { MAIL_PRIORITIES, type Locale } from '../schema.ts'
import { rawExecute, rawRows } from '../query.server.ts'
import { rawStatement } from './statement.server.ts'

/**
 * The mail statements the Drizzle query builder cannot write: each is named, typed and says
 * why, and whether its SQL is SQLite's own (the places a second engine has to translate).
 * Everything else about mail is in app/models (outbox, update-sends, outbox-stats, reminders,
 * delivery-events) and uses the builder.
 */

/** Resend takes up to 100 emails per batch request; a batch holds at most this many messages. */
export const BATCH_SIZE = 100

// ——— Claims ———

/**
 * A claim's SELECT of due outbox rows (messages or batches), for the sender's claim
 * transaction. On Postgres several app servers claim at once: the SELECT locks the rows it
 * returns and skips those another open claim holds (FOR UPDATE SKIP LOCKED), so a row is
 * claimed by one sender, and a row another claim changed meanwhile is read again and left out
 * if it no longer qualifies. SQLite has one writer: the claim's immediate transaction already
 * keeps every other sender out, and the SELECT stays as it is.
 */
export function skippingLocked<Query>(db: Handle, query: Query): Query {
  if (engineOf(db) === 'sqlite') return query
  // At run time a Postgres handle builds Postgres' select (db/client.server.ts), which has `for`.
  return (query as unknown as { for: (strength: 'update', config: { skipLocked: true }) => Query }).for('update', { skipLocked: true })
}

// ——— Update sends: the audience and its snapshot ———

export type Audience = { signers: boolean; donors: 'none' | 'campaign' | 'fund'; fundId?: number | null }

/**
 * The audience as SQL: one row per supporter (id, locale) who is a confirmed signer and/or
 * paying donor, whose latest `campaign_updates` consent for the campaign is granted and whose
 * address is not suppressed (by its keyed hash, ADR 017). Null when the audience names nobody.
 * No address: the sender opens it from the supporter's row when it sends.
 * Raw because it is a fragment of the INSERT … SELECT below (a union with a correlated
 * "latest row" subquery); portable SQL.
 */
function audienceQuery(campaignId: number, audience: Audience): SQL | null {
  const parts = []
  if (audience.signers) {
    parts.push(sql`select supporter_id as id from signatures where campaign_id = ${campaignId} and status = 'confirmed'`)
  }
  if (audience.donors === 'campaign') {
    parts.push(sql`select supporter_id as id from donations where campaign_id = ${campaignId} and paid_at is not null and supporter_id is not null`)
  } else if (audience.donors === 'fund' && audience.fundId) {
    parts.push(
      sql`select supporter_id as id from donations where campaign_id = ${campaignId} and fund_id = ${audience.fundId} and paid_at is not null and supporter_id is not null`,
    )
  }
  if (parts.length === 0) return null
  const union = sql.join(parts, sql` union `)
  // The latest consent row decides: consents are append-only (granted, then maybe withdrawn).
  return sql`
    select s.id as id, s.locale as locale
    from (${union}) as wanted
    join supporters s on s.id = wanted.id
    where (
      select c.granted from consents c
      where c.supporter_id = s.id and c.purpose = 'campaign_updates' and c.campaign_id = ${campaignId}
      order by c.id desc limit 1
    ) = true
    and not exists (select 1 from suppressed_addresses x where x.email_hash = s.email_hash)`
}

/** Whether the audience names anyone at all (signers, or donors of some kind). */
export function audienceNamesAnyone(audience: Audience) {
  return audienceQuery(0, audience) !== null
}

/**
 * How many supporters the audience reaches now, per language (languages with none are left
 * out). Raw: it counts over the audience query above. Portable SQL.
 */
export async function countAudienceByLocale(db: Handle, { campaignId, audience }: { campaignId: number; audience: Audience }): Promise<{ locale: Locale; n: number }[]> {
  const query = audienceQuery(campaignId, audience)
  if (!query) return []
  return await rawRows(db, sql`select a.locale as locale, count(*) as n from (${query}) as a group by a.locale`)
}

/**
 * Snapshot the audience of an update send into one `campaign-update` message each (ordered by
 * language, so a batch mostly shares one rendering) and batches of at most BATCH_SIZE, inside
 * the caller's transaction; returns how many messages it made (0: nothing was written).
 * Raw: INSERT … SELECT from the audience query. The batches are made first, from the audience's
 * size (a recursive CTE counts them off), and each message finds its batch in the same
 * INSERT … SELECT that makes it: the audience is numbered with row_number() in the messages'
 * order, and message n goes in the batch whose key ends in n / BATCH_SIZE. No id is assumed
 * consecutive (Postgres hands out ids to concurrent inserts interleaved). Portable SQL.
 */
export async function snapshotUpdateSend(tx: Tx, { sendId, updateId, campaignId, audience }: { sendId: number; updateId: number; campaignId: number; audience: Audience }): Promise<number> {
  const query = audienceQuery(campaignId, audience)
  if (!query) return 0
  // Integers go in as literals: a bound JS number is REAL in SQLite ("10.0" in a key) and an
  // untyped parameter in Postgres' select list is text.
  const int = (n: number) => sql.raw(String(Math.trunc(n)))
  const [id, size] = [int(updateId), int(BATCH_SIZE)]
  const batchKey = (i: SQL) => sql`'update:' || ${id} || ':batch:' || ${i}`
  const batches = await rawRows<{ size: number }>(tx, sql`
    with recursive audience_size(n) as (select count(*) from (${query}) as a),
    seq(i) as (select 0 from audience_size where n > 0 union all select i + 1 from seq, audience_size where (i + 1) * ${size} < n)
    insert into email_batches (send_id, idempotency_key, size)
    select ${int(sendId)}, ${batchKey(sql`i`)}, case when n - i * ${size} < ${size} then n - i * ${size} else ${size} end
    from seq, audience_size
    returning size`)
  const counted = batches.reduce((sum, b) => sum + b.size, 0)
  if (counted === 0) return 0
  const inserted = await rawExecute(tx, sql`
    insert into email_messages (template, locale, props, idempotency_key, campaign_id, supporter_id, status, priority, batch_id)
    select 'campaign-update', a.locale, '{"updateId":' || ${id} || ',"supporterId":' || a.id || '}',
           'update:' || ${id} || ':' || a.id, ${int(campaignId)}, a.id, 'batched', ${int(MAIL_PRIORITIES.bulk)}, b.id
    from (select w.id, w.locale, row_number() over (order by w.locale, w.id) - 1 as n from (${query}) as w) as a
    join email_batches b on b.idempotency_key = ${batchKey(sql`(a.n / ${size})`)}
    order by a.locale, a.id`)
  // On Postgres (READ COMMITTED) each statement sees the latest commits: someone who withdrew
  // in between is not in the messages, so the batches are sized by what they hold.
  if (inserted.changes !== counted) {
    await rawExecute(tx, sql`update email_batches set size = (select count(*) from email_messages m where m.batch_id = email_batches.id) where send_id = ${int(sendId)}`)
    await rawExecute(tx, sql`delete from email_batches where send_id = ${int(sendId)} and size = 0`)
  }
  return inserted.changes
}

// ——— The batch sender ———

// Prepared once per connection: a 100,000-recipient send runs each of these 1,000 times.
const blockedStatement = rawStatement<{ id: number }>(
  `
    select m.id as id from email_messages m
    left join supporters s on s.id = m.supporter_id
    where m.id in (select value from json_each(@ids))
    and (
      exists (select 1 from suppressed_addresses x where x.email_hash = s.email_hash)
      or coalesce((
        select c.granted from consents c
        where c.supporter_id = m.supporter_id and c.purpose = 'campaign_updates' and c.campaign_id = @campaignId
        order by c.id desc limit 1
      ), 0) = 0
    )`,
  // Postgres: the ids as one array parameter; consents.granted is a boolean there.
  { postgresText: `
    select m.id as id from email_messages m
    left join supporters s on s.id = m.supporter_id
    where m.id = any($1::bigint[])
    and (
      exists (select 1 from suppressed_addresses x where x.email_hash = s.email_hash)
      or not coalesce((
        select c.granted from consents c
        where c.supporter_id = m.supporter_id and c.purpose = 'campaign_updates' and c.campaign_id = $2
        order by c.id desc limit 1
      ), false)
    )` },
)

// A submitted batch's results, [id, status, providerId, error] each, in one statement (not 100).
// SQLite: the unary + keeps the planner off the batch_id index: looping the batch's rows over
// json_each is 100 × 100 steps; json_each first, each message found by its id, is 100.
const resultsStatement = rawStatement(
  `
    update email_messages set
      status = r.to_status,
      provider_id = case when r.error is null then r.given_id else email_messages.provider_id end,
      sent_at = case when r.error is null then @at else email_messages.sent_at end,
      last_error = r.error
    from (select value ->> 0 as message_id, value ->> 1 as to_status, value ->> 2 as given_id, value ->> 3 as error from json_each(@results)) as r
    where email_messages.id = r.message_id and +email_messages.batch_id = @batchId`,
  { postgresText: `
    update email_messages set
      status = r.to_status,
      provider_id = case when r.error is null then r.given_id else email_messages.provider_id end,
      sent_at = case when r.error is null then $2::bigint else email_messages.sent_at end,
      last_error = r.error
    from (select (value ->> 0)::bigint as message_id, value ->> 1 as to_status, value ->> 2 as given_id, value ->> 3 as error
          from jsonb_array_elements($1::jsonb) as value) as r
    where email_messages.id = r.message_id and email_messages.batch_id = $3` },
)

/**
 * Of these messages, those whose supporter was suppressed, or whose latest consent for the
 * campaign is not "granted". Raw: the ids travel as one value (a JSON array for SQLite's
 * json_each, an array for Postgres' `= any`), so a batch of 100 is one prepared statement
 * rather than 100 binds.
 */
export async function blockedMessageIds(db: Handle, { messageIds, campaignId }: { messageIds: number[]; campaignId: number }): Promise<number[]> {
  const params = engineOf(db) === 'sqlite' ? { ids: JSON.stringify(messageIds), campaignId } : [messageIds, campaignId]
  return (await blockedStatement.all(db, params)).map((r) => r.id)
}

export type MessageResult = { id: number; status: 'sent' | 'captured' | 'failed'; providerId: string | null; error: string | null }

/**
 * Settle each message of a submitted batch with its own result, in one statement, inside the
 * caller's transaction. Raw: UPDATE … FROM over the results as one JSON array (json_each in
 * SQLite with a planner hint, jsonb_array_elements in Postgres).
 */
export async function recordBatchResults(tx: Tx, { batchId, at, results }: { batchId: number; at: number; results: MessageResult[] }) {
  const rows = JSON.stringify(results.map(({ id, status, providerId, error }) => [id, status, providerId, error]))
  await resultsStatement.run(tx, engineOf(tx) === 'sqlite' ? { results: rows, at, batchId } : [rows, at, batchId])
}

// ——— Outbox stats ———

// INDEXED BY: without statistics SQLite would answer "batch_id is null" or "send_id is null" from
// the batch and send indexes, walking every transactional email or batch there ever was.
const STATS_SQL = {
  // Per priority: count and oldest in one pass over the due index (ids grow with time).
  queuedAlone: `select count(*) as n, min(id) as "oldestId" from email_messages indexed by email_messages_due_idx
    where batch_id is null and status = 'queued' and priority = ?`,
  queuedInBatches: `select m.priority as priority, count(*) as n, min(m.id) as "oldestId"
    from email_batches b indexed by email_batches_due_idx join email_messages m indexed by email_messages_batch_idx on m.batch_id = b.id
    where b.status in ('pending', 'submitting') and b.send_id is null and m.status = 'batched'
    group by m.priority`,
  updatesRemaining: `select coalesce(sum(size), 0) as n from email_batches indexed by email_batches_due_idx
    where status in ('pending', 'submitting') and send_id is not null`,
  createdAt: `select created_at as "createdAt" from email_messages where id = ?`,
  batchesAccepted: `select coalesce(sum(size), 0) as n from email_batches indexed by email_batches_submitted_idx where submitted_at >= ? and send_id is null`,
  // The first message queued in the lookback, by the created index: first attempts sent alone are
  // then a range of the due index (next_attempt_at 0, ids from it); retried ones a range of their due time.
  firstIdSince: `select id from email_messages where created_at >= ? order by created_at limit 1`,
  firstAttemptsAccepted: `select count(*) as n from email_messages indexed by email_messages_due_idx
    where batch_id is null and status in ('sent', 'captured') and priority in (${MAIL_PRIORITIES.confirmation}, ${MAIL_PRIORITIES.transactional})
      and next_attempt_at = 0 and id >= @firstId and sent_at >= @since`,
  retriesAccepted: `select count(*) as n from email_messages indexed by email_messages_due_idx
    where batch_id is null and status in ('sent', 'captured') and priority in (${MAIL_PRIORITIES.confirmation}, ${MAIL_PRIORITIES.transactional})
      and next_attempt_at >= @lookback and sent_at >= @since`,
} as const

export type WaitingMail = { priority: number; n: number; oldestId: number | null }

/** The queue's size changes by orders in a surge: planned for the rows there are (statement.server.ts). */
const FIGURES = { planEachRun: true }

const statsStatements = {
  queuedAlone: rawStatement<{ n: number; oldestId: number | null }>(STATS_SQL.queuedAlone, FIGURES),
  queuedInBatches: rawStatement<WaitingMail>(STATS_SQL.queuedInBatches, FIGURES),
  updatesRemaining: rawStatement<{ n: number }>(STATS_SQL.updatesRemaining, FIGURES),
  createdAt: rawStatement<{ createdAt: number }>(STATS_SQL.createdAt, FIGURES),
  batchesAccepted: rawStatement<{ n: number }>(STATS_SQL.batchesAccepted, FIGURES),
  firstIdSince: rawStatement<{ id: number }>(STATS_SQL.firstIdSince, FIGURES),
  firstAttemptsAccepted: rawStatement<{ n: number }>(STATS_SQL.firstAttemptsAccepted, FIGURES),
  retriesAccepted: rawStatement<{ n: number }>(STATS_SQL.retriesAccepted, FIGURES),
}

/**
 * The outbox figures' queries (app/models/outbox-stats.server.ts combines them). Raw because
 * each names the index it must use (INDEXED BY), which Drizzle cannot say. The hints are
 * SQLite's own; Postgres runs the same queries without them (statement.server.ts).
 */
export function outboxStatsQueries(db: Handle) {
  const q = statsStatements
  return {
    /** Messages queued alone at this priority: how many, and the oldest id. */
    queuedAlone: async (priority: number) => (await q.queuedAlone.get(db, [priority])) ?? { n: 0, oldestId: null },
    /** Messages batched in transactional batches not yet submitted, per priority. */
    queuedInBatches: async () => await q.queuedInBatches.all(db),
    /** Update mail still to go: the size of its batches not yet submitted. */
    updatesRemaining: async () => (await q.updatesRemaining.get(db))?.n ?? 0,
    createdAt: async (id: number) => (await q.createdAt.get(db, [id]))?.createdAt ?? null,
    /** Emails of transactional batches submitted since `since`. */
    batchesAccepted: async (since: number) => (await q.batchesAccepted.get(db, [since]))?.n ?? 0,
    firstIdSince: async (since: number) => (await q.firstIdSince.get(db, [since]))?.id,
    /** Messages sent alone at their first attempt since `since`, queued from `firstId` on. */
    firstAttemptsAccepted: async (args: { firstId: number; since: number }) => (await q.firstAttemptsAccepted.get(db, args))?.n ?? 0,
    /** Retried messages sent alone since `since`, due after `lookback`. */
    retriesAccepted: async (args: { lookback: number; since: number }) => (await q.retriesAccepted.get(db, args))?.n ?? 0,
  }
}

/** Postgres: how many rows each stats query reads with these parameters, for the test that keeps them on indexes. */
export async function outboxStatsRowsRead(db: Handle, params: { [Name in keyof typeof STATS_SQL]: unknown[] | Record<string, unknown> }) {
  const read: Record<string, number> = {}
  for (const name of Object.keys(STATS_SQL) as (keyof typeof STATS_SQL)[]) read[name] = await statsStatements[name].rowsRead(db, params[name])
  return read
}

/** Each stats query's plan (EXPLAIN QUERY PLAN), for the test that keeps them on indexes. SQLite only. */
export function outboxStatsQueryPlans(db: Handle): { name: string; plan: string[] }[] {
  return Object.entries(STATS_SQL).map(([name, query]) => {
    const params = (query.match(/@\w+/g) ?? []).reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.slice(1)]: 0 }), {})
    const args = query.includes('?') ? [0] : Object.keys(params).length ? [params] : []
    const rows = sqliteOf(db).prepare<unknown[], { detail: string }>(`explain query plan ${query}`).all(...args)
    return { name, plan: rows.map((r) => r.detail) }
  })
}
