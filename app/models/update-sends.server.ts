import { and, count, countDistinct, eq, gte } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { languageOrder } from '#db/language.server.ts'
import { campaigns, consents, emailBatches, emailMessages, organizations, updateSends, updates, updateTranslations, type Locale } from '#db/schema.ts'
import { audienceNamesAnyone, blockedMessageIds, countAudienceByLocale, snapshotUpdateSend, type Audience } from '#db/sql/mail.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { recordAudit } from './audit.server.ts'
import { campaignTitleFor } from './campaigns.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * Sending an update to supporters. Pressing Send snapshots the audience — supporters
 * whose latest `campaign_updates` consent for the campaign is granted, who are confirmed
 * signers and/or paying donors, and whose address is not suppressed — into one message
 * each and batches of at most 100, in one transaction (snapshotUpdateSend in db/sql/mail.server.ts). The batch sender then
 * claims whole batches (claimNextWork in app/models/outbox.server.ts).
 */
export type { Audience }

/** How many supporters a send would reach now, in all and per language. */
export async function countAudience(db: Handle, { campaignId, audience }: { campaignId: number; audience: Audience }) {
  const byLocale: Record<Locale, number> = { en: 0, de: 0, es: 0 }
  const rows = await countAudienceByLocale(db, { campaignId, audience })
  for (const row of rows) byLocale[row.locale] = row.n
  return { total: rows.reduce((sum, r) => sum + r.n, 0), byLocale }
}

export type StartSendResult = { status: 'started'; sendId: number; recipients: number } | { status: 'already-sent' | 'empty' | 'unpublished' }

/**
 * Snapshot the audience into messages and batches, in one transaction. An update is
 * sent at most once (a unique index on update_sends.update_id), so a second press of
 * Send, or two organisers pressing it at once, sends nothing more.
 */
export async function startUpdateSend(
  db: Handle,
  {
    updateId,
    campaignId,
    audience,
    organizerId,
  }: {
    updateId: number
    campaignId: number
    audience: Audience
    organizerId: number | null
  },
): Promise<StartSendResult> {
  if (!audienceNamesAnyone(audience)) return { status: 'empty' }
  return transaction(db, async (tx): Promise<StartSendResult> => {
    const update = await firstRow(tx.select({ id: updates.id, publishedAt: updates.publishedAt }).from(updates).where(and(eq(updates.id, updateId), eq(updates.campaignId, campaignId))))
    if (await firstRow(tx.select({ id: updateSends.id }).from(updateSends).where(eq(updateSends.updateId, updateId)))) return { status: 'already-sent' }
    // Drafts and scheduled updates are not on the campaign page yet, where the email leads.
    if (!update || update.publishedAt === null || update.publishedAt > Date.now()) return { status: 'unpublished' }
    const send = await firstRow(tx.insert(updateSends).values({ updateId, campaignId, audience, recipients: 0, createdBy: organizerId }).returning({ id: updateSends.id }))
    const recipients = await snapshotUpdateSend(tx, { sendId: send.id, updateId, campaignId, audience })
    if (recipients === 0) {
      await execute(tx.delete(updateSends).where(eq(updateSends.id, send.id)))
      return { status: 'empty' }
    }
    await execute(tx.update(updateSends).set({ recipients }).where(eq(updateSends.id, send.id)))
    await recordAudit(tx, { organizerId, action: 'update.send', subjectType: 'update', subjectId: updateId, details: { campaignId, audience, recipients } })
    return { status: 'started', sendId: send.id, recipients }
  })
}

/** Where a send stands, for the organiser's progress view. */
export async function getSendProgress(db: Handle, { updateId }: { updateId: number }) {
  const send = await firstRow(db.select().from(updateSends).where(eq(updateSends.updateId, updateId)))
  if (!send) return null
  const messages = await allRows(db
    .select({ status: emailMessages.status, delivery: emailMessages.deliveryStatus, n: count() })
    .from(emailMessages)
    .innerJoin(emailBatches, eq(emailBatches.id, emailMessages.batchId))
    .where(eq(emailBatches.sendId, send.id))
    .groupBy(emailMessages.status, emailMessages.deliveryStatus))
  const total = (predicate: (row: { status: string; delivery: string | null }) => boolean) => messages.filter(predicate).reduce((sum, r) => sum + r.n, 0)
  const sent = total((r) => r.status === 'sent' || r.status === 'captured')
  const failed = total((r) => r.status === 'failed')
  const unsubscribed =
    (await firstRow(db
      .select({ n: countDistinct(consents.supporterId) })
      .from(consents)
      .innerJoin(emailMessages, eq(emailMessages.supporterId, consents.supporterId))
      .innerJoin(emailBatches, and(eq(emailBatches.id, emailMessages.batchId), eq(emailBatches.sendId, send.id)))
      .where(and(eq(consents.purpose, 'campaign_updates'), eq(consents.campaignId, send.campaignId), eq(consents.granted, false), gte(consents.createdAt, send.createdAt)))))?.n ?? 0
  return {
    sendId: send.id,
    startedAt: send.createdAt,
    audience: send.audience,
    recipients: send.recipients,
    sent,
    failed,
    remaining: send.recipients - sent - failed,
    delivered: total((r) => r.delivery === 'delivered'),
    bounced: total((r) => r.delivery === 'bounced'),
    complained: total((r) => r.delivery === 'complained'),
    unsubscribed,
  }
}

// ——— The batch sender's side ———

/** Messages of a claimed batch that must not go out now: suppressed since, or consent withdrawn since. */
export async function blockedRecipients(db: Handle, { messageIds, campaignId }: { messageIds: number[]; campaignId: number }) {
  if (messageIds.length === 0) return new Set<number>()
  return new Set(await blockedMessageIds(db, { messageIds, campaignId }))
}

/** An update's texts for its email in `locale` (else the campaign's default language), with the campaign's. */
export async function getUpdateForEmail(db: Handle, { updateId, locale }: { updateId: number; locale: Locale }) {
  const update = await firstRow(db
    .select({
      title: updateTranslations.title,
      bodyMd: updateTranslations.bodyMd,
      lang: updateTranslations.locale,
      imagePath: updates.imagePath,
      imageAlt: updateTranslations.imageAlt,
      kind: updates.kind,
      campaignId: campaigns.id,
      campaignSlug: campaigns.slug,
      organizationName: organizations.name,
    })
    .from(updates)
    .innerJoin(campaigns, eq(campaigns.id, updates.campaignId))
    .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
    .innerJoin(updateTranslations, eq(updateTranslations.updateId, updates.id))
    .where(eq(updates.id, updateId))
    .orderBy(languageOrder(updateTranslations.locale, locale, campaigns.defaultLocale))
    .limit(1))
  return update ? { ...update, campaignTitle: await campaignTitleFor(db, update.campaignId, locale) } : null
}
