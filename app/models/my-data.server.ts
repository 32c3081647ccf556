import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import {
  campaigns,
  consents,
  donations,
  emailMessages,
  fundDonors,
  fundTranslations,
  myDataAccess,
  rateLimitHits,
  replies,
  signatureNameWords,
  signatures,
  suppressedAddresses,
  supporters,
  type Locale,
  type SignatureStatus,
} from '#db/schema.ts'
import { eraseDeletedBytes } from '#db/sql/erase.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { recordAudit } from './audit.server.ts'
import { campaignTitleFor } from './campaigns.server.ts'
import { withdrawUpdates } from './consents.server.ts'
import { addInvalidated, moveCountryCounter, moveFundCounters, moveSignatureCounters } from './counters.server.ts'
import { queueEmail } from './outbox.server.ts'
import { recordHits, type RateLimitHit } from './rate-limits.server.ts'
import { emailHashes, openDonation, openEmail, openReply, openSignature, openSupporter } from './personal-data.server.ts'
import { ANONYMISED_SIGNATURE } from './retention.server.ts'

/**
 * "My data" (/me): what Vigil holds about one supporter, shown to whoever proves they read
 * that supporter's mail. An access row is born as a link (emailed, valid an hour), becomes a
 * session when the link is used (once), and ends when the supporter signs out, when it
 * expires, or with the supporter. Withdrawing a signature and forgetting a supporter change
 * the counters in the same transaction as the rows they count and leave an audit entry that
 * names no one.
 */

export const LINK_TTL_MS = 60 * 60_000
export const SESSION_TTL_MS = 60 * 60_000

// ——— Access: link → session ———

export type LinkRequest = {
  email: string
  limits: RateLimitHit[]
  linkHash: string
  seed: string
  organizationName: string
  now: number
}

/**
 * One request for a link, known address or not, in one transaction: the rate limits count, the
 * address is looked up, and only a known one gets an access row and a queued email (in the
 * supporter's language, to the address as they typed it). The address is found by its keyed hash
 * under every loaded key (ADR 017: rows not yet sealed again by keys:rotate carry an older one).
 * What an unknown address skips is one envelope opened and two inserts, well inside the answer's
 * padding (app/workflows/my-data.server.ts).
 */
export async function issueAccessLink(db: Handle, { email, limits, linkHash, seed, organizationName, now }: LinkRequest) {
  return transaction(db, async (tx) => {
    const limited = await recordHits(tx, limits, now)
    if (!limited.allowed) return { outcome: 'rate-limited' as const, retryAfterMs: limited.retryAfterMs }
    const supporter = await firstRow(
      tx.select({ id: supporters.id, sealed: supporters.sealed, locale: supporters.locale }).from(supporters).where(inArray(supporters.emailHash, emailHashes(email))),
    )
    if (!supporter?.sealed) return { outcome: 'accepted' as const }
    const access = (await firstRow(
      tx.insert(myDataAccess).values({ supporterId: supporter.id, linkHash, linkExpiresAt: now + LINK_TTL_MS, createdAt: now }).returning({ id: myDataAccess.id }),
    ))!
    await queueEmail(tx, {
      template: 'my-data-link',
      to: openSupporter(supporter.sealed).email,
      locale: supporter.locale,
      idempotencyKey: `me:${supporter.id}:link:${access.id}`,
      props: { tokenSeed: seed, organizationName },
    })
    return { outcome: 'accepted' as const }
  })
}

/** Whether a link can still open a session (for the page the link opens: it changes nothing). */
export async function isLinkUsable(db: Handle, { linkHash, now }: { linkHash: string; now: number }) {
  const row = await firstRow(
    db
      .select({ id: myDataAccess.id })
      .from(myDataAccess)
      .where(and(eq(myDataAccess.linkHash, linkHash), isNull(myDataAccess.sessionHash), gt(myDataAccess.linkExpiresAt, now))),
  )
  return row !== undefined
}

