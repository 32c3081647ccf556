import { and, desc, eq, inArray, isNotNull, lte } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { targetResponses, updates, updateSends, updateTranslations, type Locale } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import type { ImageSet } from '~/utils/image-set.ts'
import { describeImage } from '~/utils/image-variants.server.ts'
import { LANGUAGES, type Language } from '~/utils/i18n.ts'
import { renderMarkdown } from '~/utils/markdown.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { removeStoredImage, storedDocumentBytes } from '~/utils/uploads.server.ts'
import { recordAudit } from './audit.server.ts'
import { checkChoices } from './deliveries.server.ts'

/**
 * The target's answers (issue 17): a `target_responses` row (who answered, when, the letter)
 * and its `updates` row of kind 'response', whose translations hold the answer's title and
 * text. So the answer is emailed through the existing update send, to supporters who asked
 * for news only, and its text is edited like any timeline entry's. The public timeline leaves
 * answers out: the campaign page shows them above it (app/components/target-responses.tsx).
 *
 * A document's lifecycle is an image's (app/utils/uploads.server.ts): stored before the
 * transaction that records it, removed after the one that replaces or drops it commits.
 */

/** An answer as the campaign page shows it, above the timeline. */
export type PublicResponse = {
  id: number
  /** Who answered, as they signed it. */
  responder: string
  /** 'YYYY-MM-DD'. */
  respondedOn: string
  /** The language the title and text are written in (`lang`, or the campaign's default language). */
  lang: Language
  title: string
  bodyHtml: string
  /** The letter as received: a PDF (served as a download) or a picture of it. */
  document: { type: 'pdf'; path: string; bytes: number } | { type: 'image'; path: string; image: ImageSet } | null
}

export type ResponseTexts = Record<Locale, { title: string; bodyMd: string }>
export type ResponseInput = { targetId?: number; responder: string; respondedOn: string; texts: ResponseTexts }
export type StoredDocument = { path: string; type: 'pdf' | 'image' }

/** Published answers, newest first. */
export async function listPublicResponses(db: Handle, { campaignId, lang, defaultLocale }: { campaignId: number; lang: Language; defaultLocale: Locale }): Promise<PublicResponse[]> {
  const rows = await allRows(db
    .select({
      id: targetResponses.id,
      responder: targetResponses.responder,
      respondedOn: targetResponses.respondedOn,
      documentPath: targetResponses.documentPath,
      documentType: targetResponses.documentType,
      updateId: targetResponses.updateId,
    })
    .from(targetResponses)
    .innerJoin(updates, eq(updates.id, targetResponses.updateId))
    // Taken back to draft (or scheduled) in the timeline editor: not shown, as any entry.
    .where(and(eq(targetResponses.campaignId, campaignId), isNotNull(updates.publishedAt), lte(updates.publishedAt, Date.now())))
    .orderBy(desc(targetResponses.respondedOn), desc(targetResponses.id)))
  if (rows.length === 0) return []
  const texts = await allRows(db.select().from(updateTranslations).where(inArray(updateTranslations.updateId, rows.map((r) => r.updateId))))
  const shown = await Promise.all(rows.map(async (row): Promise<PublicResponse | null> => {
    const text = pickTranslation(texts.filter((t) => t.updateId === row.updateId), lang, defaultLocale, (t) => t.title !== '')
    if (!text) return null
    return {
      id: row.id,
      responder: row.responder,
      respondedOn: row.respondedOn,
      lang: text.locale,
      title: text.title,
      bodyHtml: renderMarkdown(text.bodyMd),
      document: await publicDocument(row.documentPath, row.documentType),
    }
  }))
  return shown.filter((r) => r !== null)
}

async function publicDocument(documentPath: string | null, type: 'pdf' | 'image' | null): Promise<PublicResponse['document']> {
  if (!documentPath || !type) return null
  if (type === 'image') return { type, path: documentPath, image: await describeImage(documentPath) }
  // The link says how large the download is; a file that is gone is not offered.
  const bytes = await storedDocumentBytes(documentPath)
  return bytes === null ? null : { type, path: documentPath, bytes }
}

