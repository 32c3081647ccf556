import { and, desc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { campaigns, donations, emailMessages, funds, fundTranslations, organizations, stripeEvents, type Donation, type DonationInterval, type Locale } from '#db/schema.ts'
import { constraintViolation } from '#db/errors.server.ts'
import { forUpdate, serializeOn } from '#db/locks.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { campaignTitleFor } from './campaigns.server.ts'
import { appendConsent } from './consents.server.ts'
import { addFundDonor, countedMinor, moveFundCounters } from './counters.server.ts'
import { queueEmail } from './outbox.server.ts'
import { openDonation, sealDonation } from './personal-data.server.ts'
import { findOrCreateSupporter } from './supporters.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * Donations are recorded from the payment provider's webhook only: the success page never
 * marks anything paid. A donation's state is a set of facts that only grow — paid at,
 * failed at, the refunded total so far, the dispute's status (closed wins over open) — so
 * events applied in any order and any number of times end in the same row. Everything
 * public (fund totals, donor counts) is derived from those facts and moved, in the same
 * transaction, by the difference each event makes.
 */

/** A donation as the donor chose it, before paying. */
export type NewDonation = {
  campaignId: number
  fundId: number
  interval: DonationInterval
  giftMinor: number
  amountMinor: number
  currency: string
  email: string
  publicName: string | null
  message: string | null
  receiptName: string | null
  wantsUpdates: boolean
  locale: Locale
  /** A known source tag (app/models/sources.server.ts), or null. */
  source?: string | null
}

/**
 * The donation as "open", before the donor pays: its address and names sealed in the row
 * (ADR 017), and no supporter yet. A supporter is found or created only by the webhook that
 * records the money (update → onPaid), so a checkout abandoned at Stripe leaves this row
 * alone, which retention deletes once Stripe's session has expired (removeAbandonedCheckouts).
 */
export async function createDonation(db: Handle, input: NewDonation) {
  const { email, publicName, message, receiptName, ...plain } = input
  const sealed = sealDonation({ email, publicName, message, receiptName })
  return transaction(db, async (tx) => {
    // A donor-wall entry (a name, perhaps a message) waits for an organiser, unless the campaign publishes at once.
    const needsApproval = (await firstRow(tx.select({ v: campaigns.donorWallNeedsApproval }).from(campaigns).where(eq(campaigns.id, input.campaignId))))?.v ?? true
    const wallStatus = publicName ? (needsApproval ? 'pending' : 'approved') : null
    return (await firstRow(tx
      .insert(donations)
      .values({ ...plain, sealed: sealed.sealed, dataKeyId: sealed.dataKeyId, supporterId: null, wallStatus })
      .returning({ id: donations.id }))).id
  })
}

export async function attachCheckoutSession(db: Handle, { donationId, sessionId }: { donationId: number; sessionId: string }) {
  await transaction(db, async (tx) => {
    await execute(tx.update(donations)
      .set({ stripeCheckoutSessionId: sessionId })
      .where(and(eq(donations.id, donationId), sql`${donations.stripeCheckoutSessionId} is null`)))
  })
}

/** For the success page: what the webhook has recorded so far for a checkout. */
export async function getDonationByCheckout(db: Handle, { sessionId }: { sessionId: string }) {
  return (
    await firstRow(db
      .select({ id: donations.id, status: donations.status, campaignId: donations.campaignId, interval: donations.interval, amountMinor: donations.amountMinor, currency: donations.currency })
      .from(donations)
      .where(eq(donations.stripeCheckoutSessionId, sessionId))) ?? null
  )
}

export async function getDonation(db: Handle, { id }: { id: number }) {
  return await firstRow(db.select().from(donations).where(eq(donations.id, id))) ?? null
}

const p = sql.placeholder
/** A placeholder where Drizzle's types want a value (an update's `set`). */
const param = (name: string) => sql`${p(name)}`

// The webhook runs these on every event: prepared once per connection (ADR 004).
const webhookStatements = preparedPerConnection((db) => ({
  donationIdByPaymentIntent: db.select({ id: donations.id }).from(donations).where(eq(donations.stripePaymentIntentId, p('paymentIntentId'))).prepare(),
  donationIdByInvoice: db.select({ id: donations.id }).from(donations).where(eq(donations.stripeInvoiceId, p('invoiceId'))).prepare(),
  donationIdBySession: db.select({ id: donations.id }).from(donations).where(eq(donations.stripeCheckoutSessionId, p('sessionId'))).prepare(),
  fundById: db.select({ id: funds.id, campaignId: funds.campaignId }).from(funds).where(eq(funds.id, p('id'))).prepare(),
  // A change is computed from the row as read and written whole (updateDonation), and moves the
  // fund counters by the difference: two events about one donation on two servers at once must
  // take turns, so the rows an event will change are locked as it reads them (db/locks.server.ts).
  donationById: forUpdate(db, db.select().from(donations).where(eq(donations.id, p('id')))).prepare(),
  donationByInvoice: forUpdate(db, db.select().from(donations).where(eq(donations.stripeInvoiceId, p('invoiceId')))).prepare(),
  donationByPaymentIntent: forUpdate(db, db.select().from(donations).where(eq(donations.stripePaymentIntentId, p('paymentIntentId')))).prepare(),
  donationsBySubscription: forUpdate(db, db.select().from(donations).where(eq(donations.stripeSubscriptionId, p('subscriptionId')))).prepare(),
  // A new id, or one that failed before (Stripe's "resend" after the cause was fixed, or a
  // delivery that was never a 2xx): both are applied. One that was applied is a duplicate.
  recordEvent: db
    .insert(stripeEvents)
    .values({ id: p('id'), type: p('type'), created: p('created') })
    .onConflictDoUpdate({ target: stripeEvents.id, set: { receivedAt: sql`excluded.received_at`, failure: null }, setWhere: sql`${stripeEvents.failure} is not null` })
    .prepare(),
  markEventFailed: db.update(stripeEvents).set({ failure: param('failure') }).where(eq(stripeEvents.id, p('id'))).prepare(),
  insertRenewal: db
    .insert(donations)
    .values({
      campaignId: p('campaignId'),
      fundId: p('fundId'),
      supporterId: p('supporterId'),
      parentId: p('parentId'),
      interval: 'monthly',
      giftMinor: p('giftMinor'),
      amountMinor: p('amountMinor'),
      currency: p('currency'),
      sealed: p('sealed'),
      dataKeyId: p('dataKeyId'),
      wantsUpdates: false,
      locale: p('locale'),
      stripeInvoiceId: p('stripeInvoiceId'),
      stripePaymentIntentId: p('stripePaymentIntentId'),
      stripeSubscriptionId: p('stripeSubscriptionId'),
      stripeCustomerId: p('stripeCustomerId'),
      subscriptionEndedAt: p('subscriptionEndedAt'),
      source: p('source'),
    })
    .returning()
    .prepare(),
  // One shape for every change: the facts and ids a change can touch are all written, those it
  // leaves alone with the values just read in this transaction (`next` is the row plus the change).
  updateDonation: db
    .update(donations)
    .set({
      paidAt: param('paidAt'),
      failedAt: param('failedAt'),
      refundedMinor: param('refundedMinor'),
      disputeStatus: param('disputeStatus'),
      disputedMinor: param('disputedMinor'),
      status: param('status'),
      stripeCheckoutSessionId: param('stripeCheckoutSessionId'),
      stripePaymentIntentId: param('stripePaymentIntentId'),
      stripeInvoiceId: param('stripeInvoiceId'),
      stripeSubscriptionId: param('stripeSubscriptionId'),
      stripeCustomerId: param('stripeCustomerId'),
      subscriptionEndedAt: param('subscriptionEndedAt'),
      countedMinor: param('countedMinor'),
      updatedAt: param('updatedAt'),
    })
    .where(eq(donations.id, p('id')))
    .prepare(),
  // The next receipt number, in the transaction that records the payment: no gaps, no repeats
  // (the transaction is IMMEDIATE on SQLite, holds the receipt lock on Postgres (onPaid), and
  // the unique index is the last word).
  assignReceiptNumber: db
    .update(donations)
    .set({ receiptNumber: sql`(select coalesce(max(${donations.receiptNumber}), 0) + 1 from ${donations})` })
    .where(and(eq(donations.id, p('id')), isNull(donations.receiptNumber)))
    .returning({ receiptNumber: donations.receiptNumber })
    .prepare(),
  receiptContext: db
    .select({
      campaignSlug: campaigns.slug,
      defaultLocale: campaigns.defaultLocale,
      organizationName: organizations.name,
      organizationAddress: organizations.address,
    })
    .from(campaigns)
    .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
    .where(eq(campaigns.id, p('campaignId')))
    .prepare(),
  fundTexts: db.select().from(fundTranslations).where(eq(fundTranslations.fundId, p('fundId'))).prepare(),
  attachSupporter: db.update(donations).set({ supporterId: param('supporterId') }).where(and(eq(donations.id, p('id')), isNull(donations.supporterId))).prepare(),
}))

export async function findDonationIdByPaymentIntent(db: Handle, { paymentIntentId }: { paymentIntentId: string }) {
  return (await firstRow(webhookStatements(db).donationIdByPaymentIntent, { paymentIntentId }))?.id ?? null
}

export async function findDonationIdByInvoice(db: Handle, { invoiceId }: { invoiceId: string }) {
  return (await firstRow(webhookStatements(db).donationIdByInvoice, { invoiceId }))?.id ?? null
}

// ——— Facts from the provider ———

/** Where a fact points: our id when the provider echoed our metadata, else the provider's ids. */
export type DonationRef = { donationId?: number | null; paymentIntentId?: string | null; invoiceId?: string | null }

/** Our campaign and fund as the provider echoed them in metadata (null when absent). */
export type EchoedIds = { campaignId: number | null; fundId: number | null }

export type PaymentFact =
  | ({
      kind: 'checkout'
      donationId: number
      sessionId: string
      mode: 'payment' | 'subscription' | 'setup'
      paymentIntentId: string | null
      subscriptionId: string | null
      customerId: string | null
      invoiceId: string | null
      /** What the session charged (null while the provider does not say). */
      amountMinor: number | null
      currency: string | null
      outcome: 'paid' | 'processing' | 'failed'
      /** Paid by a method that settles later (SEPA Direct Debit and other bank debits), not a card. */
      delayed: boolean
      at: number
    } & EchoedIds)
  | ({
      // A paid invoice of a monthly gift: the first one is the checkout's donation, later ones are new donations.
      kind: 'invoice-paid'
      firstDonationId: number
      first: boolean
      invoiceId: string
      subscriptionId: string | null
      customerId: string | null
      paymentIntentId: string | null
      amountMinor: number
      currency: string
      at: number
    } & EchoedIds)
  | { kind: 'refunded'; ref: DonationRef; chargedMinor: number; refundedMinor: number; currency: string; at: number }
  | { kind: 'dispute'; ref: DonationRef; status: 'open' | 'won' | 'lost'; amountMinor: number; currency: string; at: number }
  | { kind: 'subscription-ended'; firstDonationId: number | null; subscriptionId: string; at: number }

export type ApplyResult = 'applied' | 'duplicate' | 'failed'

/**
 * A signed event that cannot be true of our data: it names a donation we do not have, ids
 * another donation owns, amounts or currencies that differ from what was charged. It is
 * recorded as failed with the reason and applied never, however often it is delivered.
 */
export class InconsistentPaymentEvent extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'InconsistentPaymentEvent'
  }
}

