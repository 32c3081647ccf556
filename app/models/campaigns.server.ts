import { and, asc, desc, eq, inArray, lte, ne, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle, type Tx } from '#db/client.server.ts'
import { languageOrder } from '#db/language.server.ts'
import { transaction } from '#db/transaction.server.ts'
import {
  campaignCounters,
  campaigns,
  campaignTranslations,
  organizations,
  updates,
  updateTranslations,
  type Campaign,
  type CampaignStatus,
  type CampaignTranslation,
  type Locale,
} from '#db/schema.ts'
import { describeImage } from '~/utils/image-variants.server.ts'
import { renderMarkdown } from '~/utils/markdown.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { removeStoredImage } from '~/utils/uploads.server.ts'
import { signatureGoal } from '~/utils/goal.ts'
import { RETENTION_DAYS } from '~/utils/schemas.ts'
import type { Language } from '~/utils/i18n.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { recordAudit } from './audit.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

export const PUBLIC_STATUSES: CampaignStatus[] = ['live', 'closed', 'won']

// The public page's queries, prepared once per connection: this path runs on every uncached view.
function preparePublicQueries(db: DB) {
  return {
    campaignBySlug: db
      .select({ campaign: campaigns, organizationName: organizations.name })
      .from(campaigns)
      .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
      .where(eq(campaigns.slug, sql.placeholder('slug')))
      .prepare(),
    translations: db
      .select()
      .from(campaignTranslations)
      .where(eq(campaignTranslations.campaignId, sql.placeholder('campaignId')))
      .orderBy(campaignTranslations.locale)
      .prepare(),
    timeline: db
      .select()
      .from(updates)
      // Drafts (null) and scheduled entries (a time still to come) stay off the page; the target's
      // answers have their own panel above the timeline.
      .where(and(eq(updates.campaignId, sql.placeholder('campaignId')), lte(updates.publishedAt, sql.placeholder('now')), ne(updates.kind, 'response')))
      .orderBy(desc(updates.happenedOn), desc(updates.id))
      .prepare(),
    timelineTexts: db
      .select({ text: updateTranslations })
      .from(updateTranslations)
      .innerJoin(updates, eq(updates.id, updateTranslations.updateId))
      .where(eq(updates.campaignId, sql.placeholder('campaignId')))
      .prepare(),
  }
}
const queries = preparedPerConnection(preparePublicQueries)

type TranslatableField = 'title' | 'summary' | 'storyMd' | 'petitionText' | 'imageAlt'

/** A text in the language it is actually written in, so the page can mark fallbacks with `lang`. */
export type Localized<T = string> = { value: T; lang: Language }

function resolveField<F extends TranslatableField>(
  field: F,
  wanted: Pick<CampaignTranslation, 'locale' | F> | undefined,
  fallback: Pick<CampaignTranslation, 'locale' | F> | undefined,
): Localized {
  const own = wanted?.[field]
  if (own) return { value: own, lang: wanted.locale }
  return { value: fallback?.[field] ?? '', lang: fallback?.locale ?? 'en' }
}

async function translationsOf(db: Handle, campaignIds: number[]) {
  if (campaignIds.length === 0) return []
  return db.select().from(campaignTranslations).where(inArray(campaignTranslations.campaignId, campaignIds))
}

/**
 * Field by field: the reader's language where that field is written, else the row the
 * language rule gives for the campaign's own language (its default, else any).
 */
function textRows<T extends { locale: Locale }>(rows: readonly T[], lang: Language, defaultLocale: Locale) {
  return { wanted: rows.find((r) => r.locale === lang), fallback: pickTranslation(rows, defaultLocale, defaultLocale) }
}

function localize(campaign: Campaign, rows: CampaignTranslation[], lang: Language) {
  const { wanted, fallback } = textRows(rows, lang, campaign.defaultLocale)
  return {
    title: resolveField('title', wanted, fallback),
    summary: resolveField('summary', wanted, fallback),
    story: resolveField('storyMd', wanted, fallback),
    petitionText: resolveField('petitionText', wanted, fallback),
    imageAlt: resolveField('imageAlt', wanted, fallback),
    languages: rows.map((r) => r.locale),
  }
}

