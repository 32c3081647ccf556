import { and, eq, sql } from 'drizzle-orm'
import { getDb, preparedPerConnection } from '#db/client.server.ts'
import { emailBatches, emailMessages, MAIL_PRIORITIES, updateSends, updates, type EmailBatch, type EmailMessage, type Locale } from '#db/schema.ts'
import { recordAudit } from './audit.server.ts'
import { campaignTitleFor } from './campaigns.server.ts'

/**
 * Sending an update to supporters. Pressing Send snapshots the audience — supporters
 * whose latest `campaign_updates` consent for the campaign is granted, who are confirmed
 * signers and/or paying donors, and whose address is not suppressed — into one message
 * each and batches of at most BATCH_SIZE, in one transaction. The batch sender then
 * claims whole batches (sendDueBatchOnce in app/services/mail-sender.server.ts).
 */
export const BATCH_SIZE = 100
/** How long a claim holds before the batch counts as abandoned; VIGIL_BATCH_CLAIM_TIMEOUT_MS shortens it (the crash tests do). */
export const BATCH_CLAIM_TIMEOUT_MS = claimTimeoutFromEnv(process.env.VIGIL_BATCH_CLAIM_TIMEOUT_MS)

function claimTimeoutFromEnv(raw: string | undefined) {
  if (raw === undefined || raw === '') return 120_000
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`VIGIL_BATCH_CLAIM_TIMEOUT_MS must be a positive integer (ms), got "${raw}"`)
  return value
}

export type Audience = { signers: boolean; donors: 'none' | 'campaign' | 'fund'; fundId?: number | null }

