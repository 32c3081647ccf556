import { legacyPreparedPerConnection, type DB } from '#db/client.server.ts'
import type { Locale, ResubmittedDetails } from '#db/schema.ts'
import { sha256 } from '~/utils/crypto.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { queueEmail } from './outbox.server.ts'
import { TOKEN_TTL_MS } from './signatures.server.ts'

/**
 * The one reminder to confirm (issue 11). A signature still pending a day after it was made,
 * in a live campaign that has the reminder on (`campaigns.confirmation_reminder`), gets one
 * email, `confirm-reminder`, with the link of its latest confirmation email: the same seed,
 * so no earlier link stops working and the reminder confirms exactly the details the signer
 * was last asked about. `signatures.reminded_at` is set in the transaction that queues it and
 * is never cleared, and the outbox's idempotency key (`signature:<id>:reminder`) is unique:
 * never a second one, whichever process runs the job and however often.
 *
 * No reminder goes to an address that bounced or complained (`suppressions`), to a supporter
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

type Scanned = { id: number; createdAt: number; remindedAt: number | null; tokenExpiresAt: number | null }
type Candidate = {
  id: number
  campaignId: number
  supporterId: number
  status: string
  remindedAt: number | null
  createdAt: number
  tokenHash: string | null
  tokenExpiresAt: number | null
  resubmittedTokenHash: string | null
  resubmittedDetails: string | null
  campaignStatus: string
  reminderOn: number
  emailNormalized: string
}

const statements = legacyPreparedPerConnection((db: DB) => {
  const c = db.$client
  const q = {
    campaigns: c.prepare(`select id, slug from campaigns where status = 'live' and confirmation_reminder = 1 order by id`),
    // The (campaign_id, status, id) index, newest first.
    scan: c.prepare(`
      select id, created_at as createdAt, reminded_at as remindedAt, token_expires_at as tokenExpiresAt from signatures
      where campaign_id = @campaignId and status = 'pending' and id < @before
      order by id desc limit ${SCAN_STEP}`),
    candidate: c.prepare(`
      select s.id, s.campaign_id as campaignId, s.supporter_id as supporterId, s.status, s.reminded_at as remindedAt,
        s.created_at as createdAt, s.token_hash as tokenHash, s.token_expires_at as tokenExpiresAt,
        s.resubmitted_token_hash as resubmittedTokenHash, s.resubmitted_details as resubmittedDetails,
        c.status as campaignStatus, c.confirmation_reminder as reminderOn, p.email_normalized as emailNormalized
      from signatures s join campaigns c on c.id = s.campaign_id join supporters p on p.id = s.supporter_id
      where s.id = @id`),
    suppressed: c.prepare(`select 1 from suppressions where email_normalized = @emailNormalized`),
    // Any campaign whose latest answer from this supporter is "no" (consents are append-only).
    withdrawn: c.prepare(`
      select 1 from consents c
      where c.supporter_id = @supporterId and c.granted = 0
      and c.id = (select max(d.id) from consents d where d.supporter_id = c.supporter_id and d.purpose = c.purpose and d.campaign_id is c.campaign_id)
      limit 1`),
    // Keys 'signature:<id>:confirm:<n>': a range of the unique index.
    latestConfirmation: c.prepare(`
      select to_email as toEmail, locale, props from email_messages
      where idempotency_key >= @from and idempotency_key < @to and template = 'confirm-signature'
      order by id desc limit 1`),
    markReminded: c.prepare(`update signatures set reminded_at = @now where id = @id and status = 'pending' and reminded_at is null`),
  }
  const remindChunk = c.transaction((ids: number[], now: number) => {
    let reminded = 0
    for (const id of ids) if (remindOne(q, id, now)) reminded++
    return reminded
  })
  return { ...q, remindChunk }
})

type Statements = ReturnType<typeof statements>

/** Whether the link an email with this seed carries still confirms the signature. */
function linkWorks(row: Candidate, seed: string, now: number) {
  const hash = sha256(signatureToken(seed))
  if (row.tokenHash === hash) return (row.tokenExpiresAt ?? 0) > now
  if (row.resubmittedTokenHash === hash && row.resubmittedDetails) {
    return (JSON.parse(row.resubmittedDetails) as ResubmittedDetails).expiresAt > now
  }
  return false
}

