import { and, asc, eq, inArray, isNull, ne, not, notInArray, or, sql, type SQL } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { serializeOn } from '#db/locks.server.ts'
import { transaction } from '#db/transaction.server.ts'
import {
  campaignMemberships,
  campaigns,
  instanceSettings,
  LOCALES,
  organizations,
  organizerPasskeys,
  organizers,
  organizerTotp,
  sessions,
  siteTexts,
  type Locale,
  type SecondFactorPolicy,
  type SiteTextKind,
} from '#db/schema.ts'
import { DEMO_ORGANIZER } from '~/utils/demo-identity.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { removeStoredImage } from '~/utils/uploads.server.ts'
import { LEGAL_PAGE_NAMES, type LegalPageName } from '~/utils/legal.ts'
import { recordAudit } from './audit.server.ts'
import { getSecondFactorPolicy } from './second-factors.server.ts'
import { campaignTitleFor, PUBLIC_STATUSES } from './campaigns.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

export const LEGAL_PAGES = LEGAL_PAGE_NAMES satisfies readonly SiteTextKind[]
export type LegalPage = LegalPageName

export type SiteSettings = {
  teamName: string | null
  logoPath: string | null
  accentColor: string | null
  /** The organisation's name (the team name once one is saved), for texts that must name someone. */
  organizationName: string
  /** Changes whenever a setting does: the brand stylesheet's URL carries it, so browsers fetch the new one. */
  version: number
  texts: Partial<Record<`${SiteTextKind}:${Locale}`, { body: string; updatedAt: number }>>
}

declare global {
  var __vigilSiteSettings: { at: number; settings: SiteSettings } | undefined
}

// Every page's header reads these: kept in memory, dropped on every change made here, and read
// again after a second at most (so a change made by another process shows up too).
const CACHE_MS = 1000

/** The instance's branding and texts (one small row and at most 15 texts). */
export async function getSiteSettings(db: Handle): Promise<SiteSettings> {
  const cached = globalThis.__vigilSiteSettings
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.settings
  const row = await firstRow(db.select().from(instanceSettings).where(eq(instanceSettings.id, 1)))
  const texts: SiteSettings['texts'] = {}
  let version = row?.updatedAt ?? 0
  for (const t of await db.select().from(siteTexts)) {
    texts[`${t.kind}:${t.locale}`] = { body: t.body, updatedAt: t.updatedAt }
    version = Math.max(version, t.updatedAt)
  }
  const organizationName = (await firstRow(db.select({ name: organizations.name }).from(organizations).orderBy(organizations.id).limit(1)))?.name ?? 'Vigil'
  const settings = { organizationName, teamName: row?.teamName ?? null, logoPath: row?.logoPath ?? null, accentColor: row?.accentColor ?? null, version, texts }
  globalThis.__vigilSiteSettings = { at: Date.now(), settings }
  return settings
}

function changed() {
  globalThis.__vigilSiteSettings = undefined
  purgePublicPages()
}

export type BrandingInput = {
  teamName: string | null
  accentColor: string | null
  headline: Record<Locale, string>
  intro: Record<Locale, string>
}

/**
 * Save the branding form in one transaction. The team name is also the organisation's name,
 * which campaign bylines, link previews and emails' sign-off already use (it is copied into
 * each email when it is queued, so mail already waiting keeps the old name).
 */
export async function saveBranding(db: Handle, { actorId, input }: { actorId: number; input: BrandingInput }) {
  const now = Date.now()
  await transaction(db, async (tx) => {
    await execute(tx
      .insert(instanceSettings)
      .values({ id: 1, teamName: input.teamName, accentColor: input.accentColor, updatedAt: now })
      .onConflictDoUpdate({ target: instanceSettings.id, set: { teamName: input.teamName, accentColor: input.accentColor, updatedAt: now } }))
    if (input.teamName) await execute(tx.update(organizations).set({ name: input.teamName }))
    for (const locale of LOCALES) {
      for (const kind of ['headline', 'intro'] as const) {
        const body = input[kind][locale]
        if (body) {
          await execute(tx
            .insert(siteTexts)
            .values({ kind, locale, body, updatedBy: actorId, updatedAt: now })
            .onConflictDoUpdate({ target: [siteTexts.kind, siteTexts.locale], set: { body, updatedBy: actorId, updatedAt: now } }))
        } else {
          await execute(tx.delete(siteTexts).where(and(eq(siteTexts.kind, kind), eq(siteTexts.locale, locale))))
        }
      }
    }
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'settings.branding.save',
      subjectType: 'settings',
      details: { teamName: input.teamName, accentColor: input.accentColor },
    })
  })
  changed()
}

