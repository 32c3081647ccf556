import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { organizers, replies, signatures } from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'
import { openReply, openSignature, sealReply } from './personal-data.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * Messages of support: what a signer wrote with their signature. A message waits for an
 * organiser (`pending`), who approves or rejects it, and may answer it in the team's name
 * (answering approves). The campaign page shows approved messages of confirmed signers.
 * Messages, names and replies are sealed (ADR 017): opened here, one envelope per row; a
 * signature has a message exactly when its `message_status` is set.
 */

async function repliesTo(db: Handle, signatureIds: number[]) {
  if (signatureIds.length === 0) return []
  const rows = await allRows(db
    .select({ signatureId: replies.signatureId, sealed: replies.sealed, createdAt: replies.createdAt, author: organizers.name })
    .from(replies)
    .leftJoin(organizers, eq(organizers.id, replies.organizerId))
    .where(inArray(replies.signatureId, signatureIds))
    .orderBy(asc(replies.id)))
  return rows.map(({ sealed, ...reply }) => ({ ...reply, body: openReply(sealed)?.body ?? '' }))
}

export async function listMessagesForModeration(db: Handle, { campaignId, status }: { campaignId: number; status: 'pending' | 'approved' | 'rejected' }) {
  const rows = await allRows(db
    .select({
      id: signatures.id,
      sealed: signatures.sealed,
      country: signatures.country,
      signatureStatus: signatures.status,
      createdAt: signatures.createdAt,
    })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.messageStatus, status)))
    .orderBy(status === 'pending' ? asc(signatures.id) : desc(signatures.id))
    .limit(100))
  const answers = await repliesTo(
    db,
    rows.map((r) => r.id),
  )
  return rows.map(({ sealed, ...r }) => {
    const opened = openSignature(sealed)
    return {
      ...r,
      firstName: opened?.firstName ?? '',
      lastName: opened?.lastName ?? '',
      message: opened?.message ?? '',
      replies: answers.filter((a) => a.signatureId === r.id),
    }
  })
}

export async function moderateMessage(
  db: Handle,
  {
    actorId,
    campaignId,
    signatureId,
    decision,
  }: {
    actorId: number
    campaignId: number
    signatureId: number
    decision: 'approved' | 'rejected'
  },
) {
  const changed = await transaction(db, async (tx) => {
    const result = await execute(tx
      .update(signatures)
      .set({ messageStatus: decision })
      .where(and(eq(signatures.id, signatureId), eq(signatures.campaignId, campaignId), isNotNull(signatures.messageStatus))))
    if (result.changes === 0) return false
    await recordAudit(tx, { organizerId: actorId, action: `message.${decision === 'approved' ? 'approve' : 'reject'}`, subjectType: 'signature', subjectId: signatureId, details: { campaignId } })
    return true
  })
  if (changed) purgePublicPages()
  return changed
}

export async function replyToMessage(
  db: Handle,
  {
    actorId,
    campaignId,
    signatureId,
    body,
  }: {
    actorId: number
    campaignId: number
    signatureId: number
    body: string
  },
) {
  const done = await transaction(db, async (tx) => {
    const target = await firstRow(tx
      .select({ id: signatures.id })
      .from(signatures)
      .where(and(eq(signatures.id, signatureId), eq(signatures.campaignId, campaignId), isNotNull(signatures.messageStatus))))
    if (!target) return false
    await execute(tx.insert(replies).values({ signatureId, organizerId: actorId, ...sealReply({ body }) }))
    // Answering a message is approving it.
    await execute(tx.update(signatures).set({ messageStatus: 'approved' }).where(eq(signatures.id, signatureId)))
    await recordAudit(tx, { organizerId: actorId, action: 'message.reply', subjectType: 'signature', subjectId: signatureId, details: { campaignId } })
    return true
  })
  if (done) purgePublicPages()
  return done
}

/** Approved messages of confirmed signers for the campaign page, with the team's replies. */
export async function listPublicMessages(db: Handle, { campaignId, limit = 10 }: { campaignId: number; limit?: number }) {
  const rows = await allRows(db
    .select({
      id: signatures.id,
      sealed: signatures.sealed,
      showName: signatures.showName,
      country: signatures.country,
    })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.messageStatus, 'approved'), eq(signatures.status, 'confirmed')))
    .orderBy(desc(signatures.id))
    .limit(limit))
  const answers = await repliesTo(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((r) => {
    const opened = openSignature(r.sealed)
    return {
      id: r.id,
      name: r.showName && opened ? `${opened.firstName} ${Array.from(opened.lastName)[0] ?? ''}.` : null,
      country: r.country,
      message: opened?.message ?? '',
      replies: answers.filter((a) => a.signatureId === r.id).map((a) => a.body),
    }
  })
}
