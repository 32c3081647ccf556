/**
 * Source tags and share texts of a campaign: which `?s=` tags count (built in, or minted by its
 * team), what share links prefill per language, and the confirmed signatures and paid gifts by
 * source. Counts only, never a supporter's detail: every role on the campaign may read them.
 */
import { and, eq } from 'drizzle-orm'
import { getDb, legacyPreparedPerConnection } from '#db/client.server.ts'
import { campaignSources, campaignTranslations, campaigns, type Locale } from '#db/schema.ts'
import { getT } from '~/utils/i18n.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { DIRECT_SOURCE, isBuiltInSource, MAX_MINTED_SOURCES, mintProblem, sourceShape } from '~/utils/sources.ts'
import { recordAudit } from './audit.server.ts'

const statements = legacyPreparedPerConnection((db) => ({
  minted: db.$client.prepare(`select 1 from campaign_sources where campaign_id = ? and tag = ?`).pluck(),
  mintedBySlug: db.$client
    .prepare(`select 1 from campaign_sources join campaigns on campaigns.id = campaign_sources.campaign_id where campaigns.slug = ? and campaign_sources.tag = ?`)
    .pluck(),
  signaturesBySource: db.$client.prepare(
    `select source, count(*) as n from signatures indexed by signatures_campaign_source_idx
     where campaign_id = ? and source is not null and status = 'confirmed' group by source`,
  ),
  confirmed: db.$client.prepare(`select confirmed from campaign_counters where campaign_id = ?`).pluck(),
  // Paid gifts (renewals included) and what each still adds to its fund (refunds taken off).
  donationsBySource: db.$client.prepare(
    `select source, currency, count(*) as n, sum(counted_minor) as minor from donations
     where campaign_id = ? and paid_at is not null group by source, currency`,
  ),
}))

/** The tag when it is built in or minted for this campaign; null (ignored) otherwise. */
export function knownSource({ campaignId, value }: { campaignId: number; value: unknown }): string | null {
  const tag = sourceShape(value)
  if (!tag) return null
  if (isBuiltInSource(tag)) return tag
  return statements().minted.get(campaignId, tag) ? tag : null
}

/** As knownSource, by the campaign's slug: for the page cache, before any campaign is loaded. */
export function knownSourceForSlug({ slug, value }: { slug: string; value: unknown }): string | null {
  const tag = sourceShape(value)
  if (!tag) return null
  if (isBuiltInSource(tag)) return tag
  return statements().mintedBySlug.get(slug, tag) ? tag : null
}

export async function listMintedSources({ campaignId }: { campaignId: number }) {
  return getDb()
    .select({ tag: campaignSources.tag, createdAt: campaignSources.createdAt })
    .from(campaignSources)
    .where(eq(campaignSources.campaignId, campaignId))
    .orderBy(campaignSources.tag)
    .all()
}

export type MintOutcome = 'minted' | 'shape' | 'builtIn' | 'exists' | 'full'

export async function mintSource({ actorId, campaignId, tag }: { actorId: number; campaignId: number; tag: string }): Promise<MintOutcome> {
  const problem = mintProblem(tag)
  if (problem) return problem
  return getDb().transaction((tx): MintOutcome => {
    const existing = tx.select({ tag: campaignSources.tag }).from(campaignSources).where(eq(campaignSources.campaignId, campaignId)).all()
    if (existing.some((s) => s.tag === tag)) return 'exists'
    if (existing.length >= MAX_MINTED_SOURCES) return 'full'
    tx.insert(campaignSources).values({ campaignId, tag }).run()
    recordAudit(tx, { organizerId: actorId, action: 'sharing.source_mint', subjectType: 'campaign', subjectId: campaignId, details: { tag } })
    return 'minted'
  })
}

/** Forget a minted tag: links carrying it count as direct from now on; what it counted stays. */
export async function removeSource({ actorId, campaignId, tag }: { actorId: number; campaignId: number; tag: string }) {
  getDb().transaction((tx) => {
    const removed = tx.delete(campaignSources).where(and(eq(campaignSources.campaignId, campaignId), eq(campaignSources.tag, tag))).run()
    if (removed.changes > 0) recordAudit(tx, { organizerId: actorId, action: 'sharing.source_remove', subjectType: 'campaign', subjectId: campaignId, details: { tag } })
  })
}

/** The text share links prefill in `lang`: the team's, else the language's default with the title. */
export async function getShareText({ campaignId, lang, title }: { campaignId: number; lang: Language; title: string }) {
  const own = getDb()
    .select({ text: campaignTranslations.shareText })
    .from(campaignTranslations)
    .where(and(eq(campaignTranslations.campaignId, campaignId), eq(campaignTranslations.locale, lang)))
    .get()?.text
  return own?.trim() ? own.trim() : defaultShareText({ lang, title })
}

export function defaultShareText({ lang, title }: { lang: Language; title: string }) {
  return getT(lang)('share.defaultText', { title })
}

/** The team's share text per language it has a text in ('' where it uses the default). */
export async function listShareTexts({ campaignId }: { campaignId: number }) {
  return getDb()
    .select({ locale: campaignTranslations.locale, title: campaignTranslations.title, shareText: campaignTranslations.shareText })
    .from(campaignTranslations)
    .where(eq(campaignTranslations.campaignId, campaignId))
    .all()
}

/** Save the share texts of the languages the campaign has a text in; returns those it saved. */
export async function saveShareTexts({ actorId, campaignId, texts }: { actorId: number; campaignId: number; texts: Partial<Record<Locale, string>> }) {
  return getDb().transaction((tx) => {
    const saved: Locale[] = []
    const now = Date.now()
    for (const [locale, text] of Object.entries(texts) as [Locale, string][]) {
      const changed = tx
        .update(campaignTranslations)
        .set({ shareText: text.trim(), updatedAt: now })
        .where(and(eq(campaignTranslations.campaignId, campaignId), eq(campaignTranslations.locale, locale)))
        .run()
      if (changed.changes > 0) saved.push(locale)
    }
    if (saved.length > 0) {
      tx.update(campaigns).set({ updatedAt: now }).where(eq(campaigns.id, campaignId)).run()
      recordAudit(tx, { organizerId: actorId, action: 'sharing.text_save', subjectType: 'campaign', subjectId: campaignId, details: { locales: saved } })
    }
    return saved
  })
}

export type SourceFigures = {
  signatures: { source: string; confirmed: number }[]
  donations: { source: string; currency: string; count: number; amountMinor: number }[]
}

/** Confirmed signatures and paid gifts by source, `direct` for those with none; largest first. */
export async function countBySource({ campaignId }: { campaignId: number }): Promise<SourceFigures> {
  const q = statements()
  return getDb().$client.transaction(() => {
    const tagged = q.signaturesBySource.all(campaignId) as { source: string; n: number }[]
    const total = (q.confirmed.get(campaignId) as number | undefined) ?? 0
    const direct = total - tagged.reduce((sum, r) => sum + r.n, 0)
    const signatures = [...tagged.map((r) => ({ source: r.source, confirmed: r.n })), { source: DIRECT_SOURCE, confirmed: Math.max(0, direct) }]
    const donations = (q.donationsBySource.all(campaignId) as { source: string | null; currency: string; n: number; minor: number | null }[]).map((r) => ({
      source: r.source ?? DIRECT_SOURCE,
      currency: r.currency,
      count: r.n,
      amountMinor: r.minor ?? 0,
    }))
    return {
      signatures: signatures.sort((a, b) => b.confirmed - a.confirmed || a.source.localeCompare(b.source)),
      donations: donations.sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.currency.localeCompare(b.currency)),
    }
  })()
}