/**
 * A campaign's title for an email or a sentence in `locale`, by the language rule ('' when it
 * has none). Reads in the caller's transaction when given its tx.
 */
export async function campaignTitleFor(db: Handle, campaignId: number, locale: Locale) {
  return (await firstRow(titleQueries(db).title, { campaignId, locale }))?.title ?? ''
}

// Every receipt and update email names its campaign: prepared once per connection.
const titleQueries = preparedPerConnection((db: DB) => ({
  title: db
    .select({ title: campaignTranslations.title })
    .from(campaignTranslations)
    .innerJoin(campaigns, eq(campaigns.id, campaignTranslations.campaignId))
    .where(and(eq(campaignTranslations.campaignId, sql.placeholder('campaignId')), ne(campaignTranslations.title, '')))
    .orderBy(languageOrder(campaignTranslations.locale, sql.placeholder('locale'), campaigns.defaultLocale))
    .limit(1)
    .prepare(),
}))

/**
 * Home page: every public campaign as a card (live ones first, newest first), with the
 * confirmed count from its counter row and the goal the campaign page shows.
 */
export async function listHomeCampaigns(db: Handle, { lang }: { lang: Language }) {
  const rows = await db
    .select({ campaign: campaigns, confirmed: campaignCounters.confirmed })
    .from(campaigns)
    .leftJoin(campaignCounters, eq(campaignCounters.campaignId, campaigns.id))
    .where(inArray(campaigns.status, PUBLIC_STATUSES))
    .orderBy(sql`${campaigns.status} = 'live' desc`, desc(campaigns.publishedAt), desc(campaigns.id))
  const translations = await translationsOf(db, rows.map((r) => r.campaign.id))
  const images = await Promise.all(rows.map(({ campaign }) => (campaign.imagePath ? describeImage(campaign.imagePath) : null)))
  return rows.map(({ campaign, confirmed }, i) => {
    const text = localize(campaign, translations.filter((t) => t.campaignId === campaign.id), lang)
    const count = confirmed ?? 0
    return {
      slug: campaign.slug,
      status: campaign.status,
      openFromHome: campaign.openFromHome,
      imagePath: campaign.imagePath,
      image: images[i] ?? null,
      title: text.title,
      summary: text.summary,
      imageAlt: text.imageAlt,
      confirmed: count,
      goal: signatureGoal(count, campaign.signatureGoal),
    }
  })
}

/** The campaign the home page opens directly: the only live campaign, when an owner asked for it. */
export function campaignToOpenFromHome(cards: { slug: string; status: CampaignStatus; openFromHome: boolean }[]) {
  const live = cards.filter((c) => c.status === 'live')
  return live.length === 1 && live[0]!.openFromHome ? live[0]!.slug : null
}

/** Owners only (the home page belongs to the whole team): whether the home page opens this campaign. */
export async function setCampaignOpenFromHome(db: Handle, { actorId, campaignId, open }: { actorId: number; campaignId: number; open: boolean }) {
  await transaction(db, async (tx) => {
    const before = await firstRow(tx.select({ openFromHome: campaigns.openFromHome }).from(campaigns).where(eq(campaigns.id, campaignId)))
    if (!before) throw new Response('Not found', { status: 404 })
    if (before.openFromHome === open) return
    await execute(tx.update(campaigns).set({ openFromHome: open, updatedAt: Date.now() }).where(eq(campaigns.id, campaignId)))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'campaign.update',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { openFromHome: [before.openFromHome, open] },
    })
  })
  purgePublicPages()
}

export type PublicCampaign = NonNullable<Awaited<ReturnType<typeof getPublicCampaign>>>

/**
 * Everything the campaign page shows, in `lang` with per-field fallback to the
 * campaign's default language. Drafts are null unless `preview` (organisers only).
 */
