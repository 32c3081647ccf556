import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { getDb, preparedPerConnection } from '#db/client.server.ts'
import { emailMessages, MAIL_PRIORITIES, type EmailMessage, type Locale } from '#db/schema.ts'

/**
 * The outbox. A message is `queued` in the transaction that causes it; the sender
 * claims due messages (`sending`), then marks them `sent` (with the provider's id),
 * `captured` (demo mode: kept for organisers to read), `failed` (permanent error), or
 * puts them back to `queued` with a later `next_attempt_at` (transient error). A claim
 * older than CLAIM_TIMEOUT_MS belonged to a sender that died: it is claimed again and
 * resent with the same idempotency key, which the provider deduplicates.
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

const queueStatement = preparedPerConnection((db) =>
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
  return queueStatement().run({ ...rest, campaignId, priority: priorityOf(email.template), batchable: batchable ? 1 : 0 }).changes === 1
}

/** What the sender needs of a transactional message to render, send and settle it. */
export type ClaimedMessage = Pick<EmailMessage, 'id' | 'template' | 'toEmail' | 'locale' | 'props' | 'idempotencyKey' | 'campaignId' | 'attempts'>

// Prepared once per connection: under a surge the sender claims many times a second.
const claimStatements = preparedPerConnection((db) => ({
  // Claims left behind by a crashed sender become due again.
  reclaim: db.$client.prepare(`update email_messages set status = 'queued' where batch_id is null and status = 'sending' and claimed_at < ?`),
  // One statement: the claim is atomic (SQLite's one writer), so two senders never hold the same message.
  claim: db.$client.prepare(`
    update email_messages set status = 'sending', claimed_at = @now, attempts = attempts + 1
    where id in (
      select id from email_messages
      where batch_id is null and status = 'queued' and next_attempt_at <= @now
      order by next_attempt_at, id limit @limit)
    returning id, template, to_email as toEmail, locale, props, idempotency_key as idempotencyKey, campaign_id as campaignId, attempts`),
}))

export async function claimDueMessages({ limit, now = Date.now() }: { limit: number; now?: number }): Promise<ClaimedMessage[]> {
  const q = claimStatements()
  const rows = getDb().$client.transaction(() => {
    q.reclaim.run(now - CLAIM_TIMEOUT_MS)
    return q.claim.all({ now, limit }) as (Omit<ClaimedMessage, 'props'> & { props: string })[]
  })()
  return rows.map((row): ClaimedMessage => ({ ...row, props: JSON.parse(row.props) as ClaimedMessage['props'] })).sort((a, b) => a.id - b.id)
}

export type Outcome =
  | { id: number; status: 'sent' | 'captured'; providerId: string | null; at: number }
  | { id: number; status: 'retry'; error: string; retryAt: number }
  | { id: number; status: 'failed'; error: string }

// Only a claim still held is settled: a message reclaimed after a timeout belongs to its new sender.
const settleStatements = preparedPerConnection((db) => {
  const held = and(eq(emailMessages.id, sql.placeholder('id')), eq(emailMessages.status, 'sending'))
  return {
    delivered: db
      .update(emailMessages)
      .set({ status: sql`${sql.placeholder('status')}`, providerId: sql`${sql.placeholder('providerId')}`, sentAt: sql`${sql.placeholder('at')}`, lastError: null })
      .where(held)
      .prepare(),
    retry: db
      .update(emailMessages)
      .set({ status: 'queued', lastError: sql`${sql.placeholder('error')}`, nextAttemptAt: sql`${sql.placeholder('retryAt')}`, claimedAt: null })
      .where(held)
      .prepare(),
    failed: db.update(emailMessages).set({ status: 'failed', lastError: sql`${sql.placeholder('error')}` }).where(held).prepare(),
  }
})

/** Record what happened to a claimed batch, in one transaction. */
export async function recordOutcomes(outcomes: Outcome[]) {
  if (outcomes.length === 0) return
  const q = settleStatements()
  getDb().transaction(() => {
    for (const outcome of outcomes) {
      if (outcome.status === 'retry') q.retry.run(outcome)
      else if (outcome.status === 'failed') q.failed.run(outcome)
      else q.delivered.run(outcome)
    }
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
