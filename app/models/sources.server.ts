/**
 * Source tags and share texts of a campaign: which `?s=` tags count (built in, or minted by its
 * team), what share links prefill per language, and the confirmed signatures and paid gifts by
 * source. Counts only, never a supporter's detail: every role on the campaign may read them.
 */
import { and, count, eq, isNotNull, sql, sum } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle } from '#db/client.server.ts'
import { campaignCounters, campaignSources, campaignTranslations, campaigns, donations, type Locale } from '#db/schema.ts'
import { confirmedSignaturesBySource } from '#db/sql/sources.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { DIRECT_SOURCE, isBuiltInSource, MAX_MINTED_SOURCES, mintProblem, sourceShape } from '~/utils/sources.ts'
import { recordAudit } from './audit.server.ts'
import { execute, firstRow } from '#db/query.server.ts'

// Signing, giving and the page cache ask whether a tag is known on every request that carries one.
const statements = preparedPerConnection((db: DB) => ({
  minted: db
    .select({ one: sql`1` })
    .from(campaignSources)
    .where(and(eq(campaignSources.campaignId, sql.placeholder('campaignId')), eq(campaignSources.tag, sql.placeholder('tag'))))
    .prepare(),
  mintedBySlug: db
    .select({ one: sql`1` })
    .from(campaignSources)
    .innerJoin(campaigns, eq(campaigns.id, campaignSources.campaignId))
    .where(and(eq(campaigns.slug, sql.placeholder('slug')), eq(campaignSources.tag, sql.placeholder('tag'))))
    .prepare(),
}))

/** The tag when it is built in or minted for this campaign; null (ignored) otherwise. */
export async function knownSource(db: Handle, { campaignId, value }: { campaignId: number; value: unknown }): Promise<string | null> {
  const tag = sourceShape(value)
  if (!tag) return null
  if (isBuiltInSource(tag)) return tag
  return (await firstRow(statements(db).minted, { campaignId, tag })) ? tag : null
}

/** As knownSource, by the campaign's slug: for the page cache, before any campaign is loaded. */
export async function knownSourceForSlug(db: Handle, { slug, value }: { slug: string; value: unknown }): Promise<string | null> {
  const tag = sourceShape(value)
  if (!tag) return null
  if (isBuiltInSource(tag)) return tag
  return (await firstRow(statements(db).mintedBySlug, { slug, tag })) ? tag : null
}

export async function listMintedSources(db: Handle, { campaignId }: { campaignId: number }) {
  return db
    .select({ tag: campaignSources.tag, createdAt: campaignSources.createdAt })
    .from(campaignSources)
    .where(eq(campaignSources.campaignId, campaignId))
    .orderBy(campaignSources.tag)
}

export type MintOutcome = 'minted' | 'shape' | 'builtIn' | 'exists' | 'full'

export async function mintSource(db: Handle, { actorId, campaignId, tag }: { actorId: number; campaignId: number; tag: string }): Promise<MintOutcome> {
  const problem = mintProblem(tag)
  if (problem) return problem
  return transaction(db, async (tx): Promise<MintOutcome> => {
    const existing = await tx.select({ tag: campaignSources.tag }).from(campaignSources).where(eq(campaignSources.campaignId, campaignId))
    if (existing.some((s) => s.tag === tag)) return 'exists'
    if (existing.length >= MAX_MINTED_SOURCES) return 'full'
    await execute(tx.insert(campaignSources).values({ campaignId, tag }))
    await recordAudit(tx, { organizerId: actorId, action: 'sharing.source_mint', subjectType: 'campaign', subjectId: campaignId, details: { tag } })
    return 'minted'
  })
}

/** Forget a minted tag: links carrying it count as direct from now on; what it counted stays. */
export async function removeSource(db: Handle, { actorId, campaignId, tag }: { actorId: number; campaignId: number; tag: string }) {
  await transaction(db, async (tx) => {
    const removed = await execute(tx.delete(campaignSources).where(and(eq(campaignSources.campaignId, campaignId), eq(campaignSources.tag, tag))))
    if (removed.changes > 0) await recordAudit(tx, { organizerId: actorId, action: 'sharing.source_remove', subjectType: 'campaign', subjectId: campaignId, details: { tag } })
  })
}

