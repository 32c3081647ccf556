import { and, asc, count, desc, eq, gte, inArray, isNull, like, lt, or, sql, type SQL } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { utcDay } from '#db/sql/signatures.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { signatures, supporters, type SignatureStatus } from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { recordAudit } from './audit.server.ts'
import { getSignatureCounters, listCountryCounters, takeBackSignatureCounters } from './counters.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

export type SignatureFilter = {
  /** Part of a signer's name; for owners (searchEmails) also a whole email address. */
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

function escapeLike(value: string) {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function filterConditions(campaignId: number, filter: SignatureFilter, searchEmails: boolean): SQL[] {
  const conditions: SQL[] = [eq(signatures.campaignId, campaignId)]
  if (filter.status) conditions.push(eq(signatures.status, filter.status))
  if (filter.country) conditions.push(eq(signatures.country, filter.country))
  if (filter.from) conditions.push(gte(signatures.createdAt, dayStart(filter.from)))
  if (filter.to) conditions.push(lt(signatures.createdAt, dayEnd(filter.to)))
  const q = filter.q?.trim()
  if (q) {
    const pattern = `%${escapeLike(q.toLowerCase())}%`
    const byName = sql`lower(${signatures.firstName} || ' ' || ${signatures.lastName}) like ${pattern} escape '\\'`
    // Never a part of an address: a substring match let anyone who may search rebuild one a
    // character at a time. Owners, who may see addresses, find a signer by the whole of it.
    conditions.push(
      searchEmails && q.includes('@')
        ? or(byName, eq(supporters.emailNormalized, normalizeEmail(q)), sql`lower(${supporters.email}) = ${q.toLowerCase()}`)!
        : byName,
    )
  }
  return conditions
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
    /** Whether `filter.q` may match a whole email address (owners only). */
    searchEmails?: boolean
  },
) {
  const conditions = filterConditions(campaignId, filter, searchEmails)
  if (before) conditions.push(lt(signatures.id, before))
  const rows = await allRows(db
    .select({
      id: signatures.id,
      status: signatures.status,
      firstName: signatures.firstName,
      lastName: signatures.lastName,
      email: supporters.email,
      country: signatures.country,
      postalCode: signatures.postalCode,
      message: signatures.message,
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
  return { rows: rows.slice(0, limit), nextBefore: rows.length > limit ? rows[limit - 1]!.id : null }
}

/** What a bulk invalidation applies to: chosen rows, or everything matching an address hash or email domain in a time window. */
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
    // The table shows a prefix of the hash; organisers filter by what they can see.
    conditions.push(like(signatures.ipHash, `${escapeLike(filter.ipHash)}%`))
    narrowed = true
  }
  if (filter.emailDomain) {
    conditions.push(like(supporters.emailNormalized, `%@${escapeLike(filter.emailDomain.toLowerCase())}`))
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

/** Confirmed signatures in id order, a page at a time, for streaming exports. */
export async function exportBatch(db: Handle, { campaignId, after, limit = 1000 }: { campaignId: number; after: number; limit?: number }) {
  return await allRows(db
    .select({
      id: signatures.id,
      firstName: signatures.firstName,
      lastName: signatures.lastName,
      email: supporters.email,
      country: signatures.country,
      postalCode: signatures.postalCode,
      confirmedAt: signatures.confirmedAt,
      message: signatures.message,
      anonymisedAt: signatures.anonymisedAt,
    })
    .from(signatures)
    .leftJoin(supporters, supporterOfSignature)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'confirmed'), sql`${signatures.id} > ${after}`))
    .orderBy(asc(signatures.id))
    .limit(limit))
}

export async function countryCountsForExport(db: Handle, { campaignId }: { campaignId: number }) {
  return listCountryCounters(db, campaignId)
}
