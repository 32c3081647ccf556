import { and, asc, eq, isNotNull, ne, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle, type Tx } from '#db/client.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { campaigns, campaignTargets, campaignTargetTranslations, type Locale } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { LANGUAGES, type Language } from '~/utils/i18n.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { recordAudit } from './audit.server.ts'
import type { Localized } from './campaigns.server.ts'

/**
 * Whom a petition addresses (issue 17): offices and people in public roles, translated per field.
 * A target's address is an office's published one (not a supporter's), so it is kept plain; it
 * is still never shown on a public page: only Vigil writes to it.
 */

/** A target as the campaign page shows it: each field in `lang` or the campaign's default language. */
export type PublicTarget = { id: number; name: Localized; role: Localized; note: Localized }

export type TargetText = { name: string; role: string; note: string }
export type TargetInput = { email: string | null; locale: Locale; position: number; texts: Record<Language, TargetText> }
export type AdminTarget = { id: number; email: string | null; locale: Locale; position: number; texts: Record<Language, TargetText> }

type Row = { id: number; email: string | null; locale: Locale; position: number; textLocale: Locale | null; name: string | null; role: string | null; note: string | null }

const EMPTY: TargetText = { name: '', role: '', note: '' }

// A target and one of its translations (none: nulls) per row.
const columns = {
  id: campaignTargets.id,
  email: campaignTargets.email,
  locale: campaignTargets.locale,
  position: campaignTargets.position,
  textLocale: campaignTargetTranslations.locale,
  name: campaignTargetTranslations.name,
  role: campaignTargetTranslations.role,
  note: campaignTargetTranslations.note,
}

// The campaign page asks on every uncached render: prepared once per connection.
const queries = preparedPerConnection((db: DB) => ({
  targets: db
    .select(columns)
    .from(campaignTargets)
    .leftJoin(campaignTargetTranslations, eq(campaignTargetTranslations.targetId, campaignTargets.id))
    .where(eq(campaignTargets.campaignId, sql.placeholder('campaignId')))
    .orderBy(asc(campaignTargets.position), asc(campaignTargets.id))
    .prepare(),
}))

/** The rows grouped by target, in the campaign's order, with every language's texts ('' when unwritten). */
function group(rows: Row[]): AdminTarget[] {
  const byId = new Map<number, AdminTarget>()
  for (const row of rows) {
    let target = byId.get(row.id)
    if (!target) {
      target = { id: row.id, email: row.email, locale: row.locale, position: row.position, texts: { en: { ...EMPTY }, de: { ...EMPTY }, es: { ...EMPTY } } }
      byId.set(row.id, target)
    }
    if (row.textLocale) target.texts[row.textLocale] = { name: row.name ?? '', role: row.role ?? '', note: row.note ?? '' }
  }
  return [...byId.values()]
}

/** A field in `lang` when written there, else in the campaign's default language, else in any language that has it. */
function pick(texts: Record<Language, TargetText>, field: keyof TargetText, lang: Language, defaultLocale: Locale): Localized {
  for (const l of [lang, defaultLocale, ...LANGUAGES]) if (texts[l][field]) return { value: texts[l][field], lang: l }
  return { value: '', lang: defaultLocale }
}

function publicTargets(targets: AdminTarget[], lang: Language, defaultLocale: Locale): PublicTarget[] {
  return targets.flatMap((t) => {
    const name = pick(t.texts, 'name', lang, defaultLocale)
    // A target nobody has named yet is not shown.
    if (!name.value) return []
    return [{ id: t.id, name, role: pick(t.texts, 'role', lang, defaultLocale), note: pick(t.texts, 'note', lang, defaultLocale) }]
  })
}

export async function listPublicTargets(db: Handle, { campaignId, lang, defaultLocale }: { campaignId: number; lang: Language; defaultLocale: Locale }): Promise<PublicTarget[]> {
  return publicTargets(group(await allRows(queries(db).targets, { campaignId })), lang, defaultLocale)
}

/** What the delivery packet prints on its cover: the same as the campaign page, in the packet's language. */
export async function listTargetsForPacket(db: Handle, args: { campaignId: number; lang: Language; defaultLocale: Locale }): Promise<PublicTarget[]> {
  return listPublicTargets(db, args)
}

/** Every target with all its texts and its address, for the back office. */
export async function listTargetsForAdmin(db: Handle, { campaignId }: { campaignId: number }): Promise<AdminTarget[]> {
  return group(await allRows(queries(db).targets, { campaignId }))
}

