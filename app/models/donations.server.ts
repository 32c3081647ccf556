import { and, desc, eq, sql } from 'drizzle-orm'
import { getDb, legacyPreparedPerConnection, type LegacyTx as Tx } from '#db/client.server.ts'
import {
  campaigns,
  consents,
  donations,
  fundCounters,
  fundDonors,
  funds,
  fundTranslations,
  organizations,
  stripeEvents,
  supporters,
  type Donation,
  type DonationInterval,
  type Locale,
} from '#db/schema.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { campaignTitleFor } from './campaigns.server.ts'
import { legacyQueueEmail } from './outbox.server.ts'

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

export async function createDonation(input: NewDonation) {
  const db = getDb()
  return db.transaction((tx) => {
    const emailNormalized = normalizeEmail(input.email)
    const supporter =
      tx.select({ id: supporters.id }).from(supporters).where(eq(supporters.emailNormalized, emailNormalized)).get() ??
      tx
        .insert(supporters)
        .values({ emailNormalized, email: input.email.trim(), firstName: '', lastName: '', country: '', locale: input.locale })
        .returning({ id: supporters.id })
        .get()
    // A donor-wall entry (a name, perhaps a message) waits for an organiser, unless the campaign publishes at once.
    const needsApproval = tx.select({ v: campaigns.donorWallNeedsApproval }).from(campaigns).where(eq(campaigns.id, input.campaignId)).get()?.v ?? true
    const wallStatus = input.publicName ? (needsApproval ? 'pending' : 'approved') : null
    return tx
      .insert(donations)
      .values({ ...input, email: input.email.trim(), supporterId: supporter.id, wallStatus })
      .returning({ id: donations.id })
      .get().id
  })
}

export async function attachCheckoutSession({ donationId, sessionId }: { donationId: number; sessionId: string }) {
  getDb()
    .update(donations)
    .set({ stripeCheckoutSessionId: sessionId })
    .where(and(eq(donations.id, donationId), sql`${donations.stripeCheckoutSessionId} is null`))
    .run()
}

/** For the success page: what the webhook has recorded so far for a checkout. */
export async function getDonationByCheckout({ sessionId }: { sessionId: string }) {
  return (
    getDb()
      .select({ id: donations.id, status: donations.status, campaignId: donations.campaignId, interval: donations.interval, amountMinor: donations.amountMinor, currency: donations.currency })
      .from(donations)
      .where(eq(donations.stripeCheckoutSessionId, sessionId))
      .get() ?? null
  )
}

export async function getDonation({ id }: { id: number }) {
  return getDb().select().from(donations).where(eq(donations.id, id)).get() ?? null
}

const p = sql.placeholder

type UpdateParams = Pick<
  Donation,
  | 'id' | 'paidAt' | 'failedAt' | 'refundedMinor' | 'disputeStatus' | 'disputedMinor' | 'status' | 'countedMinor' | 'updatedAt'
  | 'stripeCheckoutSessionId' | 'stripePaymentIntentId' | 'stripeInvoiceId' | 'stripeSubscriptionId' | 'stripeCustomerId' | 'subscriptionEndedAt'
>

