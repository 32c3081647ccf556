import { and, desc, eq, inArray } from 'drizzle-orm'
import { getDb } from '#db/client.server.ts'
import { updates, updateTranslations, type Locale } from '#db/schema.ts'
import { purgePublicPages } from '~/services/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'

/** Timeline entries are `updates` rows published at once; emailing them comes with supporter updates. */
export async function listTimelineForAdmin({ campaignId }: { campaignId: number }) {
  const db = getDb()
  const entries = db
    .select()
    .from(updates)
    .where(eq(updates.campaignId, campaignId))
    .orderBy(desc(updates.happenedOn), desc(updates.id))
    .all()
  const texts = entries.length
    ? db.select().from(updateTranslations).where(inArray(updateTranslations.updateId, entries.map((e) => e.id))).all()
    : []
  return entries.map((e) => ({ ...e, translations: texts.filter((t) => t.updateId === e.id) }))
}

export async function getTimelineEntry({ campaignId, entryId }: { campaignId: number; entryId: number }) {
  const db = getDb()
  const entry = db
    .select()
    .from(updates)
    .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId)))
    .get()
  if (!entry) return null
  const translations = db.select().from(updateTranslations).where(eq(updateTranslations.updateId, entryId)).all()
  return { ...entry, translations }
}

export type TimelineEntryInput = { happenedOn: string; locale: Locale; title: string; bodyMd: string }

export async function createTimelineEntry({
  actorId,
  campaignId,
  input,
}: {
  actorId: number
  campaignId: number
  input: TimelineEntryInput
}) {
  const db = getDb()
  const id = db.transaction((tx) => {
    const now = Date.now()
    const entry = tx
      .insert(updates)
      .values({ campaignId, happenedOn: input.happenedOn, authorId: actorId, publishedAt: now })
      .returning({ id: updates.id })
      .get()
    tx.insert(updateTranslations)
      .values({ updateId: entry.id, locale: input.locale, title: input.title, bodyMd: input.bodyMd })
      .run()
    recordAudit(tx, {
      organizerId: actorId,
      action: 'timeline.create',
      subjectType: 'update',
      subjectId: entry.id,
      details: { campaignId, happenedOn: input.happenedOn, locale: input.locale, title: input.title },
    })
    return entry.id
  })
  purgePublicPages()
  return id
}

/** Change the date and one language's text of an entry (adds that language if new). */
export async function saveTimelineEntry({
  actorId,
  campaignId,
  entryId,
  input,
}: {
  actorId: number
  campaignId: number
  entryId: number
  input: TimelineEntryInput
}) {
  const db = getDb()
  const saved = db.transaction((tx) => {
    const entry = tx
      .select()
      .from(updates)
      .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId)))
      .get()
    if (!entry) return false
    tx.update(updates).set({ happenedOn: input.happenedOn, updatedAt: Date.now() }).where(eq(updates.id, entryId)).run()
    tx.insert(updateTranslations)
      .values({ updateId: entryId, locale: input.locale, title: input.title, bodyMd: input.bodyMd })
      .onConflictDoUpdate({
        target: [updateTranslations.updateId, updateTranslations.locale],
        set: { title: input.title, bodyMd: input.bodyMd },
      })
      .run()
    recordAudit(tx, {
      organizerId: actorId,
      action: 'timeline.update',
      subjectType: 'update',
      subjectId: entryId,
      details: { campaignId, happenedOn: input.happenedOn, locale: input.locale, title: input.title },
    })
    return true
  })
  if (saved) purgePublicPages()
  return saved
}

export async function deleteTimelineEntry({
  actorId,
  campaignId,
  entryId,
}: {
  actorId: number
  campaignId: number
  entryId: number
}) {
  const db = getDb()
  const deleted = db.transaction((tx) => {
    const result = tx
      .delete(updates)
      .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId)))
      .run()
    if (result.changes === 0) return false
    recordAudit(tx, { organizerId: actorId, action: 'timeline.delete', subjectType: 'update', subjectId: entryId, details: { campaignId } })
    return true
  })
  if (deleted) purgePublicPages()
  return deleted
}
