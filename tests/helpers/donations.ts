import Stripe from 'stripe'
import { expect } from 'vitest'
import { startStripeStandIn, type StripeEventJson, type StripeStandIn } from '../../stand-ins/stripe/index.ts'
import { emailHashes, openDonation, openEmail, type DonationData } from '../../app/models/personal-data.server.ts'
import { normalizeEmail } from '../../app/utils/email.ts'
import { startServer, type RunningServer } from './server.ts'
import { openServerSql } from './sql.ts'

/**
 * Donations end to end: the production server with its own database (either engine), pointed at a local
 * Stripe stand-in that builds events without sending them (`deliver: false`), so each test
 * decides what reaches POST /webhooks/stripe, in which order and how often.
 */

export const WEBHOOK_SECRET = 'whsec_test_vigil_webhook_tests'
export const CAMPAIGN_SLUG = 'free-andry'

/** The event types Vigil acts on; every other type is answered 200 and not recorded. */
export const HANDLED_TYPES = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'invoice.paid',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
  'customer.subscription.deleted',
])

export type DonationRow = {
  id: number
  fund_id: number
  supporter_id: number | null
  parent_id: number | null
  interval: 'one_time' | 'monthly'
  gift_minor: number
  amount_minor: number
  currency: string
  status: string
  paid_at: number | null
  failed_at: number | null
  refunded_minor: number
  dispute_status: 'open' | 'won' | 'lost' | null
  disputed_minor: number
  counted_minor: number
  wants_updates: number
  sealed: string | null
  data_key_id: string | null
  stripe_checkout_session_id: string | null
  stripe_payment_intent_id: string | null
  stripe_invoice_id: string | null
  stripe_subscription_id: string | null
  stripe_customer_id: string | null
  subscription_ended_at: number | null
}

export type Counters = { raised: number; donations: number; donors: number }

export type DonationStack = Awaited<ReturnType<typeof startDonationStack>>