const inconsistent = (reason: string) => new InconsistentPaymentEvent(reason)

/** Why an error inside the transaction makes the event permanently inapplicable, or null when it may pass on retry. */
function permanentReason(error: unknown): string | null {
  if (error instanceof InconsistentPaymentEvent) return error.reason
  // A guard missed by the checks below: the database's constraints are the last word.
  const refused = constraintViolation(error)
  if (refused) return `the database refused it: ${refused.message}`
  return null
}

/**
 * Apply one provider event: record its id and its facts in one transaction. An event id
 * applied before changes nothing. A payment made outside Vigil (no metadata of ours) has no
 * facts. An event that contradicts our data (or `failure`, found before the transaction) is
 * recorded as failed with the reason and nothing else: its facts are rolled back to a savepoint.
 */
export async function applyPaymentEvent(
  db: Handle,
  {
    eventId,
    type,
    created,
    facts,
    failure = null,
  }: {
    eventId: string
    type: string
    created: number
    facts: PaymentFact[]
    failure?: string | null
  },
): Promise<{ result: ApplyResult; failure: string | null }> {
  return transaction(db, async (tx) => {
    const q = webhookStatements(tx)
    const fresh = (await execute(q.recordEvent, { id: eventId, type, created })).changes === 1
    if (!fresh) return { result: 'duplicate', failure: null }
    let reason = failure
    if (reason === null) {
      try {
        await transaction(tx, async (inner) => {
          for (const fact of facts) await applyFact(inner, fact)
        })
      } catch (error) {
        reason = permanentReason(error)
        if (reason === null) throw error
      }
    }
    if (reason === null) return { result: 'applied', failure: null }
    // One line of bounded length: it goes to the log and the owners' page.
    const recorded = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 500)
    await execute(q.markEventFailed, { id: eventId, failure: recorded })
    return { result: 'failed', failure: recorded }
  })
}