/** Whether this pending signature's signer may still be reminded (not whether it is due). */
function mayRemind(q: Pick<Statements, 'suppressed' | 'withdrawn'>, row: Candidate, now: number) {
  if (row.status !== 'pending' || row.campaignStatus !== 'live' || row.reminderOn !== 1 || (row.tokenExpiresAt ?? 0) <= now) return false
  return !q.suppressed.get({ emailNormalized: row.emailNormalized }) && !q.withdrawn.get({ supporterId: row.supporterId })
}

/**
 * Reminders about to be sent that are no longer wanted: since they were queued the signature
 * was confirmed, the signer said "this wasn't me" or unsubscribed, the address bounced, the
 * campaign closed or turned reminders off, or the link stopped working. The sender leaves them out.
 */
export function staleReminders(messages: { id: number; idempotencyKey: string; props: Record<string, unknown> }[], now = Date.now()) {
  const q = statements()
  const stale = new Set<number>()
  for (const message of messages) {
    const id = Number(/^signature:(\d+):reminder$/.exec(message.idempotencyKey)?.[1])
    const row = Number.isInteger(id) ? (q.candidate.get({ id }) as Candidate | undefined) : undefined
    const seed = typeof message.props.tokenSeed === 'string' ? message.props.tokenSeed : ''
    if (!row || !mayRemind(q, row, now) || !seed || !linkWorks(row, seed, now)) stale.add(message.id)
  }
  return stale
}

/** Inside the chunk's transaction: every condition again, on the row as it is now. */
function remindOne(q: Pick<Statements, 'candidate' | 'suppressed' | 'withdrawn' | 'latestConfirmation' | 'markReminded'>, id: number, now: number) {
  const row = q.candidate.get({ id }) as Candidate | undefined
  if (!row || row.remindedAt !== null || row.createdAt > now - REMINDER_AFTER_MS || !mayRemind(q, row, now)) return false
  const email = q.latestConfirmation.get({ from: `signature:${id}:confirm:`, to: `signature:${id}:confirm;` }) as
    | { toEmail: string; locale: Locale; props: string }
    | undefined
  if (!email) return false
  const props = JSON.parse(email.props) as Record<string, unknown>
  const seed = typeof props.tokenSeed === 'string' ? props.tokenSeed : ''
  if (!seed || !linkWorks(row, seed, now)) return false
  if (q.markReminded.run({ id, now }).changes !== 1) return false
  return queueEmail({
    template: 'confirm-reminder',
    to: email.toEmail,
    locale: email.locale,
    campaignId: row.campaignId,
    idempotencyKey: `signature:${id}:reminder`,
    props: { tokenSeed: seed, firstName: props.firstName, campaignTitle: props.campaignTitle, organizationName: props.organizationName },
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
export async function sendDueReminders({
  now = Date.now(),
  chunkSize = CHUNK_SIZE,
  shouldStop = () => false,
}: { now?: number; chunkSize?: number; shouldStop?: () => boolean } = {}): Promise<ReminderReport[]> {
  const q = statements()
  const reports: ReminderReport[] = []
  for (const campaign of q.campaigns.all() as { id: number; slug: string }[]) {
    let reminded = 0
    let before = Number.MAX_SAFE_INTEGER
    for (;;) {
      if (shouldStop()) break
      const rows = q.scan.all({ campaignId: campaign.id, before }) as Scanned[]
      if (rows.length === 0) break
      before = rows[rows.length - 1]!.id
      const due = rows.filter((row) => mayBeDue(row, now)).map((row) => row.id)
      for (let i = 0; i < due.length && !shouldStop(); i += chunkSize) {
        reminded += q.remindChunk.immediate(due.slice(i, i + chunkSize), now)
        await yieldToEventLoop()
      }
      if (rows.length < SCAN_STEP || rows.every((row) => row.createdAt < now - TOO_OLD_MS)) break
      await yieldToEventLoop()
    }
    if (reminded > 0) reports.push({ campaignId: campaign.id, slug: campaign.slug, reminded })
  }
  return reports
}
