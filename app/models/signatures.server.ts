import { and, count, desc, eq, gt, sql } from 'drizzle-orm'
import { getDb, type Tx } from '#db/client.server.ts'
import {
  campaignCounters,
  campaigns,
  consents,
  countryCounters,
  signatures,
  supporters,
  type Locale,
} from '#db/schema.ts'
import { randomToken, sha256 } from '~/services/crypto.server.ts'
import { signatureToken } from '~/services/tokens.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { signatureGoal } from '~/utils/goal.ts'
import { queueEmail } from './outbox.server.ts'

/**
 * A signature is `pending` until its email address is confirmed, then `confirmed`
 * (counted), or `invalidated` by organisers. Counters move in the same transaction as
 * the rows they count. Confirmation tokens are derived from a random seed and the
 * server secret; the database keeps only the seed (in the queued email) and the
 * token's SHA-256, so a copy of the database alone cannot confirm anything.
 */
export const TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000
export const MAX_CONFIRMATION_EMAILS = 3

export type SignInput = {
  firstName: string
  lastName: string
  email: string
  country: string
  postalCode?: string
  message?: string
  showName: boolean
  updates: boolean
}

export type SignCampaign = {
  id: number
  slug: string
  title: string
  petitionText: string
  organizationName: string
}

export type SignOutcome = 'created' | 'resent' | 'limit' | 'already' | 'invalidated'

function moveCounters(tx: Pick<Tx, 'insert'>, campaignId: number, change: { confirmed?: number; pending?: number }) {
  const confirmed = change.confirmed ?? 0
  const pending = change.pending ?? 0
  tx.insert(campaignCounters)
    .values({ campaignId, confirmed, pending })
    .onConflictDoUpdate({
      target: campaignCounters.campaignId,
      set: {
        confirmed: sql`${campaignCounters.confirmed} + ${confirmed}`,
        pending: sql`${campaignCounters.pending} + ${pending}`,
        updatedAt: Date.now(),
      },
    })
    .run()
}

function moveCountry(tx: Pick<Tx, 'insert'>, campaignId: number, country: string, by: number) {
  tx.insert(countryCounters)
    .values({ campaignId, country, confirmed: by })
    .onConflictDoUpdate({
      target: [countryCounters.campaignId, countryCounters.country],
      set: { confirmed: sql`${countryCounters.confirmed} + ${by}` },
    })
    .run()
}

function queueConfirmation(
  tx: Pick<Tx, 'insert'>,
  { signatureId, attempt, seed, to, locale, campaign, firstName }: {
    signatureId: number
    attempt: number
    seed: string
    to: string
    locale: Locale
    campaign: SignCampaign
    firstName: string
  },
) {
  queueEmail(tx, {
    template: 'confirm-signature',
    to,
    locale,
    campaignId: campaign.id,
    idempotencyKey: `signature:${signatureId}:confirm:${attempt}`,
    props: {
      tokenSeed: seed,
      firstName,
      campaignTitle: campaign.title,
      petitionText: campaign.petitionText,
      organizationName: campaign.organizationName,
    },
  })
}

/**
 * Sign, or answer a repeat. The caller shows the same "check your inbox" whatever the
 * outcome, so nobody can learn from the page whether an address has signed.
 */