/** Use a link: it becomes the session `sessionHash`, once (two tabs at once: one wins). Null when unknown, used or expired. */
export async function openAccessSession(db: Handle, { linkHash, sessionHash, now }: { linkHash: string; sessionHash: string; now: number }) {
  return transaction(db, async (tx) => {
    const row = await firstRow(
      tx
        .update(myDataAccess)
        .set({ sessionHash, sessionExpiresAt: now + SESSION_TTL_MS })
        .where(and(eq(myDataAccess.linkHash, linkHash), isNull(myDataAccess.sessionHash), gt(myDataAccess.linkExpiresAt, now)))
        .returning({ supporterId: myDataAccess.supporterId }),
    )
    return row?.supporterId ?? null
  })
}

/** The supporter a session cookie stands for, or null (unknown, signed out, expired, forgotten). */
export async function getAccessSession(db: Handle, { sessionHash, now }: { sessionHash: string; now: number }) {
  const row = await firstRow(
    db
      .select({ supporterId: myDataAccess.supporterId })
      .from(myDataAccess)
      .where(and(eq(myDataAccess.sessionHash, sessionHash), gt(myDataAccess.sessionExpiresAt, now))),
  )
  return row?.supporterId ?? null
}

/** Sign out and revoke: every link and session of this supporter stops working. Expired rows of anyone go too. */
export async function revokeAccess(db: Handle, { supporterId, now }: { supporterId: number; now: number }) {
  await transaction(db, async (tx) => {
    await execute(tx.delete(myDataAccess).where(eq(myDataAccess.supporterId, supporterId)))
    await execute(
      tx
        .delete(myDataAccess)
        .where(or(and(isNull(myDataAccess.sessionHash), lt(myDataAccess.linkExpiresAt, now)), lt(myDataAccess.sessionExpiresAt, now))),
    )
  })
}

// ——— What is held ———

export type MySignature = {
  id: number
  campaignId: number
  campaignSlug: string
  campaignTitle: string
  campaignStatus: string
  /** When the signer's details are (or were) anonymised: closed_at + retention; null while live. */
  anonymiseOn: number | null
  status: SignatureStatus
  createdAt: number
  confirmedAt: number | null
  showName: boolean
  firstName: string
  lastName: string
  country: string
  postalCode: string | null
  message: string | null
  messageStatus: string | null
  anonymisedAt: number | null
  source: string | null
  replies: { body: string; createdAt: number }[]
}

export type MyDonation = {
  id: number
  campaignTitle: string
  fundTitle: string
  createdAt: number
  paidAt: number | null
  amountMinor: number
  giftMinor: number
  refundedMinor: number
  currency: string
  monthly: boolean
  status: string
  receiptNumber: number | null
  publicName: string | null
  message: string | null
  receiptName: string | null
  subscriptionEndedAt: number | null
}

export type MyConsent = { campaignTitle: string; purpose: string; granted: boolean; source: string; createdAt: number }
export type MyEmailRow = { id: number; template: string; locale: Locale; props: Record<string, unknown>; status: string; createdAt: number; sentAt: number | null; deliveryStatus: string | null }

export type MyData = {
  supporter: { email: string; firstName: string; lastName: string; country: string; locale: Locale; createdAt: number }
  signatures: MySignature[]
  donations: MyDonation[]
  consents: MyConsent[]
  suppressions: { reason: string; createdAt: number }[]
  emails: MyEmailRow[]
}

const DAY_MS = 86_400_000
const EMAILS_SHOWN = 200

/** The email rows a supporter's things are keyed by: `signature:<id>:…`, `donation:<id>:…`, `me:<supporter>:…` (ranges of the unique index). */
function keyRange(prefix: string) {
  return and(gte(emailMessages.idempotencyKey, `${prefix}:`), lt(emailMessages.idempotencyKey, `${prefix};`))
}

async function donationIdsOf(db: Handle, supporterId: number) {
  return (await allRows(db.select({ id: donations.id }).from(donations).where(eq(donations.supporterId, supporterId)))).map((r) => r.id)
}

