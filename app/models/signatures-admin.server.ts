import { and, asc, count, desc, eq, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { utcDay } from '#db/sql/signatures.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { signatureNameWords, signatures, supporters, type SignatureStatus } from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'
import { emailDomainHashes, emailHashes, nameWordHashesOf, nameWords, openSignature, openSupporter } from './personal-data.server.ts'
import { getSignatureCounters, listCountryCounters, takeBackSignatureCounters } from './counters.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

export type SignatureFilter = {
  /** Whole words of a signer's name (all must match); for owners (searchEmails) also a whole email address. */
  q?: string
  status?: SignatureStatus
  country?: string
  /** Inclusive calendar dates, 'YYYY-MM-DD' (UTC). */
  from?: string
  to?: string
}

const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`)
const dayEnd = (date: string) => Date.parse(`${date}T00:00:00Z`) + 24 * 60 * 60 * 1000

/**
 * A signature's supporter (for the email address), unless the signature is anonymised: one
 * kept for the campaign's news (ADR 010) still points at its supporter, but shows nothing of them.
 */
const supporterOfSignature = and(eq(supporters.id, signatures.supporterId), isNull(signatures.anonymisedAt))

/**
 * How a search is understood. Names and addresses are sealed (ADR 017): an address is found by
 * its keyed hash (owners only, the whole of it), a name by the keyed hashes of its whole words
 * (signature_name_words). A part of a word cannot be found, and the page says so.
 */
export function searchKind(q: string | undefined, searchEmails: boolean): 'none' | 'address' | 'name-words' {
  if (!q?.trim()) return 'none'
  return searchEmails && q.includes('@') ? 'address' : 'name-words'
}

function filterConditions(campaignId: number, filter: SignatureFilter, searchEmails: boolean): SQL[] {
  const conditions: SQL[] = [eq(signatures.campaignId, campaignId)]
  if (filter.status) conditions.push(eq(signatures.status, filter.status))
  if (filter.country) conditions.push(eq(signatures.country, filter.country))
  if (filter.from) conditions.push(gte(signatures.createdAt, dayStart(filter.from)))
  if (filter.to) conditions.push(lt(signatures.createdAt, dayEnd(filter.to)))
  const q = filter.q?.trim()
  const kind = searchKind(q, searchEmails)
  if (kind === 'address') {
    // The hash of the whole normalised address (case, +tags, Gmail dots), under every loaded key.
    conditions.push(inArray(supporters.emailHash, emailHashes(q!)))
  } else if (kind === 'name-words') {
    const words = nameWords(q).slice(0, MAX_SEARCH_WORDS)
    // Nothing that could be a word (only punctuation): nothing matches, rather than everything.
    if (words.length === 0) conditions.push(sql`1 = 0`)
    for (const word of words) conditions.push(hasNameWord(campaignId, word))
  }
  return conditions
}

// More words than a name has are a paste, not a search: eight keep the query small.
const MAX_SEARCH_WORDS = 8

/** The signature has this whole word in its first or last name (its hash under any loaded key). */
function hasNameWord(campaignId: number, word: string) {
  const w = signatureNameWords
  return sql`${signatures.id} in (select ${w.signatureId} from ${w} where ${w.campaignId} = ${campaignId} and ${inArray(w.wordHash, nameWordHashesOf(word))})`
}

/**
 * One page of signatures, newest first. Keyset paging (`before` = the last id seen)
 * costs the same on page 1 and page 10,000, unlike OFFSET.
 */
export async function listSignatures(
  db: Handle,
  {
    campaignId,
    filter,
    before,
    limit = 50,
    searchEmails = false,
  }: {
    campaignId: number
    filter: SignatureFilter
    before?: number
    limit?: number
    /** Whether `filter.q` may match a whole email address, and addresses are opened (owners only). */
    searchEmails?: boolean
  },
) {
  const conditions = filterConditions(campaignId, filter, searchEmails)
  if (before) conditions.push(lt(signatures.id, before))
  const rows = await allRows(db
    .select({
      id: signatures.id,
      status: signatures.status,
      sealed: signatures.sealed,
      supporterSealed: supporters.sealed,
      country: signatures.country,
      messageStatus: signatures.messageStatus,
      createdAt: signatures.createdAt,
      confirmedAt: signatures.confirmedAt,
      invalidationReason: signatures.invalidationReason,
      ipHash: signatures.ipHash,
      anonymisedAt: signatures.anonymisedAt,
    })
    .from(signatures)
    .leftJoin(supporters, supporterOfSignature)
    .where(and(...conditions))
    .orderBy(desc(signatures.id))
    .limit(limit + 1))
  return {
    rows: rows.slice(0, limit).map(({ sealed, supporterSealed, ...row }) => ({ ...row, ...openedSigner(sealed, searchEmails ? supporterSealed : null) })),
    nextBefore: rows.length > limit ? rows[limit - 1]!.id : null,
  }
}

/**
 * What the back office shows of a signer, opened from the sealed rows: blank once the signature
 * is anonymised (its envelope is gone); the address only when its supporter's row is given.
 */
function openedSigner(sealed: string | null, supporterSealed: string | null) {
  const signature = openSignature(sealed)
  return {
    firstName: signature?.firstName ?? '',
    lastName: signature?.lastName ?? '',
    postalCode: signature?.postalCode ?? null,
    message: signature?.message ?? null,
    email: supporterSealed === null ? null : openSupporter(supporterSealed).email,
  }
}

/** What a bulk invalidation applies to: chosen rows, or everything matching an address hash or a whole email domain in a time window. */
export type InvalidationFilter = {
  signatureIds?: number[]
  ipHash?: string
  emailDomain?: string
  from?: string
  to?: string
}

function invalidationConditions(campaignId: number, filter: InvalidationFilter): SQL[] | null {
  const conditions: SQL[] = [eq(signatures.campaignId, campaignId), inArray(signatures.status, ['pending', 'confirmed'])]
  let narrowed = false
  if (filter.signatureIds?.length) {
    conditions.push(inArray(signatures.id, filter.signatureIds))
    narrowed = true
  }
  if (filter.ipHash) {
    // The table shows a prefix of the hash; organisers filter by what they can see. Compared as
    // text, not with LIKE: SQLite's LIKE ignores case and has no escape character unless told,
    // and the hash (base64url) is case-sensitive and may hold `_`.
    conditions.push(sql`substr(${signatures.ipHash}, 1, ${filter.ipHash.length}) = ${filter.ipHash}`)
    narrowed = true
  }
  if (filter.emailDomain) {
    // A whole domain, by its keyed hash (addresses are sealed): never a part of one, never a subdomain.
    conditions.push(inArray(supporters.emailDomainHash, emailDomainHashes(filter.emailDomain)))
    narrowed = true
  }
  if (filter.from) conditions.push(gte(signatures.createdAt, dayStart(filter.from)))
  if (filter.to) conditions.push(lt(signatures.createdAt, dayEnd(filter.to)))
  // Never "everything": an empty filter is a mistake, not a wish.
  return narrowed ? conditions : null
}

export async function previewInvalidation(db: Handle, { campaignId, filter }: { campaignId: number; filter: InvalidationFilter }) {
  const conditions = invalidationConditions(campaignId, filter)
  if (!conditions) return 0
  return (
    (await firstRow(db
      .select({ n: count() })
      .from(signatures)
      .leftJoin(supporters, supporterOfSignature)
      .where(and(...conditions))))?.n ?? 0
  )
}

/** Invalidate matching signatures; counters, country counts and the audit log move in the same transaction. */
export async function invalidateSignatures(
  db: Handle,
  {
    actorId,
    campaignId,
    filter,
    reason,
  }: {
    actorId: number
    campaignId: number
    filter: InvalidationFilter
    reason: string
  },
) {
  const conditions = invalidationConditions(campaignId, filter)
  if (!conditions) return 0
  const changed = await transaction(db, async (tx) => {
    const targets = await allRows(tx
      .select({ id: signatures.id, status: signatures.status, country: signatures.country })
      .from(signatures)
      .leftJoin(supporters, supporterOfSignature)
      .where(and(...conditions)))
    if (targets.length === 0) return 0
    const now = Date.now()
    for (let i = 0; i < targets.length; i += 500) {
      await execute(tx.update(signatures)
        .set({ status: 'invalidated', invalidatedAt: now, invalidationReason: reason, tokenHash: null, tokenExpiresAt: null })
        .where(inArray(signatures.id, targets.slice(i, i + 500).map((t) => t.id))))
    }
    const confirmed = targets.filter((t) => t.status === 'confirmed')
    const pending = targets.length - confirmed.length
    const byCountry = new Map<string, number>()
    for (const t of confirmed) byCountry.set(t.country, (byCountry.get(t.country) ?? 0) + 1)
    await takeBackSignatureCounters(tx, { campaignId, confirmed: confirmed.length, pending, byCountry, now })
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'signatures.invalidate',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { filter, reason, invalidated: targets.length, confirmed: confirmed.length, pending },
    })
    return targets.length
  })
  if (changed) purgePublicPages()
  return changed
}

// ——— Dashboard and exports ———

/** Signatures per day (by signing date) and how many of them were confirmed. */
export async function signaturesPerDay(db: Handle, { campaignId, days = 30, now = Date.now() }: { campaignId: number; days?: number; now?: number }) {
  const since = dayStart(new Date(now - (days - 1) * 86_400_000).toISOString().slice(0, 10))
  const rows = await allRows(db
    .select({
      day: utcDay(db, signatures.createdAt),
      confirmed: sql<number>`sum(case when ${signatures.status} = 'confirmed' then 1 else 0 end)`,
      pending: sql<number>`sum(case when ${signatures.status} = 'pending' then 1 else 0 end)`,
    })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), gte(signatures.createdAt, since)))
    .groupBy(sql`1`))
  const byDay = new Map(rows.map((r) => [r.day, r]))
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(since + i * 86_400_000).toISOString().slice(0, 10)
    const row = byDay.get(day)
    return { day, confirmed: Number(row?.confirmed ?? 0), pending: Number(row?.pending ?? 0) }
  })
}

export async function signatureTotals(db: Handle, { campaignId }: { campaignId: number }) {
  const { confirmed, pending } = await getSignatureCounters(db, campaignId)
  return { confirmed, pending, conversion: confirmed + pending > 0 ? confirmed / (confirmed + pending) : null }
}

/**
 * Confirmed signatures in id order, a page at a time, for streaming exports, opened (a page of a
 * thousand envelopes is a few milliseconds of CPU). Addresses are opened only when asked for.
 */
export async function exportBatch(
  db: Handle,
  { campaignId, after, limit = 1000, withEmails = false }: { campaignId: number; after: number; limit?: number; withEmails?: boolean },
) {
  const rows = await allRows(db
    .select({
      id: signatures.id,
      sealed: signatures.sealed,
      supporterSealed: supporters.sealed,
      country: signatures.country,
      confirmedAt: signatures.confirmedAt,
      anonymisedAt: signatures.anonymisedAt,
    })
    .from(signatures)
    .leftJoin(supporters, supporterOfSignature)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'confirmed'), sql`${signatures.id} > ${after}`))
    .orderBy(asc(signatures.id))
    .limit(limit))
  return rows.map(({ sealed, supporterSealed, ...row }) => ({ ...row, ...openedSigner(sealed, withEmails ? supporterSealed : null) }))
}

export async function countryCountsForExport(db: Handle, { campaignId }: { campaignId: number }) {
  return listCountryCounters(db, campaignId)
}
