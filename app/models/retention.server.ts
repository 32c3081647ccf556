import { and, desc, eq, exists, gt, gte, isNotNull, isNull, lt, lte, ne, notExists, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle, type Tx } from '#db/client.server.ts'
import {
  auditLog,
  campaigns,
  consents,
  emailBatches,
  emailMessages,
  replies,
  signatureNameWords,
  signatures,
  supporters,
  type Campaign,
  type SignatureStatus,
} from '#db/schema.ts'
import { supporterStillNeeded } from '#db/sql/retention.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import type { RetentionState } from '~/utils/retention.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * What anonymising a signature blanks, for retention and for a supporter who asks to be forgotten
 * (My data): the sealed names, postal code and message (ADR 017) go together; the caller deletes the
 * signature's name words in the same transaction. `data_key_id` stays: the row is not one the
 * upgrade's sealing has still to do.
 */
export const ANONYMISED_SIGNATURE = {
  sealed: null,
  messageStatus: null,
  showName: false,
  ipHash: null,
  tokenHash: null,
  tokenExpiresAt: null,
  resubmittedSealed: null,
  resubmittedTokenHash: null,
} as const

/**
 * Retention (ADR 010). A campaign's signatures are anonymised `retention_days` after it
 * stopped collecting them (`campaigns.closed_at`). Anonymising clears what identifies a
 * signer — the sealed names, postal code and message, their name words, the team's replies,
 * the IP and token hashes, the confirmation emails in the outbox — and keeps what counting needs (status,
 * country, language, dates), so the counters, the counts by country and the charts stay
 * as they were.
 *
 * An anonymised signature lets go of its supporter, except a confirmed one whose signer
 * still wants the campaign's news (their latest consent is granted): updates reach them
 * through it. Once they withdraw, a later run lets go too. A supporter nothing holds on to
 * any more — no signature, no donation, no email on its way — is deleted, and their
 * consents with them.
 *
 * The work goes in batches, each a short write transaction of its own, so signing never
 * waits long, a crash loses nothing, and two processes running it at once share the rows
 * (each batch takes only rows not yet done). When a campaign has nothing left,
 * `signatures_anonymised_at` marks it done; later runs look only at its few signatures
 * still tied to a supporter (a partial index).
 *
 * The sender's transactional batches (ADR 013: a row per group of up to 100 confirmations and
 * other mail, with no update send) go once none of their messages is left: a run ends by
 * deleting those, whatever emptied them (this run, an earlier one, the demo's removal).
 */

export const DAY_MS = 86_400_000
const BATCH_SIZE = 500
// Pending ones can still be confirmed and any can be invalidated: taking the statuses in the
// order they move means a row that changes status mid-run is met again in a later pass.
const STATUS_ORDER: SignatureStatus[] = ['pending', 'confirmed', 'invalidated']

export type RetentionReport = {
  campaignId: number
  slug: string
  /** Signatures anonymised in this run. */
  anonymised: number
  /** Anonymised earlier and kept for the campaign's news, let go now that the signer withdrew. */
  released: number
  supportersDeleted: number
}

type DueCampaign = { id: number; slug: string; closedAt: number; retentionDays: number }
type Row = { id: number; supporterId: number | null; status: SignatureStatus }

const after = sql.placeholder('after')
const campaignIdP = sql.placeholder('campaignId')
const idP = sql.placeholder('id')
const nowP = sql.placeholder('now')
/** Closed long enough ago: `closed_at + retention_days` days is not after `now`. */
const periodOver = sql`${campaigns.closedAt} + ${campaigns.retentionDays} * ${sql.raw(String(DAY_MS))} <= ${nowP}`
const signatureRow = { id: signatures.id, supporterId: signatures.supporterId, status: signatures.status }