/** Everything Vigil holds about a supporter, campaign titles in `lang`. Null when the supporter is gone. */
export async function getMyData(db: Handle, { supporterId, lang }: { supporterId: number; lang: Locale }): Promise<MyData | null> {
  const supporter = await firstRow(
    db
      .select({ sealed: supporters.sealed, country: supporters.country, locale: supporters.locale, createdAt: supporters.createdAt })
      .from(supporters)
      .where(eq(supporters.id, supporterId)),
  )
  if (!supporter?.sealed) return null
  const person = openSupporter(supporter.sealed)
  const titles = new Map<number, string>()
  const titleOf = async (campaignId: number | null) => {
    if (campaignId === null) return ''
    if (!titles.has(campaignId)) titles.set(campaignId, await campaignTitleFor(db, campaignId, lang))
    return titles.get(campaignId)!
  }

  const signatureRows = await allRows(
    db
      .select({ signature: signatures, slug: campaigns.slug, status: campaigns.status, closedAt: campaigns.closedAt, retentionDays: campaigns.retentionDays })
      .from(signatures)
      .innerJoin(campaigns, eq(campaigns.id, signatures.campaignId))
      .where(eq(signatures.supporterId, supporterId))
      .orderBy(desc(signatures.createdAt), desc(signatures.id)),
  )
  const replyRows = signatureRows.length
    ? await allRows(
        db
          .select({ signatureId: replies.signatureId, sealed: replies.sealed, createdAt: replies.createdAt })
          .from(replies)
          .where(inArray(replies.signatureId, signatureRows.map((r) => r.signature.id)))
          .orderBy(asc(replies.id)),
      )
    : []
  const mySignatures: MySignature[] = []
  for (const { signature: s, slug, status, closedAt, retentionDays } of signatureRows) {
    // Null once anonymised: the names went, the row still counts.
    const signed = openSignature(s.sealed)
    mySignatures.push({
      id: s.id,
      campaignId: s.campaignId,
      campaignSlug: slug,
      campaignTitle: await titleOf(s.campaignId),
      campaignStatus: status,
      anonymiseOn: status === 'live' || closedAt === null ? null : closedAt + retentionDays * DAY_MS,
      status: s.status,
      createdAt: s.createdAt,
      confirmedAt: s.confirmedAt,
      showName: s.showName,
      firstName: signed?.firstName ?? '',
      lastName: signed?.lastName ?? '',
      country: s.country,
      postalCode: signed?.postalCode ?? null,
      message: signed?.message ?? null,
      messageStatus: s.messageStatus,
      anonymisedAt: s.anonymisedAt,
      source: s.source,
      replies: replyRows.filter((r) => r.signatureId === s.id).map(({ sealed, createdAt }) => ({ body: openReply(sealed)?.body ?? '', createdAt })),
    })
  }

  const donationRows = await allRows(
    db
      .select({ donation: donations, defaultLocale: campaigns.defaultLocale })
      .from(donations)
      .innerJoin(campaigns, eq(campaigns.id, donations.campaignId))
      .where(eq(donations.supporterId, supporterId))
      .orderBy(desc(donations.createdAt), desc(donations.id)),
  )
  const fundIds = [...new Set(donationRows.map((r) => r.donation.fundId))]
  const fundTexts = fundIds.length
    ? await allRows(db.select({ fundId: fundTranslations.fundId, locale: fundTranslations.locale, title: fundTranslations.title }).from(fundTranslations).where(inArray(fundTranslations.fundId, fundIds)))
    : []
  const fundTitle = (fundId: number, defaultLocale: string) =>
    pickTranslation(fundTexts.filter((f) => f.fundId === fundId), lang, defaultLocale, (f) => f.title !== '')?.title ?? ''
  const myDonations: MyDonation[] = []
  for (const { donation: d, defaultLocale } of donationRows) {
    const given = openDonation(d.sealed)
    myDonations.push({
      id: d.id,
      campaignTitle: await titleOf(d.campaignId),
      fundTitle: fundTitle(d.fundId, defaultLocale),
      createdAt: d.createdAt,
      paidAt: d.paidAt,
      amountMinor: d.amountMinor,
      giftMinor: d.giftMinor,
      refundedMinor: d.refundedMinor,
      currency: d.currency,
      monthly: d.interval === 'monthly',
      status: d.status,
      receiptNumber: d.receiptNumber,
      publicName: given?.publicName ?? null,
      message: given?.message ?? null,
      receiptName: given?.receiptName ?? null,
      subscriptionEndedAt: d.subscriptionEndedAt,
    })
  }

  const consentRows = await allRows(db.select().from(consents).where(eq(consents.supporterId, supporterId)).orderBy(asc(consents.id)))
  const myConsents: MyConsent[] = []
  for (const c of consentRows) {
    myConsents.push({ campaignTitle: await titleOf(c.campaignId), purpose: c.purpose, granted: c.granted, source: c.source, createdAt: c.createdAt })
  }

  const suppressed = await allRows(
    db
      .select({ reason: suppressedAddresses.reason, createdAt: suppressedAddresses.createdAt })
      .from(suppressedAddresses)
      .where(inArray(suppressedAddresses.emailHash, emailHashes(person.email)))
      // One suppression, though during a key rotation it has a row under each key's hash.
      .limit(1),
  )

  const signatureIds = signatureRows.map((r) => r.signature.id)
  const donationIds = donationRows.map((r) => r.donation.id)
  const emailRows = await allRows(
    db
      .select({
        id: emailMessages.id,
        template: emailMessages.template,
        locale: emailMessages.locale,
        sealed: emailMessages.sealed,
        props: emailMessages.props,
        status: emailMessages.status,
        createdAt: emailMessages.createdAt,
        sentAt: emailMessages.sentAt,
        deliveryStatus: emailMessages.deliveryStatus,
      })
      .from(emailMessages)
      .where(
        or(
          eq(emailMessages.supporterId, supporterId),
          keyRange(`me:${supporterId}`),
          ...signatureIds.map((id) => keyRange(`signature:${id}`)),
          ...donationIds.map((id) => keyRange(`donation:${id}`)),
        ),
      )
      .orderBy(desc(emailMessages.id))
      .limit(EMAILS_SHOWN),
  )
  // A message written with its content holds the personal part sealed, beside its public props; an update's holds only ids in `props`.
  const emails: MyEmailRow[] = emailRows.map(({ sealed, props, ...row }) => ({ ...row, props: sealed === null ? props : { ...props, ...openEmail(sealed).props } }))

  return {
    supporter: { email: person.email, firstName: person.firstName, lastName: person.lastName, country: supporter.country, locale: supporter.locale, createdAt: supporter.createdAt },
    signatures: mySignatures,
    donations: myDonations,
    consents: myConsents,
    suppressions: suppressed,
    emails,
  }
}

