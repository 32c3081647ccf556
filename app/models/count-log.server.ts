import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle, type Tx } from '#db/client.server.ts'
import { serializeOn } from '#db/locks.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { campaigns, countLogEntries, type CountLogReason, type CountLogRow } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { entryHash, GENESIS_PREV, type CountLogEntry } from '~/utils/count-log-chain.server.ts'
import { PUBLIC_STATUSES } from './campaigns.server.ts'
import { getSignatureCounters } from './counters.server.ts'

/**
 * The public count log (issue 17, ADR 018): per campaign, a hash chain of its counts, appended
 * to and never changed. There is no UPDATE or DELETE on count_log_entries anywhere (a test
 * greps app/ for one); the rows go only with their campaign (ON DELETE CASCADE).
 *
 * An entry is written in a transaction that first takes the campaign's `count-log:<id>` lock
 * (Postgres; on SQLite the write transaction is the lock) and then reads the head, so two
 * writers never both take the same seq; the primary key (campaign_id, seq) is the last guard.
 * A confirmation that reaches a milestone holds its counter row and then this lock; the hourly
 * job takes this lock and only reads the counters: no cycle, no deadlock.
 */

export const COUNT_LOG_PERIOD_MS = 60 * 60 * 1000

const p = sql.placeholder

const statements = preparedPerConnection((db) => ({
  // The primary key, backwards: one row.
  head: db.select().from(countLogEntries).where(eq(countLogEntries.campaignId, p('campaignId'))).orderBy(desc(countLogEntries.seq)).limit(1).prepare(),
  all: db.select().from(countLogEntries).where(eq(countLogEntries.campaignId, p('campaignId'))).orderBy(asc(countLogEntries.seq)).prepare(),
  publicCampaign: db
    .select({ id: campaigns.id, slug: campaigns.slug })
    .from(campaigns)
    .where(and(eq(campaigns.slug, p('slug')), inArray(campaigns.status, PUBLIC_STATUSES)))
    .prepare(),
  publicCampaigns: db
    .select({ id: campaigns.id, slug: campaigns.slug, status: campaigns.status })
    .from(campaigns)
    .where(inArray(campaigns.status, PUBLIC_STATUSES))
    .orderBy(campaigns.id)
    .prepare(),
}))

function entryOf(row: CountLogRow): CountLogEntry {
  return {
    seq: row.seq,
    at: new Date(row.at).toISOString(),
    confirmed: row.confirmed,
    invalidated: row.invalidated,
    reason: row.reason,
    milestone: row.milestone,
    prev: row.prevHash,
    hash: row.hash,
  }
}

/** Insert the entry after `head` (or the genesis entry) with the campaign's counts now. */
async function insertEntry(
  tx: Tx,
  { campaignId, head, reason, milestone, now }: { campaignId: number; head: CountLogRow | undefined; reason: CountLogReason; milestone: number | null; now: number },
): Promise<{ row: CountLogRow; entry: CountLogEntry }> {
  const { confirmed, invalidated } = await getSignatureCounters(tx, campaignId)
  // Never earlier than the head: clocks of several servers may disagree by a little.
  const at = Math.max(now, head?.at ?? now)
  const fields = { seq: head ? head.seq + 1 : 0, at: new Date(at).toISOString(), confirmed, invalidated, reason, milestone, prev: head?.hash ?? GENESIS_PREV }
  const hash = entryHash(fields)
  const row: CountLogRow = { campaignId, seq: fields.seq, at, confirmed, invalidated, reason, milestone, prevHash: fields.prev, hash }
  await execute(tx.insert(countLogEntries).values(row))
  return { row, entry: { ...fields, hash } }
}

async function lockedHead(tx: Tx, campaignId: number) {
  await serializeOn(tx, [`count-log:${campaignId}`])
  return firstRow(statements(tx).head, { campaignId })
}

/**
 * Append one entry in the caller's transaction; a genesis entry first if the campaign has none.
 * Database statements only (no other I/O), so it runs inside a confirmation's transaction.
 */
export async function appendCountLogEntry(
  tx: Tx,
  { campaignId, reason, milestone = null, now = Date.now() }: { campaignId: number; reason: Exclude<CountLogReason, 'genesis'>; milestone?: number | null; now?: number },
): Promise<CountLogEntry> {
  let head = await lockedHead(tx, campaignId)
  if (!head) head = (await insertEntry(tx, { campaignId, head, reason: 'genesis', milestone: null, now })).row
  return (await insertEntry(tx, { campaignId, head, reason, milestone, now })).entry
}

/**
 * One run of the hourly job. A public campaign without a log gets its genesis entry; a live one
 * whose head is at least COUNT_LOG_PERIOD_MS old gets an 'hourly' entry; a closed or won one
 * only when its counts changed since its head (an invalidation after it closed). The decision
 * is read from the database in each campaign's own transaction, after its lock: a restart
 * neither loses nor doubles an entry, and two processes never both append.
 */
export async function appendDueCountLogEntries(
  db: DB,
  { now = Date.now(), shouldStop = () => false }: { now?: number; shouldStop?: () => boolean } = {},
): Promise<{ campaignId: number; slug: string; seq: number }[]> {
  const appended: { campaignId: number; slug: string; seq: number }[] = []
  for (const campaign of await allRows(statements(db).publicCampaigns)) {
    if (shouldStop()) break
    const entry = await transaction(db, async (tx) => {
      const head = await lockedHead(tx, campaign.id)
      if (!head) return (await insertEntry(tx, { campaignId: campaign.id, head, reason: 'genesis', milestone: null, now })).entry
      if (now - head.at < COUNT_LOG_PERIOD_MS) return null
      if (campaign.status !== 'live') {
        const counts = await getSignatureCounters(tx, campaign.id)
        if (counts.confirmed === head.confirmed && counts.invalidated === head.invalidated) return null
      }
      return (await insertEntry(tx, { campaignId: campaign.id, head, reason: 'hourly', milestone: null, now })).entry
    })
    if (entry) appended.push({ campaignId: campaign.id, slug: campaign.slug, seq: entry.seq })
  }
  return appended
}

/** The campaign's latest entry (what a packet or a delivery names), or null before the first. */
export async function getCountLogHead(db: Handle, { campaignId }: { campaignId: number }): Promise<CountLogEntry | null> {
  const row = await firstRow(statements(db).head, { campaignId })
  return row ? entryOf(row) : null
}

/** A public campaign's whole log, oldest first; null for an unknown slug or a draft. */
export async function listCountLog(db: Handle, { slug }: { slug: string }): Promise<{ slug: string; entries: CountLogEntry[] } | null> {
  const campaign = await firstRow(statements(db).publicCampaign, { slug })
  if (!campaign) return null
  const rows = await allRows(statements(db).all, { campaignId: campaign.id })
  return { slug: campaign.slug, entries: rows.map(entryOf) }
}
