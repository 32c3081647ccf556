import { and, eq } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { organizers, updates, updateSends, updateTranslations, type Locale } from '#db/schema.ts'
import { recordAudit } from './audit.server.ts'
import { queueEmail } from './outbox.server.ts'
import { allRows, firstRow } from '#db/query.server.ts'

/**
 * The organiser's side of emailing an update: what the send page shows about the
 * update, and the test email an organiser sends to themself before the real send
 * (app/models/update-sends.server.ts).
 */
export async function getUpdateForCompose(db: Handle, { campaignId, updateId }: { campaignId: number; updateId: number }) {
  const update = await firstRow(db
    .select()
    .from(updates)
    .where(and(eq(updates.id, updateId), eq(updates.campaignId, campaignId))))
  if (!update) return null
  const translations = await allRows(db
    .select({ locale: updateTranslations.locale, title: updateTranslations.title })
    .from(updateTranslations)
    .where(eq(updateTranslations.updateId, updateId)))
  const send =
    await firstRow(db
      .select({ recipients: updateSends.recipients, audience: updateSends.audience, createdAt: updateSends.createdAt, createdBy: organizers.name })
      .from(updateSends)
      .leftJoin(organizers, eq(organizers.id, updateSends.createdBy))
      .where(eq(updateSends.updateId, updateId))) ?? null
  return { ...update, translations, send }
}

/**
 * Queue one copy of the update, in `locale`, to the organiser's own address. It goes
 * through the outbox like any email (demo mode: captured there), marked as a test in its
 * subject, with stand-in unsubscribe links.
 */
export async function queueUpdateTest(
  db: Handle,
  {
    organizer,
    campaignId,
    updateId,
    locale,
  }: {
    organizer: { id: number; email: string }
    campaignId: number
    updateId: number
    locale: Locale
  },
) {
  return transaction(db, async (tx) => {
    const update = await firstRow(tx.select({ id: updates.id }).from(updates).where(and(eq(updates.id, updateId), eq(updates.campaignId, campaignId))))
    if (!update) return false
    const queued = await queueEmail(tx, {
      template: 'campaign-update',
      to: organizer.email,
      locale,
      props: { updateId, test: true },
      idempotencyKey: `update:${updateId}:test:${organizer.id}:${Date.now()}`,
      campaignId,
    })
    if (queued) await recordAudit(tx, { organizerId: organizer.id, action: 'update.test_send', subjectType: 'update', subjectId: updateId, details: { campaignId, locale } })
    return queued
  })
}