// ——— Withdrawing a signature ———

export type WithdrawOutcome = 'withdrawn' | 'closed' | 'not-found'

/**
 * Take a signature back while its campaign is live: the row goes (its message and the team's
 * replies with it), the counters move in the same transaction, the campaign's news stop, and the
 * audit log says a signature was withdrawn, not whose. After the campaign stopped collecting,
 * nothing changes here: retention anonymises it on its date.
 */
export async function withdrawSignature(db: Handle, { supporterId, signatureId, now }: { supporterId: number; signatureId: number; now: number }): Promise<WithdrawOutcome> {
  const outcome = await transaction(db, async (tx): Promise<WithdrawOutcome> => {
    const row = await firstRow(
      tx
        .select({ status: signatures.status, country: signatures.country, campaignId: signatures.campaignId, campaignStatus: campaigns.status })
        .from(signatures)
        .innerJoin(campaigns, eq(campaigns.id, signatures.campaignId))
        .where(and(eq(signatures.id, signatureId), eq(signatures.supporterId, supporterId))),
    )
    if (!row) return 'not-found'
    if (row.campaignStatus !== 'live') return 'closed'
    // Re-checked by the delete: a confirmation on another server meanwhile is counted by its status at delete time.
    const deleted = await firstRow(
      tx
        .delete(signatures)
        .where(and(eq(signatures.id, signatureId), eq(signatures.supporterId, supporterId)))
        .returning({ status: signatures.status, country: signatures.country }),
    )
    if (!deleted) return 'not-found'
    await leaveCounters(tx, row.campaignId, deleted.status, deleted.country)
    await execute(tx.delete(emailMessages).where(keyRange(`signature:${signatureId}`)))
    await withdrawUpdates(tx, { supporterId, campaignId: row.campaignId, source: 'my_data', now })
    await recordAudit(tx, { organizerId: null, action: 'signature.withdraw', subjectType: 'campaign', subjectId: row.campaignId, details: { status: deleted.status } })
    return 'withdrawn'
  })
  // The name and message are gone from the rows; now from the file's bytes too.
  if (outcome === 'withdrawn') await eraseDeletedBytes(db)
  return outcome
}

