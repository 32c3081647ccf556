import { eq, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { donations, fundCounters, fundDonors, funds, type Donation } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'

/**
 * The counters: what public pages show without counting rows. Each moves in the
 * transaction that changes the rows it counts (so every function that moves one takes
 * `tx`), and each can be rebuilt from the rows (`npm run recount`).
 */

// ——— Signatures: per campaign and per country (moved here from signatures*.server.ts) ———

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
  return fundStatements(tx).addDonor.run({ fundId, supporterId }).changes
}

/** Move a fund's counters by what one change to a donation made: money, counting donations, new donors. */
export async function moveFundCounters(tx: Tx, { fundId, delta, countingDelta, newDonors }: { fundId: number; delta: number; countingDelta: number; newDonors: number }) {
  fundStatements(tx).move.run({ fundId, delta, countingDelta, newDonors, updatedAt: Date.now() })
}

/** Recompute every fund's counters from the donations; report and repair drift. */
export async function recountFunds(db: Handle) {
  return transaction(db, async (tx) => {
    const drift: { fundId: number; field: string; stored: number; actual: number }[] = []
    const fundIds = tx.select({ id: funds.id }).from(funds).all().map((f) => f.id)
    for (const fundId of fundIds) {
      const rows = tx.select().from(donations).where(eq(donations.fundId, fundId)).all()
      const actual = {
        raisedMinor: rows.reduce((sum, d) => sum + countedMinor(d), 0),
        donations: rows.filter((d) => countedMinor(d) > 0).length,
        donors: tx.select({ n: sql<number>`count(*)` }).from(fundDonors).where(eq(fundDonors.fundId, fundId)).get()?.n ?? 0,
      }
      const stored = tx.select().from(fundCounters).where(eq(fundCounters.fundId, fundId)).get()
      for (const field of ['raisedMinor', 'donations', 'donors'] as const) {
        if ((stored?.[field] ?? 0) !== actual[field]) drift.push({ fundId, field, stored: stored?.[field] ?? 0, actual: actual[field] })
      }
      tx.insert(fundCounters)
        .values({ fundId, ...actual })
        .onConflictDoUpdate({ target: fundCounters.fundId, set: { ...actual, updatedAt: Date.now() } })
        .run()
    }
    return drift
  })
}