export async function getPublicCampaign(db: Handle, {
  slug,
  lang,
  preview = false,
}: {
  slug: string
  lang: Language
  preview?: boolean
}) {
  const q = queries(db)
  const row = await firstRow(q.campaignBySlug, { slug })
  if (!row) return null
  const { campaign } = row
  if (!preview && !PUBLIC_STATUSES.includes(campaign.status)) return null
  const text = localize(campaign, await allRows(q.translations, { campaignId: campaign.id }), lang)
  const fellBack = [text.title, text.summary, text.story, text.petitionText].some((f) => f.value && f.lang !== lang)
  return {
    id: campaign.id,
    slug: campaign.slug,
    status: campaign.status,
    atRisk: campaign.atRisk,
    currency: campaign.currency,
    target: campaign.target,
    signatureGoal: campaign.signatureGoal,
    imagePath: campaign.imagePath,
    image: campaign.imagePath ? await describeImage(campaign.imagePath) : null,
    defaultLocale: campaign.defaultLocale,
    organizationName: row.organizationName,
    updatedAt: campaign.updatedAt,
    title: text.title,
    summary: text.summary,
    storyHtml: { value: renderMarkdown(text.story.value), lang: text.story.lang },
    petitionText: text.petitionText,
    imageAlt: text.imageAlt,
    languages: text.languages,
    fallbackFrom: fellBack ? campaign.defaultLocale : null,
    timeline: await listTimeline(db, { campaignId: campaign.id, lang, defaultLocale: campaign.defaultLocale }),
  }
}

/**
 * What signing and giving need, and nothing else (no story rendering, no timeline): the sign
 * action runs on every submission of a surge. Null for unknown slugs and drafts.
 */
export async function getSigningCampaign(db: Handle, { slug, lang }: { slug: string; lang: Language }) {
  const q = signingQueries(db)
  const campaign = await firstRow(q.campaign, { slug })
  if (!campaign || !PUBLIC_STATUSES.includes(campaign.status)) return null
  const { wanted, fallback } = textRows(await allRows(q.texts, { campaignId: campaign.id }), lang, campaign.defaultLocale)
  return {
    ...campaign,
    title: resolveField('title', wanted, fallback).value,
    petitionText: resolveField('petitionText', wanted, fallback).value,
  }
}

// Every signature looks its campaign up: only the columns signing needs (not the story, in three languages).
const signingQueries = preparedPerConnection((db: DB) => ({
  campaign: db
    .select({ id: campaigns.id, slug: campaigns.slug, status: campaigns.status, atRisk: campaigns.atRisk, defaultLocale: campaigns.defaultLocale, organizationName: organizations.name })
    .from(campaigns)
    .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
    .where(eq(campaigns.slug, sql.placeholder('slug')))
    .prepare(),
  texts: db
    .select({ locale: campaignTranslations.locale, title: campaignTranslations.title, petitionText: campaignTranslations.petitionText })
    .from(campaignTranslations)
    .where(eq(campaignTranslations.campaignId, sql.placeholder('campaignId')))
    .prepare(),
}))
export type SigningCampaign = NonNullable<Awaited<ReturnType<typeof getSigningCampaign>>>

/**
 * Published timeline entries, newest first, each in `lang` or the campaign's default language.
 * "Published" is as of `now`: a scheduled entry appears once its time has come, on the first
 * render after it (anonymous pages are cached for PAGE_CACHE_TTL_MS, 5 s by default).
 */
export async function listTimeline(db: Handle, {
  campaignId,
  lang,
  defaultLocale,
}: {
  campaignId: number
  lang: Language
  defaultLocale: Locale
}) {
  const q = queries(db)
  const entries = await allRows(q.timeline, { campaignId, now: Date.now() })
  if (entries.length === 0) return []
  const texts = (await allRows(q.timelineTexts, { campaignId })).map((row) => row.text)
  const images = await Promise.all(entries.map((entry) => (entry.imagePath ? describeImage(entry.imagePath) : null)))
  return entries.flatMap((entry, i) => {
    const text = pickTranslation(texts.filter((t) => t.updateId === entry.id), lang, defaultLocale)
    if (!text) return []
    return [
      {
        id: entry.id,
        kind: entry.kind,
        happenedOn: entry.happenedOn,
        lang: text.locale,
        title: text.title,
        bodyHtml: renderMarkdown(text.bodyMd),
        imagePath: entry.imagePath,
        image: images[i] ?? null,
        // In the language of the text shown; empty marks the image as decorative.
        imageAlt: text.imageAlt,
      },
    ]
  })
}

