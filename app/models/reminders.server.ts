import { and, desc, eq, gte, isNull, lt, max, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { campaigns, consents, emailMessages, signatures, supporters, suppressedAddresses } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { sha256 } from '~/utils/crypto.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { queueEmail } from './outbox.server.ts'
import { openEmail, openResubmitted } from './personal-data.server.ts'
import { TOKEN_TTL_MS } from './signatures.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * The one reminder to confirm. A signature still pending a day after it was made,
 * in a live campaign that has the reminder on (`campaigns.confirmation_reminder`), gets one
 * email, `confirm-reminder`, with the link of its latest confirmation email: the same seed,
 * so no earlier link stops working and the reminder confirms exactly the details the signer
 * was last asked about. `signatures.reminded_at` is set in the transaction that queues it and
 * is never cleared, and the outbox's idempotency key (`signature:<id>:reminder`) is unique:
 * never a second one, whichever process runs the job and however often.
 *
 * No reminder goes to an address that bounced or complained (`suppressed_addresses`, by the
 * keyed hash of the supporter's address), to a supporter
 * whose latest answer for any campaign's news is "no" (an unsubscribe, or "this wasn't me",
 * which leaves a withdrawal), or when the latest confirmation email's link no longer works
 * (expired, or its details were discarded with "this wasn't me"). Those are not marked: a
 * later run looks again, until their link expires.
 *
 * Signing must not wait on this (ADR 004). The search for due signatures reads outside any
 * write transaction, newest first, a bounded step at a time, and stops below the oldest
 * signature whose link could still work; each chunk of at most 250 reminders is one short
 * IMMEDIATE transaction that checks every row again; the job yields to the event loop between
 * steps and chunks. No index on signatures is added: every signature would pay for it.
 * Measured on the shared 2-core host, at 100,000 pending signatures: a run with nothing due
 * took 107 ms in steps of at most 5 ms; reminding 50,000 took 2 s in chunks of 7 ms (p50) and
 * 25 ms (p99) each.
 */

export const REMINDER_AFTER_MS = 24 * 60 * 60 * 1000
const CHUNK_SIZE = 250
const SCAN_STEP = 1_000
// Signatures are numbered in the order they are made: a whole step of signatures older than
// any working link (with a day's slack for clocks) means nothing further down can be due.
const TOO_OLD_MS = TOKEN_TTL_MS + 24 * 60 * 60 * 1000

export type ReminderReport = { campaignId: number; slug: string; reminded: number }

const statements = preparedPerConnection((db) => {
  const latest = alias(consents, 'latest')
  return {
    campaigns: db
      .select({ id: campaigns.id, slug: campaigns.slug })
      .from(campaigns)
      .where(and(eq(campaigns.status, 'live'), eq(campaigns.confirmationReminder, true)))
      .orderBy(campaigns.id)
      .prepare(),
    // The (campaign_id, status, id) index, newest first.
    scan: db
      .select({ id: signatures.id, createdAt: signatures.createdAt, remindedAt: signatures.remindedAt, tokenExpiresAt: signatures.tokenExpiresAt })
      .from(signatures)
      .where(and(eq(signatures.campaignId, sql.placeholder('campaignId')), eq(signatures.status, 'pending'), lt(signatures.id, sql.placeholder('before'))))
      .orderBy(desc(signatures.id))
      .limit(SCAN_STEP)
      .prepare(),
    candidate: db
      .select({
        id: signatures.id,
        campaignId: signatures.campaignId,
        supporterId: signatures.supporterId,
        status: signatures.status,
        remindedAt: signatures.remindedAt,
        createdAt: signatures.createdAt,
        tokenHash: signatures.tokenHash,
        tokenExpiresAt: signatures.tokenExpiresAt,
        resubmittedTokenHash: signatures.resubmittedTokenHash,
        resubmittedSealed: signatures.resubmittedSealed,
        campaignStatus: campaigns.status,
        reminderOn: campaigns.confirmationReminder,
        emailHash: supporters.emailHash,
      })
      .from(signatures)
      .innerJoin(campaigns, eq(campaigns.id, signatures.campaignId))
      .innerJoin(supporters, eq(supporters.id, signatures.supporterId))
      .where(eq(signatures.id, sql.placeholder('id')))
      .prepare(),
    suppressed: db.select({ one: sql<number>`1` }).from(suppressedAddresses).where(eq(suppressedAddresses.emailHash, sql.placeholder('emailHash'))).prepare(),
    // Any campaign whose latest answer from this supporter is "no" (consents are append-only).
    withdrawn: db
      .select({ one: sql<number>`1` })
      .from(consents)
      .where(
        and(
          eq(consents.supporterId, sql.placeholder('supporterId')),
          eq(consents.granted, false),
          sql`${consents.id} = (${db
            .select({ id: max(latest.id) })
            .from(latest)
            .where(and(eq(latest.supporterId, consents.supporterId), eq(latest.purpose, consents.purpose), sql`${latest.campaignId} is not distinct from ${consents.campaignId}`))})`,
        ),
      )
      .limit(1)
      .prepare(),
    // Keys 'signature:<id>:confirm:<n>': a range of the unique index.
    latestConfirmation: db
      .select({ sealed: emailMessages.sealed, props: emailMessages.props, locale: emailMessages.locale })
      .from(emailMessages)
      .where(and(gte(emailMessages.idempotencyKey, sql.placeholder('from')), lt(emailMessages.idempotencyKey, sql.placeholder('to')), eq(emailMessages.template, 'confirm-signature')))
      .orderBy(desc(emailMessages.id))
      .limit(1)
      .prepare(),
    markReminded: db
      .update(signatures)
      .set({ remindedAt: sql`${sql.placeholder('now')}` })
      .where(and(eq(signatures.id, sql.placeholder('id')), eq(signatures.status, 'pending'), isNull(signatures.remindedAt)))
      .prepare(),
  }
})

type Statements = ReturnType<typeof statements>
type Scanned = ReturnType<Statements['scan']['all']>[number]
type Candidate = NonNullable<ReturnType<Statements['candidate']['get']>>

/** Whether the link an email with this seed carries still confirms the signature. */
function linkWorks(row: Candidate, seed: string, now: number) {
  const hash = sha256(signatureToken(seed))
  if (row.tokenHash === hash) return (row.tokenExpiresAt ?? 0) > now
  if (row.resubmittedTokenHash === hash) {
    const resubmitted = openResubmitted(row.resubmittedSealed)
    return resubmitted !== null && resubmitted.expiresAt > now
  }
  return false
}

/** Whether this pending signature's signer may still be reminded (not whether it is due). */
async function mayRemind(q: Statements, row: Candidate, now: number) {
  if (row.status !== 'pending' || row.campaignStatus !== 'live' || !row.reminderOn || (row.tokenExpiresAt ?? 0) <= now) return false
  if (row.emailHash === null) return false
  return !await firstRow(q.suppressed, { emailHash: row.emailHash }) && !await firstRow(q.withdrawn, { supporterId: row.supporterId })
}

/**
 * Reminders about to be sent that are no longer wanted: since they were queued the signature
 * was confirmed, the signer said "this wasn't me" or unsubscribed, the address bounced, the
 * campaign closed or turned reminders off, or the link stopped working. The sender leaves them out.
 */
export async function staleReminders(db: Handle, messages: { id: number; idempotencyKey: string; props: Record<string, unknown> }[], now = Date.now()) {
  const q = statements(db)
  const stale = new Set<number>()
  for (const message of messages) {
    const id = Number(/^signature:(\d+):reminder$/.exec(message.idempotencyKey)?.[1])
    const row = Number.isInteger(id) ? await firstRow(q.candidate, { id }) : undefined
    const seed = typeof message.props.tokenSeed === 'string' ? message.props.tokenSeed : ''
    if (!row || !(await mayRemind(q, row, now)) || !seed || !linkWorks(row, seed, now)) stale.add(message.id)
  }
  return stale
}

/** Inside the chunk's transaction: every condition again, on the row as it is now. */
async function remindOne(tx: Tx, id: number, now: number) {
  const q = statements(tx)
  const row = await firstRow(q.candidate, { id })
  if (!row || row.remindedAt !== null || row.createdAt > now - REMINDER_AFTER_MS || !(await mayRemind(q, row, now))) return false
  const email = await firstRow(q.latestConfirmation, { from: `signature:${id}:confirm:`, to: `signature:${id}:confirm;` })
  if (!email?.sealed) return false
  // The personal part is sealed; the campaign's public words stay in `props` (ADR 017).
  const opened = openEmail(email.sealed)
  const { to } = opened
  const props = { ...email.props, ...opened.props }
  const seed = typeof props.tokenSeed === 'string' ? props.tokenSeed : ''
  if (!seed || !linkWorks(row, seed, now)) return false
  if ((await execute(q.markReminded, { id, now })).changes !== 1) return false
  return queueEmail(tx, {
    template: 'confirm-reminder',
    to,
    locale: email.locale,
    campaignId: row.campaignId,
    idempotencyKey: `signature:${id}:reminder`,
    props: { tokenSeed: seed, firstName: props.firstName },
    publicProps: { campaignTitle: props.campaignTitle, organizationName: props.organizationName },
  })
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Whether a row the search found may be due now (the chunk's transaction decides). */
function mayBeDue(row: Scanned, now: number) {
  return row.remindedAt === null && row.createdAt <= now - REMINDER_AFTER_MS && (row.tokenExpiresAt ?? 0) > now
}

/**
 * Queue the reminders that are due at `now`. Safe to run in several processes at once: a
 * signature is reminded by whichever chunk marks it first. Returns what each campaign got.
 */
export async function sendDueReminders(
  db: Handle,
  { now = Date.now(), chunkSize = CHUNK_SIZE, shouldStop = () => false }: { now?: number; chunkSize?: number; shouldStop?: () => boolean } = {},
): Promise<ReminderReport[]> {
  const q = statements(db)
  const reports: ReminderReport[] = []
  for (const campaign of await allRows(q.campaigns)) {
    let reminded = 0
    let before = Number.MAX_SAFE_INTEGER
    for (;;) {
      if (shouldStop()) break
      const rows = await allRows(q.scan, { campaignId: campaign.id, before })
      if (rows.length === 0) break
      before = rows[rows.length - 1]!.id
      const due = rows.filter((row) => mayBeDue(row, now)).map((row) => row.id)
      for (let i = 0; i < due.length && !shouldStop(); i += chunkSize) {
        const chunk = due.slice(i, i + chunkSize)
        reminded += await transaction(db, async (tx) => {
          let count = 0
          for (const id of chunk) if (await remindOne(tx, id, now)) count++
          return count
        })
        await yieldToEventLoop()
      }
      if (rows.length < SCAN_STEP || rows.every((row) => row.createdAt < now - TOO_OLD_MS)) break
      await yieldToEventLoop()
    }
    if (reminded > 0) reports.push({ campaignId: campaign.id, slug: campaign.slug, reminded })
  }
  return reports
}