/** The targets Vigil writes to (those with an address), each with its name in its own language. */
export async function listTargetRecipients(tx: Tx, { campaignId }: { campaignId: number }): Promise<{ id: number; email: string; locale: Locale; name: string }[]> {
  const campaign = await firstRow(tx.select({ defaultLocale: campaigns.defaultLocale }).from(campaigns).where(eq(campaigns.id, campaignId)))
  if (!campaign) return []
  const rows = await allRows(
    tx
      .select(columns)
      .from(campaignTargets)
      .leftJoin(campaignTargetTranslations, eq(campaignTargetTranslations.targetId, campaignTargets.id))
      .where(and(eq(campaignTargets.campaignId, campaignId), isNotNull(campaignTargets.email), ne(campaignTargets.email, '')))
      .orderBy(asc(campaignTargets.position), asc(campaignTargets.id)),
  )
  return group(rows).map((t) => ({ id: t.id, email: t.email!, locale: t.locale, name: pick(t.texts, 'name', t.locale, campaign.defaultLocale).value }))
}

/** The name the audit log shows: the default language's, else any. */
function titleOf(texts: Record<Language, TargetText>, defaultLocale: Locale) {
  return pick(texts, 'name', defaultLocale, defaultLocale).value
}

async function writeTexts(tx: Tx, targetId: number, texts: Record<Language, TargetText>) {
  for (const locale of LANGUAGES) {
    const text = texts[locale]
    // Nothing written in a language: no row, so the page falls back field by field.
    if (!text.name && !text.role && !text.note) {
      await execute(tx.delete(campaignTargetTranslations).where(and(eq(campaignTargetTranslations.targetId, targetId), eq(campaignTargetTranslations.locale, locale))))
      continue
    }
    await execute(
      tx
        .insert(campaignTargetTranslations)
        .values({ targetId, locale, ...text })
        .onConflictDoUpdate({ target: [campaignTargetTranslations.targetId, campaignTargetTranslations.locale], set: { ...text } }),
    )
  }
}

/**
 * Add a target (no `targetId`) or change one of this campaign's. Returns its id, or null when
 * `targetId` names no target of this campaign.
 */
export async function saveTarget(
  db: Handle,
  { campaignId, defaultLocale, targetId = null, input, organizerId }: { campaignId: number; defaultLocale: Locale; targetId?: number | null; input: TargetInput; organizerId: number | null },
): Promise<number | null> {
  const id = await transaction(db, async (tx) => {
    const fields = { email: input.email, locale: input.locale, position: input.position }
    let id: number
    if (targetId === null) {
      const row = await firstRow(tx.insert(campaignTargets).values({ campaignId, ...fields }).returning({ id: campaignTargets.id }))
      id = row!.id
    } else {
      const { changes } = await execute(
        tx
          .update(campaignTargets)
          .set({ ...fields, updatedAt: Date.now() })
          .where(and(eq(campaignTargets.id, targetId), eq(campaignTargets.campaignId, campaignId))),
      )
      if (changes === 0) return null
      id = targetId
    }
    await writeTexts(tx, id, input.texts)
    // No address in the details: the log names the target, not where it is written to.
    await recordAudit(tx, { organizerId, action: 'target.save', subjectType: 'campaign', subjectId: campaignId, details: { targetId: id, title: titleOf(input.texts, defaultLocale) } })
    return id
  })
  if (id !== null) purgePublicPages()
  return id
}

/** Remove one of this campaign's targets (its deliveries and answers keep their own recipient text). False when there is none. */
export async function deleteTarget(
  db: Handle,
  { campaignId, defaultLocale, targetId, organizerId }: { campaignId: number; defaultLocale: Locale; targetId: number; organizerId: number | null },
): Promise<boolean> {
  const done = await transaction(db, async (tx) => {
    const [target] = group(
      await allRows(
        tx
          .select(columns)
          .from(campaignTargets)
          .leftJoin(campaignTargetTranslations, eq(campaignTargetTranslations.targetId, campaignTargets.id))
          .where(and(eq(campaignTargets.id, targetId), eq(campaignTargets.campaignId, campaignId))),
      ),
    )
    if (!target) return false
    await execute(tx.delete(campaignTargets).where(and(eq(campaignTargets.id, targetId), eq(campaignTargets.campaignId, campaignId))))
    await recordAudit(tx, { organizerId, action: 'target.delete', subjectType: 'campaign', subjectId: campaignId, details: { targetId, title: titleOf(target.texts, defaultLocale) } })
    return true
  })
  if (done) purgePublicPages()
  return done
}