/** The failed events an owner should look at, newest first: ids, types, reasons and times only. */
export async function listFailedPaymentEvents(db: Handle, { limit = 200 }: { limit?: number } = {}) {
  const where = sql`${stripeEvents.failure} is not null`
  const events = await allRows(db
    .select({ id: stripeEvents.id, type: stripeEvents.type, failure: stripeEvents.failure, created: stripeEvents.created, receivedAt: stripeEvents.receivedAt })
    .from(stripeEvents)
    .where(where)
    .orderBy(desc(stripeEvents.receivedAt))
    .limit(limit))
  const total = (await firstRow(db.select({ n: sql<number>`count(*)` }).from(stripeEvents).where(where)))?.n ?? 0
  return { events: events.map((e) => ({ ...e, failure: e.failure ?? '' })), total }
}

async function findRef(tx: Tx, ref: DonationRef): Promise<Donation | undefined> {
  const q = webhookStatements(tx)
  if (ref.invoiceId) {
    const byInvoice = await firstRow(q.donationByInvoice, { invoiceId: ref.invoiceId })
    if (byInvoice) return byInvoice
  }
  if (ref.paymentIntentId) {
    const byIntent = await firstRow(q.donationByPaymentIntent, { paymentIntentId: ref.paymentIntentId })
    if (byIntent) return byIntent
  }
  if (ref.donationId) return await firstRow(q.donationById, { id: ref.donationId })
  return undefined
}