/** Set or remove the logo; the file it replaces is deleted once nothing points at it (see uploads.server.ts). */
export async function setLogo(db: Handle, { actorId, logoPath }: { actorId: number; logoPath: string | null }) {
  let replaced: string | null
  try {
    replaced = await transaction(db, async (tx) => {
      const before = await firstRow(tx.select({ logoPath: instanceSettings.logoPath }).from(instanceSettings).where(eq(instanceSettings.id, 1)))
      const now = Date.now()
      await execute(tx
        .insert(instanceSettings)
        .values({ id: 1, logoPath, updatedAt: now })
        .onConflictDoUpdate({ target: instanceSettings.id, set: { logoPath, updatedAt: now } }))
      await recordAudit(tx, { organizerId: actorId, action: logoPath ? 'settings.logo.set' : 'settings.logo.remove', subjectType: 'settings', details: { logoPath } })
      return before?.logoPath ?? null
    })
  } catch (error) {
    await removeStoredImage(logoPath)
    throw error
  }
  changed()
  await removeStoredImage(replaced)
}

/** Save a legal page in one language: saving is what marks it reviewed. */
export async function saveLegalPage(db: Handle, { actorId, page, locale, body }: { actorId: number; page: LegalPage; locale: Locale; body: string }) {
  const now = Date.now()
  await transaction(db, async (tx) => {
    await execute(tx
      .insert(siteTexts)
      .values({ kind: page, locale, body, updatedBy: actorId, updatedAt: now })
      .onConflictDoUpdate({ target: [siteTexts.kind, siteTexts.locale], set: { body, updatedBy: actorId, updatedAt: now } }))
    await recordAudit(tx, { organizerId: actorId, action: 'settings.legal.save', subjectType: 'legal_page', subjectId: `${page}:${locale}`, details: { page, locale } })
  })
  changed()
}

/** The legal pages (and languages) no owner has saved yet. */
export async function legalPagesToReview(db: Handle): Promise<{ page: LegalPage; locales: Locale[] }[]> {
  const { texts } = await getSiteSettings(db)
  return LEGAL_PAGES.map((page) => ({ page, locales: LOCALES.filter((locale) => !texts[`${page}:${locale}`]) })).filter((p) => p.locales.length > 0)
}

/** What the privacy draft states about each public campaign's signatures. */
export async function listRetentionPeriods(db: Handle, { locale }: { locale: Locale }) {
  const rows = await db
    .select({ id: campaigns.id, slug: campaigns.slug, retentionDays: campaigns.retentionDays, atRisk: campaigns.atRisk })
    .from(campaigns)
    .where(inArray(campaigns.status, PUBLIC_STATUSES))
    .orderBy(campaigns.id)
  const periods = []
  for (const c of rows) periods.push({ title: (await campaignTitleFor(db, c.id, locale)) || c.slug, retentionDays: c.retentionDays, atRisk: c.atRisk })
  return periods
}

// ——— The second-factor policy (issue 18, ADR 019 §5) ———

/** Whom the policy covers, as SQL on `organizers` (the same rule as utils/second-factor.ts's secondFactorRequired). */
function coveredBy(policy: SecondFactorPolicy): SQL {
  const notDemo = ne(organizers.email, DEMO_ORGANIZER.email)
  switch (policy) {
    case 'none':
      return sql`false`
    case 'owners':
      return and(notDemo, eq(organizers.role, 'owner'))!
    case 'owners_managers': {
      const manages = sql`exists (select 1 from ${campaignMemberships} where ${campaignMemberships.organizerId} = ${organizers.id} and ${campaignMemberships.role} = 'manager')`
      return and(notDemo, or(eq(organizers.role, 'owner'), manages))!
    }
    case 'everyone':
      return notDemo
  }
}

