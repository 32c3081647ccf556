import { desc, eq, lt } from 'drizzle-orm'
import { getDb, type DB } from '#db/client.server.ts'
import { auditLog, organizers } from '#db/schema.ts'

type Tx = Pick<DB, 'insert'>

export type AuditInput = {
  organizerId: number | null
  action: string
  subjectType: string
  subjectId?: string | number | null
  details?: Record<string, unknown>
}

/** Write an audit entry; call it inside the transaction that makes the change. */
export function recordAudit(tx: Tx, input: AuditInput) {
  tx.insert(auditLog)
    .values({
      organizerId: input.organizerId,
      action: input.action,
      subjectType: input.subjectType,
      subjectId: input.subjectId == null ? null : String(input.subjectId),
      details: input.details ?? null,
    })
    .run()
}

export async function listAuditEntries({ before, limit = 50 }: { before?: number; limit?: number }) {
  const db = getDb()
  const rows = db
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
    .all()
  return { entries: rows.slice(0, limit), nextBefore: rows.length > limit ? rows[limit - 1]!.id : null }
}

/** Exports of supporter data are changes of a kind too: who took what, when. */
export async function recordExport({
  organizerId,
  campaignId,
  kind,
  withEmails,
  of = 'signatures',
  filter,
}: {
  organizerId: number
  campaignId: number
  kind: string
  withEmails: boolean
  of?: 'signatures' | 'donations'
  filter?: Record<string, unknown>
}) {
  recordAudit(getDb(), { organizerId, action: `${of}.export`, subjectType: 'campaign', subjectId: campaignId, details: { kind, withEmails, ...(filter ? { filter } : {}) } })
}