/** The text share links prefill in `lang`: the team's, else the language's default with the title. */
export async function getShareText(db: Handle, { campaignId, lang, title }: { campaignId: number; lang: Language; title: string }) {
  const own = (
    await firstRow(db
      .select({ text: campaignTranslations.shareText })
      .from(campaignTranslations)
      .where(and(eq(campaignTranslations.campaignId, campaignId), eq(campaignTranslations.locale, lang))))
  )?.text
  return own?.trim() ? own.trim() : defaultShareText({ lang, title })
}

export function defaultShareText({ lang, title }: { lang: Language; title: string }) {
  return getT(lang)('share.defaultText', { title })
}

/** The team's share text per language it has a text in ('' where it uses the default). */
export async function listShareTexts(db: Handle, { campaignId }: { campaignId: number }) {
  return db
    .select({ locale: campaignTranslations.locale, title: campaignTranslations.title, shareText: campaignTranslations.shareText })
    .from(campaignTranslations)
    .where(eq(campaignTranslations.campaignId, campaignId))
}

/** Save the share texts of the languages the campaign has a text in; returns those it saved. */
export async function saveShareTexts(db: Handle, { actorId, campaignId, texts }: { actorId: number; campaignId: number; texts: Partial<Record<Locale, string>> }) {
  return transaction(db, async (tx) => {
    const saved: Locale[] = []
    const now = Date.now()
    for (const [locale, text] of Object.entries(texts) as [Locale, string][]) {
      const changed = await execute(tx
        .update(campaignTranslations)
        .set({ shareText: text.trim(), updatedAt: now })
        .where(and(eq(campaignTranslations.campaignId, campaignId), eq(campaignTranslations.locale, locale))))
      if (changed.changes > 0) saved.push(locale)
    }
    if (saved.length > 0) {
      await execute(tx.update(campaigns).set({ updatedAt: now }).where(eq(campaigns.id, campaignId)))
      await recordAudit(tx, { organizerId: actorId, action: 'sharing.text_save', subjectType: 'campaign', subjectId: campaignId, details: { locales: saved } })
    }
    return saved
  })
}

export type SourceFigures = {
  signatures: { source: string; confirmed: number }[]
  donations: { source: string; currency: string; count: number; amountMinor: number }[]
}

/** Confirmed signatures and paid gifts by source, `direct` for those with none; largest first. */
export async function countBySource(db: Handle, { campaignId }: { campaignId: number }): Promise<SourceFigures> {
  // One read transaction: the tagged counts and the counter agree, so `direct` is their difference.
  return transaction(
    db,
    async (tx) => {
      const tagged = await confirmedSignaturesBySource(tx, campaignId)
      const total = (await firstRow(tx.select({ confirmed: campaignCounters.confirmed }).from(campaignCounters).where(eq(campaignCounters.campaignId, campaignId))))?.confirmed ?? 0
      const direct = total - tagged.reduce((sum, r) => sum + r.n, 0)
      const signatures = [...tagged.map((r) => ({ source: r.source, confirmed: r.n })), { source: DIRECT_SOURCE, confirmed: Math.max(0, direct) }]
      // Paid gifts (renewals included) and what each still adds to its fund (refunds taken off).
      const gifts = await tx
        .select({ source: donations.source, currency: donations.currency, n: count(), minor: sum(donations.countedMinor).mapWith(Number) })
        .from(donations)
        .where(and(eq(donations.campaignId, campaignId), isNotNull(donations.paidAt)))
        .groupBy(donations.source, donations.currency)
      const bySource = gifts.map((r) => ({ source: r.source ?? DIRECT_SOURCE, currency: r.currency, count: r.n, amountMinor: r.minor ?? 0 }))
      return {
        signatures: signatures.sort((a, b) => b.confirmed - a.confirmed || a.source.localeCompare(b.source)),
        donations: bySource.sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.currency.localeCompare(b.currency)),
      }
    },
    { behavior: 'deferred' },
  )
}
