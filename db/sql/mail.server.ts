import { sql, type SQL } from 'drizzle-orm'
import { preparedPerConnection, sqliteOf, type Handle, type Tx } from '../client.server.ts'
import { MAIL_PRIORITIES, type Locale } from '../schema.ts'
import { rawExecute, rawRows } from '../query.server.ts'

/**
 * The mail statements the Drizzle query builder cannot write: each is named, typed and says
 * why, and whether its SQL is SQLite's own (the places a second engine has to translate).
 * Everything else about mail is in app/models (outbox, update-sends, outbox-stats, reminders,
 * delivery-events) and uses the builder.
 */

/** Resend takes up to 100 emails per batch request; a batch holds at most this many messages. */
export const BATCH_SIZE = 100

// ——— Update sends: the audience and its snapshot ———

export type Audience = { signers: boolean; donors: 'none' | 'campaign' | 'fund'; fundId?: number | null }

/**
 * The audience as SQL: one row per supporter (id, email, locale) who is a confirmed signer
 * and/or paying donor, whose latest `campaign_updates` consent for the campaign is granted and
 * whose address is not suppressed. Null when the audience names nobody.
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
    select s.id as id, s.email as email, s.locale as locale
    from (${union}) as wanted
    join supporters s on s.id = wanted.id
    where (
      select c.granted from consents c
      where c.supporter_id = s.id and c.purpose = 'campaign_updates' and c.campaign_id = ${campaignId}
      order by c.id desc limit 1
    ) = 1
    and not exists (select 1 from suppressions x where x.email_normalized = s.email_normalized)`
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
  return await rawRows(db, sql`select locale, count(*) as n from (${query}) group by locale`)
}

/**
 * Snapshot the audience of an update send into one `campaign-update` message each (ordered by
 * language, so a batch mostly shares one rendering) and batches of at most BATCH_SIZE, inside
 * the caller's transaction; returns how many messages it made (0: nothing was written).
 * Raw: INSERT … SELECT from the audience query, a recursive CTE numbering the batches, and
 * integer arithmetic on the consecutive ids one transaction gives. SQLite-specific: it relies
 * on `lastInsertRowid` and on the rows of one INSERT getting consecutive ids.
 */
export async function snapshotUpdateSend(tx: Tx, { sendId, updateId, campaignId, audience }: { sendId: number; updateId: number; campaignId: number; audience: Audience }): Promise<number> {
  const query = audienceQuery(campaignId, audience)
  if (!query) return 0
  // A bound JS number arrives as REAL ("10.0" in text): the id goes into keys as an integer.
  const id = sql.raw(String(Math.trunc(updateId)))
  const inserted = tx.run(sql`
    insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, supporter_id, status, priority)
    select 'campaign-update', a.email, a.locale, json_object('updateId', ${id}, 'supporterId', a.id),
           'update:' || ${id} || ':' || a.id, ${campaignId}, a.id, 'batched', ${MAIL_PRIORITIES.bulk}
    from (${query}) as a
    order by a.locale, a.id`)
  const recipients = inserted.changes
  if (recipients === 0) return 0
  const lastMessage = Number(inserted.lastInsertRowid)
  const firstMessage = lastMessage - recipients + 1
  const batchCount = Math.ceil(recipients / BATCH_SIZE)
  const batches = tx.run(sql`
    with recursive seq(i) as (select 0 union all select i + 1 from seq where i + 1 < ${batchCount})
    insert into email_batches (send_id, idempotency_key, size)
    select ${sendId}, 'update:' || ${id} || ':batch:' || i,
           min(${BATCH_SIZE}, ${recipients} - i * ${BATCH_SIZE})
    from seq`)
  const firstBatch = Number(batches.lastInsertRowid) - batchCount + 1
  // Messages were numbered consecutively in this transaction: batch k holds the k-th hundred.
  // (Integer division: bound JS numbers arrive as REAL, so the arithmetic is cast.)
  await rawExecute(tx, sql`
    update email_messages set batch_id = cast(${firstBatch} as integer) + (id - cast(${firstMessage} as integer)) / ${sql.raw(String(BATCH_SIZE))}
    where id between ${firstMessage} and ${lastMessage}`)
  return recipients
}

// ——— The batch sender ———

// Prepared once per connection: a 100,000-recipient send runs each of these 1,000 times.
const senderStatements = preparedPerConnection((db) => ({
  blocked: sqliteOf(db).prepare<[{ ids: string; campaignId: number }], { id: number }>(`
    select m.id as id from email_messages m
    left join supporters s on s.id = m.supporter_id
    where m.id in (select value from json_each(@ids))
    and (
      exists (select 1 from suppressions x where x.email_normalized = s.email_normalized)
      or coalesce((
        select c.granted from consents c
        where c.supporter_id = m.supporter_id and c.purpose = 'campaign_updates' and c.campaign_id = @campaignId
        order by c.id desc limit 1
      ), 0) = 0
    )`),
  // A submitted batch's results, [id, status, providerId, error] each, in one statement (not 100).
  // The unary + keeps the planner off the batch_id index: looping the batch's rows over json_each
  // is 100 × 100 steps; json_each first, each message found by its id, is 100.
  results: sqliteOf(db).prepare<[{ results: string; at: number; batchId: number }]>(`
    update email_messages set
      status = r.to_status,
      provider_id = case when r.error is null then r.given_id else email_messages.provider_id end,
      sent_at = case when r.error is null then @at else email_messages.sent_at end,
      last_error = r.error
    from (select value ->> 0 as message_id, value ->> 1 as to_status, value ->> 2 as given_id, value ->> 3 as error from json_each(@results)) as r
    where email_messages.id = r.message_id and +email_messages.batch_id = @batchId`),
}))