// Prepared once per connection. Times are bound as JS numbers (REAL to SQLite): they are only
// compared and stored into integer columns, which convert them losslessly.
const statements = preparedPerConnection((db: DB) => ({
  dueCampaigns: db
    .select({ id: campaigns.id, slug: campaigns.slug, closedAt: campaigns.closedAt, retentionDays: campaigns.retentionDays })
    .from(campaigns)
    .where(and(ne(campaigns.status, 'live'), isNotNull(campaigns.closedAt), isNull(campaigns.signaturesAnonymisedAt), periodOver))
    .orderBy(campaigns.id)
    .prepare(),
  stillDue: db
    .select({ one: sql<number>`1` })
    .from(campaigns)
    .where(and(eq(campaigns.id, idP), ne(campaigns.status, 'live'), eq(campaigns.closedAt, sql.placeholder('closedAt')), periodOver))
    .prepare(),
  doneAndLinked: db
    .select({ id: campaigns.id, slug: campaigns.slug })
    .from(campaigns)
    .where(
      and(
        isNotNull(campaigns.signaturesAnonymisedAt),
        exists(
          db
            .select({ one: sql`1` })
            .from(signatures)
            .where(and(eq(signatures.campaignId, campaigns.id), isNotNull(signatures.anonymisedAt), isNotNull(signatures.supporterId))),
        ),
      ),
    )
    .orderBy(campaigns.id)
    .prepare(),
  nextToAnonymise: db
    .select(signatureRow)
    .from(signatures)
    .where(
      and(
        eq(signatures.campaignId, campaignIdP),
        eq(signatures.status, sql.placeholder('status')),
        gt(signatures.id, after),
        isNull(signatures.anonymisedAt),
      ),
    )
    .orderBy(signatures.id)
    .limit(BATCH_SIZE)
    .prepare(),
  nextLinked: db
    .select(signatureRow)
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignIdP), isNotNull(signatures.anonymisedAt), isNotNull(signatures.supporterId), gt(signatures.id, after)))
    .orderBy(signatures.id)
    .limit(BATCH_SIZE)
    .prepare(),
  latestConsent: db
    .select({ granted: consents.granted })
    .from(consents)
    .where(and(eq(consents.supporterId, sql.placeholder('supporterId')), eq(consents.purpose, 'campaign_updates'), eq(consents.campaignId, campaignIdP)))
    .orderBy(desc(consents.id))
    .limit(1)
    .prepare(),
  anonymise: db
    .update(signatures)
    .set({
      ...ANONYMISED_SIGNATURE,
      supporterId: sql`${sql.placeholder('supporterId')}`,
      anonymisedAt: sql`${nowP}`,
    })
    .where(and(eq(signatures.id, idP), isNull(signatures.anonymisedAt)))
    .prepare(),
  release: db
    .update(signatures)
    .set({ supporterId: null })
    .where(and(eq(signatures.id, idP), isNotNull(signatures.supporterId)))
    .prepare(),
  deleteReplies: db.delete(replies).where(eq(replies.signatureId, idP)).prepare(),
  deleteNameWords: db.delete(signatureNameWords).where(eq(signatureNameWords.signatureId, idP)).prepare(),
  // The signature's confirmation and "already signed" emails: keys 'signature:<id>:…', a range of the unique index.
  deleteSignatureMail: db
    .delete(emailMessages)
    .where(and(gte(emailMessages.idempotencyKey, sql.placeholder('from')), lt(emailMessages.idempotencyKey, sql.placeholder('to'))))
    .prepare(),
  // Updates already sent stay counted on their send's page, without the address or the link
  // (the sealed {to, props} goes; an update's own row has none).
  forgetAddress: db.update(emailMessages).set({ sealed: null, toEmail: null, supporterId: null }).where(eq(emailMessages.supporterId, idP)).prepare(),
  deleteSupporter: db.delete(supporters).where(eq(supporters.id, idP)).prepare(),
  anyLeft: db
    .select({ one: sql<number>`1` })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignIdP), isNull(signatures.anonymisedAt)))
    .limit(1)
    .prepare(),
  markDone: db
    .update(campaigns)
    .set({ signaturesAnonymisedAt: sql`${nowP}` })
    .where(and(eq(campaigns.id, idP), eq(campaigns.closedAt, sql.placeholder('closedAt')), ne(campaigns.status, 'live'), isNull(campaigns.signaturesAnonymisedAt)))
    .prepare(),
  // The next page of the sender's transactional batches (an update's go with its send).
  transactionalBatches: db
    .select({ id: emailBatches.id })
    .from(emailBatches)
    .where(and(isNull(emailBatches.sendId), gt(emailBatches.id, after)))
    .orderBy(emailBatches.id)
    .limit(BATCH_SIZE)
    .prepare(),
  // Those of the page with no message left. A message joins only a batch its claim has just made,
  // in the same transaction, so one seen empty here stays empty.
  deleteSpentBatches: db
    .delete(emailBatches)
    .where(
      and(
        isNull(emailBatches.sendId),
        gt(emailBatches.id, after),
        lte(emailBatches.id, sql.placeholder('through')),
        notExists(db.select({ one: sql`1` }).from(emailMessages).where(eq(emailMessages.batchId, emailBatches.id))),
      ),
    )
    .prepare(),
  insertAudit: db
    .insert(auditLog)
    .values({ organizerId: null, action: 'signatures.anonymise', subjectType: 'campaign', subjectId: sql.placeholder('subjectId'), details: sql.placeholder('details') })
    .returning({ id: auditLog.id })
    .prepare(),
}))