type Change = Partial<Pick<Donation, 'paidAt' | 'failedAt' | 'refundedMinor' | 'disputeStatus' | 'disputedMinor' | 'status' | 'stripeCheckoutSessionId' | 'stripePaymentIntentId' | 'stripeInvoiceId' | 'stripeSubscriptionId' | 'stripeCustomerId' | 'subscriptionEndedAt'>>
type StripeIdColumn = 'stripeCheckoutSessionId' | 'stripePaymentIntentId' | 'stripeInvoiceId' | 'stripeSubscriptionId' | 'stripeCustomerId'

const ID_NAMES: Record<StripeIdColumn, string> = {
  stripeCheckoutSessionId: 'Checkout Session',
  stripePaymentIntentId: 'payment intent',
  stripeInvoiceId: 'invoice',
  stripeSubscriptionId: 'subscription',
  stripeCustomerId: 'customer',
}

/** The donation a unique provider id already belongs to, if any. */
async function ownerOf(tx: Tx, column: StripeIdColumn, value: string): Promise<number | null> {
  const q = webhookStatements(tx)
  if (column === 'stripeCheckoutSessionId') return (await firstRow(q.donationIdBySession, { sessionId: value }))?.id ?? null
  if (column === 'stripePaymentIntentId') return (await firstRow(q.donationIdByPaymentIntent, { paymentIntentId: value }))?.id ?? null
  if (column === 'stripeInvoiceId') return (await firstRow(q.donationIdByInvoice, { invoiceId: value }))?.id ?? null
  return null
}

/**
 * Set-once ids: the first value the provider tells us stays. A different value for one already
 * set, or a unique id another donation holds, means the event is not about this donation.
 */
async function ids(tx: Tx, row: Donation, values: Partial<Record<StripeIdColumn, string | null>>): Promise<Change> {
  const change: Change = {}
  for (const [key, value] of Object.entries(values) as [StripeIdColumn, string | null][]) {
    if (!value) continue
    const current = row[key]
    if (current && current !== value) throw inconsistent(`donation ${row.id} has ${ID_NAMES[key]} ${current}, the event names ${value}`)
    if (current) continue
    const holder = await ownerOf(tx, key, value)
    if (holder !== null && holder !== row.id) throw inconsistent(`${ID_NAMES[key]} ${value} already belongs to another donation (${holder}), not donation ${row.id}`)
    change[key] = value
  }
  return change
}

function paid(row: Donation, at: number): Change {
  return row.paidAt === null ? { paidAt: at } : {}
}