export async function signPetition({
  campaign,
  input,
  locale,
  ipHash,
  now = Date.now(),
}: {
  campaign: SignCampaign
  input: SignInput
  locale: Locale
  ipHash: string | null
  now?: number
}): Promise<SignOutcome> {
  const db = getDb()
  const emailNormalized = normalizeEmail(input.email)
  const fields = {
    firstName: input.firstName,
    lastName: input.lastName,
    country: input.country,
    postalCode: input.postalCode || null,
    locale,
    showName: input.showName,
    message: input.message || null,
    messageStatus: input.message ? ('pending' as const) : null,
  }
  const outcome = db.transaction(
    (tx): SignOutcome => {
      const supporter =
        tx.select().from(supporters).where(eq(supporters.emailNormalized, emailNormalized)).get() ??
        tx
          .insert(supporters)
          .values({
            emailNormalized,
            email: input.email.trim(),
            firstName: input.firstName,
            lastName: input.lastName,
            country: input.country,
            locale,
          })
          .returning()
          .get()
      const existing = tx
        .select()
        .from(signatures)
        .where(and(eq(signatures.campaignId, campaign.id), eq(signatures.supporterId, supporter.id)))
        .get()
      // The address as typed this time is where the answer goes.
      const to = input.email.trim()

      if (!existing) {
        const seed = randomToken(16)
        const signature = tx
          .insert(signatures)
          .values({
            ...fields,
            campaignId: campaign.id,
            supporterId: supporter.id,
            tokenHash: sha256(signatureToken(seed)),
            tokenExpiresAt: now + TOKEN_TTL_MS,
            confirmationsSent: 1,
            ipHash,
            createdAt: now,
          })
          .returning({ id: signatures.id })
          .get()
        moveCounters(tx, campaign.id, { pending: 1 })
        if (input.updates) {
          tx.insert(consents)
            .values({ supporterId: supporter.id, purpose: 'campaign_updates', campaignId: campaign.id, granted: true, source: 'petition_form', createdAt: now })
            .run()
        }
        queueConfirmation(tx, { signatureId: signature.id, attempt: 1, seed, to, locale, campaign, firstName: input.firstName })
        return 'created'
      }

      if (existing.status === 'pending') {
        if (existing.confirmationsSent >= MAX_CONFIRMATION_EMAILS) return 'limit'
        const seed = randomToken(16)
        const attempt = existing.confirmationsSent + 1
        tx.update(signatures)
          .set({ ...fields, tokenHash: sha256(signatureToken(seed)), tokenExpiresAt: now + TOKEN_TTL_MS, confirmationsSent: attempt })
          .where(eq(signatures.id, existing.id))
          .run()
        if (input.updates) {
          tx.insert(consents)
            .values({ supporterId: supporter.id, purpose: 'campaign_updates', campaignId: campaign.id, granted: true, source: 'petition_form', createdAt: now })
            .run()
        }
        queueConfirmation(tx, { signatureId: existing.id, attempt, seed, to, locale, campaign, firstName: input.firstName })
        return 'resent'
      }

      if (existing.status === 'confirmed') {
        // At most one such email per signature and day, however often someone tries.
        const day = new Date(now).toISOString().slice(0, 10)
        queueEmail(tx, {
          template: 'already-signed',
          to,
          locale,
          campaignId: campaign.id,
          idempotencyKey: `signature:${existing.id}:already:${day}`,
          props: { firstName: input.firstName, campaignTitle: campaign.title, organizationName: campaign.organizationName, campaignSlug: campaign.slug },
        })
        return 'already'
      }
      return 'invalidated'
    },
    { behavior: 'immediate' },
  )
  return outcome
}

function pendingByToken(tx: Pick<Tx, 'select'>, token: string, now: number) {
  return tx
    .select({ signature: signatures, slug: campaigns.slug })
    .from(signatures)
    .innerJoin(campaigns, eq(campaigns.id, signatures.campaignId))
    .where(and(eq(signatures.tokenHash, sha256(token)), eq(signatures.status, 'pending'), gt(signatures.tokenExpiresAt, now)))
    .get()
}

/** What the confirmation page needs, or null when the link is unknown, used or expired. */
export async function getPendingConfirmation({ token, now = Date.now() }: { token: string; now?: number }) {
  const row = pendingByToken(getDb(), token, now)
  return row ? { campaignSlug: row.slug, firstName: row.signature.firstName } : null
}

/** Confirm once: the signature starts counting in the same transaction. */
export async function confirmSignature({ token, now = Date.now() }: { token: string; now?: number }) {
  const db = getDb()
  const confirmed = db.transaction(
    (tx) => {
      const row = pendingByToken(tx, token, now)
      if (!row) return null
      const { signature } = row
      tx.update(signatures)
        .set({ status: 'confirmed', confirmedAt: now, tokenHash: null, tokenExpiresAt: null })
        .where(and(eq(signatures.id, signature.id), eq(signatures.status, 'pending')))
        .run()
      moveCounters(tx, signature.campaignId, { pending: -1, confirmed: 1 })
      moveCountry(tx, signature.campaignId, signature.country, 1)
      return { campaignSlug: row.slug, firstName: signature.firstName }
    },
    { behavior: 'immediate' },
  )
  // No cache purge here: under a surge that would purge on every confirmation. Pages
  // catch up within PAGE_CACHE_TTL_MS; count.json is never cached by the server.
  return confirmed
}

