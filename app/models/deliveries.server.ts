import { and, asc, desc, eq } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { campaignMilestones, campaignTargets, campaignTranslations, deliveries, updates, updateTranslations, type DeliveryMethod, type Locale } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatNumber, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { removeStoredImage } from '~/utils/uploads.server.ts'
import { recordAudit } from './audit.server.ts'
import { getCountLogHead } from './count-log.server.ts'
import { getSignatureCounters } from './counters.server.ts'
import { listPublicTargets } from './targets.server.ts'

/**
 * Deliveries of the petition (issue 17): to whom, when, how. A delivery's public face is a
 * published timeline entry of kind 'delivery', written in the same transaction in every
 * language the campaign has, with the count it carried; the team edits that text afterwards
 * in the timeline editor. Deleting the entry deletes the delivery (a cascade), and the other way round.
 */

export type DeliveryInput = {
  targetId?: number
  recipient: string
  deliveredOn: string
  method: DeliveryMethod
  milestoneId?: number
  notes: Record<Locale, string>
}

export async function listDeliveriesForAdmin(db: Handle, { campaignId }: { campaignId: number }) {
  return allRows(db
    .select({
      id: deliveries.id,
      recipient: deliveries.recipient,
      deliveredOn: deliveries.deliveredOn,
      method: deliveries.method,
      confirmedCount: deliveries.confirmedCount,
      countLogSeq: deliveries.countLogSeq,
      updateId: deliveries.updateId,
      milestone: campaignMilestones.threshold,
    })
    .from(deliveries)
    .leftJoin(campaignMilestones, eq(campaignMilestones.id, deliveries.milestoneId))
    .where(eq(deliveries.campaignId, campaignId))
    .orderBy(desc(deliveries.deliveredOn), desc(deliveries.id)))
}

/** What the form offers: the campaign's targets (by name) and milestones (by threshold). */
export async function listDeliveryChoices(db: Handle, { campaignId, lang, defaultLocale }: { campaignId: number; lang: Language; defaultLocale: Locale }) {
  const [targets, milestones] = await Promise.all([
    listPublicTargets(db, { campaignId, lang, defaultLocale }),
    allRows(db
      .select({ id: campaignMilestones.id, threshold: campaignMilestones.threshold })
      .from(campaignMilestones)
      .where(eq(campaignMilestones.campaignId, campaignId))
      .orderBy(asc(campaignMilestones.threshold))),
  ])
  return { targets: targets.map((target) => ({ id: target.id, name: target.name.value })), milestones }
}

/** Whether an optional target and milestone belong to this campaign (ids come from a form). */
export async function checkChoices(tx: Handle, { campaignId, targetId, milestoneId }: { campaignId: number; targetId?: number; milestoneId?: number }) {
  if (targetId !== undefined) {
    const target = await firstRow(tx.select({ id: campaignTargets.id }).from(campaignTargets).where(and(eq(campaignTargets.id, targetId), eq(campaignTargets.campaignId, campaignId))))
    if (!target) return 'bad-target' as const
  }
  if (milestoneId !== undefined) {
    const milestone = await firstRow(tx
      .select({ id: campaignMilestones.id })
      .from(campaignMilestones)
      .where(and(eq(campaignMilestones.id, milestoneId), eq(campaignMilestones.campaignId, campaignId))))
    if (!milestone) return 'bad-milestone' as const
  }
  return 'ok' as const
}

/** The languages a campaign is written in (its texts), else its default one. */
export async function campaignLocales(tx: Handle, { campaignId, defaultLocale }: { campaignId: number; defaultLocale: Locale }): Promise<Locale[]> {
  const rows = await allRows(tx.select({ locale: campaignTranslations.locale }).from(campaignTranslations).where(eq(campaignTranslations.campaignId, campaignId)))
  return rows.length > 0 ? rows.map((r) => r.locale) : [defaultLocale]
}

