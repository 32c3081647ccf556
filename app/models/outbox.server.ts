import { randomUUID } from 'node:crypto'
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { getDb, legacyPreparedPerConnection } from '#db/client.server.ts'
import { emailBatches, emailMessages, MAIL_PRIORITIES, type EmailBatch, type EmailMessage, type Locale } from '#db/schema.ts'
import { readVariable } from '~/utils/config.server.ts'

/**
 * The outbox. A message is `queued` in the transaction that causes it. The sender takes
 * the best due work by priority (a confirmation, then other transactional mail, then an
 * update's batch; ADR 013): due transactional mail is grouped into a batch of up to 100
 * (`batched`, with the batch's own idempotency key) when it is claimed, and a message
 * that cannot go in a batch is claimed alone (`sending`). Then messages become `sent`
 * (with the provider's id), `captured` (demo mode: kept for organisers to read) or
 * `failed` (permanent error, with the reason); a transient error puts the batch or the
 * message back with a later `next_attempt_at`. A claim older than its timeout belonged to
 * a sender that died: it is taken again and resent with the same idempotency key, which
 * the provider deduplicates.
 */
export const CLAIM_TIMEOUT_MS = 60_000

export type QueueEmail = {
  template: string
  to: string
  locale: Locale
  props: Record<string, unknown>
  idempotencyKey: string
  campaignId?: number | null
  /** False for an email Resend refuses in a batch (attachments, a scheduled send): it goes alone. */
  batchable?: boolean
}

/** A signer waits for their confirmation link before anything else goes out (ADR 013). */
export function priorityOf(template: string) {
  return template === 'confirm-signature' ? MAIL_PRIORITIES.confirmation : MAIL_PRIORITIES.transactional
}

const queueStatement = legacyPreparedPerConnection((db) =>
  db
    .insert(emailMessages)
    .values({
      template: sql.placeholder('template'),
      toEmail: sql.placeholder('to'),
      locale: sql.placeholder('locale'),
      props: sql.placeholder('props'),
      idempotencyKey: sql.placeholder('idempotencyKey'),
      campaignId: sql.placeholder('campaignId'),
      priority: sql.placeholder('priority'),
      batchable: sql.placeholder('batchable'),
    })
    .onConflictDoNothing({ target: emailMessages.idempotencyKey })
    .prepare(),
)

/**
 * Queue an email. Call it inside the transaction of the change that causes it (one
 * connection, so the statement joins that transaction). A repeated key is a no-op.
 */
export function queueEmail(email: QueueEmail) {
  const { batchable = true, campaignId = null, ...rest } = email
  const queued = queueStatement().run({ ...rest, campaignId, priority: priorityOf(email.template), batchable: batchable ? 1 : 0 }).changes === 1
  if (queued) mailQueued()
  return queued
}

// A sender in this process hears of new mail at once instead of at its next poll. Deferred: the
// transaction that queued the email commits first (it is synchronous). Process-wide: the server
// runs the sender from source and the routes from the build, two copies of this module.
declare global {
  var __vigilMailQueued: Set<() => void> | undefined
}
const listeners = (globalThis.__vigilMailQueued ??= new Set<() => void>())
let notifying = false
function mailQueued() {
  if (notifying || listeners.size === 0) return
  notifying = true
  setImmediate(() => {
    notifying = false
    for (const listener of listeners) listener()
  })
}

/** Call `listener` soon after mail is queued in this process; returns the unsubscribe. */
export function onMailQueued(listener: () => void) {
  listeners.add(listener)
  return () => void listeners.delete(listener)
}

/** What the sender needs of a message to render, send and settle it. */
export type ClaimedMessage = Pick<EmailMessage, 'id' | 'template' | 'toEmail' | 'locale' | 'props' | 'idempotencyKey' | 'campaignId' | 'attempts'>

/** A batch the sender holds: an update's (sendId set) or transactional mail it grouped (sendId null). */
export type ClaimedBatch = { batch: EmailBatch; messages: ClaimedMessage[] }

/** What the sender sends next: a batch (up to BATCH_SIZE emails, one request), or one email that cannot go in one. */
export type Work = { kind: 'batch'; batch: EmailBatch; messages: ClaimedMessage[] } | { kind: 'single'; message: ClaimedMessage }

/** Resend takes up to 100 emails per batch request. */
export const BATCH_SIZE = 100