/** "This wasn't me": the pending signature and its consent go away. */
export async function discardSignature({ token, now = Date.now() }: { token: string; now?: number }) {
  const db = getDb()
  return db.transaction(
    (tx) => {
      const row = pendingByToken(tx, token, now)
      if (!row) return null
      const { signature } = row
      tx.delete(signatures).where(eq(signatures.id, signature.id)).run()
      moveCounters(tx, signature.campaignId, { pending: -1 })
      tx.insert(consents)
        .values({ supporterId: signature.supporterId, purpose: 'campaign_updates', campaignId: signature.campaignId, granted: false, source: 'not_me_link', createdAt: now })
        .run()
      return { campaignSlug: row.slug }
    },
    { behavior: 'immediate' },
  )
}

/** Public figures for the petition panel: counters only, never COUNT(*) over signatures. */
export async function getPetitionStats({ campaignId, fixedGoal }: { campaignId: number; fixedGoal: number | null }) {
  const row = getDb().select().from(campaignCounters).where(eq(campaignCounters.campaignId, campaignId)).get()
  const confirmed = row?.confirmed ?? 0
  return { confirmed, goal: signatureGoal(confirmed, fixedGoal) }
}

export async function listCountryCounts({ campaignId }: { campaignId: number }) {
  return getDb()
    .select({ country: countryCounters.country, confirmed: countryCounters.confirmed })
    .from(countryCounters)
    .where(and(eq(countryCounters.campaignId, campaignId), gt(countryCounters.confirmed, 0)))
    .orderBy(desc(countryCounters.confirmed))
    .all()
}

/** Recent signers who asked to be shown: first name and initial only. */
export async function listRecentSigners({ campaignId, limit = 8 }: { campaignId: number; limit?: number }) {
  return getDb()
    .select({ firstName: signatures.firstName, lastName: signatures.lastName, country: signatures.country, confirmedAt: signatures.confirmedAt })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'confirmed'), eq(signatures.showName, true)))
    .orderBy(desc(signatures.confirmedAt))
    .limit(limit)
    .all()
    .map((s) => ({ name: `${s.firstName} ${Array.from(s.lastName)[0] ?? ''}.`, country: s.country, confirmedAt: s.confirmedAt! }))
}

export type Drift = { campaignId: number; field: string; stored: number; actual: number }

/** Recompute every counter from the rows; report and repair any drift. */
export async function recountSignatures(): Promise<Drift[]> {
  const db = getDb()
  return db.transaction(
    (tx) => {
      const drift: Drift[] = []
      const actual = tx
        .select({ campaignId: signatures.campaignId, status: signatures.status, n: count() })
        .from(signatures)
        .groupBy(signatures.campaignId, signatures.status)
        .all()
      const stored = tx.select().from(campaignCounters).all()
      const ids = new Set([...actual.map((a) => a.campaignId), ...stored.map((s) => s.campaignId)])
      for (const campaignId of ids) {
        const real = (status: string) => actual.find((a) => a.campaignId === campaignId && a.status === status)?.n ?? 0
        const have = stored.find((s) => s.campaignId === campaignId)
        const next = { confirmed: real('confirmed'), pending: real('pending') }
        for (const field of ['confirmed', 'pending'] as const) {
          if ((have?.[field] ?? 0) !== next[field]) drift.push({ campaignId, field, stored: have?.[field] ?? 0, actual: next[field] })
        }
        tx.insert(campaignCounters)
          .values({ campaignId, ...next })
          .onConflictDoUpdate({ target: campaignCounters.campaignId, set: { ...next, updatedAt: Date.now() } })
          .run()
      }
      const byCountry = tx
        .select({ campaignId: signatures.campaignId, country: signatures.country, n: count() })
        .from(signatures)
        .where(eq(signatures.status, 'confirmed'))
        .groupBy(signatures.campaignId, signatures.country)
        .all()
      const storedCountries = tx.select().from(countryCounters).all()
      for (const row of storedCountries) {
        const real = byCountry.find((b) => b.campaignId === row.campaignId && b.country === row.country)?.n ?? 0
        if (real !== row.confirmed) drift.push({ campaignId: row.campaignId, field: `country:${row.country}`, stored: row.confirmed, actual: real })
      }
      for (const row of byCountry) {
        if (!storedCountries.some((s) => s.campaignId === row.campaignId && s.country === row.country)) {
          drift.push({ campaignId: row.campaignId, field: `country:${row.country}`, stored: 0, actual: row.n })
        }
      }
      tx.delete(countryCounters).run()
      for (const row of byCountry) tx.insert(countryCounters).values({ campaignId: row.campaignId, country: row.country, confirmed: row.n }).run()
      return drift
    },
    { behavior: 'immediate' },
  )
}
