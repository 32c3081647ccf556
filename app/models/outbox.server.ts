import { and, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.server.ts'
import { emailMessages, type EmailMessage, type Locale } from '#db/schema.ts'

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
}

/** Queue inside the caller's transaction. A repeated key is a no-op: that email exists already. */
export function queueEmail(tx: Pick<Tx, 'insert'>, email: QueueEmail) {
  return tx
    .insert(emailMessages)
    .values({
      template: email.template,
      toEmail: email.to,
      locale: email.locale,
      props: email.props,
      idempotencyKey: email.idempotencyKey,
      campaignId: email.campaignId ?? null,
    })
    .onConflictDoNothing({ target: emailMessages.idempotencyKey })
    .run().changes === 1
}

export async function claimDueMessages({ limit, now = Date.now() }: { limit: number; now?: number }) {
  const db = getDb()
  return db.transaction((tx) => {
    // Claims left behind by a crashed sender become due again.
    tx.update(emailMessages)
      .set({ status: 'queued' })
      .where(and(eq(emailMessages.status, 'sending'), lt(emailMessages.claimedAt, now - CLAIM_TIMEOUT_MS)))
      .run()
    const due = tx
      .select({ id: emailMessages.id })
      .from(emailMessages)
      .where(and(eq(emailMessages.status, 'queued'), lte(emailMessages.nextAttemptAt, now)))
      .orderBy(emailMessages.nextAttemptAt, emailMessages.id)
      .limit(limit)
      .all()
    if (due.length === 0) return []
    return tx
      .update(emailMessages)
      .set({ status: 'sending', claimedAt: now, attempts: sql`${emailMessages.attempts} + 1` })
      .where(inArray(emailMessages.id, due.map((d) => d.id)))
      .returning()
      .all()
  })
}

export async function markDelivered({ id, status, providerId }: { id: number; status: 'sent' | 'captured'; providerId: string | null }) {
  getDb()
    .update(emailMessages)
    .set({ status, providerId, sentAt: Date.now(), lastError: null })
    .where(and(eq(emailMessages.id, id), eq(emailMessages.status, 'sending')))
    .run()
}

export async function markRetry({ id, error, retryAt }: { id: number; error: string; retryAt: number }) {
  getDb()
    .update(emailMessages)
    .set({ status: 'queued', lastError: error, nextAttemptAt: retryAt, claimedAt: null })
    .where(and(eq(emailMessages.id, id), eq(emailMessages.status, 'sending')))
    .run()
}

export async function markFailed({ id, error }: { id: number; error: string }) {
  getDb()
    .update(emailMessages)
    .set({ status: 'failed', lastError: error })
    .where(and(eq(emailMessages.id, id), eq(emailMessages.status, 'sending')))
    .run()
}

export async function listOutbox({ before, limit = 50 }: { before?: number; limit?: number }) {
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
    .where(before ? lt(emailMessages.id, before) : undefined)
    .orderBy(desc(emailMessages.id))
    .limit(limit + 1)
    .all()
  return { messages: rows.slice(0, limit), nextBefore: rows.length > limit ? rows[limit - 1]!.id : null }
}

export async function getOutboxMessage({ id }: { id: number }): Promise<EmailMessage | null> {
  return getDb().select().from(emailMessages).where(eq(emailMessages.id, id)).get() ?? null
}