/** An organiser with a confirmed authenticator app or a passkey (recovery codes alone are no factor). */
const hasSecondFactor = or(
  sql`exists (select 1 from ${organizerTotp} where ${organizerTotp.organizerId} = ${organizers.id} and ${organizerTotp.confirmedAt} is not null)`,
  sql`exists (select 1 from ${organizerPasskeys} where ${organizerPasskeys.organizerId} = ${organizers.id})`,
)!

/**
 * The organisers a policy requires a second factor of who have none yet (enabled ones, by
 * name): they are led to set one up at their next request once it is saved.
 */
export async function listUncovered(db: Handle, { policy }: { policy: SecondFactorPolicy }): Promise<{ id: number; name: string }[]> {
  if (policy === 'none') return []
  return allRows(db
    .select({ id: organizers.id, name: organizers.name })
    .from(organizers)
    .where(and(isNull(organizers.disabledAt), coveredBy(policy), not(hasSecondFactor)))
    .orderBy(asc(organizers.name), asc(organizers.id)))
}

/**
 * Open sessions follow the policy, as a sign-in now would decide them: organisers it covers
 * who have no factor go from 'full' to 'setup' (at their next request), and organisers held at
 * set-up whom it no longer covers, still without a factor, go to 'full' (one with a factor
 * would sign in at 'password': left alone). The guard reads only the session's level, so it
 * never works the policy out per request. `organizerIds` narrows it to some organisers.
 */
async function alignSessions(tx: Tx, { policy, organizerIds }: { policy: SecondFactorPolicy; organizerIds?: number[] }) {
  const only = organizerIds ? inArray(sessions.organizerId, organizerIds) : undefined
  const uncovered = (await listUncovered(tx, { policy })).map((o) => o.id)
  if (uncovered.length > 0) {
    await execute(tx.update(sessions).set({ level: 'setup' }).where(and(eq(sessions.level, 'full'), inArray(sessions.organizerId, uncovered), only)))
  }
  const freed = tx
    .select({ id: organizers.id })
    .from(organizers)
    .where(and(not(hasSecondFactor), uncovered.length > 0 ? notInArray(organizers.id, uncovered) : undefined))
  await execute(tx.update(sessions).set({ level: 'full' }).where(and(eq(sessions.level, 'setup'), inArray(sessions.organizerId, freed), only)))
}

/**
 * After an organiser's role changed (instance role, or manager of a campaign): their open
 * sessions follow the policy at once, not only from their next sign-in. In the changing
 * transaction.
 */
export async function applySecondFactorPolicy(tx: Tx, { organizerId }: { organizerId: number }): Promise<void> {
  await alignSessions(tx, { policy: await getSecondFactorPolicy(tx), organizerIds: [organizerId] })
}

/**
 * Save the policy, in one transaction with its effect on open sessions (alignSessions) and
 * the audit entry, which is written only when the policy changes.
 */
export async function saveSecondFactorPolicy(db: Handle, { actorId, policy }: { actorId: number; policy: SecondFactorPolicy }): Promise<void> {
  await transaction(db, async (tx) => {
    // Two owners saving at once on Postgres: the second reads what the first wrote as "before".
    await serializeOn(tx, ['instance-settings:second-factor-policy'])
    const before = (await firstRow(tx.select({ policy: instanceSettings.secondFactorPolicy }).from(instanceSettings).where(eq(instanceSettings.id, 1))))?.policy ?? 'owners'
    await execute(tx
      .insert(instanceSettings)
      .values({ id: 1, secondFactorPolicy: policy })
      .onConflictDoUpdate({ target: instanceSettings.id, set: { secondFactorPolicy: policy } }))
    await alignSessions(tx, { policy })
    if (before !== policy) {
      await recordAudit(tx, { organizerId: actorId, action: 'settings.second_factor_policy', subjectType: 'instance', details: { policy: [before, policy] } })
    }
  })
  // The policy is read uncached at sign-in; the settings cache is dropped all the same (the row changed).
  globalThis.__vigilSiteSettings = undefined
}
