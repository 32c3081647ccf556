import { and, desc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm'
import { batchedWriter } from '#db/batched-writer.server.ts'
import { preparedPerConnection, type DB, type Handle, type Tx } from '#db/client.server.ts'
import { insertFirstSignature } from '#db/sql/signatures.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { campaigns, signatureNameWords, signatures, type Locale, type ResubmittedDetails, type Signature } from '#db/schema.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { signatureGoal } from '~/utils/goal.ts'
import { PUBLIC_STATUSES } from './campaigns.server.ts'
import { appendConsent, grantUpdatesUnlessGranted } from './consents.server.ts'
import { getSignatureCounters, listCountryCounters, moveCountryCounter, moveSignatureCounters } from './counters.server.ts'
import { reachMilestones } from './milestones.server.ts'
import { noteEmailQueued, priorityOf, queueEmail } from './outbox.server.ts'
import { emailHashes, nameWordHashes, openResubmitted, openSignature, sealEmail, sealResubmitted, sealSignature, type SignatureData } from './personal-data.server.ts'
import { hitWindows, limitOutcome, lockHitWindows, rateLimitLockKeys, recordHits, type RateLimitHit } from './rate-limits.server.ts'
import { findOrCreateSupporter, newSupporterRow } from './supporters.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

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
 *
 * Names, postal code and message are sealed in one envelope per row (`sealed`, ADR 017; the
 * resubmitted details in `resubmitted_sealed`), and each word of the names is kept as a keyed
 * hash in signature_name_words, written and replaced with the names, for the back office's search.
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
const signQueries = preparedPerConnection((db) => ({
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
      sealed: p('sealed'),
      dataKeyId: p('dataKeyId'),
      country: p('country'),
      locale: p('locale'),
      showName: p('showName'),
      messageStatus: p('messageStatus'),
      tokenHash: p('tokenHash'),
      tokenExpiresAt: p('tokenExpiresAt'),
      confirmationsSent: 1,
      ipHash: p('ipHash'),
      createdAt: p('now'),
      updatesRequested: p('updatesRequested'),
      source: p('source'),
    })
    // The same address signing twice at once on two servers: one signature, the other a repeat.
    .onConflictDoNothing({ target: [signatures.supporterId, signatures.campaignId] })
    .returning({ id: signatures.id })
    .prepare(),
  insertNameWord: db
    .insert(signatureNameWords)
    .values({ campaignId: p('campaignId'), wordHash: p('wordHash'), signatureId: p('signatureId') })
    .prepare(),
  // Most names are two words: one statement for both.
  insertTwoNameWords: db
    .insert(signatureNameWords)
    .values([
      { campaignId: p('campaignId'), wordHash: p('first'), signatureId: p('signatureId') },
      { campaignId: p('campaignId'), wordHash: p('second'), signatureId: p('signatureId') },
    ])
    .prepare(),
  // `set` takes SQL, not placeholders.
  resubmit: db
    .update(signatures)
    .set({
      resubmittedSealed: sql`${p('sealed')}`,
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
}))

type ConfirmationFor = { seed: string; to: string; locale: Locale; campaign: SignCampaign; firstName: string }

/** The email with the link for one set of details; its key is `signature:<id>:confirm:<attempt>`. */
function confirmationEmail({ seed, to, locale, campaign, firstName }: ConfirmationFor) {
  return {
    template: 'confirm-signature',
    to,
    locale,
    campaignId: campaign.id,
    props: { tokenSeed: seed, firstName },
    // The campaign's own words are public: not sealed with each of a surge's confirmations.
    publicProps: { campaignTitle: campaign.title, petitionText: campaign.petitionText, organizationName: campaign.organizationName },
  }
}

/**
 * One signature_name_words row per word of the names (the back office finds signers by whole
 * words, ADR 017), replacing any the signature had: written wherever its names are.
 */
export async function writeNameWords(tx: Tx, { campaignId, signatureId, firstName, lastName, replace = false }: { campaignId: number; signatureId: number; firstName: string; lastName: string; replace?: boolean }) {
  if (replace) await execute(tx.delete(signatureNameWords).where(eq(signatureNameWords.signatureId, signatureId)))
  const q = signQueries(tx)
  // nameWordHashes has no repeats (one per distinct word), so the primary key never conflicts.
  const words = nameWordHashes(firstName, lastName)
  if (words.length === 2) return void (await execute(q.insertTwoNameWords, { campaignId, signatureId, first: words[0]!, second: words[1]! }))
  for (const wordHash of words) await execute(q.insertNameWord, { campaignId, wordHash, signatureId })
}

function queueConfirmation(tx: Tx, { signatureId, attempt, ...email }: ConfirmationFor & { signatureId: number; attempt: number }) {
  return queueEmail(tx, { ...confirmationEmail(email), idempotencyKey: `signature:${signatureId}:confirm:${attempt}` })
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

// Signatures that arrive together share one commit (db/batched-writer.server.ts), each in its
// own savepoint; nobody hears "check your inbox" before the commit that holds their signature.
const signInBatch = batchedWriter(signOne, { maxBatch: 64, locksOf: (request) => rateLimitLockKeys(request.limits ?? []) })

/**
 * Sign, or answer a repeat. The caller shows the same "check your inbox" whatever the
 * outcome, so nobody can learn from the page whether an address has signed. `limits`
 * are counted in the same transaction, first: over any of them, only the attempt is
 * recorded (one write per submission, which is what a surge is made of).
 */
export async function signPetition(db: DB, request: SignRequest): Promise<SignOutcome> {
  return signInBatch(db, request)
}

async function signOne(tx: Tx, { campaign, input, locale, ipHash, source = null, limits = [], now = Date.now() }: SignRequest): Promise<SignOutcome> {
  const q = signQueries(tx)
  // The address as typed this time is where the answer goes.
  const to = input.email.trim()
  const personal: SignatureData = {
    firstName: input.firstName,
    lastName: input.lastName,
    postalCode: input.postalCode || null,
    message: input.message || null,
  }
  const plain = { country: input.country, locale, showName: input.showName, messageStatus: input.message ? ('pending' as const) : null }
  const supporter = { email: input.email, firstName: input.firstName, lastName: input.lastName, country: input.country, locale }
  const seed = randomToken(16)
  const newSignature = () => ({
    ...plain,
    ...sealSignature(personal),
    campaignId: campaign.id,
    tokenHash: sha256(signatureToken(seed)),
    tokenExpiresAt: now + TOKEN_TTL_MS,
    ipHash,
    updatesRequested: input.updates,
    source,
  })
  const confirmation = { seed, to, locale, campaign, firstName: input.firstName }
  // Most signatures are a first one: where the engine can (Postgres), the rate limits, supporter,
  // signature and email are one statement. Where it cannot, or the address turns out to have
  // signed already, the steps below. Over a limit, only the attempt is recorded (one write per
  // submission, which is what a surge is made of).
  await lockHitWindows(tx, limits)
  const first = await insertFirstSignature(tx, { windows: hitWindows(limits, now), now }, () => {
    const { to: address, props, publicProps, ...email } = confirmationEmail(confirmation)
    const hashes = emailHashes(input.email)
    return {
      supporter: { emailHashes: hashes, ...newSupporterRow(supporter, hashes) },
      signature: newSignature(),
      email: { ...email, ...sealEmail({ to: address, props }), props: JSON.stringify(publicProps), keyPrefix: 'signature:', keySuffix: ':confirm:1', priority: priorityOf('confirm-signature') },
    }
  })
  const limited = first ? await limitOutcome(tx, limits, first.counts, now) : await recordHits(tx, limits, now)
  if (!limited.allowed) return { outcome: 'rate-limited', retryAfterMs: limited.retryAfterMs }
  if (first?.signatureId) {
    await moveSignatureCounters(tx, campaign.id, { pending: 1 })
    noteEmailQueued()
    return { outcome: 'created' }
  }
  const supporterId = first?.supporterId ?? (await findOrCreateSupporter(tx, supporter)).id
  let existing = await firstRow(q.signatureOf, { campaignId: campaign.id, supporterId })

  if (!existing) {
    const signature = await firstRow(q.insertSignature, { ...newSignature(), supporterId, now })
    if (signature) {
      await moveSignatureCounters(tx, campaign.id, { pending: 1 })
      await queueConfirmation(tx, { ...confirmation, signatureId: signature.id, attempt: 1 })
      return { outcome: 'created' }
    }
    // Another server made it since the read above (and has committed: the insert waited for it).
    existing = (await firstRow(q.signatureOf, { campaignId: campaign.id, supporterId }))!
  }

  if (existing.status === 'pending') {
    if (existing.confirmationsSent >= MAX_CONFIRMATION_EMAILS) return { outcome: 'limit' }
    // Someone else using the address, or its owner correcting a typo: the server cannot
    // tell, so the first details stay and these go out in an email of their own, to apply
    // only if its link is the one confirmed. A later resubmission replaces this one.
    const resubmitSeed = randomToken(16)
    const attempt = existing.confirmationsSent + 1
    const details: ResubmittedDetails = { ...personal, country: input.country, locale, showName: input.showName, updates: input.updates, expiresAt: now + TOKEN_TTL_MS }
    await execute(q.resubmit, { sealed: sealResubmitted(details), tokenHash: sha256(signatureToken(resubmitSeed)), attempt, id: existing.id })
    await queueConfirmation(tx, { signatureId: existing.id, attempt, seed: resubmitSeed, to, locale, campaign, firstName: input.firstName })
    return { outcome: 'resent' }
  }

  if (existing.status === 'confirmed') {
    // At most one such email per signature and day, however often someone tries.
    const day = new Date(now).toISOString().slice(0, 10)
    await queueEmail(tx, {
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
async function pendingByToken(db: Handle, token: string, now: number): Promise<PendingMatch | null> {
  const hash = sha256(token)
  const select = () => db.select({ signature: signatures, slug: campaigns.slug }).from(signatures).innerJoin(campaigns, eq(campaigns.id, signatures.campaignId))
  const first = await firstRow(select()
    .where(and(eq(signatures.tokenHash, hash), eq(signatures.status, 'pending'), gt(signatures.tokenExpiresAt, now))))
  if (first) return { ...first, resubmitted: null }
  const other = await firstRow(select()
    .where(and(eq(signatures.resubmittedTokenHash, hash), eq(signatures.status, 'pending'))))
  const resubmitted = openResubmitted(other?.signature.resubmittedSealed ?? null)
  return other && resubmitted && resubmitted.expiresAt > now ? { ...other, resubmitted } : null
}

/** The row still carries the link it was found by (the update or delete that uses it re-checks at write time). */
function stillLinked(row: PendingMatch, token: string) {
  return row.resubmitted ? eq(signatures.resubmittedTokenHash, sha256(token)) : eq(signatures.tokenHash, sha256(token))
}

/** The first name the link was sent with (a pending signature is never anonymised: always sealed). */
function firstNameOf({ signature, resubmitted }: PendingMatch) {
  return resubmitted?.firstName ?? openSignature(signature.sealed)?.firstName ?? ''
}

/** What the confirmation page needs, or null when the link is unknown, used or expired. */
export async function getPendingConfirmation(db: Handle, { token, now = Date.now() }: { token: string; now?: number }) {
  const row = await pendingByToken(db, token, now)
  if (!row) return null
  // The language the confirmation email was written in: the page that link opens speaks it too.
  return { campaignSlug: row.slug, firstName: firstNameOf(row), locale: (row.resubmitted ?? row.signature).locale }
}

/**
 * Confirm once: the signature starts counting in the same transaction, with the details
 * the confirmed link was sent for, and the wish for news made with them becomes a consent.
 */
export async function confirmSignature(db: Handle, { token, now = Date.now() }: { token: string; now?: number }) {
  // No cache purge here: under a surge that would purge on every confirmation. Pages
  // catch up within PAGE_CACHE_TTL_MS; count.json is never cached by the server.
  return transaction(db, async (tx) => {
    const row = await pendingByToken(tx, token, now)
    if (!row) return null
    const { signature, resubmitted } = row
    const applied = resubmitted
      ? {
          ...sealSignature(resubmitted),
          country: resubmitted.country,
          locale: resubmitted.locale,
          showName: resubmitted.showName,
          messageStatus: resubmitted.message ? ('pending' as const) : null,
          updatesRequested: resubmitted.updates,
        }
      : {}
    const country = resubmitted?.country ?? signature.country
    const wantsUpdates = resubmitted?.updates ?? signature.updatesRequested
    // Only while the link still belongs to it: the same link opened twice at once on two
    // servers (or confirmed while "this wasn't me" discards it) counts once, or not at all.
    const confirmed = await execute(tx.update(signatures)
      .set({ ...applied, status: 'confirmed', confirmedAt: now, tokenHash: null, tokenExpiresAt: null, resubmittedSealed: null, resubmittedTokenHash: null })
      .where(and(eq(signatures.id, signature.id), eq(signatures.status, 'pending'), stillLinked(row, token))))
    if (confirmed.changes === 0) return null
    // The back office finds a signer by name once confirmed, by the names confirmed (ADR 017): no
    // index of the names of people who never confirmed (someone else may have typed them), and
    // none written in a surge's signing batches. `replace`: an upgrade may have indexed it pending.
    const names = resubmitted ?? openSignature(signature.sealed)
    if (names) await writeNameWords(tx, { campaignId: signature.campaignId, signatureId: signature.id, firstName: names.firstName, lastName: names.lastName, replace: true })
    await moveSignatureCounters(tx, signature.campaignId, { pending: -1, confirmed: 1 })
    await moveCountryCounter(tx, signature.campaignId, country, 1)
    await reachMilestones(tx, { campaignId: signature.campaignId, now })
    if (wantsUpdates && signature.supporterId !== null) {
      await grantUpdatesUnlessGranted(tx, { supporterId: signature.supporterId, campaignId: signature.campaignId, source: 'petition_form', now })
    }
    return { campaignSlug: row.slug, firstName: firstNameOf(row), locale: (resubmitted ?? signature).locale }
  })
}

/**
 * "This wasn't me". From the first email: the pending signature goes, with a note that
 * its address wants no news. From an email sent for resubmitted details: only those go,
 * and the first details (perhaps the owner's own) stay pending with their link.
 */
export async function discardSignature(db: Handle, { token, now = Date.now() }: { token: string; now?: number }) {
  return transaction(db, async (tx) => {
    const row = await pendingByToken(tx, token, now)
    if (!row) return null
    const { signature } = row
    if (row.resubmitted) {
      await execute(tx.update(signatures).set({ resubmittedSealed: null, resubmittedTokenHash: null }).where(and(eq(signatures.id, signature.id), stillLinked(row, token))))
      return { campaignSlug: row.slug }
    }
    // As in confirmSignature: a signature confirmed or discarded meanwhile on another server stays as it is.
    const discarded = await execute(tx.delete(signatures).where(and(eq(signatures.id, signature.id), eq(signatures.status, 'pending'), stillLinked(row, token))))
    if (discarded.changes === 0) return null
    await moveSignatureCounters(tx, signature.campaignId, { pending: -1 })
    // Always set here: only anonymised signatures lose their supporter, and they have no token.
    if (signature.supporterId !== null) {
      await appendConsent(tx, { supporterId: signature.supporterId, campaignId: signature.campaignId, granted: false, source: 'not_me_link', now })
    }
    return { campaignSlug: row.slug }
  })
}

/** Public figures for the petition panel: counters only, never COUNT(*) over signatures. */
export async function getPetitionStats(db: Handle, { campaignId, fixedGoal }: { campaignId: number; fixedGoal: number | null }) {
  const { confirmed } = await getSignatureCounters(db, campaignId)
  return { confirmed, goal: signatureGoal(confirmed, fixedGoal) }
}

/** The public count feed (count.json): counters only. Null for unknown slugs and drafts. */
export async function getCountFeed(db: Handle, { slug }: { slug: string }) {
  const campaign = await firstRow(signQueries(db).publicCampaign, { slug })
  if (!campaign) return null
  const { confirmed } = await getSignatureCounters(db, campaign.id)
  const countries = await listCountryCounters(db, campaign.id)
  return {
    confirmed,
    goal: signatureGoal(confirmed, campaign.signatureGoal),
    countries: Object.fromEntries(countries.map((c) => [c.country, c.confirmed])),
  }
}

/** Recent signers who asked to be shown: first name and initial only (anonymised ones have no name left to show). */
export async function listRecentSigners(db: Handle, { campaignId, limit = 8 }: { campaignId: number; limit?: number }) {
  const rows = await allRows(db
    .select({ sealed: signatures.sealed, country: signatures.country, confirmedAt: signatures.confirmedAt })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'confirmed'), eq(signatures.showName, true), isNotNull(signatures.sealed)))
    .orderBy(desc(signatures.confirmedAt))
    .limit(limit))
  return rows.map((s) => {
    const { firstName, lastName } = openSignature(s.sealed)!
    return { name: `${firstName} ${Array.from(lastName)[0] ?? ''}.`, country: s.country, confirmedAt: s.confirmedAt! }
  })
}