// The webhook runs these on every event: prepared once per connection (ADR 004). They run on
// the process-wide connection, so inside applyPaymentEvent they join its transaction.
const webhookQueries = legacyPreparedPerConnection((db) => ({
  donationIdByPaymentIntent: db.select({ id: donations.id }).from(donations).where(eq(donations.stripePaymentIntentId, p('paymentIntentId'))).prepare(),
  donationIdByInvoice: db.select({ id: donations.id }).from(donations).where(eq(donations.stripeInvoiceId, p('invoiceId'))).prepare(),
  donationIdBySession: db.select({ id: donations.id }).from(donations).where(eq(donations.stripeCheckoutSessionId, p('sessionId'))).prepare(),
  fundById: db.select({ id: funds.id, campaignId: funds.campaignId }).from(funds).where(eq(funds.id, p('id'))).prepare(),
  donationById: db.select().from(donations).where(eq(donations.id, p('id'))).prepare(),
  donationByInvoice: db.select().from(donations).where(eq(donations.stripeInvoiceId, p('invoiceId'))).prepare(),
  donationByPaymentIntent: db.select().from(donations).where(eq(donations.stripePaymentIntentId, p('paymentIntentId'))).prepare(),
  donationsBySubscription: db.select().from(donations).where(eq(donations.stripeSubscriptionId, p('subscriptionId'))).prepare(),
  // A new id, or one that failed before (Stripe's "resend" after the cause was fixed, or a
  // delivery that was never a 2xx): both are applied. One that was applied is a duplicate.
  recordEvent: db.$client.prepare<{ id: string; type: string; created: number }>(
    `insert into stripe_events (id, type, created, received_at) values (@id, @type, @created, (cast(unixepoch('subsec') * 1000 as integer)))
     on conflict (id) do update set received_at = excluded.received_at, failure = null where stripe_events.failure is not null`,
  ),
  markEventFailed: db.$client.prepare<{ id: string; failure: string }>('update stripe_events set failure = @failure where id = @id'),
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
      publicName: p('publicName'),
      receiptName: p('receiptName'),
      message: null,
      wantsUpdates: false,
      locale: p('locale'),
      email: p('email'),
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
  updateDonation: db.$client.prepare<UpdateParams>(`
    update donations set
      paid_at = @paidAt, failed_at = @failedAt, refunded_minor = @refundedMinor,
      dispute_status = @disputeStatus, disputed_minor = @disputedMinor, status = @status,
      stripe_checkout_session_id = @stripeCheckoutSessionId, stripe_payment_intent_id = @stripePaymentIntentId,
      stripe_invoice_id = @stripeInvoiceId, stripe_subscription_id = @stripeSubscriptionId,
      stripe_customer_id = @stripeCustomerId, subscription_ended_at = @subscriptionEndedAt,
      counted_minor = @countedMinor, updated_at = @updatedAt
    where id = @id`),
  // The next receipt number, in the transaction that records the payment: no gaps, no repeats
  // (the transaction is IMMEDIATE, and the unique index is the last word).
  assignReceiptNumber: db.$client.prepare<{ id: number }>(
    `update donations set receipt_number = (select coalesce(max(receipt_number), 0) + 1 from donations)
     where id = @id and receipt_number is null returning receipt_number as receiptNumber`,
  ),
  addFundDonor: db.$client.prepare<{ fundId: number; supporterId: number }>(
    'insert into fund_donors (fund_id, supporter_id) values (@fundId, @supporterId) on conflict do nothing',
  ),
  // Bound JS numbers can arrive as REAL: cast before adding.
  moveFundCounters: db.$client.prepare<{ fundId: number; delta: number; countingDelta: number; newDonor: number; updatedAt: number }>(`
    insert into fund_counters (fund_id, raised_minor, donations, donors, updated_at)
    values (@fundId, cast(@delta as integer), cast(@countingDelta as integer), cast(@newDonor as integer), (cast(unixepoch('subsec') * 1000 as integer)))
    on conflict (fund_id) do update set
      raised_minor = raised_minor + cast(@delta as integer),
      donations = donations + cast(@countingDelta as integer),
      donors = donors + cast(@newDonor as integer),
      updated_at = @updatedAt`),
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
  grantUpdates: db
    .insert(consents)
    .values({ supporterId: p('supporterId'), purpose: 'campaign_updates', campaignId: p('campaignId'), granted: true, source: 'donation_form', createdAt: p('createdAt') })
    .prepare(),
}))

export async function findDonationIdByPaymentIntent({ paymentIntentId }: { paymentIntentId: string }) {
  return webhookQueries().donationIdByPaymentIntent.get({ paymentIntentId })?.id ?? null
}

export async function findDonationIdByInvoice({ invoiceId }: { invoiceId: string }) {
  return webhookQueries().donationIdByInvoice.get({ invoiceId })?.id ?? null
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
  const code = (error as { code?: unknown } | null)?.code
  // A guard missed by the checks below: the database's constraints are the last word.
  if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) return `the database refused it: ${(error as Error).message}`
  return null
}