/** Every answer of a campaign for the back office, with its texts and whether it was emailed. */
export async function listResponsesForAdmin(db: Handle, { campaignId }: { campaignId: number }) {
  const rows = await allRows(db
    .select({ response: targetResponses, publishedAt: updates.publishedAt, sentTo: updateSends.recipients })
    .from(targetResponses)
    .innerJoin(updates, eq(updates.id, targetResponses.updateId))
    .leftJoin(updateSends, eq(updateSends.updateId, targetResponses.updateId))
    .where(eq(targetResponses.campaignId, campaignId))
    .orderBy(desc(targetResponses.respondedOn), desc(targetResponses.id)))
  if (rows.length === 0) return []
  const texts = await allRows(db.select().from(updateTranslations).where(inArray(updateTranslations.updateId, rows.map((r) => r.response.updateId))))
  return rows.map(({ response, publishedAt, sentTo }) => {
    const mine = texts.filter((t) => t.updateId === response.updateId)
    const byLocale = Object.fromEntries(LANGUAGES.map((l) => {
      const text = mine.find((t) => t.locale === l)
      return [l, { title: text?.title ?? '', bodyMd: text?.bodyMd ?? '' }]
    })) as ResponseTexts
    return { ...response, publishedAt, sentTo, texts: byLocale }
  })
}

function titleOf(texts: ResponseTexts, defaultLocale: Locale) {
  return texts[defaultLocale].title || LANGUAGES.map((l) => texts[l].title).find(Boolean) || ''
}

/** Write the languages with a title; drop those left without one (the page then falls back). */
async function writeTexts(tx: Tx, updateId: number, texts: ResponseTexts) {
  for (const locale of LANGUAGES) {
    const { title, bodyMd } = texts[locale]
    if (title) {
      await execute(tx.insert(updateTranslations)
        .values({ updateId, locale, title, bodyMd })
        .onConflictDoUpdate({ target: [updateTranslations.updateId, updateTranslations.locale], set: { title, bodyMd } }))
    } else {
      await execute(tx.delete(updateTranslations).where(and(eq(updateTranslations.updateId, updateId), eq(updateTranslations.locale, locale))))
    }
  }
}

/** Runs `work`; the new document is removed when it does not end up recorded. */
async function keepingDocument<T extends { status: string }>(document: StoredDocument | null, work: () => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await work()
  } catch (error) {
    await removeStoredImage(document?.path)
    throw error
  }
  if (result.status !== 'saved') await removeStoredImage(document?.path)
  return result
}

export type SaveResponseResult = { status: 'saved'; responseId: number; updateId: number } | { status: 'missing' | 'bad-target' }

/** Record an answer: its published timeline entry (kind 'response') with the texts, and the answer itself. */
export async function recordResponse(db: Handle, {
  actorId,
  campaignId,
  defaultLocale,
  input,
  document,
  now = Date.now(),
}: {
  actorId: number
  campaignId: number
  defaultLocale: Locale
  input: ResponseInput
  document: StoredDocument | null
  now?: number
}): Promise<SaveResponseResult> {
  const result = await keepingDocument(document, () =>
    transaction(db, async (tx): Promise<SaveResponseResult> => {
      if ((await checkChoices(tx, { campaignId, targetId: input.targetId })) !== 'ok') return { status: 'bad-target' }
      const entry = await firstRow(tx
        .insert(updates)
        .values({ campaignId, happenedOn: input.respondedOn, authorId: actorId, publishedAt: now, kind: 'response' })
        .returning({ id: updates.id }))
      await writeTexts(tx, entry.id, input.texts)
      const response = await firstRow(tx
        .insert(targetResponses)
        .values({
          campaignId,
          targetId: input.targetId ?? null,
          responder: input.responder,
          respondedOn: input.respondedOn,
          documentPath: document?.path ?? null,
          documentType: document?.type ?? null,
          updateId: entry.id,
          createdBy: actorId,
        })
        .returning({ id: targetResponses.id }))
      await recordAudit(tx, {
        organizerId: actorId,
        action: 'response.record',
        subjectType: 'campaign',
        subjectId: campaignId,
        details: { title: titleOf(input.texts, defaultLocale), responseId: response.id, updateId: entry.id, responder: input.responder, respondedOn: input.respondedOn, document: document?.type ?? null },
      })
      return { status: 'saved', responseId: response.id, updateId: entry.id }
    }),
  )
  if (result.status === 'saved') purgePublicPages()
  return result
}