async function requireDonation(tx: Tx, id: number): Promise<Donation> {
  const row = await firstRow(webhookStatements(tx).donationById, { id })
  if (!row) throw inconsistent(`donation ${id} does not exist`)
  return row
}

/** Metadata echoes our campaign and fund: they must be the donation's own (and the fund must exist). */
async function expectEchoedIds(tx: Tx, row: Donation, echoed: EchoedIds) {
  if (echoed.fundId !== null && echoed.fundId !== row.fundId) {
    const fund = await firstRow(webhookStatements(tx).fundById, { id: echoed.fundId })
    const where = !fund ? 'a fund that does not exist' : fund.campaignId !== row.campaignId ? `a fund of campaign ${fund.campaignId}` : 'another fund'
    throw inconsistent(`metadata fund_id ${echoed.fundId} is ${where}; donation ${row.id} is for fund ${row.fundId}`)
  }
  if (echoed.campaignId !== null && echoed.campaignId !== row.campaignId) {
    throw inconsistent(`metadata campaign_id ${echoed.campaignId} is not donation ${row.id}'s campaign (${row.campaignId})`)
  }
}

function expectCurrency(row: Donation, currency: string | null, what: string) {
  if (currency !== null && currency.toUpperCase() !== row.currency) {
    throw inconsistent(`${what} is in another currency (${currency.toUpperCase()}) than donation ${row.id} (${row.currency})`)
  }
}

function expectAtMost(row: Donation, amountMinor: number, what: string) {
  if (amountMinor > row.amountMinor) throw inconsistent(`${what} of ${amountMinor} is larger than the ${row.amountMinor} donation ${row.id} paid`)
}