/**
 * Apply one provider event: record its id and its facts in one transaction. An event id
 * applied before changes nothing. A payment made outside Vigil (no metadata of ours) has no
 * facts. An event that contradicts our data (or `failure`, found before the transaction) is
 * recorded as failed with the reason and nothing else: its facts are rolled back to a savepoint.
 */
export async function applyPaymentEvent({
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
}): Promise<{ result: ApplyResult; failure: string | null }> {
  const db = getDb()
  return db.transaction(
    (tx) => {
      const q = webhookQueries()
      const fresh = q.recordEvent.run({ id: eventId, type, created }).changes === 1
      if (!fresh) return { result: 'duplicate', failure: null }
      let reason = failure
      if (reason === null) {
        try {
          tx.transaction((inner) => {
            for (const fact of facts) applyFact(inner, fact)
          })
        } catch (error) {
          reason = permanentReason(error)
          if (reason === null) throw error
        }
      }
      if (reason === null) return { result: 'applied', failure: null }
      // One line of bounded length: it goes to the log and the owners' page.
      const recorded = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 500)
      q.markEventFailed.run({ id: eventId, failure: recorded })
      return { result: 'failed', failure: recorded }
    },
    { behavior: 'immediate' },
  )
}

/** The failed events an owner should look at, newest first: ids, types, reasons and times only. */
export async function listFailedPaymentEvents({ limit = 200 }: { limit?: number } = {}) {
  const db = getDb()
  const where = sql`${stripeEvents.failure} is not null`
  const events = db
    .select({ id: stripeEvents.id, type: stripeEvents.type, failure: stripeEvents.failure, created: stripeEvents.created, receivedAt: stripeEvents.receivedAt })
    .from(stripeEvents)
    .where(where)
    .orderBy(desc(stripeEvents.receivedAt))
    .limit(limit)
    .all()
  const total = db.select({ n: sql<number>`count(*)` }).from(stripeEvents).where(where).get()?.n ?? 0
  return { events: events.map((e) => ({ ...e, failure: e.failure ?? '' })), total }
}