/** How long transactional mail short of a full batch may wait while an update's batch takes the request. */
export const GATHER_MS = 2_000

/** How long a batch claim holds before the batch counts as abandoned; VIGIL_BATCH_CLAIM_TIMEOUT_MS shortens it (the crash tests do). */
export const BATCH_CLAIM_TIMEOUT_MS = readVariable('VIGIL_BATCH_CLAIM_TIMEOUT_MS')

type MessageRow = Omit<ClaimedMessage, 'props'> & { props: string }
const parseMessage = (row: MessageRow): ClaimedMessage => ({ ...row, props: JSON.parse(row.props) as ClaimedMessage['props'] })
type BatchRow = { id: number; send_id: number | null; priority: number; idempotency_key: string; status: EmailBatch['status']; size: number; attempts: number; next_attempt_at: number; claimed_at: number | null; last_error: string | null; submitted_at: number | null }
const parseBatch = (row: BatchRow): EmailBatch => ({
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
})
const MESSAGE_COLUMNS = 'id, template, to_email as toEmail, locale, props, idempotency_key as idempotencyKey, campaign_id as campaignId, attempts'

// Prepared once per connection: under a surge the sender claims several times a second.
const claimStatements = legacyPreparedPerConnection((db) => ({
  // Claims left behind by a crashed sender become due again (and go with the same idempotency key).
  // A message claimed alone went (or may have gone) under its own key: it stays on the single path.
  reclaimSingles: db.$client.prepare(`update email_messages set status = 'queued', batchable = 0 where batch_id is null and status = 'sending' and claimed_at < ?`),
  reclaimBatches: db.$client.prepare(`update email_batches set status = 'pending' where status = 'submitting' and claimed_at < ?`),
  // The best due batch and the best due loose message: whichever comes first by priority goes next.
  bestBatch: db.$client.prepare(`select id, priority from email_batches where status = 'pending' and next_attempt_at <= ? order by priority, next_attempt_at, id limit 1`),
  bestLoose: db.$client.prepare(`
    select id, priority, batchable from email_messages
    where batch_id is null and status = 'queued' and next_attempt_at <= ?
    order by priority, next_attempt_at, id limit 1`),
  // The group that would form now: how many (up to a full batch) and since when the oldest waits.
  forming: db.$client.prepare(`
    select count(*) as n, min(created_at) as oldest from (
      select created_at from email_messages
      where batch_id is null and status = 'queued' and next_attempt_at <= ? and batchable = 1
      limit ${BATCH_SIZE})`),
  claimBatch: db.$client.prepare(`update email_batches set status = 'submitting', claimed_at = @now, attempts = attempts + 1 where id = @id and status = 'pending' returning *`),
  batchMessages: db.$client.prepare(`select ${MESSAGE_COLUMNS} from email_messages where batch_id = ? order by id`),
  claimSingle: db.$client.prepare(`
    update email_messages set status = 'sending', claimed_at = @now, attempts = attempts + 1
    where id = @id and status = 'queued' and batch_id is null
    returning ${MESSAGE_COLUMNS}`),
  claimSingles: db.$client.prepare(`
    update email_messages set status = 'sending', claimed_at = @now, attempts = attempts + 1
    where id in (
      select id from email_messages
      where batch_id is null and status = 'queued' and next_attempt_at <= @now
      order by priority, next_attempt_at, id limit @limit)
    returning ${MESSAGE_COLUMNS}`),
  // A group of transactional mail becomes a batch before it is sent, with a key of its own, so a
  // sender that dies mid-request resends the same group under the same key.
  newBatch: db.$client.prepare(`
    insert into email_batches (send_id, priority, idempotency_key, status, size, attempts, next_attempt_at, claimed_at)
    values (null, @priority, @key, 'submitting', 0, 1, @now, @now) returning *`),
  group: db.$client.prepare(`
    update email_messages set batch_id = @batchId, status = 'batched'
    where id in (
      select id from email_messages
      where batch_id is null and status = 'queued' and next_attempt_at <= @now and batchable = 1
      order by priority, next_attempt_at, id limit ${BATCH_SIZE})
    returning ${MESSAGE_COLUMNS}`),
  sized: db.$client.prepare(`update email_batches set size = @size where id = @id`),
  due: db.$client.prepare(`
    select 1 from email_messages where batch_id is null and status = 'queued' and next_attempt_at <= @now
    union all select 1 from email_batches where status = 'pending' and next_attempt_at <= @now
    union all select 1 from email_batches where status = 'submitting' and claimed_at < @abandonedBatch
    union all select 1 from email_messages where batch_id is null and status = 'sending' and claimed_at < @abandonedSingle
    limit 1`),
}))