async function applyFact(tx: Tx, fact: PaymentFact) {
  switch (fact.kind) {
    case 'checkout': {
      const row = await requireDonation(tx, fact.donationId)
      await expectEchoedIds(tx, row, fact)
      const expectedMode = row.interval === 'monthly' ? 'subscription' : 'payment'
      if (fact.mode !== expectedMode) throw inconsistent(`a ${fact.mode}-mode Checkout Session for donation ${row.id}, a ${row.interval === 'monthly' ? 'monthly' : 'one-time'} gift`)
      expectCurrency(row, fact.currency, 'the Checkout Session')
      if (fact.amountMinor !== null && fact.amountMinor !== row.amountMinor) {
        throw inconsistent(`the Checkout Session's amount ${fact.amountMinor} is not donation ${row.id}'s ${row.amountMinor}`)
      }
      const change: Change = await ids(tx, row, {
        stripeCheckoutSessionId: fact.sessionId,
        stripePaymentIntentId: fact.paymentIntentId,
        stripeSubscriptionId: fact.subscriptionId,
        stripeCustomerId: fact.customerId,
        stripeInvoiceId: fact.invoiceId,
      })
      if (fact.outcome === 'paid') Object.assign(change, paid(row, fact.at))
      else if (fact.outcome === 'failed' && row.failedAt === null && row.paidAt === null) change.failedAt = fact.at
      else if (fact.outcome === 'processing' && row.status === 'open') change.status = 'processing'
      await update(tx, row, change, fact.delayed ? 'debit' : 'card')
      if (change.failedAt !== undefined) await onDebitFailed(tx, { ...row, ...change })
      return
    }
    case 'invoice-paid': {
      const first = await requireDonation(tx, fact.firstDonationId)
      if (first.interval !== 'monthly' || first.parentId !== null) {
        throw inconsistent(`invoice ${fact.invoiceId} names donation ${first.id}, which is not the first month of a monthly gift`)
      }
      await expectEchoedIds(tx, first, fact)
      expectCurrency(first, fact.currency, `invoice ${fact.invoiceId}`)
      if (fact.subscriptionId && first.stripeSubscriptionId && fact.subscriptionId !== first.stripeSubscriptionId) {
        throw inconsistent(`invoice ${fact.invoiceId} is for subscription ${fact.subscriptionId}, donation ${first.id} for ${first.stripeSubscriptionId}`)
      }
      const existing = await findRef(tx, { invoiceId: fact.invoiceId, paymentIntentId: fact.paymentIntentId })
      if (existing) {
        if (existing.id !== first.id && existing.parentId !== first.id) {
          throw inconsistent(`invoice ${fact.invoiceId} names donation ${first.id}, but its payment belongs to donation ${existing.id}`)
        }
        return await update(tx, existing, { ...(await ids(tx, existing, { stripeInvoiceId: fact.invoiceId, stripePaymentIntentId: fact.paymentIntentId })), ...paid(existing, fact.at) })
      }
      if (fact.first) {
        if (first.stripeInvoiceId !== null) throw inconsistent(`donation ${first.id} was paid by invoice ${first.stripeInvoiceId}, not by ${fact.invoiceId}`)
        return await update(tx, first, {
          ...(await ids(tx, first, { stripeInvoiceId: fact.invoiceId, stripePaymentIntentId: fact.paymentIntentId, stripeSubscriptionId: fact.subscriptionId, stripeCustomerId: fact.customerId })),
          ...paid(first, fact.at),
        })
      }
      // A renewal: a new donation like the first, for what this invoice charged.
      // (interval 'monthly', no updates: fixed in the statement; no message: only the first gift has one)
      const opened = openDonation(first.sealed)
      const sealed = opened ? sealDonation({ ...opened, message: null }) : null
      const renewal = (await firstRow(webhookStatements(tx).insertRenewal, {
        campaignId: first.campaignId,
        fundId: first.fundId,
        supporterId: first.supporterId,
        parentId: first.id,
        giftMinor: fact.amountMinor === first.amountMinor ? first.giftMinor : fact.amountMinor,
        amountMinor: fact.amountMinor,
        currency: fact.currency.toUpperCase(),
        // Null once the donor was forgotten: the renewal then holds no address either.
        sealed: sealed?.sealed ?? null,
        dataKeyId: sealed?.dataKeyId ?? null,
        locale: first.locale,
        source: first.source,
        stripeInvoiceId: fact.invoiceId,
        stripePaymentIntentId: fact.paymentIntentId,
        stripeSubscriptionId: fact.subscriptionId ?? first.stripeSubscriptionId,
        stripeCustomerId: fact.customerId ?? first.stripeCustomerId,
        // The end of the subscription may have arrived before this invoice's event did.
        subscriptionEndedAt: first.subscriptionEndedAt,
      }))!
      return await update(tx, renewal, paid(renewal, fact.at))
    }
    case 'refunded': {
      const row = await findRef(tx, fact.ref)
      if (!row) throw inconsistent(`no donation for ${describeRef(fact.ref)}`)
      expectCurrency(row, fact.currency, 'the refunded charge')
      if (fact.chargedMinor !== row.amountMinor) throw inconsistent(`the refunded charge of ${fact.chargedMinor} is not donation ${row.id}'s ${row.amountMinor}`)
      expectAtMost(row, fact.refundedMinor, 'a refund')
      // Refunds are reported as a running total: keep the largest seen. A refund proves a payment.
      const change: Change = { ...paid(row, fact.at), ...(await ids(tx, row, { stripePaymentIntentId: fact.ref.paymentIntentId ?? null })) }
      if (fact.refundedMinor > row.refundedMinor) change.refundedMinor = fact.refundedMinor
      return await update(tx, row, change)
    }
    case 'dispute': {
      const row = await findRef(tx, fact.ref)
      if (!row) throw inconsistent(`no donation for ${describeRef(fact.ref)}`)
      expectCurrency(row, fact.currency, 'the dispute')
      expectAtMost(row, fact.amountMinor, 'a dispute')
      const change: Change = { ...paid(row, fact.at), ...(await ids(tx, row, { stripePaymentIntentId: fact.ref.paymentIntentId ?? null })) }
      // A closed dispute stays closed, whatever arrives after it.
      const closed = row.disputeStatus === 'won' || row.disputeStatus === 'lost'
      if (!closed && fact.status !== row.disputeStatus) change.disputeStatus = fact.status
      if (fact.amountMinor > row.disputedMinor) change.disputedMinor = fact.amountMinor
      return await update(tx, row, change)
    }
    case 'subscription-ended': {
      // The first month's row first: a renewal's invoice locks it too before copying its end, so on
      // Postgres one of the two waits for the other, and the rows read next include its renewal.
      const first = fact.firstDonationId ? await requireDonation(tx, fact.firstDonationId) : undefined
      const rows = await allRows(webhookStatements(tx).donationsBySubscription, { subscriptionId: fact.subscriptionId })
      if (first && (first.interval !== 'monthly' || first.parentId !== null)) {
        throw inconsistent(`subscription ${fact.subscriptionId} names donation ${first.id}, which is not the first month of a monthly gift`)
      }
      for (const row of first && !rows.some((r) => r.id === first.id) ? [...rows, first] : rows) {
        if (row.subscriptionEndedAt === null) await update(tx, row, { subscriptionEndedAt: fact.at, ...(await ids(tx, row, { stripeSubscriptionId: fact.subscriptionId })) })
      }
      return
    }
  }
}

