import { getDb, legacyPreparedPerConnection, type DB } from '#db/client.server.ts'
import type { Campaign, SignatureStatus } from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import type { RetentionState } from '~/utils/retention.ts'

/**
 * Retention (ADR 010). A campaign's signatures are anonymised `retention_days` after it
 * stopped collecting them (`campaigns.closed_at`). Anonymising clears what identifies a
 * signer — names, postal code, the message and the team's replies to it, the IP and token
 * hashes, the confirmation emails in the outbox — and keeps what counting needs (status,
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

// Plain SQL, prepared once per connection. Times are bound as JS numbers (REAL to SQLite):
// they are only compared and stored into integer columns, which convert them losslessly.
const statements = legacyPreparedPerConnection((db: DB) => {
  const c = db.$client
  return {
    dueCampaigns: c.prepare(`
      select id, slug, closed_at as closedAt, retention_days as retentionDays from campaigns
      where status <> 'live' and closed_at is not null and signatures_anonymised_at is null
      and closed_at + retention_days * ${DAY_MS} <= @now
      order by id`),
    stillDue: c.prepare(`
      select 1 from campaigns
      where id = @id and status <> 'live' and closed_at = @closedAt and closed_at + retention_days * ${DAY_MS} <= @now`),
    doneAndLinked: c.prepare(`
      select id, slug from campaigns c
      where signatures_anonymised_at is not null
      and exists (select 1 from signatures s where s.campaign_id = c.id and s.anonymised_at is not null and s.supporter_id is not null)
      order by id`),
    nextToAnonymise: c.prepare(`
      select id, supporter_id as supporterId, status from signatures
      where campaign_id = @campaignId and status = @status and id > @after and anonymised_at is null
      order by id limit ${BATCH_SIZE}`),
    nextLinked: c.prepare(`
      select id, supporter_id as supporterId, status from signatures
      where campaign_id = @campaignId and anonymised_at is not null and supporter_id is not null and id > @after
      order by id limit ${BATCH_SIZE}`),
    latestConsent: c.prepare(`
      select granted from consents
      where supporter_id = @supporterId and purpose = 'campaign_updates' and campaign_id = @campaignId
      order by id desc limit 1`),
    anonymise: c.prepare(`
      update signatures set
        first_name = '', last_name = '', postal_code = null, message = null, message_status = null, show_name = 0,
        ip_hash = null, token_hash = null, token_expires_at = null, resubmitted_details = null, resubmitted_token_hash = null,
        supporter_id = @supporterId, anonymised_at = @now
      where id = @id and anonymised_at is null`),
    release: c.prepare(`update signatures set supporter_id = null where id = @id and supporter_id is not null`),
    deleteReplies: c.prepare(`delete from replies where signature_id = @id`),
    // The signature's confirmation and "already signed" emails: keys 'signature:<id>:…', a range of the unique index.
    deleteSignatureMail: c.prepare(`delete from email_messages where idempotency_key >= @from and idempotency_key < @to`),
    stillNeeded: c.prepare(`
      select exists (select 1 from signatures where supporter_id = @id)
          or exists (select 1 from donations where supporter_id = @id)
          or exists (select 1 from email_messages where supporter_id = @id and status in ('queued', 'batched', 'sending')) as needed`),
    // Updates already sent stay counted on their send's page, without the address or the link.
    // (The link by hand: migration 0004 added the column with ALTER TABLE, which dropped its ON DELETE SET NULL.)
    forgetAddress: c.prepare(`update email_messages set to_email = '', supporter_id = null where supporter_id = @id`),
    deleteSupporter: c.prepare(`delete from supporters where id = @id`),
    anyLeft: c.prepare(`select 1 from signatures where campaign_id = @campaignId and anonymised_at is null limit 1`),
    markDone: c.prepare(`
      update campaigns set signatures_anonymised_at = @now
      where id = @id and closed_at = @closedAt and status <> 'live' and signatures_anonymised_at is null`),
    insertAudit: c.prepare(`
      insert into audit_log (organizer_id, action, subject_type, subject_id, details)
      values (null, 'signatures.anonymise', 'campaign', @subjectId, @details) returning id`),
    updateAudit: c.prepare(`update audit_log set details = @details where id = @id`),
  }
})

type Statements = ReturnType<typeof statements>
type Tally = { anonymised: number; released: number; supportersDeleted: number }

function wantsNews(q: Statements, supporterId: number, campaignId: number) {
  const row = q.latestConsent.get({ supporterId, campaignId }) as { granted: number } | undefined
  return row?.granted === 1
}

/** Delete the supporters among `ids` that nothing needs any more. Inside the batch's transaction. */
function deleteUnneededSupporters(q: Statements, ids: Iterable<number>) {
  let deleted = 0
  for (const id of ids) {
    const { needed } = q.stillNeeded.get({ id }) as { needed: number }
    if (needed) continue
    q.forgetAddress.run({ id })
    // Their consents go with them (ON DELETE CASCADE).
    q.deleteSupporter.run({ id })
    deleted++
  }
  return deleted
}

/**
 * Decide one batch of rows, inside its transaction: anonymise those not yet anonymised,
 * let go of supporters no longer wanted, delete supporters left with nothing.
 */