/**
 * Claim what goes next, in one write transaction (SQLite's one writer: two senders never hold
 * the same thing): the best due work by priority (MAIL_PRIORITIES), a waiting batch before a
 * new group of the same priority. Due transactional mail is grouped into a new batch here.
 */
export async function claimNextWork({ now = Date.now() }: { now?: number } = {}): Promise<Work | null> {
  const q = claimStatements()
  return getDb()
    .$client.transaction((): Work | null => {
      q.reclaimSingles.run(now - CLAIM_TIMEOUT_MS)
      q.reclaimBatches.run(now - BATCH_CLAIM_TIMEOUT_MS)
      const batch = q.bestBatch.get(now) as { id: number; priority: number } | undefined
      const loose = q.bestLoose.get(now) as { id: number; priority: number; batchable: number } | undefined
      // A trickle of transactional mail would otherwise take every request one email at a time and
      // hold an update back for hours: a group that is not full may wait up to GATHER_MS, giving
      // its turn to an update's batch, and fills meanwhile. A full group never waits.
      const gathering = () => {
        if (batch?.priority !== MAIL_PRIORITIES.bulk || !loose?.batchable) return false
        const forming = q.forming.get(now) as { n: number; oldest: number }
        return forming.n < BATCH_SIZE && forming.oldest > now - GATHER_MS
      }
      if (loose && (!batch || loose.priority < batch.priority) && !gathering()) {
        if (!loose.batchable) {
          const row = q.claimSingle.get({ now, id: loose.id }) as MessageRow
          return { kind: 'single', message: parseMessage(row) }
        }
        const created = q.newBatch.get({ priority: loose.priority, key: `mail:${randomUUID()}`, now }) as BatchRow
        const rows = q.group.all({ batchId: created.id, now }) as MessageRow[]
        q.sized.run({ size: rows.length, id: created.id })
        return { kind: 'batch', batch: { ...parseBatch(created), size: rows.length }, messages: rows.map(parseMessage).sort((a, b) => a.id - b.id) }
      }
      if (!batch) return null
      const row = q.claimBatch.get({ now, id: batch.id }) as BatchRow
      return { kind: 'batch', batch: parseBatch(row), messages: (q.batchMessages.all(row.id) as MessageRow[]).map(parseMessage) }
    })
    .immediate()
}

/** Claim up to `limit` due messages to send one by one, outside any batch (tests of the single path). */
export async function claimDueMessages({ limit, now = Date.now() }: { limit: number; now?: number }): Promise<ClaimedMessage[]> {
  const q = claimStatements()
  const rows = getDb().$client.transaction(() => {
    q.reclaimSingles.run(now - CLAIM_TIMEOUT_MS)
    return q.claimSingles.all({ now, limit }) as MessageRow[]
  })()
  return rows.map(parseMessage).sort((a, b) => a.id - b.id)
}

/**
 * Whether anything could be claimed now: a read, so the sender's idle polling writes nothing
 * (claiming is a write transaction, which would compete with signing for the lock).
 */
export async function hasDueMail({ now = Date.now() }: { now?: number } = {}) {
  return claimStatements().due.get({ now, abandonedBatch: now - BATCH_CLAIM_TIMEOUT_MS, abandonedSingle: now - CLAIM_TIMEOUT_MS }) !== undefined
}

export type Outcome =
  | { id: number; status: 'sent' | 'captured'; providerId: string | null; at: number }
  | { id: number; status: 'retry'; error: string; retryAt: number; refund?: boolean }
  | { id: number; status: 'failed'; error: string }