/** Slugs of public campaigns for the sitemap. */
export async function listPublicCampaignSlugs(db: Handle) {
  return db
    .select({ slug: campaigns.slug, updatedAt: campaigns.updatedAt })
    .from(campaigns)
    .where(inArray(campaigns.status, PUBLIC_STATUSES))
    .orderBy(asc(campaigns.id))
}

// ——— Back office ———

export async function listCampaignsForAdmin(db: Handle, { lang }: { lang: Language }) {
  const rows = await db.select().from(campaigns).orderBy(desc(campaigns.updatedAt))
  const translations = await translationsOf(db, rows.map((c) => c.id))
  return rows.map((c) => ({
    id: c.id,
    slug: c.slug,
    status: c.status,
    defaultLocale: c.defaultLocale,
    updatedAt: c.updatedAt,
    title: localize(c, translations.filter((t) => t.campaignId === c.id), lang).title,
  }))
}

export async function getCampaignForAdmin(db: Handle, { id }: { id: number }) {
  const campaign = await firstRow(db.select().from(campaigns).where(eq(campaigns.id, id)))
  if (!campaign) return null
  return { ...campaign, translations: await translationsOf(db, [id]) }
}

export class SlugTakenError extends Error {}

async function assertSlugFree(tx: Tx, slug: string, exceptId?: number) {
  const other = await firstRow(tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, slug)))
  if (other && other.id !== exceptId) throw new SlugTakenError(slug)
}

export type CampaignSettingsInput = {
  slug: string
  status: CampaignStatus
  defaultLocale: Locale
  currency: string
  signatureGoal: number | null
  target: string
  retentionDays: number
  confirmationReminder: boolean
  atRisk: boolean
}

/**
 * The retention a campaign gets: a new campaign without one takes the default for its kind, and
 * turning at-risk mode on shortens a period still at the general default to the at-risk one
 * (the settings form says so); a period the team chose stays theirs.
 */
export function retentionDaysFor(settings: { atRisk: boolean; retentionDays?: number | null }, before?: Pick<Campaign, 'atRisk' | 'retentionDays'>) {
  const chosen = settings.retentionDays ?? null
  if (chosen === null) return settings.atRisk ? RETENTION_DAYS.atRisk : RETENTION_DAYS.default
  const turnedOn = settings.atRisk && before !== undefined && !before.atRisk
  if (turnedOn && chosen === before.retentionDays && chosen === RETENTION_DAYS.default) return RETENTION_DAYS.atRisk
  return chosen
}

/**
 * When the campaign stopped collecting signatures (the retention period counts from it):
 * null while live, and for a draft that was never public; otherwise kept from the moment
 * the status left 'live' (closed → won does not restart the clock).
 */
function closedAtAfter(status: CampaignStatus, before: Pick<Campaign, 'closedAt' | 'publishedAt'> | null, now: number) {
  if (status === 'live') return null
  if (before?.closedAt != null) return before.closedAt
  const wasPublic = status !== 'draft' || before?.publishedAt != null
  return wasPublic ? now : null
}

export async function createCampaign(db: Handle, {
  actor,
  settings: input,
  text,
}: {
  actor: { id: number; organizationId: number }
  settings: Omit<CampaignSettingsInput, 'retentionDays'> & { retentionDays?: number | null }
  text: { title: string; summary: string }
}) {
  const settings: CampaignSettingsInput = { ...input, retentionDays: retentionDaysFor(input) }
  const id = await transaction(db, async (tx) => {
    await assertSlugFree(tx, settings.slug)
    const now = Date.now()
    const created = await firstRow(tx
      .insert(campaigns)
      .values({
        ...settings,
        organizationId: actor.organizationId,
        publishedAt: settings.status === 'draft' ? null : now,
        closedAt: closedAtAfter(settings.status, null, now),
      })
      .returning({ id: campaigns.id }))
    await execute(tx
      .insert(campaignTranslations)
      .values({ campaignId: created.id, locale: settings.defaultLocale, title: text.title, summary: text.summary }))
    await recordAudit(tx, {
      organizerId: actor.id,
      action: 'campaign.create',
      subjectType: 'campaign',
      subjectId: created.id,
      details: { ...settings, title: text.title },
    })
    return created.id
  })
  purgePublicPages()
  return id
}