/**
 * Of these messages, those whose supporter was suppressed, or whose latest consent for the
 * campaign is not "granted". Raw: the ids travel as one JSON array (json_each), so a batch of
 * 100 is one prepared statement rather than 100 binds. SQLite-specific (json_each).
 */
export function blockedMessageIds(db: Handle, { messageIds, campaignId }: { messageIds: number[]; campaignId: number }): number[] {
  return senderStatements(db)
    .blocked.all({ ids: JSON.stringify(messageIds), campaignId })
    .map((r) => r.id)
}

export type MessageResult = { id: number; status: 'sent' | 'captured' | 'failed'; providerId: string | null; error: string | null }

/**
 * Settle each message of a submitted batch with its own result, in one statement, inside the
 * caller's transaction. Raw: UPDATE … FROM over json_each, with a planner hint (the unary +).
 * SQLite-specific (json_each, `->>`, the hint).
 */
export function recordBatchResults(tx: Tx, { batchId, at, results }: { batchId: number; at: number; results: MessageResult[] }) {
  const rows = results.map(({ id, status, providerId, error }) => [id, status, providerId, error])
  senderStatements(tx).results.run({ results: JSON.stringify(rows), at, batchId })
}

// ——— Outbox stats ———

// INDEXED BY: without statistics SQLite would answer "batch_id is null" or "send_id is null" from
// the batch and send indexes, walking every transactional email or batch there ever was.
const STATS_SQL = {
  // Per priority: count and oldest in one pass over the due index (ids grow with time).
  queuedAlone: `select count(*) as n, min(id) as oldestId from email_messages indexed by email_messages_due_idx
    where batch_id is null and status = 'queued' and priority = ?`,
  queuedInBatches: `select m.priority as priority, count(*) as n, min(m.id) as oldestId
    from email_batches b indexed by email_batches_due_idx join email_messages m indexed by email_messages_batch_idx on m.batch_id = b.id
    where b.status in ('pending', 'submitting') and b.send_id is null and m.status = 'batched'
    group by m.priority`,
  updatesRemaining: `select coalesce(sum(size), 0) as n from email_batches indexed by email_batches_due_idx
    where status in ('pending', 'submitting') and send_id is not null`,
  createdAt: `select created_at as createdAt from email_messages where id = ?`,
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

const statsStatements = preparedPerConnection((db) => {
  const c = sqliteOf(db)
  return {
    queuedAlone: c.prepare<[number], { n: number; oldestId: number | null }>(STATS_SQL.queuedAlone),
    queuedInBatches: c.prepare<[], WaitingMail>(STATS_SQL.queuedInBatches),
    updatesRemaining: c.prepare<[], { n: number }>(STATS_SQL.updatesRemaining),
    createdAt: c.prepare<[number], { createdAt: number }>(STATS_SQL.createdAt),
    batchesAccepted: c.prepare<[number], { n: number }>(STATS_SQL.batchesAccepted),
    firstIdSince: c.prepare<[number], { id: number }>(STATS_SQL.firstIdSince),
    firstAttemptsAccepted: c.prepare<[{ firstId: number; since: number }], { n: number }>(STATS_SQL.firstAttemptsAccepted),
    retriesAccepted: c.prepare<[{ lookback: number; since: number }], { n: number }>(STATS_SQL.retriesAccepted),
  }
})

/**
 * The outbox figures' queries (app/models/outbox-stats.server.ts combines them). Raw because
 * each names the index it must use (INDEXED BY), which Drizzle cannot say. SQLite-specific
 * (INDEXED BY); on another engine the same queries without the hints.
 */
export function outboxStatsQueries(db: Handle) {
  const q = statsStatements(db)
  return {
    /** Messages queued alone at this priority: how many, and the oldest id. */
    queuedAlone: (priority: number) => q.queuedAlone.get(priority) ?? { n: 0, oldestId: null },
    /** Messages batched in transactional batches not yet submitted, per priority. */
    queuedInBatches: () => q.queuedInBatches.all(),
    /** Update mail still to go: the size of its batches not yet submitted. */
    updatesRemaining: () => q.updatesRemaining.get()?.n ?? 0,
    createdAt: (id: number) => q.createdAt.get(id)?.createdAt ?? null,
    /** Emails of transactional batches submitted since `since`. */
    batchesAccepted: (since: number) => q.batchesAccepted.get(since)?.n ?? 0,
    firstIdSince: (since: number) => q.firstIdSince.get(since)?.id,
    /** Messages sent alone at their first attempt since `since`, queued from `firstId` on. */
    firstAttemptsAccepted: (args: { firstId: number; since: number }) => q.firstAttemptsAccepted.get(args)?.n ?? 0,
    /** Retried messages sent alone since `since`, due after `lookback`. */
    retriesAccepted: (args: { lookback: number; since: number }) => q.retriesAccepted.get(args)?.n ?? 0,
  }
}

/** Each stats query's plan (EXPLAIN QUERY PLAN), for the test that keeps them on indexes. SQLite-specific. */
export function outboxStatsQueryPlans(db: Handle): { name: string; plan: string[] }[] {
  return Object.entries(STATS_SQL).map(([name, query]) => {
    const params = (query.match(/@\w+/g) ?? []).reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.slice(1)]: 0 }), {})
    const args = query.includes('?') ? [0] : Object.keys(params).length ? [params] : []
    const rows = sqliteOf(db).prepare<unknown[], { detail: string }>(`explain query plan ${query}`).all(...args)
    return { name, plan: rows.map((r) => r.detail) }
  })
}
