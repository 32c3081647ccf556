import { setTimeout as sleep } from 'node:timers/promises'
import Stripe from 'stripe'
import type { Handle } from '#db/client.server.ts'
import {
  forgetSupporter,
  getAccessSession,
  getMyData,
  isLinkUsable,
  issueAccessLink,
  listRunningSubscriptions,
  openAccessSession,
  revokeAccess,
  SESSION_TTL_MS,
  withdrawSignature,
  type ForgetReport,
  type MyData,
} from '~/models/my-data.server.ts'
import { getSiteSettings } from '~/models/site-settings.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { readCookie, type Language } from '~/utils/i18n.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { receiptNumber } from '~/utils/receipt-number.ts'
import { getStripe } from '~/utils/stripe-client.server.ts'
import { myDataLinkToken } from '~/utils/tokens.server.ts'
import { renderEmail } from './email-templates.server.tsx'
import { rateLimitKey, type RateLimitPolicy } from './rate-limit.server.ts'

/**
 * "My data" (/me) as a supporter meets it: type an address, get a link by email (if we hold
 * anything), open it once to start a session, see, download, withdraw, forget, sign out.
 *
 * The answer to "send me my link" never tells whether the address is known: the same page,
 * status and timing. Both paths run the same transaction (rate limits, the lookup; a known
 * address adds an access row and its queued email), the link's seed and hashes are made for
 * both, and the answer is held until ANSWER_FLOOR_MS after the request began, so what is left of
 * the difference (two inserts) is hidden under the floor.
 */

export const MY_DATA_COOKIE = 'vigil_me'
export const ANSWER_FLOOR_MS = 100

// Per address: a few links an hour is plenty for its owner, and someone else typing it cannot fill their inbox.
const PER_ADDRESS: RateLimitPolicy[] = [
  { bucket: 'me:address:hour', limit: 3, windowMs: 60 * 60_000 },
  { bucket: 'me:address:day', limit: 10, windowMs: 24 * 60 * 60_000 },
]
// Per client address: a household or office asking for several addresses, not a script trying a list.
const PER_CLIENT: RateLimitPolicy[] = [{ bucket: 'me:client:hour', limit: 20, windowMs: 60 * 60_000 }]

export type LinkAnswer = { outcome: 'accepted' } | { outcome: 'rate-limited'; retryAfterMs: number }

/** Send the link if the address is known; the same answer, and the same time, either way. */
export async function requestMyDataLink(db: Handle, { email, clientIp, now = Date.now() }: { email: string; clientIp: string; now?: number }): Promise<LinkAnswer> {
  const started = performance.now()
  try {
    const addressKey = rateLimitKey(normalizeEmail(email))
    const clientKey = rateLimitKey(clientIp)
    const limits = [...PER_ADDRESS.map((p) => ({ ...p, keyHash: addressKey })), ...PER_CLIENT.map((p) => ({ ...p, keyHash: clientKey }))]
    const seed = randomToken()
    const linkHash = sha256(myDataLinkToken(seed))
    const { teamName, organizationName } = await getSiteSettings(db)
    const answer = await issueAccessLink(db, { email, limits, linkHash, seed, organizationName: teamName ?? organizationName, now })
    return answer.outcome === 'rate-limited' ? answer : { outcome: 'accepted' }
  } finally {
    const left = ANSWER_FLOOR_MS - (performance.now() - started)
    if (left > 0) await sleep(left)
  }
}

/** Whether the emailed link can still open a session (its page shows a button; opening it changes nothing). */
export async function canOpenMyData(db: Handle, { token, now = Date.now() }: { token: string; now?: number }) {
  return isLinkUsable(db, { linkHash: sha256(token), now })
}

/** Use the link: a session, and the cookie that carries it; null when the link is unknown, used or expired. */
export async function openMyData(db: Handle, { token, now = Date.now() }: { token: string; now?: number }) {
  const sessionId = randomToken()
  const supporterId = await openAccessSession(db, { linkHash: sha256(token), sessionHash: sha256(sessionId), now })
  return supporterId === null ? null : { cookie: sessionCookie(sessionId, SESSION_TTL_MS / 1000) }
}

function sessionCookie(value: string, maxAgeSeconds: number) {
  // Scoped to /me: no other page (nor the page cache's check for a session) ever sees it.
  const secure = getEnv().publicUrl.startsWith('https:') ? '; Secure' : ''
  return `${MY_DATA_COOKIE}=${value}; Path=/me; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`
}

/** The cookie that ends the session in the browser (the row is deleted by signOut or forget). */
export function clearedMyDataCookie() {
  return sessionCookie('', 0)
}

/** The supporter whose session this request carries, or null. */
export async function mySupporterId(db: Handle, request: Request, now = Date.now()) {
  const sessionId = readCookie(request.headers.get('Cookie'), MY_DATA_COOKIE)
  if (!sessionId || sessionId.length > 100) return null
  return getAccessSession(db, { sessionHash: sha256(sessionId), now })
}

/** Sign out and revoke every link and session of this supporter. */
export async function signOutOfMyData(db: Handle, { supporterId, now = Date.now() }: { supporterId: number; now?: number }) {
  await revokeAccess(db, { supporterId, now })
}