/** The timeline entry's text in one language: "Delivered to …, by email", the count, and the team's note. */
function entryText(locale: Locale, { recipient, method, confirmed, note }: { recipient: string; method: DeliveryMethod; confirmed: number; note: string }) {
  const t = getT(locale)
  return {
    title: t('deliveries.entryTitle', { recipient, method: t(`deliveries.methods.${method}`) }),
    bodyMd: [t('deliveries.entryCount', { count: confirmed, n: formatNumber(confirmed, locale) }), note].filter(Boolean).join('\n\n'),
  }
}

export type RecordDeliveryResult = { status: 'recorded'; deliveryId: number; updateId: number } | { status: 'bad-target' | 'bad-milestone' }

export async function recordDelivery(db: Handle, {
  actorId,
  campaignId,
  defaultLocale,
  input,
  now = Date.now(),
}: {
  actorId: number
  campaignId: number
  defaultLocale: Locale
  input: DeliveryInput
  now?: number
}): Promise<RecordDeliveryResult> {
  const result = await transaction(db, async (tx: Tx): Promise<RecordDeliveryResult> => {
    const checked = await checkChoices(tx, { campaignId, targetId: input.targetId, milestoneId: input.milestoneId })
    if (checked !== 'ok') return { status: checked }
    // What the packet carried: the count now, and the count log's head (null before the first entry).
    const { confirmed } = await getSignatureCounters(tx, campaignId)
    const head = await getCountLogHead(tx, { campaignId })
    const entry = await firstRow(tx
      .insert(updates)
      .values({ campaignId, happenedOn: input.deliveredOn, authorId: actorId, publishedAt: now, kind: 'delivery' })
      .returning({ id: updates.id }))
    // The campaign's languages, and any other one the team wrote a note in.
    const locales = new Set([...(await campaignLocales(tx, { campaignId, defaultLocale })), ...LANGUAGES.filter((l) => input.notes[l])])
    for (const locale of locales) {
      const text = entryText(locale, { recipient: input.recipient, method: input.method, confirmed, note: input.notes[locale] })
      await execute(tx.insert(updateTranslations).values({ updateId: entry.id, locale, ...text }))
    }
    const delivery = await firstRow(tx
      .insert(deliveries)
      .values({
        campaignId,
        targetId: input.targetId ?? null,
        recipient: input.recipient,
        deliveredOn: input.deliveredOn,
        method: input.method,
        milestoneId: input.milestoneId ?? null,
        confirmedCount: confirmed,
        countLogSeq: head?.seq ?? null,
        updateId: entry.id,
        createdBy: actorId,
      })
      .returning({ id: deliveries.id }))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'delivery.record',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { title: input.recipient, deliveryId: delivery.id, updateId: entry.id, deliveredOn: input.deliveredOn, method: input.method, confirmedCount: confirmed },
    })
    return { status: 'recorded', deliveryId: delivery.id, updateId: entry.id }
  })
  if (result.status === 'recorded') purgePublicPages()
  return result
}

/** Delete a delivery and its timeline entry. False when it is not this campaign's. */
export async function deleteDelivery(db: Handle, { actorId, campaignId, deliveryId }: { actorId: number; campaignId: number; deliveryId: number }) {
  const deleted = await transaction(db, async (tx) => {
    const delivery = await firstRow(tx
      .select({ recipient: deliveries.recipient, updateId: deliveries.updateId })
      .from(deliveries)
      .where(and(eq(deliveries.id, deliveryId), eq(deliveries.campaignId, campaignId))))
    if (!delivery) return null
    await execute(tx.delete(deliveries).where(eq(deliveries.id, deliveryId)))
    const [entry] = await allRows(tx.delete(updates).where(eq(updates.id, delivery.updateId)).returning({ imagePath: updates.imagePath }))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'delivery.delete',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { title: delivery.recipient, deliveryId, updateId: delivery.updateId },
    })
    return { imagePath: entry?.imagePath ?? null }
  })
  if (!deleted) return false
  purgePublicPages()
  // An image the team added to the entry in the timeline editor.
  await removeStoredImage(deleted.imagePath)
  return true
}
