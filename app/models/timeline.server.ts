import { and, desc, eq, inArray } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { updates, updateSends, updateTranslations, type Locale } from '#db/schema.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { removeStoredImage } from '~/utils/uploads.server.ts'
import type { Publication } from '~/utils/schemas.ts'
import { recordAudit } from './audit.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * Timeline entries are `updates` rows: a date, texts per language, an optional image, and
 * a publication time. Null is a draft; a time in the future is scheduled, and the public
 * timeline shows the entry from then on (app/models/campaigns.server.ts). An entry can
 * also be emailed to supporters, once (app/models/update-sends.server.ts).
 */
export async function listTimelineForAdmin(db: Handle, { campaignId }: { campaignId: number }) {
  const entries = await allRows(db
    .select({ entry: updates, sentTo: updateSends.recipients })
    .from(updates)
    .leftJoin(updateSends, eq(updateSends.updateId, updates.id))
    .where(eq(updates.campaignId, campaignId))
    .orderBy(desc(updates.happenedOn), desc(updates.id)))
  const texts = entries.length
    ? await allRows(db.select().from(updateTranslations).where(inArray(updateTranslations.updateId, entries.map((e) => e.entry.id))))
    : []
  return entries.map(({ entry, sentTo }) => ({ ...entry, sentTo, translations: texts.filter((t) => t.updateId === entry.id) }))
}

/** Draft, scheduled or published, as of `now`. */
export function publicationState(publishedAt: number | null, now = Date.now()) {
  if (publishedAt === null) return 'draft' as const
  return publishedAt > now ? ('scheduled' as const) : ('published' as const)
}

export async function getTimelineEntry(db: Handle, { campaignId, entryId }: { campaignId: number; entryId: number }) {
  const entry = await firstRow(db
    .select()
    .from(updates)
    .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId))))
  if (!entry) return null
  const translations = await allRows(db.select().from(updateTranslations).where(eq(updateTranslations.updateId, entryId)))
  return { ...entry, translations }
}

export type TimelineEntryInput = { happenedOn: string; locale: Locale; title: string; bodyMd: string; imageAlt: string }

function publishedAtFor(publication: Publication, current: number | null, now: number) {
  if (publication.kind === 'draft') return null
  if (publication.kind === 'scheduled') return publication.at
  // "Now" keeps the first publication time of an entry that is already public.
  return current !== null && current <= now ? current : now
}

export async function createTimelineEntry(db: Handle, {
  actorId,
  campaignId,
  input,
}: {
  actorId: number
  campaignId: number
  input: TimelineEntryInput & { publication?: Publication }
}) {
  const id = await transaction(db, async (tx) => {
    const publishedAt = publishedAtFor(input.publication ?? { kind: 'now' }, null, Date.now())
    const entry = await firstRow(tx
      .insert(updates)
      .values({ campaignId, happenedOn: input.happenedOn, authorId: actorId, publishedAt })
      .returning({ id: updates.id }))
    await execute(tx.insert(updateTranslations)
      .values({ updateId: entry.id, locale: input.locale, title: input.title, bodyMd: input.bodyMd, imageAlt: input.imageAlt }))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'timeline.create',
      subjectType: 'update',
      subjectId: entry.id,
      details: { campaignId, happenedOn: input.happenedOn, locale: input.locale, title: input.title, publishedAt },
    })
    return entry.id
  })
  purgePublicPages()
  return id
}

/** Change the date and one language's text of an entry (adds that language if new). */
export async function saveTimelineEntry(db: Handle, {
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
  const saved = await transaction(db, async (tx) => {
    const entry = await firstRow(tx
      .select()
      .from(updates)
      .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId))))
    if (!entry) return false
    await execute(tx.update(updates).set({ happenedOn: input.happenedOn, updatedAt: Date.now() }).where(eq(updates.id, entryId)))
    const text = { title: input.title, bodyMd: input.bodyMd, imageAlt: input.imageAlt }
    await execute(tx.insert(updateTranslations)
      .values({ updateId: entryId, locale: input.locale, ...text })
      .onConflictDoUpdate({ target: [updateTranslations.updateId, updateTranslations.locale], set: text }))
    await recordAudit(tx, {
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

export async function deleteTimelineEntry(db: Handle, {
  actorId,
  campaignId,
  entryId,
}: {
  actorId: number
  campaignId: number
  entryId: number
}) {
  const deleted = await transaction(db, async (tx) => {
    const [row] = await allRows(tx
      .delete(updates)
      .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId)))
      .returning({ imagePath: updates.imagePath }))
    if (!row) return null
    await recordAudit(tx, { organizerId: actorId, action: 'timeline.delete', subjectType: 'update', subjectId: entryId, details: { campaignId } })
    return row
  })
  if (!deleted) return false
  purgePublicPages()
  await removeStoredImage(deleted.imagePath)
  return true
}

/** Publish now, schedule, or take back to draft. Returns the new publication time, or false for an unknown entry. */
export async function setTimelinePublication(db: Handle, {
  actorId,
  campaignId,
  entryId,
  publication,
}: {
  actorId: number
  campaignId: number
  entryId: number
  publication: Publication
}) {
  const result = await transaction(db, async (tx) => {
    const entry = await firstRow(tx
      .select({ publishedAt: updates.publishedAt })
      .from(updates)
      .where(and(eq(updates.id, entryId), eq(updates.campaignId, campaignId))))
    if (!entry) return false
    const now = Date.now()
    const publishedAt = publishedAtFor(publication, entry.publishedAt, now)
    await execute(tx.update(updates).set({ publishedAt, updatedAt: now }).where(eq(updates.id, entryId)))
    await recordAudit(tx, {
      organizerId: actorId,
      action: `timeline.${publication.kind === 'now' ? 'publish' : publication.kind === 'scheduled' ? 'schedule' : 'unpublish'}`,
      subjectType: 'update',
      subjectId: entryId,
      details: { campaignId, publishedAt, before: entry.publishedAt },
    })
    return { publishedAt }
  })
  // The public page shows published entries; a scheduled one appears once its time has come
  // and the cached page (PAGE_CACHE_TTL_MS, 5 s by default) has expired.
  if (result) purgePublicPages()
  return result
}

export async function setTimelineImage(db: Handle, {
  actorId,
  campaignId,
  entryId,
  imagePath,
}: {
  actorId: number
  campaignId: number
  entryId: number
  imagePath: string | null
}) {
  const where = and(eq(updates.id, entryId), eq(updates.campaignId, campaignId))
  let changed: { replaced: string | null } | null
  try {
    changed = await transaction(db, async (tx) => {
      const before = await firstRow(tx.select({ imagePath: updates.imagePath }).from(updates).where(where))
      if (!before) return null
      await execute(tx.update(updates).set({ imagePath, updatedAt: Date.now() }).where(where))
      await recordAudit(tx, {
        organizerId: actorId,
        action: imagePath ? 'timeline.image.set' : 'timeline.image.remove',
        subjectType: 'update',
        subjectId: entryId,
        details: { campaignId, imagePath },
      })
      return { replaced: before.imagePath }
    })
  } catch (error) {
    await removeStoredImage(imagePath)
    throw error
  }
  if (!changed) {
    // The entry was deleted meanwhile: the new file has no row to belong to.
    await removeStoredImage(imagePath)
    return false
  }
  purgePublicPages()
  // Only now that no row points at it: /media stops serving the old picture.
  await removeStoredImage(changed.replaced)
  return true
}