export type MyEmail = { subject: string; template: string; status: string; queuedAt: number; sentAt: number | null; delivery: string | null }
export type MyDataView = Omit<MyData, 'emails'> & { emails: MyEmail[] }

/** Everything held, with each email's subject as its recipient read it (rendered again from the outbox row). */
export async function loadMyData(db: Handle, { supporterId, lang }: { supporterId: number; lang: Language }): Promise<MyDataView | null> {
  const data = await getMyData(db, { supporterId, lang })
  if (!data) return null
  const emails: MyEmail[] = []
  for (const row of data.emails) {
    let subject = ''
    try {
      subject = (await renderEmail(db, row)).subject
    } catch {
      // A row that no longer renders (its update deleted) is still listed, by its kind.
    }
    emails.push({ subject, template: row.template, status: row.status, queuedAt: row.createdAt, sentAt: row.sentAt, delivery: row.deliveryStatus })
  }
  return { ...data, emails }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The download: the shape documented in docs/my-data-export.md (format "vigil-my-data/1"). */
export function myDataExport(data: MyDataView, now = Date.now()) {
  return {
    format: 'vigil-my-data/1',
    exportedAt: iso(now),
    instance: getEnv().publicUrl,
    supporter: { ...data.supporter, language: data.supporter.locale, locale: undefined, createdAt: iso(data.supporter.createdAt) },
    signatures: data.signatures.map((s) => ({
      campaign: { slug: s.campaignSlug, title: s.campaignTitle, status: s.campaignStatus },
      status: s.status,
      signedAt: iso(s.createdAt),
      confirmedAt: iso(s.confirmedAt),
      nameShown: s.showName,
      firstName: s.firstName,
      lastName: s.lastName,
      country: s.country,
      postalCode: s.postalCode,
      message: s.message,
      messageStatus: s.messageStatus,
      replies: s.replies.map((r) => ({ body: r.body, at: iso(r.createdAt) })),
      source: s.source,
      anonymisedAt: iso(s.anonymisedAt),
      anonymiseOn: iso(s.anonymiseOn),
    })),
    donations: data.donations.map((d) => ({
      campaign: d.campaignTitle,
      fund: d.fundTitle,
      createdAt: iso(d.createdAt),
      paidAt: iso(d.paidAt),
      amount: { minor: d.amountMinor, currency: d.currency },
      gift: { minor: d.giftMinor, currency: d.currency },
      refunded: { minor: d.refundedMinor, currency: d.currency },
      monthly: d.monthly,
      monthlyEndedAt: iso(d.subscriptionEndedAt),
      status: d.status,
      receiptNumber: d.receiptNumber === null ? null : receiptNumber(d.receiptNumber),
      publicName: d.publicName,
      message: d.message,
      receiptName: d.receiptName,
    })),
    consents: data.consents.map((c) => ({ campaign: c.campaignTitle, purpose: c.purpose, granted: c.granted, source: c.source, at: iso(c.createdAt) })),
    suppressions: data.suppressions.map((s) => ({ reason: s.reason, since: iso(s.createdAt) })),
    emails: data.emails.map((e) => ({ subject: e.subject, kind: e.template, status: e.status, queuedAt: iso(e.queuedAt), sentAt: iso(e.sentAt), delivery: e.delivery })),
  }
}

export type MyDataExport = ReturnType<typeof myDataExport>

export type ForgetOutcome = { outcome: 'forgotten'; report: ForgetReport } | { outcome: 'stripe-unavailable' } | { outcome: 'gone' }

/**
 * Forget me. Monthly gifts stop at Stripe first: if Stripe cannot be reached, nothing is
 * forgotten (a gift that kept charging a person we no longer know could never be stopped).
 * A subscription Stripe no longer knows, or has already cancelled, counts as stopped.
 */
export async function forgetMe(db: Handle, { supporterId, now = Date.now() }: { supporterId: number; now?: number }): Promise<ForgetOutcome> {
  const cancelled: string[] = []
  for (const subscriptionId of await listRunningSubscriptions(db, { supporterId })) {
    try {
      await getStripe().subscriptions.cancel(subscriptionId, { cancellation_details: { comment: 'The donor asked to be forgotten.' } })
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) {
        console.error(`vigil: Stripe could not cancel a monthly gift for a forget request: ${error instanceof Error ? error.name : 'unknown error'}`)
        return { outcome: 'stripe-unavailable' }
      }
    }
    cancelled.push(subscriptionId)
  }
  const report = await forgetSupporter(db, { supporterId, cancelledSubscriptions: cancelled, rateLimitKeyOf: rateLimitKey, now })
  if (!report) return { outcome: 'gone' }
  purgePublicPages()
  return { outcome: 'forgotten', report }
}

/** Take a signature back while its campaign is live; the public pages (count, messages) are drawn again. */
export async function withdrawMySignature(db: Handle, { supporterId, signatureId, now = Date.now() }: { supporterId: number; signatureId: number; now?: number }) {
  const outcome = await withdrawSignature(db, { supporterId, signatureId, now })
  if (outcome === 'withdrawn') purgePublicPages()
  return outcome
}