type Statements = ReturnType<typeof statements>
type Tally = { anonymised: number; released: number; supportersDeleted: number }

async function wantsNews(q: Statements, supporterId: number, campaignId: number) {
  return (await firstRow(q.latestConsent, { supporterId, campaignId }))?.granted === true
}

/** Delete the supporters among `ids` that nothing needs any more. Inside the batch's transaction. */
async function deleteUnneededSupporters(tx: Tx, q: Statements, ids: Iterable<number>) {
  let deleted = 0
  for (const id of ids) {
    if (await supporterStillNeeded(tx, id)) continue
    await execute(q.forgetAddress, { id })
    // Their consents go with them (ON DELETE CASCADE). Counted only if still there: on Postgres a run
    // overlapping this one (another process) may have deleted them since this batch was read.
    if ((await execute(q.deleteSupporter, { id })).changes > 0) deleted++
  }
  return deleted
}

/**
 * Decide one batch of rows, inside its transaction: anonymise those not yet anonymised,
 * let go of supporters no longer wanted, delete supporters left with nothing.
 */
async function settleRows(tx: Tx, campaignId: number, rows: Row[], now: number): Promise<Tally> {
  const q = statements(tx)
  const tally: Tally = { anonymised: 0, released: 0, supportersDeleted: 0 }
  const letGo = new Set<number>()
  for (const row of rows) {
    const keep = row.supporterId !== null && row.status === 'confirmed' && (await wantsNews(q, row.supporterId, campaignId))
    if (!keep && row.supporterId !== null) letGo.add(row.supporterId)
    if ((await execute(q.anonymise, { id: row.id, supporterId: keep ? row.supporterId : null, now })).changes > 0) {
      tally.anonymised++
      await execute(q.deleteReplies, { id: row.id })
      await execute(q.deleteNameWords, { id: row.id })
      await execute(q.deleteSignatureMail, { from: `signature:${row.id}:`, to: `signature:${row.id};` })
    } else if (!keep && (await execute(q.release, { id: row.id })).changes > 0) {
      tally.released++
    }
  }
  tally.supportersDeleted = await deleteUnneededSupporters(tx, q, letGo)
  return tally
}

/**
 * One audit entry per campaign and run, written with the run's first change and brought up
 * to date by each later batch in that batch's transaction: it always says what was done.
 */
class RunAudit {
  private id: number | null = null
  readonly total: Tally = { anonymised: 0, released: 0, supportersDeleted: 0 }
  constructor(private readonly campaign: { id: number; retentionDays?: number }) {}

  /** Inside the batch's transaction. */
  async add(tx: Tx, batch: Tally) {
    if (batch.anonymised + batch.released + batch.supportersDeleted === 0) return
    const next = {
      anonymised: this.total.anonymised + batch.anonymised,
      released: this.total.released + batch.released,
      supportersDeleted: this.total.supportersDeleted + batch.supportersDeleted,
    }
    const details = { ...next, ...(this.campaign.retentionDays ? { retentionDays: this.campaign.retentionDays } : {}) }
    const q = statements(tx)
    if (this.id === null) {
      this.id = (await firstRow(q.insertAudit, { subjectId: String(this.campaign.id), details }))!.id
    } else {
      await execute(tx.update(auditLog).set({ details }).where(eq(auditLog.id, this.id)))
    }
    Object.assign(this.total, next)
  }