function describeRef(ref: DonationRef) {
  return [ref.donationId ? `donation ${ref.donationId}` : null, ref.invoiceId ? `invoice ${ref.invoiceId}` : null, ref.paymentIntentId ? `payment intent ${ref.paymentIntentId}` : null]
    .filter(Boolean)
    .join(', ')
}

export function donationStatus(d: Pick<Donation, 'paidAt' | 'failedAt' | 'status' | 'amountMinor' | 'refundedMinor' | 'disputeStatus'>): Donation['status'] {
  if (d.paidAt === null) return d.failedAt !== null ? 'failed' : d.status === 'processing' ? 'processing' : 'open'
  if (d.disputeStatus === 'open' || d.disputeStatus === 'lost') return 'disputed'
  if (d.refundedMinor >= d.amountMinor) return 'refunded'
  return 'succeeded'
}

/** How a payment was made, as far as the event that proved it tells: the receipt says where the details went. */
type PaidBy = 'card' | 'debit' | null

async function update(tx: Tx, row: Donation, change: Change, paidBy: PaidBy = null) {
  if (Object.keys(change).length === 0) return
  const q = webhookStatements(tx)
  const next = { ...row, ...change }
  next.status = donationStatus(next)
  const counted = countedMinor(next)
  await execute(q.updateDonation, {
    id: row.id,
    paidAt: next.paidAt,
    failedAt: next.failedAt,
    refundedMinor: next.refundedMinor,
    disputeStatus: next.disputeStatus,
    disputedMinor: next.disputedMinor,
    status: next.status,
    stripeCheckoutSessionId: next.stripeCheckoutSessionId,
    stripePaymentIntentId: next.stripePaymentIntentId,
    stripeInvoiceId: next.stripeInvoiceId,
    stripeSubscriptionId: next.stripeSubscriptionId,
    stripeCustomerId: next.stripeCustomerId,
    subscriptionEndedAt: next.subscriptionEndedAt,
    countedMinor: counted,
    updatedAt: Date.now(),
  })
  const delta = counted - row.countedMinor
  const countingDelta = (counted > 0 ? 1 : 0) - (row.countedMinor > 0 ? 1 : 0)
  let newDonors = 0
  const becamePaid = row.paidAt === null && next.paidAt !== null
  if (becamePaid && next.supporterId === null) next.supporterId = await supporterOnPayment(tx, next)
  if (becamePaid && next.supporterId !== null) {
    newDonors = await addFundDonor(tx, { fundId: row.fundId, supporterId: next.supporterId })
  }
  if (delta !== 0 || countingDelta !== 0 || newDonors !== 0) {
    await moveFundCounters(tx, { fundId: row.fundId, delta, countingDelta, newDonors })
  }
  if (becamePaid) await onPaid(tx, next, paidBy)
}

/**
 * The money arrived: the donor becomes a supporter now (found by their address, or created),
 * not when they filled in the form. Null when the row holds no address (forgotten).
 */
async function supporterOnPayment(tx: Tx, donation: Donation): Promise<number | null> {
  const opened = openDonation(donation.sealed)
  if (!opened?.email) return null
  const { id } = await findOrCreateSupporter(tx, { email: opened.email, firstName: '', lastName: '', country: '', locale: donation.locale })
  await execute(webhookStatements(tx).attachSupporter, { id: donation.id, supporterId: id })
  return id
}

