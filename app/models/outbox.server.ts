import { randomUUID } from 'node:crypto'
import { and, count, desc, eq, inArray, isNull, lt, lte, min, sql, type Placeholder } from 'drizzle-orm'
import { unionAll } from 'drizzle-orm/sqlite-core'
import { preparedPerConnection, type DB, type Handle, type Tx } from '#db/client.server.ts'
import { emailBatches, emailMessages, MAIL_PRIORITIES, supporters, type EmailBatch, type EmailMessage, type Locale } from '#db/schema.ts'
import { BATCH_SIZE, recordBatchResults, skippingLocked } from '#db/sql/mail.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { openEmail, openSupporter, sealEmail } from './personal-data.server.ts'

export { BATCH_SIZE }

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
 *
 * Addresses and content are sealed (ADR 017): a message queued here keeps {to, props} in its
 * `sealed` envelope (`props` and `to_email` stay empty); an update's message (the fan-out in
 * db/sql/mail.server.ts) has no envelope: it goes to its supporter's address, opened from the
 * supporter's row when it is sent, so an address changed or forgotten since is honoured.
 */
export const CLAIM_TIMEOUT_MS = 60_000

export type QueueEmail = {
  template: string
  to: string
  locale: Locale
  props: Record<string, unknown>
  /**
   * What the email says that is public already (a campaign's title, its petition text): kept plain
   * in `props` and merged under the sealed props on opening, so the envelope holds only what is
   * personal and a surge's rows stay small (ADR 017).
   */
  publicProps?: Record<string, unknown>
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
      sealed: sql.placeholder('sealed'),
      dataKeyId: sql.placeholder('dataKeyId'),
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
 * Queue an email, in the transaction of the change that causes it: both commit or neither.
 * A repeated key is a no-op (returns false).
 */
export async function queueEmail(tx: Tx, email: QueueEmail): Promise<boolean> {
  return insertEmail(tx, email)
}

/** An email a statement of db/sql/* queued itself (a first signature's confirmation): wake this process's sender as queueEmail does. */
export function noteEmailQueued() {
  mailQueued()
}

async function insertEmail(handle: Handle, email: QueueEmail) {
  const { batchable = true, campaignId = null, template, locale, idempotencyKey } = email
  const { sealed, dataKeyId } = sealEmail({ to: email.to, props: email.props })
  // Drizzle encodes the JSON column's placeholder itself.
  const props = email.publicProps ?? {}
  const params = { template, locale, idempotencyKey, sealed, dataKeyId, props, campaignId, priority: priorityOf(template), batchable: batchable ? 1 : 0 }
  const queued = (await execute(queueStatement(handle), params)).changes === 1
  if (queued) mailQueued()
  return queued
}

// A sender in this process hears of new mail at once instead of at its next poll. Deferred: the
// transaction that queued the email never lets the event loop turn, so it has committed by then.
// Process-wide: the server runs the sender from source and the routes from the build, two copies
// of this module.
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

/**
 * What the sender needs of a message to render, send and settle it, as the database holds it:
 * its envelope, or for an update's message its supporter's (null once the supporter is gone).
 * openMessage turns it into the address and props to send.
 */
export type ClaimedMessage = Pick<EmailMessage, 'id' | 'template' | 'locale' | 'props' | 'idempotencyKey' | 'campaignId' | 'attempts' | 'sealed' | 'supporterId'> & {
  supporterSealed: string | null
}

/** A message opened to be sent or shown: its recipient's address and the template's props. */
export type OpenedMessage = Omit<ClaimedMessage, 'sealed' | 'supporterSealed' | 'props'> & { to: string; props: Record<string, unknown> }

/**
 * Open what a message is sent with. Throws (naming no value) when it cannot be: its supporter
 * was deleted (retention, forget-me), or the envelope does not open under the loaded keys.
 */
export function openMessage(message: ClaimedMessage): OpenedMessage {
  const { sealed, supporterSealed, ...rest } = message
  if (sealed !== null) {
    const { to, props } = openEmail(sealed)
    return { ...rest, to, props: { ...message.props, ...props } }
  }
  if (supporterSealed !== null) return { ...rest, to: openSupporter(supporterSealed).email, props: message.props }
  throw new Error('no recipient: the supporter it was for has been deleted')
}

/** A batch the sender holds: an update's (sendId set) or transactional mail it grouped (sendId null). */
export type ClaimedBatch = { batch: EmailBatch; messages: ClaimedMessage[] }

/** What the sender sends next: a batch (up to BATCH_SIZE emails, one request), or one email that cannot go in one. */
export type Work = { kind: 'batch'; batch: EmailBatch; messages: ClaimedMessage[] } | { kind: 'single'; message: ClaimedMessage }

/** How long transactional mail short of a full batch may wait while an update's batch takes the request. */
export const GATHER_MS = 2_000

/** How long a batch claim holds before the batch counts as abandoned; the sender may be configured shorter (the crash tests are). */
export const BATCH_CLAIM_TIMEOUT_MS = 120_000

/** What a claim may pass: `now`, and the batch claim timeout the sender runs with. */
type ClaimOptions = { now?: number; batchClaimTimeoutMs?: number }

const claimedColumns = {
  id: emailMessages.id,
  template: emailMessages.template,
  sealed: emailMessages.sealed,
  supporterId: emailMessages.supporterId,
  locale: emailMessages.locale,
  props: emailMessages.props,
  idempotencyKey: emailMessages.idempotencyKey,
  campaignId: emailMessages.campaignId,
  attempts: emailMessages.attempts,
}

const now = sql.placeholder('now')
const loose = and(isNull(emailMessages.batchId), eq(emailMessages.status, 'queued'), lte(emailMessages.nextAttemptAt, now))
const byTurn = [emailMessages.priority, emailMessages.nextAttemptAt, emailMessages.id] as const

// Prepared once per connection: under a surge the sender claims several times a second.
function claimQueries(db: DB) {
  // The ids of the due loose messages, best first, up to `limit`.
  const dueLoose = (limit: number | Placeholder, batchableOnly: boolean) =>
    skippingLocked(
      db,
      db
        .select({ id: emailMessages.id })
        .from(emailMessages)
        .where(batchableOnly ? and(loose, eq(emailMessages.batchable, true)) : loose)
        .orderBy(...byTurn)
        .limit(limit),
    )
  const forming = db
    .select({ createdAt: emailMessages.createdAt })
    .from(emailMessages)
    .where(and(loose, eq(emailMessages.batchable, true)))
    .limit(BATCH_SIZE)
    .as('forming')
  const one = { one: sql<number>`1` }
  return {
    // Claims left behind by a crashed sender become due again (and go with the same idempotency key).
    // A message claimed alone went (or may have gone) under its own key: it stays on the single path.
    reclaimSingles: db
      .update(emailMessages)
      .set({ status: 'queued', batchable: false })
      .where(and(isNull(emailMessages.batchId), eq(emailMessages.status, 'sending'), lt(emailMessages.claimedAt, sql.placeholder('before'))))
      .prepare(),
    reclaimBatches: db
      .update(emailBatches)
      .set({ status: 'pending' })
      .where(and(eq(emailBatches.status, 'submitting'), lt(emailBatches.claimedAt, sql.placeholder('before'))))
      .prepare(),
    // The best due batch and the best due loose message: whichever comes first by priority goes next.
    // Each claim's reads of what is due skip what another sender's open claim holds (Postgres).
    bestBatch: skippingLocked(
      db,
      db
        .select({ id: emailBatches.id, priority: emailBatches.priority })
        .from(emailBatches)
        .where(and(eq(emailBatches.status, 'pending'), lte(emailBatches.nextAttemptAt, now)))
        .orderBy(emailBatches.priority, emailBatches.nextAttemptAt, emailBatches.id)
        .limit(1),
    ).prepare(),
    bestLoose: skippingLocked(
      db,
      db
        .select({ id: emailMessages.id, priority: emailMessages.priority, batchable: emailMessages.batchable })
        .from(emailMessages)
        .where(loose)
        .orderBy(...byTurn)
        .limit(1),
    ).prepare(),
    // The group that would form now: how many (up to a full batch) and since when the oldest waits.
    forming: db
      .select({ n: count(), oldest: min(forming.createdAt) })
      .from(forming)
      .prepare(),
    claimBatch: db
      .update(emailBatches)
      .set({ status: 'submitting', claimedAt: sql`${now}`, attempts: sql`${emailBatches.attempts} + 1` })
      .where(and(eq(emailBatches.id, sql.placeholder('id')), eq(emailBatches.status, 'pending')))
      .returning()
      .prepare(),
    // An update's batch: each message's supporter's envelope comes with it (the address to send to).
    batchMessages: db
      .select({ ...claimedColumns, supporterSealed: supporters.sealed })
      .from(emailMessages)
      .leftJoin(supporters, eq(supporters.id, emailMessages.supporterId))
      .where(eq(emailMessages.batchId, sql.placeholder('batchId')))
      .orderBy(emailMessages.id)
      .prepare(),
    claimSingle: db
      .update(emailMessages)
      .set({ status: 'sending', claimedAt: sql`${now}`, attempts: sql`${emailMessages.attempts} + 1` })
      .where(and(eq(emailMessages.id, sql.placeholder('id')), eq(emailMessages.status, 'queued'), isNull(emailMessages.batchId)))
      .returning(claimedColumns)
      .prepare(),
    claimSingles: db
      .update(emailMessages)
      .set({ status: 'sending', claimedAt: sql`${now}`, attempts: sql`${emailMessages.attempts} + 1` })
      .where(inArray(emailMessages.id, dueLoose(sql.placeholder('limit'), false)))
      .returning(claimedColumns)
      .prepare(),
    // A group of transactional mail becomes a batch before it is sent, with a key of its own, so a
    // sender that dies mid-request resends the same group under the same key.
    newBatch: db
      .insert(emailBatches)
      .values({
        sendId: null,
        priority: sql.placeholder('priority'),
        idempotencyKey: sql.placeholder('key'),
        status: 'submitting',
        size: 0,
        attempts: 1,
        nextAttemptAt: now,
        claimedAt: now,
      })
      .returning()
      .prepare(),
    group: db
      .update(emailMessages)
      .set({ batchId: sql`${sql.placeholder('batchId')}`, status: 'batched' })
      .where(inArray(emailMessages.id, dueLoose(BATCH_SIZE, true)))
      .returning(claimedColumns)
      .prepare(),
    sized: db.update(emailBatches).set({ size: sql`${sql.placeholder('size')}` }).where(eq(emailBatches.id, sql.placeholder('id'))).prepare(),
    due: unionAll(
      db.select(one).from(emailMessages).where(loose),
      db.select(one).from(emailBatches).where(and(eq(emailBatches.status, 'pending'), lte(emailBatches.nextAttemptAt, now))),
      db.select(one).from(emailBatches).where(and(eq(emailBatches.status, 'submitting'), lt(emailBatches.claimedAt, sql.placeholder('abandonedBatch')))),
      db.select(one).from(emailMessages).where(and(isNull(emailMessages.batchId), eq(emailMessages.status, 'sending'), lt(emailMessages.claimedAt, sql.placeholder('abandonedSingle')))),
    )
      .limit(1)
      .prepare(),
  }
}

// The reads that pick from the due range, which a surge grows by orders, are planned at every
// run on Postgres (db/client.server.ts); the rest (by id, by batch, or the few claims a crashed
// sender left) keep their plans.
const claimStatements = preparedPerConnection(claimQueries, { planEachRun: ['bestBatch', 'bestLoose', 'forming', 'group', 'claimSingles', 'due'] })

/**
 * Claimed rows (an UPDATE's RETURNING, which cannot join) with the supporter's envelope of any
 * that has none of its own. Transactional mail always has one, so this reads nothing as a rule.
 */
async function withSupporters(handle: Handle, rows: Omit<ClaimedMessage, 'supporterSealed'>[]): Promise<ClaimedMessage[]> {
  const ids = [...new Set(rows.flatMap((m) => (m.sealed === null && m.supporterId !== null ? [m.supporterId] : [])))]
  const found = ids.length ? await allRows(handle.select({ id: supporters.id, sealed: supporters.sealed }).from(supporters).where(inArray(supporters.id, ids))) : []
  const byId = new Map(found.map((s) => [s.id, s.sealed]))
  return rows.map((m) => ({ ...m, supporterSealed: m.supporterId === null ? null : (byId.get(m.supporterId) ?? null) }))
}

/**
 * Claim what goes next, in one write transaction: the best due work by priority
 * (MAIL_PRIORITIES), a waiting batch before a new group of the same priority. Due
 * transactional mail is grouped into a new batch here. Two senders never hold the same thing:
 * on SQLite the transaction is the one writer; on Postgres (several app servers) the claim's
 * reads lock what they pick and skip what another claim holds (skippingLocked).
 */
export async function claimNextWork(db: Handle, { now = Date.now(), batchClaimTimeoutMs = BATCH_CLAIM_TIMEOUT_MS }: ClaimOptions = {}): Promise<Work | null> {
  return transaction(db, async (tx): Promise<Work | null> => {
    const q = claimStatements(tx)
    await execute(q.reclaimSingles, { before: now - CLAIM_TIMEOUT_MS })
    await execute(q.reclaimBatches, { before: now - batchClaimTimeoutMs })
    const batch = await firstRow(q.bestBatch, { now })
    const loose = await firstRow(q.bestLoose, { now })
    // A trickle of transactional mail would otherwise take every request one email at a time and
    // hold an update back for hours: a group that is not full may wait up to GATHER_MS, giving
    // its turn to an update's batch, and fills meanwhile. A full group never waits.
    const gathering = async () => {
      if (batch?.priority !== MAIL_PRIORITIES.bulk || !loose?.batchable) return false
      const forming = (await firstRow(q.forming, { now }))!
      return forming.n < BATCH_SIZE && (forming.oldest ?? 0) > now - GATHER_MS
    }
    if (loose && (!batch || loose.priority < batch.priority) && !(await gathering())) {
      if (!loose.batchable) {
        const message = await firstRow(q.claimSingle, { now, id: loose.id })
        return message ? { kind: 'single', message: (await withSupporters(tx, [message]))[0]! } : null
      }
      const created = (await firstRow(q.newBatch, { priority: loose.priority, key: `mail:${randomUUID()}`, now }))!
      const messages = await withSupporters(tx, await allRows(q.group, { batchId: created.id, now }))
      await execute(q.sized, { size: messages.length, id: created.id })
      return { kind: 'batch', batch: { ...created, size: messages.length }, messages: messages.sort((a, b) => a.id - b.id) }
    }
    if (!batch) return null
    const claimed = await firstRow(q.claimBatch, { now, id: batch.id })
    if (!claimed) return null
    return { kind: 'batch', batch: claimed, messages: await allRows(q.batchMessages, { batchId: claimed.id }) }
  })
}

/** Claim up to `limit` due messages to send one by one, outside any batch (tests of the single path). */
export async function claimDueMessages(db: Handle, { limit, now = Date.now() }: { limit: number; now?: number }): Promise<ClaimedMessage[]> {
  const messages = await transaction(db, async (tx) => {
    const q = claimStatements(tx)
    await execute(q.reclaimSingles, { before: now - CLAIM_TIMEOUT_MS })
    return await withSupporters(tx, await allRows(q.claimSingles, { now, limit }))
  })
  return messages.sort((a, b) => a.id - b.id)
}

/**
 * Whether anything could be claimed now: a read, so the sender's idle polling writes nothing
 * (claiming is a write transaction, which would compete with signing for the lock).
 */
export async function hasDueMail(db: Handle, { now = Date.now(), batchClaimTimeoutMs = BATCH_CLAIM_TIMEOUT_MS }: ClaimOptions = {}) {
  return await firstRow(claimStatements(db).due, { now, abandonedBatch: now - batchClaimTimeoutMs, abandonedSingle: now - CLAIM_TIMEOUT_MS }) !== undefined
}

export type Outcome =
  | { id: number; status: 'sent' | 'captured'; providerId: string | null; at: number }
  | { id: number; status: 'retry'; error: string; retryAt: number; refund?: boolean }
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
export async function recordOutcomes(db: Handle, outcomes: Outcome[]) {
  if (outcomes.length === 0) return
  await transaction(db, async (tx) => {
    const q = settleStatements(tx)
    for (const outcome of outcomes) {
      if (outcome.status === 'retry') await execute(q.retry, { ...outcome, refund: outcome.refund ? 1 : 0 })
      else if (outcome.status === 'failed') await execute(q.failed, outcome)
      else await execute(q.delivered, outcome)
    }
  })
}

export type BatchOutcome =
  | { status: 'submitted'; results: { id: number; providerId: string | null; error: string | null; captured: boolean }[]; at: number }
  /** `refund`: the provider said "not now" (429, or the same key still being answered): not an attempt that failed. */
  | { status: 'retry'; error: string; retryAt: number; refund?: boolean }
  | { status: 'failed'; error: string }

const submittedStatement = preparedPerConnection((db) =>
  db
    .update(emailBatches)
    .set({ status: 'submitted', submittedAt: sql`${sql.placeholder('at')}`, lastError: null })
    .where(and(eq(emailBatches.id, sql.placeholder('batchId')), eq(emailBatches.status, 'submitting')))
    .prepare(),
)

/** Record what happened to a claimed batch, and to each of its messages, in one transaction. */
export async function recordBatchOutcome(db: Handle, { batchId, outcome }: { batchId: number; outcome: BatchOutcome }) {
  await transaction(db, async (tx) => {
    // Only a claim still held is settled: a batch retaken after a timeout belongs to its new sender.
    const held = and(eq(emailBatches.id, batchId), eq(emailBatches.status, 'submitting'))
    if (outcome.status === 'retry') {
      const attempts = outcome.refund ? sql`${emailBatches.attempts} - 1` : emailBatches.attempts
      await execute(tx.update(emailBatches).set({ status: 'pending', lastError: outcome.error, nextAttemptAt: outcome.retryAt, claimedAt: null, attempts }).where(held))
      return
    }
    if (outcome.status === 'failed') {
      const changed = (await execute(tx.update(emailBatches).set({ status: 'failed', lastError: outcome.error }).where(held))).changes
      if (changed) await execute(tx.update(emailMessages).set({ status: 'failed', lastError: outcome.error }).where(eq(emailMessages.batchId, batchId)))
      return
    }
    if (!(await execute(submittedStatement(tx), { at: outcome.at, batchId })).changes || outcome.results.length === 0) return
    const results = outcome.results.map(({ id, providerId, error, captured }) => ({ id, status: error === null ? (captured ? ('captured' as const) : ('sent' as const)) : ('failed' as const), providerId, error }))
    await recordBatchResults(tx, { batchId, at: outcome.at, results })
  })
}

/** An outbox row as the back office reads it: opened, `toEmail` empty once its supporter was deleted. */
function openedForOutbox<T extends { sealed: string | null; supporterSealed: string | null; props: Record<string, unknown> }>(row: T) {
  const { sealed, supporterSealed, ...rest } = row
  if (sealed !== null) {
    const { to, props } = openEmail(sealed)
    return { ...rest, toEmail: to, props: { ...row.props, ...props } }
  }
  return { ...rest, toEmail: supporterSealed === null ? '' : openSupporter(supporterSealed).email }
}

const outboxColumns = {
  sealed: emailMessages.sealed,
  supporterSealed: supporters.sealed,
  props: emailMessages.props,
}

/**
 * One page of the outbox, newest first. `campaignIds`: only emails about these campaigns
 * (organisers who are not owners read those of the campaigns they edit, ADR 011).
 */
export async function listOutbox(db: Handle, { before, limit = 50, campaignIds }: { before?: number; limit?: number; campaignIds?: number[] }) {
  if (campaignIds?.length === 0) return { messages: [], nextBefore: null }
  const rows = await allRows(db
    .select({
      id: emailMessages.id,
      template: emailMessages.template,
      ...outboxColumns,
      locale: emailMessages.locale,
      status: emailMessages.status,
      attempts: emailMessages.attempts,
      lastError: emailMessages.lastError,
      createdAt: emailMessages.createdAt,
      sentAt: emailMessages.sentAt,
    })
    .from(emailMessages)
    .leftJoin(supporters, eq(supporters.id, emailMessages.supporterId))
    .where(and(before ? lt(emailMessages.id, before) : undefined, campaignIds ? inArray(emailMessages.campaignId, campaignIds) : undefined))
    .orderBy(desc(emailMessages.id))
    .limit(limit + 1))
  const messages = rows.slice(0, limit).map((row) => {
    const { props: _props, ...opened } = openedForOutbox(row)
    return opened
  })
  return { messages, nextBefore: rows.length > limit ? rows[limit - 1]!.id : null }
}

export type OutboxMessage = Pick<EmailMessage, 'id' | 'template' | 'locale' | 'props' | 'campaignId' | 'status' | 'createdAt'> & { toEmail: string }

/** One outbox email, opened: its recipient's address ('' once the supporter was deleted) and its props. */
export async function getOutboxMessage(db: Handle, { id }: { id: number }): Promise<OutboxMessage | null> {
  const row = await firstRow(db
    .select({ id: emailMessages.id, template: emailMessages.template, locale: emailMessages.locale, campaignId: emailMessages.campaignId, status: emailMessages.status, createdAt: emailMessages.createdAt, ...outboxColumns })
    .from(emailMessages)
    .leftJoin(supporters, eq(supporters.id, emailMessages.supporterId))
    .where(eq(emailMessages.id, id)))
  return row ? openedForOutbox(row) : null
}