/** The audience as SQL: one row per supporter (id, email, locale). */
function audienceQuery(campaignId: number, audience: Audience) {
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

/** How many supporters a send would reach now, in all and per language. */
export async function countAudience({ campaignId, audience }: { campaignId: number; audience: Audience }) {
  const query = audienceQuery(campaignId, audience)
  const byLocale: Record<Locale, number> = { en: 0, de: 0, es: 0 }
  if (!query) return { total: 0, byLocale }
  const rows = getDb().all<{ locale: Locale; n: number }>(sql`select locale, count(*) as n from (${query}) group by locale`)
  for (const row of rows) byLocale[row.locale] = row.n
  return { total: rows.reduce((sum, r) => sum + r.n, 0), byLocale }
}

export type StartSendResult = { status: 'started'; sendId: number; recipients: number } | { status: 'already-sent' | 'empty' | 'unpublished' }

/**
 * Snapshot the audience into messages and batches, in one transaction. An update is
 * sent at most once (a unique index on update_sends.update_id), so a second press of
 * Send, or two organisers pressing it at once, sends nothing more.
 */
export async function startUpdateSend({
  updateId,
  campaignId,
  audience,
  organizerId,
}: {
  updateId: number
  campaignId: number
  audience: Audience
  organizerId: number | null
}): Promise<StartSendResult> {
  const query = audienceQuery(campaignId, audience)
  if (!query) return { status: 'empty' }
  const db = getDb()
  return db.transaction(
    (tx): StartSendResult => {
      const update = tx.select({ id: updates.id, publishedAt: updates.publishedAt }).from(updates).where(and(eq(updates.id, updateId), eq(updates.campaignId, campaignId))).get()
      if (tx.select({ id: updateSends.id }).from(updateSends).where(eq(updateSends.updateId, updateId)).get()) return { status: 'already-sent' }
      // Drafts and scheduled updates are not on the campaign page yet, where the email leads.
      if (!update || update.publishedAt === null || update.publishedAt > Date.now()) return { status: 'unpublished' }
      // A bound JS number arrives as REAL ("10.0" in text): the id goes into keys as an integer.
      const id = sql.raw(String(Math.trunc(updateId)))
      const send = tx.insert(updateSends).values({ updateId, campaignId, audience, recipients: 0, createdBy: organizerId }).returning({ id: updateSends.id }).get()
      // Ordered by language so a batch mostly shares one rendering.
      const inserted = tx.run(sql`
        insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, supporter_id, status, priority)
        select 'campaign-update', a.email, a.locale, json_object('updateId', ${id}, 'supporterId', a.id),
               'update:' || ${id} || ':' || a.id, ${campaignId}, a.id, 'batched', ${MAIL_PRIORITIES.bulk}
        from (${query}) as a
        order by a.locale, a.id`)
      const recipients = inserted.changes
      if (recipients === 0) {
        tx.delete(updateSends).where(eq(updateSends.id, send.id)).run()
        return { status: 'empty' }
      }
      const lastMessage = Number(inserted.lastInsertRowid)
      const firstMessage = lastMessage - recipients + 1
      const batchCount = Math.ceil(recipients / BATCH_SIZE)
      const batches = tx.run(sql`
        with recursive seq(i) as (select 0 union all select i + 1 from seq where i + 1 < ${batchCount})
        insert into email_batches (send_id, idempotency_key, size)
        select ${send.id}, 'update:' || ${id} || ':batch:' || i,
               min(${BATCH_SIZE}, ${recipients} - i * ${BATCH_SIZE})
        from seq`)
      const firstBatch = Number(batches.lastInsertRowid) - batchCount + 1
      // Messages were numbered consecutively in this transaction: batch k holds the k-th hundred.
      // (Integer division: bound JS numbers arrive as REAL, so the arithmetic is cast.)
      tx.run(sql`
        update email_messages set batch_id = cast(${firstBatch} as integer) + (id - cast(${firstMessage} as integer)) / ${sql.raw(String(BATCH_SIZE))}
        where id between ${firstMessage} and ${lastMessage}`)
      tx.update(updateSends).set({ recipients }).where(eq(updateSends.id, send.id)).run()
      recordAudit(tx, { organizerId, action: 'update.send', subjectType: 'update', subjectId: updateId, details: { campaignId, audience, recipients } })
      return { status: 'started', sendId: send.id, recipients }
    },
    { behavior: 'immediate' },
  )
}

/** Where a send stands, for the organiser's progress view. */
export async function getSendProgress({ updateId }: { updateId: number }) {
  const db = getDb()
  const send = db.select().from(updateSends).where(eq(updateSends.updateId, updateId)).get()
  if (!send) return null
  const messages = db.all<{ status: string; delivery: string | null; n: number }>(sql`
    select m.status as status, m.delivery_status as delivery, count(*) as n
    from email_messages m join email_batches b on b.id = m.batch_id
    where b.send_id = ${send.id}
    group by m.status, m.delivery_status`)
  const count = (predicate: (row: { status: string; delivery: string | null }) => boolean) => messages.filter(predicate).reduce((sum, r) => sum + r.n, 0)
  const sent = count((r) => r.status === 'sent' || r.status === 'captured')
  const failed = count((r) => r.status === 'failed')
  const unsubscribed =
    db.get<{ n: number }>(sql`
      select count(distinct c.supporter_id) as n from consents c
      join email_messages m on m.supporter_id = c.supporter_id
      join email_batches b on b.id = m.batch_id and b.send_id = ${send.id}
      where c.purpose = 'campaign_updates' and c.campaign_id = ${send.campaignId} and c.granted = 0 and c.created_at >= ${send.createdAt}`)?.n ?? 0
  return {
    sendId: send.id,
    startedAt: send.createdAt,
    audience: send.audience,
    recipients: send.recipients,
    sent,
    failed,
    remaining: send.recipients - sent - failed,
    delivered: count((r) => r.delivery === 'delivered'),
    bounced: count((r) => r.delivery === 'bounced'),
    complained: count((r) => r.delivery === 'complained'),
    unsubscribed,
  }
}

// ——— The batch sender's side ———

/** What the sender needs of a message to render and send it. */
export type BatchMessage = Pick<EmailMessage, 'id' | 'campaignId' | 'toEmail' | 'template' | 'locale' | 'props'>
export type ClaimedBatch = { batch: EmailBatch; messages: BatchMessage[] }

/**
 * Claim one due batch. The claim is a single UPDATE … RETURNING on SQLite's one writer,
 * so two senders (the web server and `npm run worker`) never hold the same batch. A claim
 * older than BATCH_CLAIM_TIMEOUT_MS belonged to a sender that died: it is due again and is
 * resent with the same idempotency key.
 */
// The sender's statements: prepared once per connection (a 100,000-recipient send runs them 1,000 times).
const batchStatements = preparedPerConnection((db) => ({
  reclaim: db.$client.prepare(`update email_batches set status = 'pending' where status = 'submitting' and claimed_at < ?`),
  due: db.$client.prepare(`
    select 1 from email_batches where status = 'pending' and next_attempt_at <= @now
    union all
    select 1 from email_batches where status = 'submitting' and claimed_at < @abandoned
    limit 1`),
  // One statement, one writer: the claim is atomic, so two senders never hold the same batch.
  claim: db.$client.prepare(`
    update email_batches set status = 'submitting', claimed_at = @now, attempts = attempts + 1
    where id = (select id from email_batches where status = 'pending' and next_attempt_at <= @now order by next_attempt_at, id limit 1)
    returning *`),
  messages: db.$client.prepare(`select id, campaign_id as campaignId, to_email as toEmail, template, locale, props from email_messages where batch_id = ? order by id`),
  blocked: db.$client.prepare(`
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
  results: db.$client.prepare(`
    update email_messages set
      status = r.to_status,
      provider_id = case when r.error is null then r.given_id else email_messages.provider_id end,
      sent_at = case when r.error is null then @at else email_messages.sent_at end,
      last_error = r.error
    from (select value ->> 0 as message_id, value ->> 1 as to_status, value ->> 2 as given_id, value ->> 3 as error from json_each(@results)) as r
    where email_messages.id = r.message_id and +email_messages.batch_id = @batchId`),
  submitted: db.$client.prepare(`update email_batches set status = 'submitted', submitted_at = @at, last_error = null where id = @batchId and status = 'submitting'`),
}))

type BatchRow = { id: number; send_id: number; priority: number; idempotency_key: string; status: EmailBatch['status']; size: number; attempts: number; next_attempt_at: number; claimed_at: number | null; last_error: string | null; submitted_at: number | null }

/**
 * Claim one due batch. The claim is a single UPDATE … RETURNING on SQLite's one writer,
 * so two senders (the web server and `npm run worker`) never hold the same batch. A claim
 * older than BATCH_CLAIM_TIMEOUT_MS belonged to a sender that died: it is due again and is
 * resent with the same idempotency key.
 */
export async function claimBatch({ now = Date.now() }: { now?: number } = {}): Promise<ClaimedBatch | null> {
  const q = batchStatements()
  return getDb().$client.transaction(() => {
    q.reclaim.run(now - BATCH_CLAIM_TIMEOUT_MS)
    const row = q.claim.get({ now }) as BatchRow | undefined
    if (!row) return null
    const batch: EmailBatch = {
      id: row.id,
      sendId: row.send_id,
      priority: row.priority,
      idempotencyKey: row.idempotency_key,
      status: row.status,
      size: row.size,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      claimedAt: row.claimed_at,
      lastError: row.last_error,
      submittedAt: row.submitted_at,
    }
    const messages = q.messages.all(row.id) as (Omit<BatchMessage, 'props'> & { props: string })[]
    return { batch, messages: messages.map((m): BatchMessage => ({ ...m, props: JSON.parse(m.props) as BatchMessage['props'] })) }
  }).immediate()
}

/** Messages of a claimed batch that must not go out now: suppressed since, or consent withdrawn since. */
export async function blockedRecipients({ messageIds, campaignId }: { messageIds: number[]; campaignId: number }) {
  if (messageIds.length === 0) return new Set<number>()
  const rows = batchStatements().blocked.all({ ids: JSON.stringify(messageIds), campaignId }) as { id: number }[]
  return new Set(rows.map((r) => r.id))
}

export type BatchOutcome =
  | { status: 'submitted'; results: { id: number; providerId: string | null; error: string | null; captured: boolean }[]; at: number }
  | { status: 'retry'; error: string; retryAt: number }
  | { status: 'failed'; error: string }

/** Record what happened to a claimed batch, and to each of its messages, in one transaction. */
export async function recordBatchOutcome({ batchId, outcome }: { batchId: number; outcome: BatchOutcome }) {
  const db = getDb()
  db.transaction((tx) => {
    const held = and(eq(emailBatches.id, batchId), eq(emailBatches.status, 'submitting'))
    if (outcome.status === 'retry') {
      tx.update(emailBatches).set({ status: 'pending', lastError: outcome.error, nextAttemptAt: outcome.retryAt, claimedAt: null }).where(held).run()
      return
    }
    if (outcome.status === 'failed') {
      const changed = tx.update(emailBatches).set({ status: 'failed', lastError: outcome.error }).where(held).run().changes
      if (changed) tx.update(emailMessages).set({ status: 'failed', lastError: outcome.error }).where(eq(emailMessages.batchId, batchId)).run()
      return
    }
    const q = batchStatements()
    if (!q.submitted.run({ at: outcome.at, batchId }).changes || outcome.results.length === 0) return
    const results = outcome.results.map(({ id, providerId, error, captured }) => [id, error === null ? (captured ? 'captured' : 'sent') : 'failed', providerId, error])
    q.results.run({ results: JSON.stringify(results), at: outcome.at, batchId })
  })
}

/**
 * Whether a batch could be claimed now: a read, so the sender's idle polling writes
 * nothing (claiming is a write transaction, which would compete with signing for the lock).
 */
export async function hasDueBatches({ now = Date.now() }: { now?: number } = {}) {
  return batchStatements().due.get({ now, abandoned: now - BATCH_CLAIM_TIMEOUT_MS }) !== undefined
}

/** An update's texts for its email in `locale` (else the campaign's default language), with the campaign's. */
export async function getUpdateForEmail({ updateId, locale }: { updateId: number; locale: Locale }) {
  const db = getDb()
  const update = db.get<{
    title: string
    bodyMd: string
    lang: Locale
    imagePath: string | null
    imageAlt: string
    campaignId: number
    campaignSlug: string
    organizationName: string
  }>(sql`
      select ut.title as title, ut.body_md as bodyMd, ut.locale as lang, u.image_path as imagePath, ut.image_alt as imageAlt,
             c.id as campaignId, c.slug as campaignSlug, o.name as organizationName
      from updates u
      join campaigns c on c.id = u.campaign_id
      join organizations o on o.id = c.organization_id
      join update_translations ut on ut.update_id = u.id
      where u.id = ${updateId}
      order by ut.locale = ${locale} desc, ut.locale = c.default_locale desc
      limit 1`)
  return update ? { ...update, campaignTitle: campaignTitleFor(db, update.campaignId, locale) } : null
}