// Only a claim still held is settled: a message reclaimed after a timeout belongs to its new sender.
const settleStatements = legacyPreparedPerConnection((db) => {
  const held = and(eq(emailMessages.id, sql.placeholder('id')), eq(emailMessages.status, 'sending'))
  return {
    delivered: db
      .update(emailMessages)
      .set({ status: sql`${sql.placeholder('status')}`, providerId: sql`${sql.placeholder('providerId')}`, sentAt: sql`${sql.placeholder('at')}`, lastError: null })
      .where(held)
      .prepare(),
    retry: db
      .update(emailMessages)
      .set({
        status: 'queued',
        lastError: sql`${sql.placeholder('error')}`,
        nextAttemptAt: sql`${sql.placeholder('retryAt')}`,
        claimedAt: null,
        attempts: sql`${emailMessages.attempts} - ${sql.placeholder('refund')}`,
      })
      .where(held)
      .prepare(),
    failed: db.update(emailMessages).set({ status: 'failed', lastError: sql`${sql.placeholder('error')}` }).where(held).prepare(),
  }
})

/** Record what happened to messages sent one by one, in one transaction. */
export async function recordOutcomes(outcomes: Outcome[]) {
  if (outcomes.length === 0) return
  const q = settleStatements()
  getDb().transaction(() => {
    for (const outcome of outcomes) {
      if (outcome.status === 'retry') q.retry.run({ ...outcome, refund: outcome.refund ? 1 : 0 })
      else if (outcome.status === 'failed') q.failed.run(outcome)
      else q.delivered.run(outcome)
    }
  })
}

export type BatchOutcome =
  | { status: 'submitted'; results: { id: number; providerId: string | null; error: string | null; captured: boolean }[]; at: number }
  /** `refund`: the provider said "not now" (429, or the same key still being answered): not an attempt that failed. */
  | { status: 'retry'; error: string; retryAt: number; refund?: boolean }
  | { status: 'failed'; error: string }

const batchOutcomeStatements = legacyPreparedPerConnection((db) => ({
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

/** Record what happened to a claimed batch, and to each of its messages, in one transaction. */
export async function recordBatchOutcome({ batchId, outcome }: { batchId: number; outcome: BatchOutcome }) {
  const db = getDb()
  db.transaction((tx) => {
    // Only a claim still held is settled: a batch retaken after a timeout belongs to its new sender.
    const held = and(eq(emailBatches.id, batchId), eq(emailBatches.status, 'submitting'))
    if (outcome.status === 'retry') {
      const attempts = outcome.refund ? sql`${emailBatches.attempts} - 1` : emailBatches.attempts
      tx.update(emailBatches).set({ status: 'pending', lastError: outcome.error, nextAttemptAt: outcome.retryAt, claimedAt: null, attempts }).where(held).run()
      return
    }
    if (outcome.status === 'failed') {
      const changed = tx.update(emailBatches).set({ status: 'failed', lastError: outcome.error }).where(held).run().changes
      if (changed) tx.update(emailMessages).set({ status: 'failed', lastError: outcome.error }).where(eq(emailMessages.batchId, batchId)).run()
      return
    }
    const q = batchOutcomeStatements()
    if (!q.submitted.run({ at: outcome.at, batchId }).changes || outcome.results.length === 0) return
    const results = outcome.results.map(({ id, providerId, error, captured }) => [id, error === null ? (captured ? 'captured' : 'sent') : 'failed', providerId, error])
    q.results.run({ results: JSON.stringify(results), at: outcome.at, batchId })
  })
}

/**
 * One page of the outbox, newest first. `campaignIds`: only emails about these campaigns
 * (organisers who are not owners read those of the campaigns they edit, ADR 011).
 */
export async function listOutbox({ before, limit = 50, campaignIds }: { before?: number; limit?: number; campaignIds?: number[] }) {
  if (campaignIds?.length === 0) return { messages: [], nextBefore: null }
  const rows = getDb()
    .select({
      id: emailMessages.id,
      template: emailMessages.template,
      toEmail: emailMessages.toEmail,
      locale: emailMessages.locale,
      status: emailMessages.status,
      attempts: emailMessages.attempts,
      lastError: emailMessages.lastError,
      createdAt: emailMessages.createdAt,
      sentAt: emailMessages.sentAt,
    })
    .from(emailMessages)
    .where(and(before ? lt(emailMessages.id, before) : undefined, campaignIds ? inArray(emailMessages.campaignId, campaignIds) : undefined))
    .orderBy(desc(emailMessages.id))
    .limit(limit + 1)
    .all()
  return { messages: rows.slice(0, limit), nextBefore: rows.length > limit ? rows[limit - 1]!.id : null }
}

export async function getOutboxMessage({ id }: { id: number }): Promise<EmailMessage | null> {
  return getDb().select().from(emailMessages).where(eq(emailMessages.id, id)).get() ?? null
}