/**
 * Change an answer: who, when, the texts, and the document when a new one is given
 * (`document`), or taken off (`removeDocument`). The replaced file goes once this commits.
 */
export async function saveResponse(db: Handle, {
  actorId,
  campaignId,
  defaultLocale,
  responseId,
  input,
  document = null,
  removeDocument = false,
}: {
  actorId: number
  campaignId: number
  defaultLocale: Locale
  responseId: number
  input: ResponseInput | null
  document?: StoredDocument | null
  removeDocument?: boolean
}): Promise<SaveResponseResult> {
  let replaced: string | null = null
  const result = await keepingDocument(document, () =>
    transaction(db, async (tx): Promise<SaveResponseResult> => {
      const where = and(eq(targetResponses.id, responseId), eq(targetResponses.campaignId, campaignId))
      const before = await firstRow(tx.select().from(targetResponses).where(where))
      if (!before) return { status: 'missing' }
      if (input && (await checkChoices(tx, { campaignId, targetId: input.targetId })) !== 'ok') return { status: 'bad-target' }
      const now = Date.now()
      const changesDocument = document !== null || removeDocument
      await execute(tx
        .update(targetResponses)
        .set({
          ...(input ? { targetId: input.targetId ?? null, responder: input.responder, respondedOn: input.respondedOn } : {}),
          ...(changesDocument ? { documentPath: document?.path ?? null, documentType: document?.type ?? null } : {}),
          updatedAt: now,
        })
        .where(where))
      if (input) {
        await execute(tx.update(updates).set({ happenedOn: input.respondedOn, updatedAt: now }).where(eq(updates.id, before.updateId)))
        await writeTexts(tx, before.updateId, input.texts)
      }
      const texts = (await listResponsesForAdmin(tx, { campaignId })).find((r) => r.id === responseId)?.texts
      await recordAudit(tx, {
        organizerId: actorId,
        action: 'response.save',
        subjectType: 'campaign',
        subjectId: campaignId,
        details: {
          title: texts ? titleOf(texts, defaultLocale) : '',
          responseId,
          updateId: before.updateId,
          ...(input ? { responder: input.responder, respondedOn: input.respondedOn } : {}),
          ...(changesDocument ? { document: document?.type ?? null } : {}),
        },
      })
      if (changesDocument) replaced = before.documentPath
      return { status: 'saved', responseId, updateId: before.updateId }
    }),
  )
  if (result.status === 'saved') {
    purgePublicPages()
    await removeStoredImage(replaced)
  }
  return result
}

/** Delete an answer, its timeline entry and its document. False when it is not this campaign's. */
export async function deleteResponse(db: Handle, { actorId, campaignId, defaultLocale, responseId }: { actorId: number; campaignId: number; defaultLocale: Locale; responseId: number }) {
  const deleted = await transaction(db, async (tx) => {
    const response = (await listResponsesForAdmin(tx, { campaignId })).find((r) => r.id === responseId)
    if (!response) return null
    await execute(tx.delete(targetResponses).where(eq(targetResponses.id, responseId)))
    const [entry] = await allRows(tx.delete(updates).where(eq(updates.id, response.updateId)).returning({ imagePath: updates.imagePath }))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'response.delete',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { title: titleOf(response.texts, defaultLocale), responseId, updateId: response.updateId },
    })
    return { files: [response.documentPath, entry?.imagePath ?? null] }
  })
  if (!deleted) return false
  purgePublicPages()
  for (const file of deleted.files) await removeStoredImage(file)
  return true
}
