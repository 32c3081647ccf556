import { and, count, desc, eq, gt, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { campaignCounters, countryCounters, donations, fundCounters, fundDonors, funds, signatures, type Donation } from '#db/schema.ts'
import { lockTablesAgainstWrites } from '#db/locks.server.ts'
import { sumAtBatchEnd } from '#db/batched-writer.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * The counters: what public pages show without counting rows. Each moves in the
 * transaction that changes the rows it counts (so every function that moves one takes
 * `tx`), and each can be rebuilt from the rows (`npm run recount`).
 */

// ——— Signatures: per campaign and per country ———

const p = sql.placeholder

// Every signature, confirmation and count-feed request passes here: prepared once per connection.
const signatureCounters = preparedPerConnection((db) => ({
  move: db
    .insert(campaignCounters)
    .values({ campaignId: p('campaignId'), confirmed: p('confirmed'), pending: p('pending') })
    .onConflictDoUpdate({
      target: campaignCounters.campaignId,
      set: {
        confirmed: sql`${campaignCounters.confirmed} + excluded.confirmed`,
        pending: sql`${campaignCounters.pending} + excluded.pending`,
        updatedAt: sql`excluded.updated_at`,
      },
    })
    .prepare(),
  moveCountry: db
    .insert(countryCounters)
    .values({ campaignId: p('campaignId'), country: p('country'), confirmed: p('by') })
    .onConflictDoUpdate({ target: [countryCounters.campaignId, countryCounters.country], set: { confirmed: sql`${countryCounters.confirmed} + excluded.confirmed` } })
    .prepare(),
  campaign: db
    .select({ confirmed: campaignCounters.confirmed, pending: campaignCounters.pending, invalidated: campaignCounters.invalidated })
    .from(campaignCounters)
    .where(eq(campaignCounters.campaignId, p('campaignId')))
    .prepare(),
  countries: db
    .select({ country: countryCounters.country, confirmed: countryCounters.confirmed })
    .from(countryCounters)
    .where(and(eq(countryCounters.campaignId, p('campaignId')), gt(countryCounters.confirmed, 0)))
    .orderBy(desc(countryCounters.confirmed), countryCounters.country)
    .prepare(),
}))

/**
 * A campaign's confirmed and pending signatures move by `change`. In a group commit's job (a
 * signature) the move joins its batch's, written once before the batch commits: the campaign's
 * row is then locked only from there to the commit, and other batches wait that long.
 */
export async function moveSignatureCounters(tx: Tx, campaignId: number, change: { confirmed?: number; pending?: number }) {
  const amounts = { confirmed: change.confirmed ?? 0, pending: change.pending ?? 0 }
  if (sumAtBatchEnd(tx, `signature-counters:${campaignId}`, amounts, (batch, sum) => writeSignatureCounterMove(batch, campaignId, sum))) return
  await writeSignatureCounterMove(tx, campaignId, amounts)
}

async function writeSignatureCounterMove(tx: Tx, campaignId: number, { confirmed = 0, pending = 0 }: { confirmed?: number; pending?: number }) {
  if (confirmed === 0 && pending === 0) return
  await execute(signatureCounters(tx).move, { campaignId, confirmed, pending })
}

/** A campaign's confirmed signatures from one country move by `by`. */
export async function moveCountryCounter(tx: Tx, campaignId: number, country: string, by: number) {
  await execute(signatureCounters(tx).moveCountry, { campaignId, country, by })
}

/** Signatures invalidated together leave the counters they were in. */
export async function takeBackSignatureCounters(
  tx: Tx,
  { campaignId, confirmed, pending, byCountry, now }: { campaignId: number; confirmed: number; pending: number; byCountry: Map<string, number>; now: number },
) {
  await execute(tx.update(campaignCounters)
    .set({
      confirmed: sql`${campaignCounters.confirmed} - ${confirmed}`,
      pending: sql`${campaignCounters.pending} - ${pending}`,
      invalidated: sql`${campaignCounters.invalidated} + ${confirmed}`,
      updatedAt: now,
    })
    .where(eq(campaignCounters.campaignId, campaignId)))
  for (const [country, n] of byCountry) {
    await execute(tx.update(countryCounters)
      .set({ confirmed: sql`${countryCounters.confirmed} - ${n}` })
      .where(and(eq(countryCounters.campaignId, campaignId), eq(countryCounters.country, country))))
  }
}

/** Confirmed signatures that no longer count (withdrawn by their signer) join the campaign's `invalidated`. */
export async function addInvalidated(tx: Tx, campaignId: number, n: number) {
  await execute(tx.update(campaignCounters).set({ invalidated: sql`${campaignCounters.invalidated} + ${n}` }).where(eq(campaignCounters.campaignId, campaignId)))
}

/** A campaign's confirmed, pending and invalidated signatures (all 0 before its first). */
export async function getSignatureCounters(db: Handle, campaignId: number) {
  return await firstRow(signatureCounters(db).campaign, { campaignId }) ?? { confirmed: 0, pending: 0, invalidated: 0 }
}

/** A campaign's confirmed signatures per country, largest first, countries with none left out. */
export async function listCountryCounters(db: Handle, campaignId: number) {
  return await allRows(signatureCounters(db).countries, { campaignId })
}

export type Drift = { campaignId: number; field: string; stored: number; actual: number }

/** Recompute every signature counter from the rows; report and repair any drift. */
export async function recountSignatures(db: Handle): Promise<Drift[]> {
  return transaction(db, async (tx) => {
    // Servers keep signing and confirming meanwhile: a move made while this counts would be
    // overwritten. Every such move is made after its rows change, so with the counters closed
    // to writes the counts see every move before, and the moves after add to the recount.
    await lockTablesAgainstWrites(tx, [campaignCounters, countryCounters])
    const drift: Drift[] = []
    // `invalidated` is a ledger, not a count of rows (withdrawn signatures are deleted): left as it is.
    const actual = await allRows(tx
      .select({ campaignId: signatures.campaignId, status: signatures.status, n: count() })
      .from(signatures)
      .groupBy(signatures.campaignId, signatures.status))
    const stored = await allRows(tx.select().from(campaignCounters))
    const ids = new Set([...actual.map((a) => a.campaignId), ...stored.map((s) => s.campaignId)])
    for (const campaignId of ids) {
      const real = (status: string) => actual.find((a) => a.campaignId === campaignId && a.status === status)?.n ?? 0
      const have = stored.find((s) => s.campaignId === campaignId)
      const next = { confirmed: real('confirmed'), pending: real('pending') }
      for (const field of ['confirmed', 'pending'] as const) {
        if ((have?.[field] ?? 0) !== next[field]) drift.push({ campaignId, field, stored: have?.[field] ?? 0, actual: next[field] })
      }
      await execute(tx.insert(campaignCounters)
        .values({ campaignId, ...next })
        .onConflictDoUpdate({ target: campaignCounters.campaignId, set: { ...next, updatedAt: Date.now() } }))
    }
    const byCountry = await allRows(tx
      .select({ campaignId: signatures.campaignId, country: signatures.country, n: count() })
      .from(signatures)
      .where(eq(signatures.status, 'confirmed'))
      .groupBy(signatures.campaignId, signatures.country))
    const storedCountries = await allRows(tx.select().from(countryCounters))
    for (const row of storedCountries) {
      const real = byCountry.find((b) => b.campaignId === row.campaignId && b.country === row.country)?.n ?? 0
      if (real !== row.confirmed) drift.push({ campaignId: row.campaignId, field: `country:${row.country}`, stored: row.confirmed, actual: real })
    }
    for (const row of byCountry) {
      if (!storedCountries.some((s) => s.campaignId === row.campaignId && s.country === row.country)) {
        drift.push({ campaignId: row.campaignId, field: `country:${row.country}`, stored: 0, actual: row.n })
      }
    }
    await execute(tx.delete(countryCounters))
    for (const row of byCountry) await execute(tx.insert(countryCounters).values({ campaignId: row.campaignId, country: row.country, confirmed: row.n }))
    return drift
  })
}

// ——————————————————————————————————————————————————————————————————————————————————————
// (the two sections are filled by different hands; keep this block between them)
// ——————————————————————————————————————————————————————————————————————————————————————

// ——— Donations: per fund ———

/** What a donation adds to its fund's total: paid, not failed, less refunds and open or lost disputes. */
export function countedMinor(d: Pick<Donation, 'paidAt' | 'failedAt' | 'amountMinor' | 'refundedMinor' | 'disputeStatus' | 'disputedMinor'>) {
  if (d.paidAt === null) return 0
  const withheld = d.disputeStatus === 'open' || d.disputeStatus === 'lost' ? d.disputedMinor : 0
  return Math.max(0, d.amountMinor - d.refundedMinor - withheld)
}

// Bound JS numbers can arrive as REAL: cast before adding.
const asInteger = (name: string) => sql`cast(${sql.placeholder(name)} as integer)`

// Every paid webhook event moves these: prepared once per connection.
const fundStatements = preparedPerConnection((db) => ({
  addDonor: db
    .insert(fundDonors)
    .values({ fundId: sql.placeholder('fundId'), supporterId: sql.placeholder('supporterId') })
    .onConflictDoNothing()
    .prepare(),
  move: db
    .insert(fundCounters)
    .values({ fundId: sql.placeholder('fundId'), raisedMinor: asInteger('delta'), donations: asInteger('countingDelta'), donors: asInteger('newDonors') })
    .onConflictDoUpdate({
      target: fundCounters.fundId,
      set: {
        raisedMinor: sql`${fundCounters.raisedMinor} + ${asInteger('delta')}`,
        donations: sql`${fundCounters.donations} + ${asInteger('countingDelta')}`,
        donors: sql`${fundCounters.donors} + ${asInteger('newDonors')}`,
        updatedAt: sql`${sql.placeholder('updatedAt')}`,
      },
    })
    .prepare(),
}))

/** Count a supporter among a fund's donors; returns 1 when they were not yet, else 0. */
export async function addFundDonor(tx: Tx, { fundId, supporterId }: { fundId: number; supporterId: number }) {
  return (await execute(fundStatements(tx).addDonor, { fundId, supporterId })).changes
}

/** Move a fund's counters by what one change to a donation made: money, counting donations, new donors. */
export async function moveFundCounters(tx: Tx, { fundId, delta, countingDelta, newDonors }: { fundId: number; delta: number; countingDelta: number; newDonors: number }) {
  await execute(fundStatements(tx).move, { fundId, delta, countingDelta, newDonors, updatedAt: Date.now() })
}

/** Recompute every fund's counters from the donations; report and repair drift. */
export async function recountFunds(db: Handle) {
  return transaction(db, async (tx) => {
    // As in recountSignatures: webhooks on other servers wait until this has counted and written.
    await lockTablesAgainstWrites(tx, [fundCounters, fundDonors])
    const drift: { fundId: number; field: string; stored: number; actual: number }[] = []
    const fundIds = (await allRows(tx.select({ id: funds.id }).from(funds))).map((f) => f.id)
    for (const fundId of fundIds) {
      const rows = await allRows(tx.select().from(donations).where(eq(donations.fundId, fundId)))
      const actual = {
        raisedMinor: rows.reduce((sum, d) => sum + countedMinor(d), 0),
        donations: rows.filter((d) => countedMinor(d) > 0).length,
        donors: (await firstRow(tx.select({ n: sql<number>`count(*)` }).from(fundDonors).where(eq(fundDonors.fundId, fundId))))?.n ?? 0,
      }
      const stored = await firstRow(tx.select().from(fundCounters).where(eq(fundCounters.fundId, fundId)))
      for (const field of ['raisedMinor', 'donations', 'donors'] as const) {
        if ((stored?.[field] ?? 0) !== actual[field]) drift.push({ fundId, field, stored: stored?.[field] ?? 0, actual: actual[field] })
      }
      await execute(tx.insert(fundCounters)
        .values({ fundId, ...actual })
        .onConflictDoUpdate({ target: fundCounters.fundId, set: { ...actual, updatedAt: Date.now() } }))
    }
    return drift
  })
}