function findRef(ref: DonationRef): Donation | undefined {
  const q = webhookQueries()
  if (ref.invoiceId) {
    const byInvoice = q.donationByInvoice.get({ invoiceId: ref.invoiceId })
    if (byInvoice) return byInvoice
  }
  if (ref.paymentIntentId) {
    const byIntent = q.donationByPaymentIntent.get({ paymentIntentId: ref.paymentIntentId })
    if (byIntent) return byIntent
  }
  if (ref.donationId) return q.donationById.get({ id: ref.donationId })
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
function ownerOf(column: StripeIdColumn, value: string): number | null {
  const q = webhookQueries()
  if (column === 'stripeCheckoutSessionId') return q.donationIdBySession.get({ sessionId: value })?.id ?? null
  if (column === 'stripePaymentIntentId') return q.donationIdByPaymentIntent.get({ paymentIntentId: value })?.id ?? null
  if (column === 'stripeInvoiceId') return q.donationIdByInvoice.get({ invoiceId: value })?.id ?? null
  return null
}

/**
 * Set-once ids: the first value the provider tells us stays. A different value for one already
 * set, or a unique id another donation holds, means the event is not about this donation.
 */
function ids(row: Donation, values: Partial<Record<StripeIdColumn, string | null>>): Change {
  const change: Change = {}
  for (const [key, value] of Object.entries(values) as [StripeIdColumn, string | null][]) {
    if (!value) continue
    const current = row[key]
    if (current && current !== value) throw inconsistent(`donation ${row.id} has ${ID_NAMES[key]} ${current}, the event names ${value}`)
    if (current) continue
    const holder = ownerOf(key, value)
    if (holder !== null && holder !== row.id) throw inconsistent(`${ID_NAMES[key]} ${value} already belongs to another donation (${holder}), not donation ${row.id}`)
    change[key] = value
  }
  return change
}

function paid(row: Donation, at: number): Change {
  return row.paidAt === null ? { paidAt: at } : {}
}

function requireDonation(id: number): Donation {
  const row = webhookQueries().donationById.get({ id })
  if (!row) throw inconsistent(`donation ${id} does not exist`)
  return row
}

/** Metadata echoes our campaign and fund: they must be the donation's own (and the fund must exist). */
function expectEchoedIds(row: Donation, echoed: EchoedIds) {
  if (echoed.fundId !== null && echoed.fundId !== row.fundId) {
    const fund = webhookQueries().fundById.get({ id: echoed.fundId })
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

function applyFact(tx: Tx, fact: PaymentFact) {
  switch (fact.kind) {
    case 'checkout': {
      const row = requireDonation(fact.donationId)
      expectEchoedIds(row, fact)
      const expectedMode = row.interval === 'monthly' ? 'subscription' : 'payment'
      if (fact.mode !== expectedMode) throw inconsistent(`a ${fact.mode}-mode Checkout Session for donation ${row.id}, a ${row.interval === 'monthly' ? 'monthly' : 'one-time'} gift`)
      expectCurrency(row, fact.currency, 'the Checkout Session')
      if (fact.amountMinor !== null && fact.amountMinor !== row.amountMinor) {
        throw inconsistent(`the Checkout Session's amount ${fact.amountMinor} is not donation ${row.id}'s ${row.amountMinor}`)
      }
      const change: Change = ids(row, {
        stripeCheckoutSessionId: fact.sessionId,
        stripePaymentIntentId: fact.paymentIntentId,
        stripeSubscriptionId: fact.subscriptionId,
        stripeCustomerId: fact.customerId,
        stripeInvoiceId: fact.invoiceId,
      })
      if (fact.outcome === 'paid') Object.assign(change, paid(row, fact.at))
      else if (fact.outcome === 'failed' && row.failedAt === null && row.paidAt === null) change.failedAt = fact.at
      else if (fact.outcome === 'processing' && row.status === 'open') change.status = 'processing'
      update(tx, row, change, fact.delayed ? 'debit' : 'card')
      if (change.failedAt !== undefined) onDebitFailed(tx, { ...row, ...change })
      return
    }
    case 'invoice-paid': {
      const first = requireDonation(fact.firstDonationId)
      if (first.interval !== 'monthly' || first.parentId !== null) {
        throw inconsistent(`invoice ${fact.invoiceId} names donation ${first.id}, which is not the first month of a monthly gift`)
      }
      expectEchoedIds(first, fact)
      expectCurrency(first, fact.currency, `invoice ${fact.invoiceId}`)
      if (fact.subscriptionId && first.stripeSubscriptionId && fact.subscriptionId !== first.stripeSubscriptionId) {
        throw inconsistent(`invoice ${fact.invoiceId} is for subscription ${fact.subscriptionId}, donation ${first.id} for ${first.stripeSubscriptionId}`)
      }
      const existing = findRef({ invoiceId: fact.invoiceId, paymentIntentId: fact.paymentIntentId })
      if (existing) {
        if (existing.id !== first.id && existing.parentId !== first.id) {
          throw inconsistent(`invoice ${fact.invoiceId} names donation ${first.id}, but its payment belongs to donation ${existing.id}`)
        }
        return update(tx, existing, { ...ids(existing, { stripeInvoiceId: fact.invoiceId, stripePaymentIntentId: fact.paymentIntentId }), ...paid(existing, fact.at) })
      }
      if (fact.first) {
        if (first.stripeInvoiceId !== null) throw inconsistent(`donation ${first.id} was paid by invoice ${first.stripeInvoiceId}, not by ${fact.invoiceId}`)
        return update(tx, first, {
          ...ids(first, { stripeInvoiceId: fact.invoiceId, stripePaymentIntentId: fact.paymentIntentId, stripeSubscriptionId: fact.subscriptionId, stripeCustomerId: fact.customerId }),
          ...paid(first, fact.at),
        })
      }
      // A renewal: a new donation like the first, for what this invoice charged.
      // (interval 'monthly', no message, no updates: fixed in the statement)
      const renewal = webhookQueries().insertRenewal.get({
        campaignId: first.campaignId,
        fundId: first.fundId,
        supporterId: first.supporterId,
        parentId: first.id,
        giftMinor: fact.amountMinor === first.amountMinor ? first.giftMinor : fact.amountMinor,
        amountMinor: fact.amountMinor,
        currency: fact.currency.toUpperCase(),
        publicName: first.publicName,
        receiptName: first.receiptName,
        locale: first.locale,
        email: first.email,
        source: first.source,
        stripeInvoiceId: fact.invoiceId,
        stripePaymentIntentId: fact.paymentIntentId,
        stripeSubscriptionId: fact.subscriptionId ?? first.stripeSubscriptionId,
        stripeCustomerId: fact.customerId ?? first.stripeCustomerId,
        // The end of the subscription may have arrived before this invoice's event did.
        subscriptionEndedAt: first.subscriptionEndedAt,
      })!
      return update(tx, renewal, paid(renewal, fact.at))
    }
    case 'refunded': {
      const row = findRef(fact.ref)
      if (!row) throw inconsistent(`no donation for ${describeRef(fact.ref)}`)
      expectCurrency(row, fact.currency, 'the refunded charge')
      if (fact.chargedMinor !== row.amountMinor) throw inconsistent(`the refunded charge of ${fact.chargedMinor} is not donation ${row.id}'s ${row.amountMinor}`)
      expectAtMost(row, fact.refundedMinor, 'a refund')
      // Refunds are reported as a running total: keep the largest seen. A refund proves a payment.
      const change: Change = { ...paid(row, fact.at), ...ids(row, { stripePaymentIntentId: fact.ref.paymentIntentId ?? null }) }
      if (fact.refundedMinor > row.refundedMinor) change.refundedMinor = fact.refundedMinor
      return update(tx, row, change)
    }
    case 'dispute': {
      const row = findRef(fact.ref)
      if (!row) throw inconsistent(`no donation for ${describeRef(fact.ref)}`)
      expectCurrency(row, fact.currency, 'the dispute')
      expectAtMost(row, fact.amountMinor, 'a dispute')
      const change: Change = { ...paid(row, fact.at), ...ids(row, { stripePaymentIntentId: fact.ref.paymentIntentId ?? null }) }
      // A closed dispute stays closed, whatever arrives after it.
      const closed = row.disputeStatus === 'won' || row.disputeStatus === 'lost'
      if (!closed && fact.status !== row.disputeStatus) change.disputeStatus = fact.status
      if (fact.amountMinor > row.disputedMinor) change.disputedMinor = fact.amountMinor
      return update(tx, row, change)
    }
    case 'subscription-ended': {
      const q = webhookQueries()
      const rows = q.donationsBySubscription.all({ subscriptionId: fact.subscriptionId })
      const first = fact.firstDonationId ? requireDonation(fact.firstDonationId) : undefined
      if (first && (first.interval !== 'monthly' || first.parentId !== null)) {
        throw inconsistent(`subscription ${fact.subscriptionId} names donation ${first.id}, which is not the first month of a monthly gift`)
      }
      for (const row of first && !rows.some((r) => r.id === first.id) ? [...rows, first] : rows) {
        if (row.subscriptionEndedAt === null) update(tx, row, { subscriptionEndedAt: fact.at, ...ids(row, { stripeSubscriptionId: fact.subscriptionId }) })
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

/** What a donation adds to its fund's total: paid, not failed, less refunds and open or lost disputes. */
export function countedMinor(d: Pick<Donation, 'paidAt' | 'failedAt' | 'amountMinor' | 'refundedMinor' | 'disputeStatus' | 'disputedMinor'>) {
  if (d.paidAt === null) return 0
  const withheld = d.disputeStatus === 'open' || d.disputeStatus === 'lost' ? d.disputedMinor : 0
  return Math.max(0, d.amountMinor - d.refundedMinor - withheld)
}

export function donationStatus(d: Pick<Donation, 'paidAt' | 'failedAt' | 'status' | 'amountMinor' | 'refundedMinor' | 'disputeStatus'>): Donation['status'] {
  if (d.paidAt === null) return d.failedAt !== null ? 'failed' : d.status === 'processing' ? 'processing' : 'open'
  if (d.disputeStatus === 'open' || d.disputeStatus === 'lost') return 'disputed'
  if (d.refundedMinor >= d.amountMinor) return 'refunded'
  return 'succeeded'
}

/** How a payment was made, as far as the event that proved it tells: the receipt says where the details went. */
type PaidBy = 'card' | 'debit' | null

function update(tx: Tx, row: Donation, change: Change, paidBy: PaidBy = null) {
  if (Object.keys(change).length === 0) return
  const q = webhookQueries()
  const next = { ...row, ...change }
  next.status = donationStatus(next)
  const counted = countedMinor(next)
  q.updateDonation.run({
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
  let newDonor = 0
  const becamePaid = row.paidAt === null && next.paidAt !== null
  if (becamePaid && row.supporterId !== null) {
    newDonor = q.addFundDonor.run({ fundId: row.fundId, supporterId: row.supporterId }).changes
  }
  if (delta !== 0 || countingDelta !== 0 || newDonor !== 0) {
    q.moveFundCounters.run({ fundId: row.fundId, delta, countingDelta, newDonor, updatedAt: Date.now() })
  }
  if (becamePaid) onPaid(tx, next, paidBy)
}

/** First proof of payment: the receipt, and the consent the donor gave on the form. */
function onPaid(tx: Tx, donation: Donation, paidBy: PaidBy) {
  const q = webhookQueries()
  const receiptNumber = q.assignReceiptNumber.get({ id: donation.id }) as { receiptNumber: number } | undefined
  const context = q.receiptContext.get({ campaignId: donation.campaignId })
  if (!context) return
  const texts = q.fundTexts.all({ fundId: donation.fundId })
  const fundText = texts.find((t) => t.locale === donation.locale) ?? texts.find((t) => t.locale === context.defaultLocale) ?? texts[0]
  const campaignTitle = campaignTitleFor(tx, donation.campaignId, donation.locale)
  legacyQueueEmail({
    template: 'donation-receipt',
    to: donation.email,
    locale: donation.locale,
    campaignId: donation.campaignId,
    idempotencyKey: `donation:${donation.id}:receipt`,
    props: {
      donationId: donation.id,
      receiptNumber: receiptNumber?.receiptNumber ?? donation.receiptNumber,
      paidBy,
      // The name given for receipts; the donor-wall name is public text, not a greeting.
      firstName: donation.receiptName,
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
    q.grantUpdates.run({ supporterId: donation.supporterId, campaignId: donation.campaignId, createdAt: donation.paidAt ?? Date.now() })
  }
}

/** A bank debit that did not go through: one short email saying so, and where to try again. */
function onDebitFailed(tx: Tx, donation: Donation) {
  const context = webhookQueries().receiptContext.get({ campaignId: donation.campaignId })
  if (!context) return
  legacyQueueEmail({
    template: 'donation-failed',
    to: donation.email,
    locale: donation.locale,
    campaignId: donation.campaignId,
    idempotencyKey: `donation:${donation.id}:failed`,
    props: {
      firstName: donation.receiptName,
      amountMinor: donation.amountMinor,
      currency: donation.currency,
      campaignTitle: campaignTitleFor(tx, donation.campaignId, donation.locale),
      campaignSlug: context.campaignSlug,
      organizationName: context.organizationName,
    },
  })
}

/** Recompute every fund's counters from the donations; report and repair drift. */
export async function recountFunds() {
  const db = getDb()
  return db.transaction(
    (tx) => {
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
    },
    { behavior: 'immediate' },
  )
}

/** The donor wall: approved names and messages donors chose to show, never amounts. One entry per gift, not per month. */
export async function listDonorWall({ campaignId, limit = 12 }: { campaignId: number; limit?: number }) {
  return getDb()
    .select({ id: donations.id, name: donations.publicName, message: donations.message, paidAt: donations.paidAt })
    .from(donations)
    .where(
      and(
        eq(donations.campaignId, campaignId),
        eq(donations.status, 'succeeded'),
        eq(donations.wallStatus, 'approved'),
        sql`${donations.parentId} is null`,
        sql`${donations.publicName} is not null`,
      ),
    )
    .orderBy(sql`${donations.paidAt} desc`)
    .limit(limit)
    .all()
}