function settleRows(q: Statements, campaignId: number, rows: Row[], now: number): Tally {
  const tally: Tally = { anonymised: 0, released: 0, supportersDeleted: 0 }
  const letGo = new Set<number>()
  for (const row of rows) {
    const keep = row.supporterId !== null && row.status === 'confirmed' && wantsNews(q, row.supporterId, campaignId)
    if (!keep && row.supporterId !== null) letGo.add(row.supporterId)
    if (q.anonymise.run({ id: row.id, supporterId: keep ? row.supporterId : null, now }).changes > 0) {
      tally.anonymised++
      q.deleteReplies.run({ id: row.id })
      q.deleteSignatureMail.run({ from: `signature:${row.id}:`, to: `signature:${row.id};` })
    } else if (!keep && q.release.run({ id: row.id }).changes > 0) {
      tally.released++
    }
  }
  tally.supportersDeleted = deleteUnneededSupporters(q, letGo)
  return tally
}

/**
 * One audit entry per campaign and run, written with the run's first change and brought up
 * to date by each later batch in that batch's transaction: it always says what was done.
 */
class RunAudit {
  private id: number | null = null
  readonly total: Tally = { anonymised: 0, released: 0, supportersDeleted: 0 }
  constructor(
    private readonly campaign: { id: number; retentionDays?: number },
    private readonly q: Statements,
  ) {}

  /** Inside the batch's transaction. */
  add(batch: Tally) {
    if (batch.anonymised + batch.released + batch.supportersDeleted === 0) return
    const next = {
      anonymised: this.total.anonymised + batch.anonymised,
      released: this.total.released + batch.released,
      supportersDeleted: this.total.supportersDeleted + batch.supportersDeleted,
    }
    const details = JSON.stringify({ ...next, ...(this.campaign.retentionDays ? { retentionDays: this.campaign.retentionDays } : {}) })
    if (this.id === null) {
      this.id = (this.q.insertAudit.get({ subjectId: String(this.campaign.id), details }) as { id: number }).id
    } else {
      this.q.updateAudit.run({ id: this.id, details })
    }
    Object.assign(this.total, next)
  }

  get changed() {
    return this.id !== null
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

async function anonymiseCampaign(campaign: DueCampaign, now: number, shouldStop: () => boolean) {
  const db = getDb()
  const q = statements()
  const audit = new RunAudit(campaign, q)
  for (const status of STATUS_ORDER) {
    let after = 0
    for (;;) {
      if (shouldStop()) return audit
      const batch = db.$client.transaction(() => {
        // Reopened or given a longer period since the run began: leave it.
        if (!q.stillDue.get({ id: campaign.id, closedAt: campaign.closedAt, now })) return null
        const rows = q.nextToAnonymise.all({ campaignId: campaign.id, status, after }) as Row[]
        if (rows.length === 0) return null
        audit.add(settleRows(q, campaign.id, rows, now))
        return rows[rows.length - 1]!.id
      }).immediate()
      if (batch === null) break
      after = batch
      await nextTurn()
    }
  }
  if (shouldStop()) return audit
  db.$client.transaction(() => {
    // A row that slipped past the passes (its status changed between them) waits for the next run.
    if (!q.anyLeft.get({ campaignId: campaign.id })) q.markDone.run({ id: campaign.id, closedAt: campaign.closedAt, now })
  }).immediate()
  return audit
}

async function releaseWithdrawn(campaign: { id: number }, now: number, shouldStop: () => boolean) {
  const db = getDb()
  const q = statements()
  const audit = new RunAudit(campaign, q)
  let after = 0
  while (!shouldStop()) {
    const last = db.$client.transaction(() => {
      const rows = q.nextLinked.all({ campaignId: campaign.id, after }) as Row[]
      if (rows.length === 0) return null
      audit.add(settleRows(q, campaign.id, rows, now))
      return rows[rows.length - 1]!.id
    }).immediate()
    if (last === null) break
    after = last
    await nextTurn()
  }
  return audit
}

/**
 * Anonymise what is due and let go of what is no longer wanted; returns what changed, per
 * campaign (nothing for a campaign without changes). Idempotent: a second run finds nothing.
 */
export async function anonymiseDueSignatures({ now = Date.now(), shouldStop = () => false }: { now?: number; shouldStop?: () => boolean } = {}) {
  const q = statements()
  // Read before the first pass: a campaign that pass finishes has just been looked at.
  const done = q.doneAndLinked.all() as { id: number; slug: string }[]
  const due = q.dueCampaigns.all({ now }) as DueCampaign[]
  const reports: RetentionReport[] = []
  for (const campaign of due) {
    const audit = await anonymiseCampaign(campaign, now, shouldStop)
    if (audit.changed) reports.push({ campaignId: campaign.id, slug: campaign.slug, ...audit.total })
  }
  for (const campaign of done) {
    const audit = await releaseWithdrawn(campaign, now, shouldStop)
    if (audit.changed) reports.push({ campaignId: campaign.id, slug: campaign.slug, ...audit.total })
  }
  // Approved messages and shown names leave the campaign pages.
  if (reports.length > 0) purgePublicPages()
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
