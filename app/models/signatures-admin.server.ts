import { and, asc, count, desc, eq, gte, inArray, isNull, like, lt, or, sql, type SQL } from 'drizzle-orm'
import { getDb } from '#db/client.server.ts'
import {
  campaignCounters,
  countryCounters,
  organizers,
  replies,
  signatures,
  supporters,
  type SignatureStatus,
} from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { recordAudit } from './audit.server.ts'

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
export async function listSignatures({
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
}) {
  const conditions = filterConditions(campaignId, filter, searchEmails)
  if (before) conditions.push(lt(signatures.id, before))
  const rows = getDb()
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
    .limit(limit + 1)
    .all()
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

export async function previewInvalidation({ campaignId, filter }: { campaignId: number; filter: InvalidationFilter }) {
  const conditions = invalidationConditions(campaignId, filter)
  if (!conditions) return 0
  return (
    getDb()
      .select({ n: count() })
      .from(signatures)
      .leftJoin(supporters, supporterOfSignature)
      .where(and(...conditions))
      .get()?.n ?? 0
  )
}

/** Invalidate matching signatures; counters, country counts and the audit log move in the same transaction. */
export async function invalidateSignatures({
  actorId,
  campaignId,
  filter,
  reason,
}: {
  actorId: number
  campaignId: number
  filter: InvalidationFilter
  reason: string
}) {
  const conditions = invalidationConditions(campaignId, filter)
  if (!conditions) return 0
  const db = getDb()
  const changed = db.transaction(
    (tx) => {
      const targets = tx
        .select({ id: signatures.id, status: signatures.status, country: signatures.country })
        .from(signatures)
        .leftJoin(supporters, supporterOfSignature)
        .where(and(...conditions))
        .all()
      if (targets.length === 0) return 0
      const now = Date.now()
      for (let i = 0; i < targets.length; i += 500) {
        tx.update(signatures)
          .set({ status: 'invalidated', invalidatedAt: now, invalidationReason: reason, tokenHash: null, tokenExpiresAt: null })
          .where(inArray(signatures.id, targets.slice(i, i + 500).map((t) => t.id)))
          .run()
      }
      const confirmed = targets.filter((t) => t.status === 'confirmed')
      const pending = targets.length - confirmed.length
      tx.update(campaignCounters)
        .set({
          confirmed: sql`${campaignCounters.confirmed} - ${confirmed.length}`,
          pending: sql`${campaignCounters.pending} - ${pending}`,
          updatedAt: now,
        })
        .where(eq(campaignCounters.campaignId, campaignId))
        .run()
      const byCountry = new Map<string, number>()
      for (const t of confirmed) byCountry.set(t.country, (byCountry.get(t.country) ?? 0) + 1)
      for (const [country, n] of byCountry) {
        tx.update(countryCounters)
          .set({ confirmed: sql`${countryCounters.confirmed} - ${n}` })
          .where(and(eq(countryCounters.campaignId, campaignId), eq(countryCounters.country, country)))
          .run()
      }
      recordAudit(tx, {
        organizerId: actorId,
        action: 'signatures.invalidate',
        subjectType: 'campaign',
        subjectId: campaignId,
        details: { filter, reason, invalidated: targets.length, confirmed: confirmed.length, pending },
      })
      return targets.length
    },
    { behavior: 'immediate' },
  )
  if (changed) purgePublicPages()
  return changed
}

// ——— Messages of support ———

function repliesTo(signatureIds: number[]) {
  if (signatureIds.length === 0) return []
  return getDb()
    .select({ signatureId: replies.signatureId, body: replies.body, createdAt: replies.createdAt, author: organizers.name })
    .from(replies)
    .leftJoin(organizers, eq(organizers.id, replies.organizerId))
    .where(inArray(replies.signatureId, signatureIds))
    .orderBy(asc(replies.id))
    .all()
}

export async function listMessagesForModeration({ campaignId, status }: { campaignId: number; status: 'pending' | 'approved' | 'rejected' }) {
  const db = getDb()
  const rows = db
    .select({
      id: signatures.id,
      firstName: signatures.firstName,
      lastName: signatures.lastName,
      country: signatures.country,
      message: signatures.message,
      signatureStatus: signatures.status,
      createdAt: signatures.createdAt,
    })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.messageStatus, status)))
    .orderBy(status === 'pending' ? asc(signatures.id) : desc(signatures.id))
    .limit(100)
    .all()
  const answers = repliesTo(rows.map((r) => r.id))
  return rows.map((r) => ({ ...r, replies: answers.filter((a) => a.signatureId === r.id) }))
}