  get changed() {
    return this.id !== null
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

async function anonymiseCampaign(db: Handle, campaign: DueCampaign, now: number, shouldStop: () => boolean) {
  const audit = new RunAudit(campaign)
  for (const status of STATUS_ORDER) {
    let after = 0
    for (;;) {
      if (shouldStop()) return audit
      const batch = await transaction(db, async (tx) => {
        const q = statements(tx)
        // Reopened or given a longer period since the run began: leave it.
        if (!await firstRow(q.stillDue, { id: campaign.id, closedAt: campaign.closedAt, now })) return null
        const rows: Row[] = await allRows(q.nextToAnonymise, { campaignId: campaign.id, status, after })
        if (rows.length === 0) return null
        await audit.add(tx, await settleRows(tx, campaign.id, rows, now))
        return rows[rows.length - 1]!.id
      })
      if (batch === null) break
      after = batch
      await nextTurn()
    }
  }
  if (shouldStop()) return audit
  await transaction(db, async (tx) => {
    const q = statements(tx)
    // A row that slipped past the passes (its status changed between them) waits for the next run.
    if (!await firstRow(q.anyLeft, { campaignId: campaign.id })) await execute(q.markDone, { id: campaign.id, closedAt: campaign.closedAt, now })
  })
  return audit
}

async function releaseWithdrawn(db: Handle, campaign: { id: number }, now: number, shouldStop: () => boolean) {
  const audit = new RunAudit(campaign)
  let after = 0
  while (!shouldStop()) {
    const last = await transaction(db, async (tx) => {
      const rows: Row[] = await allRows(statements(tx).nextLinked, { campaignId: campaign.id, after })
      if (rows.length === 0) return null
      await audit.add(tx, await settleRows(tx, campaign.id, rows, now))
      return rows[rows.length - 1]!.id
    })
    if (last === null) break
    after = last
    await nextTurn()
  }
  return audit
}

/** Delete the transactional batches none of whose messages is left, a page at a time; returns how many. */
export async function pruneSpentMailBatches(db: Handle, { shouldStop = () => false }: { shouldStop?: () => boolean } = {}) {
  let after = 0
  let pruned = 0
  while (!shouldStop()) {
    const page = await transaction(db, async (tx) => {
      const q = statements(tx)
      const ids = await allRows(q.transactionalBatches, { after })
      if (ids.length === 0) return null
      const through = ids[ids.length - 1]!.id
      pruned += (await execute(q.deleteSpentBatches, { after, through })).changes
      return { through, full: ids.length === BATCH_SIZE }
    })
    if (!page) break
    after = page.through
    if (!page.full) break
    await nextTurn()
  }
  return pruned
}

/**
 * Anonymise what is due and let go of what is no longer wanted; returns what changed, per
 * campaign (nothing for a campaign without changes). Then prune the mail batches left empty
 * (pruneSpentMailBatches; not in the reports, which are about people). Idempotent: a second
 * run finds nothing.
 */
export async function anonymiseDueSignatures(db: Handle, { now = Date.now(), shouldStop = () => false }: { now?: number; shouldStop?: () => boolean } = {}) {
  const q = statements(db)
  // Read before the first pass: a campaign that pass finishes has just been looked at.
  const done = await allRows(q.doneAndLinked)
  const due = (await allRows(q.dueCampaigns, { now })).flatMap((c): DueCampaign[] => (c.closedAt === null ? [] : [{ ...c, closedAt: c.closedAt }]))
  const reports: RetentionReport[] = []
  for (const campaign of due) {
    const audit = await anonymiseCampaign(db, campaign, now, shouldStop)
    if (audit.changed) reports.push({ campaignId: campaign.id, slug: campaign.slug, ...audit.total })
  }
  for (const campaign of done) {
    const audit = await releaseWithdrawn(db, campaign, now, shouldStop)
    if (audit.changed) reports.push({ campaignId: campaign.id, slug: campaign.slug, ...audit.total })
  }
  // Approved messages and shown names leave the campaign pages.
  if (reports.length > 0) purgePublicPages()
  await pruneSpentMailBatches(db, { shouldStop })
  return reports
}

/**
 * Where a campaign stands, for its settings page: still collecting (or never did), closed
 * with anonymisation to come, due (the hourly job will get to it), or done.
 */
export function retentionStateOf(
  campaign: Pick<Campaign, 'closedAt' | 'retentionDays' | 'signaturesAnonymisedAt'>,
  now = Date.now(),
): RetentionState {
  const { closedAt, retentionDays, signaturesAnonymisedAt } = campaign
  if (closedAt === null) return { state: 'open', retentionDays }
  if (signaturesAnonymisedAt !== null) return { state: 'done', retentionDays, closedAt, anonymisedAt: signaturesAnonymisedAt }
  const dueAt = closedAt + retentionDays * DAY_MS
  return { state: dueAt <= now ? 'due' : 'scheduled', retentionDays, closedAt, dueAt }
}
