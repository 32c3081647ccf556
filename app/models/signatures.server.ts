import { and, count, desc, eq, gt, inArray, sql } from 'drizzle-orm'
import { getDb, legacyPreparedPerConnection, type DB, type LegacyTx as Tx } from '#db/client.server.ts'
import {
  campaignCounters,
  campaigns,
  consents,
  countryCounters,
  signatures,
  supporters,
  type Locale,
  type ResubmittedDetails,
  type Signature,
} from '#db/schema.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { signatureGoal } from '~/utils/goal.ts'
import { PUBLIC_STATUSES } from './campaigns.server.ts'
import { legacyQueueEmail } from './outbox.server.ts'
import { recordHits, type RateLimitHit } from './rate-limits.server.ts'

/**
 * A signature is `pending` until its email address is confirmed, then `confirmed`
 * (counted), or `invalidated` by organisers. Counters move in the same transaction as
 * the rows they count. Confirmation tokens are derived from a random seed and the
 * server secret; the database keeps only the seed (in the queued email) and the
 * token's SHA-256, so a copy of the database alone cannot confirm anything.
 *
 * Anyone can type an address, so nothing is decided in its owner's name before they
 * confirm: the wish for news is kept on the signature and becomes a consent only on
 * confirmation, and signing again while pending never changes the first details. The
 * new details wait beside them (`resubmitted_*`) with a link of their own, and each
 * email's link confirms exactly the details it was sent for.
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

export type SignOutcome =
  | { outcome: 'created' | 'resent' | 'limit' | 'already' | 'invalidated' }
  | { outcome: 'rate-limited'; retryAfterMs: number }

const p = sql.placeholder

// Signing runs on every submission of a surge: its statements are prepared once per connection.
const signQueries = legacyPreparedPerConnection((db: DB) => ({
  supporterByEmail: db
    .select({ id: supporters.id })
    .from(supporters)
    .where(eq(supporters.emailNormalized, p('emailNormalized')))
    .prepare(),
  insertSupporter: db
    .insert(supporters)
    .values({
      emailNormalized: p('emailNormalized'),
      email: p('email'),
      firstName: p('firstName'),
      lastName: p('lastName'),
      country: p('country'),
      locale: p('locale'),
    })
    .returning({ id: supporters.id })
    .prepare(),
  signatureOf: db
    .select({ id: signatures.id, status: signatures.status, confirmationsSent: signatures.confirmationsSent })
    .from(signatures)
    .where(and(eq(signatures.campaignId, p('campaignId')), eq(signatures.supporterId, p('supporterId'))))
    .prepare(),
  insertSignature: db
    .insert(signatures)
    .values({
      campaignId: p('campaignId'),
      supporterId: p('supporterId'),
      firstName: p('firstName'),
      lastName: p('lastName'),
      country: p('country'),
      postalCode: p('postalCode'),
      locale: p('locale'),
      showName: p('showName'),
      message: p('message'),
      messageStatus: p('messageStatus'),
      tokenHash: p('tokenHash'),
      tokenExpiresAt: p('tokenExpiresAt'),
      confirmationsSent: 1,
      ipHash: p('ipHash'),
      createdAt: p('now'),
      updatesRequested: p('updatesRequested'),
      source: p('source'),
    })
    .returning({ id: signatures.id })
    .prepare(),
  // `set` takes SQL, not placeholders: values pass unencoded (the JSON as a string).
  resubmit: db
    .update(signatures)
    .set({
      resubmittedDetails: sql`${p('details')}`,
      resubmittedTokenHash: sql`${p('tokenHash')}`,
      confirmationsSent: sql`${p('attempt')}`,
    })
    .where(eq(signatures.id, p('id')))
    .prepare(),
  publicCampaign: db
    .select({ id: campaigns.id, signatureGoal: campaigns.signatureGoal })
    .from(campaigns)
    .where(and(eq(campaigns.slug, p('slug')), inArray(campaigns.status, PUBLIC_STATUSES)))
    .prepare(),
  counters: db.select({ confirmed: campaignCounters.confirmed }).from(campaignCounters).where(eq(campaignCounters.campaignId, p('campaignId'))).prepare(),
  countries: db
    .select({ country: countryCounters.country, confirmed: countryCounters.confirmed })
    .from(countryCounters)
    .where(and(eq(countryCounters.campaignId, p('campaignId')), gt(countryCounters.confirmed, 0)))
    .orderBy(desc(countryCounters.confirmed))
    .prepare(),
  moveCounters: db
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
}))

/** Runs inside the caller's transaction (same connection). */
function moveCounters(campaignId: number, change: { confirmed?: number; pending?: number }) {
  signQueries().moveCounters.run({ campaignId, confirmed: change.confirmed ?? 0, pending: change.pending ?? 0 })
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

function queueConfirmation({ signatureId, attempt, seed, to, locale, campaign, firstName }: {
  signatureId: number
  attempt: number
  seed: string
  to: string
  locale: Locale
  campaign: SignCampaign
  firstName: string
}) {
  legacyQueueEmail({
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

export type SignRequest = {
  campaign: SignCampaign
  input: SignInput
  locale: Locale
  ipHash: string | null
  /** A known source tag (app/models/sources.server.ts), kept with a new signature only. */
  source?: string | null
  limits?: RateLimitHit[]
  now?: number
}

type SignJob = { request: SignRequest; resolve: (outcome: SignOutcome) => void; reject: (error: unknown) => void }

// Group commit. A commit writes every page the signature touched (table, indexes,
// counters, outbox) to the WAL; signatures that arrive together share one commit, each
// in its own savepoint so one failure cannot undo another. Nobody hears "check your
// inbox" before the commit that holds their signature. Idle, a batch is one signature.
const MAX_BATCH = 64
const queued: SignJob[] = []

const commitBatch = legacyPreparedPerConnection((db) => {
  const one = db.$client.transaction((request: SignRequest) => signOne(request))
  return db.$client.transaction((jobs: SignJob[]) =>
    jobs.map((job): { ok: true; outcome: SignOutcome } | { ok: false; error: unknown } => {
      try {
        return { ok: true, outcome: one(job.request) }
      } catch (error) {
        return { ok: false, error }
      }
    }),
  )
})

function flushSignatures() {
  const jobs = queued.splice(0, MAX_BATCH)
  if (queued.length > 0) setImmediate(flushSignatures)
  let results
  try {
    results = commitBatch().immediate(jobs)
  } catch (error) {
    for (const job of jobs) job.reject(error)
    return
  }
  results.forEach((result, i) => (result.ok ? jobs[i]!.resolve(result.outcome) : jobs[i]!.reject(result.error)))
}

/**
 * Sign, or answer a repeat. The caller shows the same "check your inbox" whatever the
 * outcome, so nobody can learn from the page whether an address has signed. `limits`
 * are counted in the same transaction, first: over any of them, only the attempt is
 * recorded (one write per submission, which is what a surge is made of).
 */
export function signPetition(request: SignRequest): Promise<SignOutcome> {
  return new Promise((resolve, reject) => {
    if (queued.push({ request, resolve, reject }) === 1) setImmediate(flushSignatures)
  })
}

function signOne({ campaign, input, locale, ipHash, source = null, limits = [], now = Date.now() }: SignRequest): SignOutcome {
  const q = signQueries()
  const emailNormalized = normalizeEmail(input.email)
  // The address as typed this time is where the answer goes.
  const to = input.email.trim()
  const signed = {
    firstName: input.firstName,
    lastName: input.lastName,
    country: input.country,
    postalCode: input.postalCode || null,
    locale,
    showName: input.showName,
    message: input.message || null,
  }
  const fields = { ...signed, messageStatus: input.message ? 'pending' : null }
  const limited = recordHits(limits, now)
  if (!limited.allowed) return { outcome: 'rate-limited', retryAfterMs: limited.retryAfterMs }
  const supporterId =
    q.supporterByEmail.get({ emailNormalized })?.id ??
    q.insertSupporter.get({ emailNormalized, email: to, firstName: input.firstName, lastName: input.lastName, country: input.country, locale })!.id
  const existing = q.signatureOf.get({ campaignId: campaign.id, supporterId })

  if (!existing) {
    const seed = randomToken(16)
    const signature = q.insertSignature.get({
      ...fields,
      campaignId: campaign.id,
      supporterId,
      tokenHash: sha256(signatureToken(seed)),
      tokenExpiresAt: now + TOKEN_TTL_MS,
      ipHash,
      now,
      updatesRequested: input.updates,
      source,
    })!
    moveCounters(campaign.id, { pending: 1 })
    queueConfirmation({ signatureId: signature.id, attempt: 1, seed, to, locale, campaign, firstName: input.firstName })
    return { outcome: 'created' }
  }

  if (existing.status === 'pending') {
    if (existing.confirmationsSent >= MAX_CONFIRMATION_EMAILS) return { outcome: 'limit' }
    // Someone else using the address, or its owner correcting a typo: the server cannot
    // tell, so the first details stay and these go out in an email of their own, to apply
    // only if its link is the one confirmed. A later resubmission replaces this one.
    const seed = randomToken(16)
    const attempt = existing.confirmationsSent + 1
    const details: ResubmittedDetails = { ...signed, updates: input.updates, expiresAt: now + TOKEN_TTL_MS }
    q.resubmit.run({ details: JSON.stringify(details), tokenHash: sha256(signatureToken(seed)), attempt, id: existing.id })
    queueConfirmation({ signatureId: existing.id, attempt, seed, to, locale, campaign, firstName: input.firstName })
    return { outcome: 'resent' }
  }

  if (existing.status === 'confirmed') {
    // At most one such email per signature and day, however often someone tries.
    const day = new Date(now).toISOString().slice(0, 10)
    legacyQueueEmail({
      template: 'already-signed',
      to,
      locale,
      campaignId: campaign.id,
      idempotencyKey: `signature:${existing.id}:already:${day}`,
      props: { firstName: input.firstName, campaignTitle: campaign.title, organizationName: campaign.organizationName, campaignSlug: campaign.slug },
    })
    return { outcome: 'already' }
  }
  return { outcome: 'invalidated' }
}

type PendingMatch = { signature: Signature; slug: string; resubmitted: ResubmittedDetails | null }

/** The pending signature a link belongs to, and whether it is the link for resubmitted details. */
function pendingByToken(tx: Pick<Tx, 'select'>, token: string, now: number): PendingMatch | null {
  const hash = sha256(token)
  const select = () => tx.select({ signature: signatures, slug: campaigns.slug }).from(signatures).innerJoin(campaigns, eq(campaigns.id, signatures.campaignId))
  const first = select()
    .where(and(eq(signatures.tokenHash, hash), eq(signatures.status, 'pending'), gt(signatures.tokenExpiresAt, now)))
    .get()
  if (first) return { ...first, resubmitted: null }
  const other = select()
    .where(and(eq(signatures.resubmittedTokenHash, hash), eq(signatures.status, 'pending')))
    .get()
  const resubmitted = other?.signature.resubmittedDetails
  return other && resubmitted && resubmitted.expiresAt > now ? { ...other, resubmitted } : null
}

/** What the confirmation page needs, or null when the link is unknown, used or expired. */
export async function getPendingConfirmation({ token, now = Date.now() }: { token: string; now?: number }) {
  const row = pendingByToken(getDb(), token, now)
  if (!row) return null
  const details = row.resubmitted ?? row.signature
  // The language the confirmation email was written in: the page that link opens speaks it too.
  return { campaignSlug: row.slug, firstName: details.firstName, locale: details.locale }
}

/**
 * Confirm once: the signature starts counting in the same transaction, with the details
 * the confirmed link was sent for, and the wish for news made with them becomes a consent.
 */
export async function confirmSignature({ token, now = Date.now() }: { token: string; now?: number }) {
  const db = getDb()
  const confirmed = db.transaction(
    (tx) => {
      const row = pendingByToken(tx, token, now)
      if (!row) return null
      const { signature, resubmitted } = row
      const applied = resubmitted
        ? {
            firstName: resubmitted.firstName,
            lastName: resubmitted.lastName,
            country: resubmitted.country,
            postalCode: resubmitted.postalCode,
            locale: resubmitted.locale,
            showName: resubmitted.showName,
            message: resubmitted.message,
            messageStatus: resubmitted.message ? ('pending' as const) : null,
            updatesRequested: resubmitted.updates,
          }
        : {}
      const country = resubmitted?.country ?? signature.country
      const wantsUpdates = resubmitted?.updates ?? signature.updatesRequested
      tx.update(signatures)
        .set({ ...applied, status: 'confirmed', confirmedAt: now, tokenHash: null, tokenExpiresAt: null, resubmittedDetails: null, resubmittedTokenHash: null })
        .where(and(eq(signatures.id, signature.id), eq(signatures.status, 'pending')))
        .run()
      moveCounters(signature.campaignId, { pending: -1, confirmed: 1 })
      moveCountry(tx, signature.campaignId, country, 1)
      if (wantsUpdates && signature.supporterId !== null) grantUpdatesOnConfirm(tx, signature.supporterId, signature.campaignId, now)
      return { campaignSlug: row.slug, firstName: (resubmitted ?? signature).firstName, locale: (resubmitted ?? signature).locale }
    },
    { behavior: 'immediate' },
  )
  // No cache purge here: under a surge that would purge on every confirmation. Pages
  // catch up within PAGE_CACHE_TTL_MS; count.json is never cached by the server.
  return confirmed
}

/** Consents are append-only (see consents.server.ts): a row only when the answer changes. */
function grantUpdatesOnConfirm(tx: Pick<Tx, 'select' | 'insert'>, supporterId: number, campaignId: number, now: number) {
  const latest = tx
    .select({ granted: consents.granted })
    .from(consents)
    .where(and(eq(consents.supporterId, supporterId), eq(consents.purpose, 'campaign_updates'), eq(consents.campaignId, campaignId)))
    .orderBy(desc(consents.id))
    .limit(1)
    .get()
  if (latest?.granted === true) return
  tx.insert(consents).values({ supporterId, purpose: 'campaign_updates', campaignId, granted: true, source: 'petition_form', createdAt: now }).run()
}

/**
 * "This wasn't me". From the first email: the pending signature goes, with a note that
 * its address wants no news. From an email sent for resubmitted details: only those go,
 * and the first details (perhaps the owner's own) stay pending with their link.
 */
export async function discardSignature({ token, now = Date.now() }: { token: string; now?: number }) {
  const db = getDb()
  return db.transaction(
    (tx) => {
      const row = pendingByToken(tx, token, now)
      if (!row) return null
      const { signature } = row
      if (row.resubmitted) {
        tx.update(signatures).set({ resubmittedDetails: null, resubmittedTokenHash: null }).where(eq(signatures.id, signature.id)).run()
        return { campaignSlug: row.slug }
      }
      tx.delete(signatures).where(eq(signatures.id, signature.id)).run()
      moveCounters(signature.campaignId, { pending: -1 })
      // Always set here: only anonymised signatures lose their supporter, and they have no token.
      if (signature.supporterId !== null) {
        tx.insert(consents)
          .values({ supporterId: signature.supporterId, purpose: 'campaign_updates', campaignId: signature.campaignId, granted: false, source: 'not_me_link', createdAt: now })
          .run()
      }
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

/** The public count feed (count.json): counters only. Null for unknown slugs and drafts. */
export async function getCountFeed({ slug }: { slug: string }) {
  const q = signQueries()
  const campaign = q.publicCampaign.get({ slug })
  if (!campaign) return null
  const confirmed = q.counters.get({ campaignId: campaign.id })?.confirmed ?? 0
  const countries = q.countries.all({ campaignId: campaign.id })
  return {
    confirmed,
    goal: signatureGoal(confirmed, campaign.signatureGoal),
    countries: Object.fromEntries(countries.map((c) => [c.country, c.confirmed])),
  }
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