export async function moderateMessage({
  actorId,
  campaignId,
  signatureId,
  decision,
}: {
  actorId: number
  campaignId: number
  signatureId: number
  decision: 'approved' | 'rejected'
}) {
  const db = getDb()
  const changed = db.transaction((tx) => {
    const result = tx
      .update(signatures)
      .set({ messageStatus: decision })
      .where(and(eq(signatures.id, signatureId), eq(signatures.campaignId, campaignId), sql`${signatures.message} is not null`))
      .run()
    if (result.changes === 0) return false
    recordAudit(tx, { organizerId: actorId, action: `message.${decision === 'approved' ? 'approve' : 'reject'}`, subjectType: 'signature', subjectId: signatureId, details: { campaignId } })
    return true
  })
  if (changed) purgePublicPages()
  return changed
}

export async function replyToMessage({
  actorId,
  campaignId,
  signatureId,
  body,
}: {
  actorId: number
  campaignId: number
  signatureId: number
  body: string
}) {
  const db = getDb()
  const done = db.transaction((tx) => {
    const target = tx
      .select({ id: signatures.id })
      .from(signatures)
      .where(and(eq(signatures.id, signatureId), eq(signatures.campaignId, campaignId), sql`${signatures.message} is not null`))
      .get()
    if (!target) return false
    tx.insert(replies).values({ signatureId, organizerId: actorId, body }).run()
    // Answering a message is approving it.
    tx.update(signatures).set({ messageStatus: 'approved' }).where(eq(signatures.id, signatureId)).run()
    recordAudit(tx, { organizerId: actorId, action: 'message.reply', subjectType: 'signature', subjectId: signatureId, details: { campaignId } })
    return true
  })
  if (done) purgePublicPages()
  return done
}

/** Approved messages of confirmed signers for the campaign page, with the team's replies. */
export async function listPublicMessages({ campaignId, limit = 10 }: { campaignId: number; limit?: number }) {
  const db = getDb()
  const rows = db
    .select({
      id: signatures.id,
      firstName: signatures.firstName,
      lastName: signatures.lastName,
      showName: signatures.showName,
      country: signatures.country,
      message: signatures.message,
    })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.messageStatus, 'approved'), eq(signatures.status, 'confirmed')))
    .orderBy(desc(signatures.id))
    .limit(limit)
    .all()
  const answers = repliesTo(rows.map((r) => r.id))
  return rows.map((r) => ({
    id: r.id,
    name: r.showName ? `${r.firstName} ${Array.from(r.lastName)[0] ?? ''}.` : null,
    country: r.country,
    message: r.message ?? '',
    replies: answers.filter((a) => a.signatureId === r.id).map((a) => a.body),
  }))
}

// ——— Dashboard and exports ———

/** Signatures per day (by signing date) and how many of them were confirmed. */
export async function signaturesPerDay({ campaignId, days = 30, now = Date.now() }: { campaignId: number; days?: number; now?: number }) {
  const since = dayStart(new Date(now - (days - 1) * 86_400_000).toISOString().slice(0, 10))
  const rows = getDb()
    .select({
      day: sql<string>`strftime('%Y-%m-%d', ${signatures.createdAt} / 1000, 'unixepoch')`,
      confirmed: sql<number>`sum(case when ${signatures.status} = 'confirmed' then 1 else 0 end)`,
      pending: sql<number>`sum(case when ${signatures.status} = 'pending' then 1 else 0 end)`,
    })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), gte(signatures.createdAt, since)))
    .groupBy(sql`1`)
    .all()
  const byDay = new Map(rows.map((r) => [r.day, r]))
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(since + i * 86_400_000).toISOString().slice(0, 10)
    const row = byDay.get(day)
    return { day, confirmed: Number(row?.confirmed ?? 0), pending: Number(row?.pending ?? 0) }
  })
}

export async function signatureTotals({ campaignId }: { campaignId: number }) {
  const row = getDb().select().from(campaignCounters).where(eq(campaignCounters.campaignId, campaignId)).get()
  const confirmed = row?.confirmed ?? 0
  const pending = row?.pending ?? 0
  return { confirmed, pending, conversion: confirmed + pending > 0 ? confirmed / (confirmed + pending) : null }
}

/** Confirmed signatures in id order, a page at a time, for streaming exports. */
export function exportBatch({ campaignId, after, limit = 1000 }: { campaignId: number; after: number; limit?: number }) {
  return getDb()
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
    .limit(limit)
    .all()
}

export async function countryCountsForExport({ campaignId }: { campaignId: number }) {
  return getDb()
    .select({ country: countryCounters.country, confirmed: countryCounters.confirmed })
    .from(countryCounters)
    .where(and(eq(countryCounters.campaignId, campaignId), gte(countryCounters.confirmed, 1)))
    .orderBy(desc(countryCounters.confirmed))
    .all()
}