async function leaveCounters(tx: Tx, campaignId: number, status: SignatureStatus, country: string) {
  if (status === 'confirmed') {
    await moveSignatureCounters(tx, campaignId, { confirmed: -1 })
    await addInvalidated(tx, campaignId, 1)
    await moveCountryCounter(tx, campaignId, country, -1)
  } else if (status === 'pending') {
    await moveSignatureCounters(tx, campaignId, { pending: -1 })
  }
}

// ——— Forgetting a supporter ———

/** Monthly gifts still running, to cancel at Stripe before anything is forgotten. */
export async function listRunningSubscriptions(db: Handle, { supporterId }: { supporterId: number }) {
  const rows = await allRows(
    db
      .selectDistinct({ subscriptionId: donations.stripeSubscriptionId })
      .from(donations)
      .where(and(eq(donations.supporterId, supporterId), eq(donations.interval, 'monthly'), isNull(donations.subscriptionEndedAt), isNotNull(donations.stripeSubscriptionId))),
  )
  return rows.flatMap((r) => (r.subscriptionId ? [r.subscriptionId] : []))
}

export type ForgetReport = {
  signaturesDeleted: number
  signaturesAnonymised: number
  donationsKept: number
  monthlyCancelled: number
  consentsDeleted: number
  emailsDeleted: number
  /** Kept as the address's keyed hash only, so mail still never goes there; the sealed address is dropped. */
  suppressionsKept: number
}

/**
 * Forget a supporter, in one transaction (their monthly gifts were cancelled at Stripe before):
 * pending signatures go (the pending count with them); confirmed and invalidated ones are
 * anonymised and keep counting, as retention would (their sealed names and name words go);
 * donations lose their sealed name, message and address and the link to the person, and keep
 * amount, dates, receipt number and Stripe ids (accounting); the supporter, their consents, access
 * links and emails go. A suppression (a bounce, a complaint) stays as the address's keyed hash
 * alone, its sealed address dropped: mail must still never go there, and the hash cannot be
 * turned back into the address (ADR 017). The fund's donor count drops by one, as its recount
 * would find. Null when the supporter was already gone.
 */