function changedFields<T extends Record<string, unknown>>(before: T, after: Partial<T>) {
  const changes: Record<string, [unknown, unknown]> = {}
  for (const [key, value] of Object.entries(after)) {
    if (before[key] !== value) changes[key] = [before[key], value]
  }
  return changes
}

export async function updateCampaignSettings(db: Handle, {
  actorId,
  campaignId,
  settings,
}: {
  actorId: number
  campaignId: number
  settings: CampaignSettingsInput
}) {
  await transaction(db, async (tx) => {
    const before = await firstRow(tx.select().from(campaigns).where(eq(campaigns.id, campaignId)))
    if (!before) throw new Response('Not found', { status: 404 })
    await assertSlugFree(tx, settings.slug, campaignId)
    const next = { ...settings, retentionDays: retentionDaysFor(settings, before) }
    const changes = changedFields(before, next)
    if (Object.keys(changes).length === 0) return
    const now = Date.now()
    const firstPublish = before.publishedAt === null && next.status !== 'draft'
    const closedAt = closedAtAfter(next.status, before, now)
    await execute(tx
      .update(campaigns)
      .set({
        ...next,
        updatedAt: now,
        closedAt,
        // Collecting again: whatever is signed from now on is kept until the next closing.
        ...(closedAt === null ? { signaturesAnonymisedAt: null } : {}),
        ...(firstPublish ? { publishedAt: now } : {}),
      })
      .where(eq(campaigns.id, campaignId)))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'campaign.update',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: changes,
    })
  })
  purgePublicPages()
}

export type CampaignTextInput = Pick<CampaignTranslation, 'title' | 'summary' | 'storyMd' | 'petitionText' | 'imageAlt'>

export async function saveCampaignTranslation(db: Handle, {
  actorId,
  campaignId,
  locale,
  text,
}: {
  actorId: number
  campaignId: number
  locale: Locale
  text: CampaignTextInput
}) {
  await transaction(db, async (tx) => {
    const before = await firstRow(tx
      .select()
      .from(campaignTranslations)
      .where(and(eq(campaignTranslations.campaignId, campaignId), eq(campaignTranslations.locale, locale))))
    const now = Date.now()
    await execute(tx
      .insert(campaignTranslations)
      .values({ campaignId, locale, ...text, updatedAt: now })
      .onConflictDoUpdate({
        target: [campaignTranslations.campaignId, campaignTranslations.locale],
        set: { ...text, updatedAt: now },
      }))
    await execute(tx.update(campaigns).set({ updatedAt: now }).where(eq(campaigns.id, campaignId)))
    const changed = before ? Object.keys(changedFields(before, text)) : Object.keys(text)
    await recordAudit(tx, {
      organizerId: actorId,
      action: before ? 'campaign.translation.update' : 'campaign.translation.create',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { locale, fields: changed },
    })
  })
  purgePublicPages()
}

export async function setCampaignImage(db: Handle, {
  actorId,
  campaignId,
  imagePath,
}: {
  actorId: number
  campaignId: number
  imagePath: string | null
}) {
  let replaced: string | null
  try {
    replaced = await transaction(db, async (tx) => {
      const before = await firstRow(tx.select({ imagePath: campaigns.imagePath }).from(campaigns).where(eq(campaigns.id, campaignId)))
      await execute(tx.update(campaigns).set({ imagePath, updatedAt: Date.now() }).where(eq(campaigns.id, campaignId)))
      await recordAudit(tx, {
        organizerId: actorId,
        action: imagePath ? 'campaign.image.set' : 'campaign.image.remove',
        subjectType: 'campaign',
        subjectId: campaignId,
        details: { imagePath },
      })
      return before?.imagePath ?? null
    })
  } catch (error) {
    await removeStoredImage(imagePath)
    throw error
  }
  purgePublicPages()
  // Only now that no row points at it: /media stops serving the old picture.
  await removeStoredImage(replaced)
}

/** The campaign a back-office route is about, or a 404 page. */
export async function requireCampaignForAdmin(db: Handle, idParam: string | undefined) {
  const id = Number(idParam)
  const campaign = Number.isInteger(id) && id > 0 ? await getCampaignForAdmin(db, { id }) : null
  if (!campaign) throw new Response('Campaign not found', { status: 404 })
  return campaign
}
