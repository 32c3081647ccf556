import { and, asc, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { donations } from '#db/schema.ts'
import { sumDonationsPerMonth } from '#db/sql/donations.server.ts'
import { openDonation } from './personal-data.server.ts'
import type { DonationFilter } from '~/utils/donation-filter.ts'
import { allRows } from '#db/query.server.ts'

/**
 * The back office's view of donations: a filtered table paged by keyset, totals per fund
 * and per month computed from the rows (not the public counters, so they show the gross,
 * refunded and disputed parts beside what is counted), and batches for streamed exports.
 * Donations are written only by the payment webhook (donations.server.ts); nothing here
 * changes them.
 */

const DAY = 86_400_000
const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`)

// What the table and the export show of a donation (the email only for owners, added by each).
// `sealed` is opened here (names, message, address) and never leaves this module.
const listedColumns = {
  id: donations.id,
  createdAt: donations.createdAt,
  paidAt: donations.paidAt,
  fundId: donations.fundId,
  parentId: donations.parentId,
  interval: donations.interval,
  amountMinor: donations.amountMinor,
  giftMinor: donations.giftMinor,
  currency: donations.currency,
  status: donations.status,
  refundedMinor: donations.refundedMinor,
  disputeStatus: donations.disputeStatus,
  disputedMinor: donations.disputedMinor,
  countedMinor: donations.countedMinor,
  receiptNumber: donations.receiptNumber,
  // A monthly gift's end (cancelled by the donor or at Stripe): on every row of its subscription.
  subscriptionEndedAt: donations.subscriptionEndedAt,
  sealed: donations.sealed,
}

/** A row as the back office sees it: the sealed fields opened, the address only when asked for (owners). */
function opened<T extends { sealed: string | null }>({ sealed, ...row }: T, withEmails: boolean) {
  const data = openDonation(sealed)
  return { ...row, publicName: data?.publicName ?? null, message: data?.message ?? null, email: withEmails ? (data?.email ?? null) : null }
}

function filterConditions(campaignId: number, filter: DonationFilter): SQL[] {
  const conditions: SQL[] = [eq(donations.campaignId, campaignId)]
  if (filter.fundId) conditions.push(eq(donations.fundId, filter.fundId))
  if (filter.status) conditions.push(eq(donations.status, filter.status))
  if (filter.interval) conditions.push(eq(donations.interval, filter.interval))
  if (filter.from) conditions.push(gte(donations.createdAt, dayStart(filter.from)))
  if (filter.to) conditions.push(lt(donations.createdAt, dayStart(filter.to) + DAY))
  return conditions
}

/** The keyset cursor: the (created at, id) of the last row shown, as "1752800000000-1234". */
function readCursor(value: string | null | undefined) {
  const match = value ? /^(\d{1,15})-(\d{1,15})$/.exec(value) : null
  return match ? { createdAt: Number(match[1]), id: Number(match[2]) } : null
}

/**
 * One page of donations, newest first. Keyset paging on (created at, id) costs the same on
 * page 1 and page 2,000; the indexes on (campaign, created at), (campaign, status, created at)
 * and (fund, created at) serve it with and without the selective filters. Emails are read
 * only when asked for (owners).
 */
export async function listDonations(
  db: Handle,
  {
    campaignId,
    filter,
    before,
    withEmails,
    limit = 50,
  }: {
    campaignId: number
    filter: DonationFilter
    before?: string | null
    withEmails: boolean
    limit?: number
  },
) {
  const conditions = filterConditions(campaignId, filter)
  const cursor = readCursor(before)
  if (cursor) conditions.push(sql`(${donations.createdAt}, ${donations.id}) < (${cursor.createdAt}, ${cursor.id})`)
  const rows = await allRows(db
    .select(listedColumns)
    .from(donations)
    .where(and(...conditions))
    .orderBy(desc(donations.createdAt), desc(donations.id))
    .limit(limit + 1))
  const last = rows.length > limit ? rows[limit - 1] : undefined
  // The table shows no message: only the export has that column.
  const page = rows.slice(0, limit).map((r) => {
    const { message: _message, ...row } = opened(r, withEmails)
    return row
  })
  return { rows: page, nextBefore: last ? `${last.createdAt}-${last.id}` : null }
}
export type AdminDonationRow = Awaited<ReturnType<typeof listDonations>>['rows'][number]

// A dispute withholds its amount while open and for good when lost; a won dispute gives it back.
const withheld = sql<number>`case when ${donations.disputeStatus} in ('open', 'lost') then ${donations.disputedMinor} else 0 end`
const paidAmount = sql<number>`case when ${donations.paidAt} is not null then ${donations.amountMinor} else 0 end`

/**
 * Per fund (and currency, though a fund's paid donations share its currency): raised is
 * the sum of what each donation counts now, the same number the fund's public counter
 * keeps; beside it what was paid, refunded and withheld by disputes.
 */
export async function donationTotalsByFund(db: Handle, { campaignId }: { campaignId: number }) {
  const rows = await allRows(db
    .select({
      fundId: donations.fundId,
      currency: donations.currency,
      raisedMinor: sql<number>`sum(${donations.countedMinor})`,
      grossMinor: sql<number>`sum(${paidAmount})`,
      refundedMinor: sql<number>`sum(${donations.refundedMinor})`,
      disputedMinor: sql<number>`sum(${withheld})`,
      payments: sql<number>`sum(case when ${donations.paidAt} is not null then 1 else 0 end)`,
    })
    .from(donations)
    .where(eq(donations.campaignId, campaignId))
    .groupBy(donations.fundId, donations.currency))
  return rows.map((r) => ({
    ...r,
    raisedMinor: Number(r.raisedMinor ?? 0),
    grossMinor: Number(r.grossMinor ?? 0),
    refundedMinor: Number(r.refundedMinor ?? 0),
    disputedMinor: Number(r.disputedMinor ?? 0),
    payments: Number(r.payments ?? 0),
  }))
}

function monthStart(epochMs: number, monthsBack: number) {
  const d = new Date(epochMs)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, 1)
}

/**
 * Money per calendar month (UTC) of payment over the last `months` months, one series per
 * currency: what those payments count now, and what was paid. Each month is a range sum
 * over a covering index; grouping by a computed month would sort every row instead.
 */
export async function donationsPerMonth(
  db: Handle,
  {
    campaignId,
    fundId,
    months = 12,
    now = Date.now(),
  }: {
    campaignId: number
    fundId?: number
    months?: number
    now?: number
  },
) {
  const since = monthStart(now, months - 1)
  const calendar = Array.from({ length: months }, (_, i) => ({
    month: new Date(monthStart(now, months - 1 - i)).toISOString().slice(0, 7),
    starts: monthStart(now, months - 1 - i),
    ends: monthStart(now, months - 2 - i),
  }))
  const rows = await sumDonationsPerMonth(db, { campaignId, fundId: fundId ?? null, since, months: calendar })
  const currencies = [...new Set(rows.map((r) => r.currency))]
  return currencies.map((currency) => ({
    currency,
    months: rows
      .filter((r) => r.currency === currency)
      .map((r) => ({ month: r.month, raisedMinor: Number(r.raisedMinor ?? 0), grossMinor: Number(r.grossMinor ?? 0) })),
  }))
}
export type MonthlySeries = Awaited<ReturnType<typeof donationsPerMonth>>[number]

/** Donations matching a filter in id order, a batch at a time (each row opened: about 5 µs), for streaming exports. */
export async function exportDonationsBatch(
  db: Handle,
  {
    campaignId,
    filter,
    after,
    withEmails,
    limit = 1000,
  }: {
    campaignId: number
    filter: DonationFilter
    after: number
    withEmails: boolean
    limit?: number
  },
) {
  const rows = await allRows(db
    .select(listedColumns)
    .from(donations)
    .where(and(...filterConditions(campaignId, filter), sql`${donations.id} > ${after}`))
    .orderBy(asc(donations.id))
    .limit(limit))
  return rows.map((r) => opened(r, withEmails))
}
