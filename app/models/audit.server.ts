import { desc, eq, inArray, lt } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { auditLog, organizers, type Locale } from '#db/schema.ts'
import { campaignTitleFor } from './campaigns.server.ts'
import { execute } from '#db/query.server.ts'

export type AuditInput = {
  organizerId: number | null
  action: string
  subjectType: string
  subjectId?: string | number | null
  details?: Record<string, unknown>
}

/** Write an audit entry, inside the transaction that makes the change. */
export async function recordAudit(tx: Tx, input: AuditInput) {
  await execute(tx.insert(auditLog)
    .values({
      organizerId: input.organizerId,
      action: input.action,
      subjectType: input.subjectType,
      subjectId: input.subjectId == null ? null : String(input.subjectId),
      details: input.details ?? null,
    }))
}

export async function listAuditEntries(db: Handle, { before, limit = 50 }: { before?: number; limit?: number }) {
  const rows = await db
    .select({
      id: auditLog.id,
      action: auditLog.action,
      subjectType: auditLog.subjectType,
      subjectId: auditLog.subjectId,
      details: auditLog.details,
      createdAt: auditLog.createdAt,
      organizerName: organizers.name,
    })
    .from(auditLog)
    .leftJoin(organizers, eq(auditLog.organizerId, organizers.id))
    .where(before ? lt(auditLog.id, before) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(limit + 1)
  const entries = rows.slice(0, limit)
  return { entries, nextBefore: rows.length > limit ? rows[limit - 1]!.id : null }
}

/**
 * The entries with what a sentence about each needs: the campaign's title (the subject, or the
 * campaign in the details) and the name of the organiser an entry is about. Owners only read
 * the log (ADR 011); nothing here is a supporter's.
 */
export async function listAuditSentences(db: Handle, { before, limit = 50, lang }: { before?: number; limit?: number; lang: Locale }) {
  const { entries, nextBefore } = await listAuditEntries(db, { before, limit })
  const campaignOf = (e: (typeof entries)[number]) => {
    const id = e.subjectType === 'campaign' ? Number(e.subjectId) : Number(e.details?.campaignId)
    return Number.isInteger(id) && id > 0 ? id : null
  }
  const titles = new Map<number, string>()
  for (const id of new Set(entries.map(campaignOf).filter((id): id is number => id !== null))) titles.set(id, await campaignTitleFor(db, id, lang))
  const organizerIds = [...new Set(entries.flatMap((e) => (e.subjectType === 'organizer' && e.subjectId ? [Number(e.subjectId)] : [])))]
  const names = new Map(
    organizerIds.length ? (await db.select({ id: organizers.id, name: organizers.name }).from(organizers).where(inArray(organizers.id, organizerIds))).map((o) => [o.id, o.name]) : [],
  )
  return {
    entries: entries.map((e) => {
      const campaignId = campaignOf(e)
      return {
        ...e,
        campaignTitle: campaignId === null ? null : (titles.get(campaignId) ?? null),
        subjectName: e.subjectType === 'organizer' && e.subjectId ? (names.get(Number(e.subjectId)) ?? null) : null,
      }
    }),
    nextBefore,
  }
}

/** Exports of supporter data are changes of a kind too: who took what, when. */
export async function recordExport(
  db: Handle,
  { organizerId, campaignId, kind, withEmails, withNames, of = 'signatures', filter }: { organizerId: number; campaignId: number; kind: string; withEmails: boolean; withNames?: boolean; of?: 'signatures' | 'donations'; filter?: Record<string, unknown> },
) {
  // `withNames` only for at-risk campaigns, where names leave only when an owner chooses them.
  await transaction(db, (tx) => recordAudit(tx, { organizerId, action: `${of}.export`, subjectType: 'campaign', subjectId: campaignId, details: { kind, withEmails, ...(withNames === undefined ? {} : { withNames }), ...(filter ? { filter } : {}) } }))
}