export async function forgetSupporter(
  db: Handle,
  { supporterId, cancelledSubscriptions, rateLimitKeyOf, now }: { supporterId: number; cancelledSubscriptions: string[]; rateLimitKeyOf: (emailNormalized: string) => string; now: number },
): Promise<ForgetReport | null> {
  const forgotten = await transaction(db, async (tx): Promise<ForgetReport | null> => {
    const supporter = await firstRow(tx.select({ sealed: supporters.sealed }).from(supporters).where(eq(supporters.id, supporterId)))
    if (!supporter) return null
    const address = supporter.sealed === null ? null : openSupporter(supporter.sealed).email
    const report: ForgetReport = { signaturesDeleted: 0, signaturesAnonymised: 0, donationsKept: 0, monthlyCancelled: cancelledSubscriptions.length, consentsDeleted: 0, emailsDeleted: 0, suppressionsKept: 0 }
    const campaignsTouched = new Set<number>()

    const mine = await allRows(
      tx.select({ id: signatures.id, status: signatures.status, country: signatures.country, campaignId: signatures.campaignId }).from(signatures).where(eq(signatures.supporterId, supporterId)),
    )
    for (const s of mine) {
      report.emailsDeleted += (await execute(tx.delete(emailMessages).where(keyRange(`signature:${s.id}`)))).changes
      campaignsTouched.add(s.campaignId)
      if (s.status === 'pending') {
        if ((await execute(tx.delete(signatures).where(and(eq(signatures.id, s.id), eq(signatures.status, 'pending'))))).changes > 0) {
          await leaveCounters(tx, s.campaignId, 'pending', s.country)
          report.signaturesDeleted++
          continue
        }
      }
      await execute(tx.delete(replies).where(eq(replies.signatureId, s.id)))
      await execute(tx.delete(signatureNameWords).where(eq(signatureNameWords.signatureId, s.id)))
      await execute(
        tx
          .update(signatures)
          .set({
            ...ANONYMISED_SIGNATURE,
            sealed: null,
            resubmittedSealed: null,
            supporterId: null,
            anonymisedAt: sql`coalesce(${signatures.anonymisedAt}, ${now})`,
          })
          .where(eq(signatures.id, s.id)),
      )
      report.signaturesAnonymised++
    }

    for (const id of await donationIdsOf(tx, supporterId)) {
      report.emailsDeleted += (await execute(tx.delete(emailMessages).where(keyRange(`donation:${id}`)))).changes
    }
    if (cancelledSubscriptions.length > 0) {
      await execute(
        tx
          .update(donations)
          .set({ subscriptionEndedAt: now, updatedAt: now })
          .where(and(eq(donations.supporterId, supporterId), inArray(donations.stripeSubscriptionId, cancelledSubscriptions), isNull(donations.subscriptionEndedAt))),
      )
    }
    report.donationsKept = (
      await execute(
        tx
          .update(donations)
          .set({ supporterId: null, sealed: null, publicName: null, message: null, wallStatus: null, receiptName: null, email: null, updatedAt: now })
          .where(eq(donations.supporterId, supporterId)),
      )
    ).changes
    // The donor counts: this person leaves each fund's, as the fund's recount (its donor rows) will say.
    const donorOf = await allRows(tx.select({ fundId: fundDonors.fundId }).from(fundDonors).where(eq(fundDonors.supporterId, supporterId)))
    for (const { fundId } of donorOf) await moveFundCounters(tx, { fundId, delta: 0, countingDelta: 0, newDonors: -1 })

    // Update emails: those on their way are not sent; those sent stay counted on their send, without address.
    report.emailsDeleted += (await execute(tx.delete(emailMessages).where(and(eq(emailMessages.supporterId, supporterId), inArray(emailMessages.status, ['queued', 'batched']))))).changes
    report.emailsDeleted += (await execute(tx.update(emailMessages).set({ sealed: null, toEmail: null, supporterId: null }).where(eq(emailMessages.supporterId, supporterId)))).changes
    report.emailsDeleted += (await execute(tx.delete(emailMessages).where(keyRange(`me:${supporterId}`)))).changes

    report.consentsDeleted = (await execute(tx.delete(consents).where(eq(consents.supporterId, supporterId)))).changes
    if (address !== null) {
      // One suppression, though during a key rotation it has a row under each key's hash.
      report.suppressionsKept = Math.min(1, (await execute(tx.update(suppressedAddresses).set({ sealed: null }).where(inArray(suppressedAddresses.emailHash, emailHashes(address))))).changes)
      // The keyed hash of the address that counted its link requests.
      await execute(tx.delete(rateLimitHits).where(eq(rateLimitHits.keyHash, rateLimitKeyOf(normalizeEmail(address)))))
    }
    // Access rows and donor rows go with the supporter (ON DELETE CASCADE).
    await execute(tx.delete(supporters).where(eq(supporters.id, supporterId)))
    await recordAudit(tx, {
      organizerId: null,
      action: 'supporter.forget',
      subjectType: 'supporter',
      subjectId: null,
      details: { signaturesDeleted: report.signaturesDeleted, signaturesAnonymised: report.signaturesAnonymised, donationsKept: report.donationsKept, monthlyCancelled: report.monthlyCancelled },
    })
    return report
  })
  // The address and name are gone from the rows; now from the file's bytes too (a copy of the data folder).
  if (forgotten) await eraseDeletedBytes(db)
  return forgotten
}