export async function startDonationStack() {
  const standIn: StripeStandIn = await startStripeStandIn({ deliver: false, webhookSecret: WEBHOOK_SECRET })
  let server: RunningServer
  try {
    server = await startServer({
      env: {
        // Demo mode (no STRIPE_SECRET_KEY), but with our stand-in instead of the server's own.
        STRIPE_API_BASE: standIn.url,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        PAGE_CACHE_TTL_MS: '0',
        // Each donation from its own address, so the per-IP limit on the form never answers 429.
        TRUST_PROXY: '1',
        VIGIL_QUIET_LOG: '1',
      },
    })
  } catch (error) {
    await standIn.close()
    throw error
  }
  // Read through db/query.server.ts on either engine; every reader below is async.
  const db = openServerSql(server)
  const stripe = new Stripe(standIn.secretKey, standIn.sdkOptions)
  let visitor = 0
  let emails = 0

  /** POST the donation form as a browser without JavaScript does. */
  function postDonation(form: Record<string, string>, { lang = 'en' }: { lang?: string } = {}) {
    visitor += 1
    return fetch(`${server.url}/c/${CAMPAIGN_SLUG}/donate`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Accept-Language': lang,
        'X-Forwarded-For': `10.77.${Math.floor(visitor / 250)}.${visitor % 250}`,
      },
      body: new URLSearchParams(form).toString(),
    })
  }

  function uniqueEmail() {
    emails += 1
    return `donor.${emails}@example.org`
  }

  /** A donation through the form, up to the Checkout redirect: the row and its session. */
  async function donate(form: Record<string, string> = {}) {
    const fields = { fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: uniqueEmail(), publicName: 'Ada', message: 'For Andry', ...form }
    const response = await postDonation(fields)
    expect(response.status, await response.clone().text().then((t) => t.slice(0, 300))).toBe(303)
    const location = response.headers.get('location') ?? ''
    const sessionId = new RegExp(`^${standIn.url}/c/pay/(cs_[A-Za-z0-9_]+)$`).exec(location)?.[1]
    if (!sessionId) throw new Error(`not a stand-in checkout URL: ${location}`)
    const row = await donationBySession(sessionId)
    if (!row) throw new Error(`no donation row for ${sessionId}`)
    return { sessionId, donationId: row.id, email: fields.email, row }
  }

  /** Deliver one event as Stripe does: the exact bytes with a fresh signature. */
  async function deliver(event: StripeEventJson) {
    return send(standIn.webhookRequest(event))
  }

  async function send({ body, headers }: { body: string; headers: Record<string, string> }) {
    const response = await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', headers, body })
    return { status: response.status, body: await response.text() }
  }

  /** Events the stand-in built since `mark` (an index into its event list). */
  function eventsSince(mark: number) {
    return standIn.events().slice(mark)
  }

  function donation(id: number) {
    return db.get<DonationRow>('SELECT * FROM donations WHERE id = ?', id)
  }

  function donationBySession(sessionId: string) {
    return db.get<DonationRow>('SELECT * FROM donations WHERE stripe_checkout_session_id = ?', sessionId)
  }

  function donationByInvoice(invoiceId: string) {
    return db.get<DonationRow>('SELECT * FROM donations WHERE stripe_invoice_id = ?', invoiceId)
  }

  async function counters(fundId: number): Promise<Counters> {
    const row = await db.get<Counters>('SELECT raised_minor AS raised, donations, donors FROM fund_counters WHERE fund_id = ?', fundId)
    return row ?? { raised: 0, donations: 0, donors: 0 }
  }

  /**
   * What the counters must be, recomputed from the donation rows: the total of what each
   * counts, how many count, and how many supporters ever paid into the fund.
   */
  async function countersFromRows(fundId: number): Promise<Counters> {
    const rows = await db.all<Pick<DonationRow, 'counted_minor' | 'paid_at' | 'supporter_id'>>('SELECT counted_minor, paid_at, supporter_id FROM donations WHERE fund_id = ?', fundId)
    return {
      raised: rows.reduce((sum, row) => sum + row.counted_minor, 0),
      donations: rows.filter((row) => row.counted_minor > 0).length,
      donors: new Set(rows.filter((row) => row.paid_at !== null).map((row) => row.supporter_id)).size,
    }
  }

  async function expectCountersMatchRows() {
    const fundIds = await db.column<number>('SELECT id FROM funds')
    for (const fundId of fundIds) expect(await counters(fundId), `fund ${fundId}`).toEqual(await countersFromRows(fundId))
  }

  /** What a donation's row holds sealed, opened (null once forgotten). */
  async function donationData(id: number): Promise<DonationData | null> {
    const row = await db.get<{ sealed: string | null }>('SELECT sealed FROM donations WHERE id = ?', id)
    if (!row) throw new Error(`no donation ${id}`)
    return openDonation(row.sealed)
  }

  function receiptsOf(donationId: number) {
    return emailsByKey(`donation:${donationId}:receipt`)
  }

  /**
   * Emails by idempotency key, with the address and props opened from `sealed` (ADR 017) when
   * the row has one; a row the outbox wrote plain (before it sealed) is read as it is.
   */
  async function emailsByKey(key: string) {
    const rows = await db.all<{ template: string; locale: string; to_email: string | null; props: string; sealed: string | null }>(
      'SELECT template, locale, to_email, props, sealed FROM email_messages WHERE idempotency_key = ?',
      key,
    )
    return rows.map(({ sealed, ...row }) => {
      if (sealed === null) return { ...row, to_email: row.to_email ?? '' }
      const opened = openEmail(sealed)
      return { ...row, to_email: opened.to, props: JSON.stringify(opened.props) }
    })
  }

  async function supporterIdOf(email: string) {
    const hashes = emailHashes(email)
    // By the keyed hash; by the plain normalised address where the supporters model does not seal yet.
    const row = await db.get<{ id: number }>(
      `SELECT id FROM supporters WHERE email_hash IN (${hashes.map(() => '?').join(', ')}) OR email_normalized = ?`,
      ...hashes,
      normalizeEmail(email),
    )
    return row?.id ?? null
  }

  async function ledgerCount(eventId: string) {
    return (await db.get<{ n: number }>('SELECT count(*) AS n FROM stripe_events WHERE id = ?', eventId))!.n
  }

  async function count(table: 'donations' | 'stripe_events' | 'email_messages' | 'consents') {
    return (await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n
  }

  async function consentsOf(email: string) {
    const supporterId = await supporterIdOf(email)
    if (supporterId === null) return []
    return db.all<{ purpose: string; campaign_id: number; granted: number; source: string }>(
      `SELECT purpose, campaign_id, granted, source FROM consents WHERE supporter_id = ? ORDER BY id`,
      supporterId,
    )
  }

  /** The charge a completed Checkout Session (payment mode) created, as Stripe links them. */
  function chargeOfSession(sessionId: string) {
    const intentId = standIn.object(sessionId)?.payment_intent
    const chargeId = typeof intentId === 'string' ? standIn.object(intentId)?.latest_charge : null
    if (typeof chargeId !== 'string') throw new Error(`session ${sessionId} has no charge`)
    return chargeId
  }

  /** The charge that paid an invoice: invoice → invoice payment → payment intent → charge. */
  async function chargeOfInvoice(invoiceId: string) {
    const [payment] = (await stripe.invoicePayments.list({ invoice: invoiceId })).data
    const intentId = payment?.payment.payment_intent
    const intent = await stripe.paymentIntents.retrieve(typeof intentId === 'string' ? intentId : String(intentId?.id))
    if (typeof intent.latest_charge !== 'string') throw new Error(`invoice ${invoiceId} has no charge`)
    return intent.latest_charge
  }

  async function close() {
    await db.close()
    await server.stop()
    await standIn.close()
  }

  return {
    server,
    standIn,
    db,
    stripe,
    postDonation,
    uniqueEmail,
    donate,
    deliver,
    send,
    eventsSince,
    donation,
    donationBySession,
    donationByInvoice,
    counters,
    countersFromRows,
    expectCountersMatchRows,
    donationData,
    receiptsOf,
    emailsByKey,
    supporterIdOf,
    ledgerCount,
    count,
    consentsOf,
    chargeOfSession,
    chargeOfInvoice,
    close,
  }
}

/** What a donation adds to its fund, from its facts (the rule as the business states it). */
export function expectedCounted(row: Pick<DonationRow, 'paid_at' | 'amount_minor' | 'refunded_minor' | 'dispute_status' | 'disputed_minor'>) {
  if (row.paid_at === null) return 0
  const withheld = row.dispute_status === 'open' || row.dispute_status === 'lost' ? row.disputed_minor : 0
  return Math.max(0, row.amount_minor - row.refunded_minor - withheld)
}