/** First proof of payment: the receipt, and the consent the donor gave on the form. */
async function onPaid(tx: Tx, donation: Donation, paidBy: PaidBy) {
  const q = webhookStatements(tx)
  const opened = openDonation(donation.sealed)
  // Two servers recording payments at once would both read the same largest number.
  await serializeOn(tx, ['receipt-number'])
  const receiptNumber = await firstRow(q.assignReceiptNumber, { id: donation.id })
  const context = await firstRow(q.receiptContext, { campaignId: donation.campaignId })
  if (!context) return
  const fundText = pickTranslation(await allRows(q.fundTexts, { fundId: donation.fundId }), donation.locale, context.defaultLocale)
  const campaignTitle = await campaignTitleFor(tx, donation.campaignId, donation.locale)
  // A renewal of a forgotten donor's gift: numbered for the books, but there is no one to write to.
  if (opened) await queueEmail(tx, {
    template: 'donation-receipt',
    to: opened.email,
    locale: donation.locale,
    campaignId: donation.campaignId,
    idempotencyKey: `donation:${donation.id}:receipt`,
    props: {
      donationId: donation.id,
      receiptNumber: receiptNumber?.receiptNumber ?? donation.receiptNumber,
      paidBy,
      // The name given for receipts; the donor-wall name is public text, not a greeting.
      firstName: opened.receiptName,
      amountMinor: donation.amountMinor,
      giftMinor: donation.giftMinor,
      currency: donation.currency,
      interval: donation.interval,
      paidAt: donation.paidAt,
      fundTitle: fundText?.title ?? '',
      campaignTitle,
      campaignSlug: context.campaignSlug,
      organizationName: context.organizationName,
      organizationAddress: context.organizationAddress,
      manageDonationId: donation.interval === 'monthly' ? (donation.parentId ?? donation.id) : null,
    },
  })
  if (donation.wantsUpdates && donation.supporterId !== null) {
    await appendConsent(tx, { supporterId: donation.supporterId, campaignId: donation.campaignId, granted: true, source: 'donation_form', now: donation.paidAt ?? Date.now() })
  }
}

/** A bank debit that did not go through: one short email saying so, and where to try again. */
async function onDebitFailed(tx: Tx, donation: Donation) {
  const context = await firstRow(webhookStatements(tx).receiptContext, { campaignId: donation.campaignId })
  const opened = openDonation(donation.sealed)
  if (!context || !opened) return
  await queueEmail(tx, {
    template: 'donation-failed',
    to: opened.email,
    locale: donation.locale,
    campaignId: donation.campaignId,
    idempotencyKey: `donation:${donation.id}:failed`,
    props: {
      firstName: opened.receiptName,
      amountMinor: donation.amountMinor,
      currency: donation.currency,
      campaignTitle: await campaignTitleFor(tx, donation.campaignId, donation.locale),
      campaignSlug: context.campaignSlug,
      organizationName: context.organizationName,
    },
  })
}

// ——— Retention of gifts that never paid ———

const DAY_MS = 86_400_000
/** Stripe lets a Checkout Session be paid for 24 hours at most: a day more and an open row can never be paid. */
export const ABANDONED_CHECKOUT_MS = 2 * DAY_MS
/** A bank debit that failed stays a month (the back office, a donor who writes in), then goes. */
export const FAILED_PAYMENT_MS = 30 * DAY_MS
const REMOVE_BATCH = 500

function neverPaid(now: number) {
  return and(
    isNull(donations.paidAt),
    or(
      and(eq(donations.status, 'open'), lt(donations.createdAt, now - ABANDONED_CHECKOUT_MS)),
      and(eq(donations.status, 'failed'), lt(donations.createdAt, now - FAILED_PAYMENT_MS)),
    ),
  )
}

/**
 * Deletes donations that will never be paid, with their emails: the address and names a
 * donor typed before leaving Checkout (or whose debit failed) are kept no longer than the
 * payment could still arrive. They never had a supporter (createDonation) and count for
 * nothing, so no counter moves. Part of the retention run; batches of 500, each its own
 * transaction. Returns how many were deleted.
 */
export async function removeUnpaidDonations(db: Handle, { now = Date.now(), shouldStop = () => false }: { now?: number; shouldStop?: () => boolean } = {}) {
  let removed = 0
  while (!shouldStop()) {
    const deleted = await transaction(db, async (tx) => {
      const ids = (await allRows(tx.select({ id: donations.id }).from(donations).where(neverPaid(now)).orderBy(donations.id).limit(REMOVE_BATCH))).map((r) => r.id)
      if (ids.length === 0) return 0
      // The failed debit's "try again" email: keys 'donation:<id>:…', a range of the unique index.
      for (const id of ids) {
        await execute(tx.delete(emailMessages).where(and(gte(emailMessages.idempotencyKey, `donation:${id}:`), lt(emailMessages.idempotencyKey, `donation:${id};`))))
      }
      // The condition again: a payment recorded since the select keeps its row.
      return (await execute(tx.delete(donations).where(and(inArray(donations.id, ids), neverPaid(now))))).changes
    })
    removed += deleted
    if (deleted < REMOVE_BATCH) break
  }
  return removed
}
