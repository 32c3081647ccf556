import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import {
  campaignCounters,
  campaignMemberships,
  campaignMilestones,
  campaignMilestoneTranslations,
  campaigns,
  campaignTranslations,
  organizations,
  organizers,
  updates,
  updateTranslations,
  type Locale,
} from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatNumber, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { DEFAULT_MILESTONE_STEPS, defaultMilestones } from '~/utils/milestones.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { recordAudit } from './audit.server.ts'
import type { Localized } from './campaigns.server.ts'
import { appendCountLogEntry } from './count-log.server.ts'
import { getSignatureCounters } from './counters.server.ts'
import { queueEmail } from './outbox.server.ts'
import { listPublicTargets, listTargetRecipients } from './targets.server.ts'

/**
 * Milestones (issue 17, ADR 018): counts at which something happens, each reached once.
 *
 * A milestone is upcoming (`reached_at` null) until the first confirming transaction whose count
 * is at or above its threshold marks it, by a conditional update, and queues what follows in the
 * same transaction: a timeline draft, an email to the team, an email to each target (if chosen),
 * a count-log entry and an audit line. Nothing ever clears `reached_at`: invalidations that take
 * the count back below, and the signatures that cross it again, change nothing. A milestone set
 * at or below the count is stored as already passed ('setup'): no emails, no draft.
 */

/** What the campaign page says about milestones: the next one, and those reached so far. */
export type MilestoneSummary = {
  next: { threshold: number; happens: Localized | null; remaining: number } | null
  reached: { threshold: number; reachedOn: string }[]
}

const p = sql.placeholder
const confirmedNow = sql`(select ${campaignCounters.confirmed} from ${campaignCounters} where ${campaignCounters.campaignId} = ${p('campaignId')})`

// Every confirmation runs this: one statement over the partial index of unreached milestones,
// which finds nothing almost always. On SQLite the write transaction holds the file's lock, so
// confirmations are serial; on Postgres the counter upsert before it row-locks the campaign's
// counters until commit, so a second confirmation runs this only after the first committed, and
// sees `reached_at` set (and Postgres re-checks `reached_at is null` on a row it waited for).
const statements = preparedPerConnection((db) => ({
  reach: db
    .update(campaignMilestones)
    .set({ reachedAt: sql`${p('now')}`, reachedBy: 'count', reachedCount: confirmedNow, updatedAt: sql`${p('now')}` })
    .where(and(eq(campaignMilestones.campaignId, p('campaignId')), isNull(campaignMilestones.reachedAt), lte(campaignMilestones.threshold, confirmedNow)))
    .returning({ id: campaignMilestones.id, threshold: campaignMilestones.threshold, emailTarget: campaignMilestones.emailTarget, reachedCount: campaignMilestones.reachedCount })
    .prepare(),
}))

/**
 * In the confirming transaction, right after the counters moved: marks every milestone the new
 * count reached (once, by a conditional update) and queues what follows. Returns those reached.
 * No I/O here (the transaction is open): texts come from the synchronous i18n instances.
 * Confirmation is not in the batched writer; if it ever joins it, this check must move into the
 * counters' `sumAtBatchEnd` write callback, after the summed move.
 */
export async function reachMilestones(tx: Tx, { campaignId, now }: { campaignId: number; now: number }): Promise<{ id: number; threshold: number }[]> {
  const reached = await allRows(statements(tx).reach, { campaignId, now })
  if (reached.length === 0) return []
  const campaign = await campaignForMail(tx, campaignId)
  const team = await teamRecipients(tx, campaignId)
  const targets = await listTargetRecipients(tx, { campaignId })
  const today = new Date(now).toISOString().slice(0, 10)
  for (const milestone of reached.sort((a, b) => a.threshold - b.threshold)) {
    const count = milestone.reachedCount ?? milestone.threshold
    const happens = await happensTexts(tx, milestone.id)
    // The text completes a sentence that has its own full stop.
    const happensIn = (lang: Language) => (pickTranslation(happens, lang, campaign.defaultLocale, (r) => r.happens !== '')?.happens ?? '').replace(/[.!\s]+$/u, '')

    // 1. A timeline draft in every language the campaign is written in, for the team to publish.
    const draft = (await firstRow(tx
      .insert(updates)
      .values({ campaignId, happenedOn: today, authorId: null, publishedAt: null, kind: 'milestone', createdAt: now, updatedAt: now })
      .returning({ id: updates.id })))!
    for (const locale of campaign.locales) {
      const t = getT(locale)
      const n = formatNumber(milestone.threshold, locale)
      const text = happensIn(locale)
      await execute(tx.insert(updateTranslations).values({
        updateId: draft.id,
        locale,
        title: t('milestones.draftTitle', { n }),
        bodyMd: text ? t('milestones.draftBody', { n, happens: text }) : t('milestones.draftBodyPlain', { n }),
      }))
    }
    await execute(tx.update(campaignMilestones).set({ draftUpdateId: draft.id }).where(eq(campaignMilestones.id, milestone.id)))

    // 2. The team: owners, and the campaign's managers and editors.
    for (const organizer of team) {
      await queueEmail(tx, {
        template: 'milestone-team',
        to: organizer.email,
        locale: campaign.defaultLocale,
        campaignId,
        idempotencyKey: `milestone:${milestone.id}:team:${organizer.id}`,
        props: {
          campaignTitle: campaign.titleIn(campaign.defaultLocale),
          organizationName: campaign.organizationName,
          threshold: milestone.threshold,
          count,
          happens: happensIn(campaign.defaultLocale),
          draftUpdateId: draft.id,
          campaignId,
        },
      })
    }

    // 3. The targets, each in its own language, when the team chose so for this milestone.
    if (milestone.emailTarget) {
      for (const target of targets) {
        await queueEmail(tx, {
          template: 'milestone-target',
          to: target.email,
          locale: target.locale,
          campaignId,
          idempotencyKey: `milestone:${milestone.id}:target:${target.id}`,
          props: {
            targetName: target.name,
            campaignTitle: campaign.titleIn(target.locale),
            organizationName: campaign.organizationName,
            count,
            threshold: milestone.threshold,
            campaignId,
            campaignSlug: campaign.slug,
            petitionText: campaign.petitionTextIn(target.locale),
          },
        })
      }
    }

    // 4. The public count log records the moment; 5. the audit log says who did it: Vigil.
    await appendCountLogEntry(tx, { campaignId, reason: 'milestone', milestone: milestone.threshold, now })
    await recordAudit(tx, {
      organizerId: null,
      action: 'milestone.reach',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { threshold: milestone.threshold, count, title: String(milestone.threshold) },
    })
  }
  return reached.map(({ id, threshold }) => ({ id, threshold }))
}

async function happensTexts(db: Handle, milestoneId: number) {
  return allRows(db
    .select({ locale: campaignMilestoneTranslations.locale, happens: campaignMilestoneTranslations.happens })
    .from(campaignMilestoneTranslations)
    .where(eq(campaignMilestoneTranslations.milestoneId, milestoneId)))
}

/** The campaign's texts an email needs, each by the language rule. */
async function campaignForMail(db: Handle, campaignId: number) {
  const campaign = (await firstRow(db
    .select({ slug: campaigns.slug, defaultLocale: campaigns.defaultLocale, organizationName: organizations.name })
    .from(campaigns)
    .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
    .where(eq(campaigns.id, campaignId))))!
  const texts = await allRows(db
    .select({ locale: campaignTranslations.locale, title: campaignTranslations.title, petitionText: campaignTranslations.petitionText })
    .from(campaignTranslations)
    .where(eq(campaignTranslations.campaignId, campaignId)))
  const locales = texts.length > 0 ? LANGUAGES.filter((l) => texts.some((r) => r.locale === l)) : [campaign.defaultLocale]
  return {
    ...campaign,
    locales,
    titleIn: (lang: Language) => pickTranslation(texts, lang, campaign.defaultLocale, (r) => r.title !== '')?.title ?? campaign.slug,
    petitionTextIn: (lang: Language) => pickTranslation(texts, lang, campaign.defaultLocale, (r) => r.petitionText !== '')?.petitionText ?? '',
  }
}

/** Who hears that a milestone was reached: the owners, and the campaign's managers and editors; none disabled. */
async function teamRecipients(db: Handle, campaignId: number) {
  const organizationId = db
    .select({ id: campaigns.organizationId })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId))
  const members = db
    .select({ id: campaignMemberships.organizerId })
    .from(campaignMemberships)
    .where(and(eq(campaignMemberships.campaignId, campaignId), inArray(campaignMemberships.role, ['editor', 'manager'])))
  return allRows(db
    .select({ id: organizers.id, email: organizers.email })
    .from(organizers)
    .where(and(
      isNull(organizers.disabledAt),
      or(and(eq(organizers.role, 'owner'), inArray(organizers.organizationId, organizationId)), inArray(organizers.id, members)),
    ))
    .orderBy(asc(organizers.id)))
}

// ——— The campaign page ———

export async function getMilestoneSummary(
  db: Handle,
  { campaignId, lang, defaultLocale, confirmed }: { campaignId: number; lang: Language; defaultLocale: Locale; confirmed: number },
): Promise<MilestoneSummary> {
  const rows = await allRows(db
    .select({ id: campaignMilestones.id, threshold: campaignMilestones.threshold, reachedAt: campaignMilestones.reachedAt, reachedBy: campaignMilestones.reachedBy })
    .from(campaignMilestones)
    .where(eq(campaignMilestones.campaignId, campaignId))
    .orderBy(asc(campaignMilestones.threshold)))
  const next = rows.find((r) => r.reachedAt === null)
  let happens: Localized | null = null
  if (next) {
    const text = pickTranslation(await happensTexts(db, next.id), lang, defaultLocale, (r) => r.happens !== '')
    happens = text ? { value: text.happens, lang: text.locale } : null
  }
  return {
    next: next ? { threshold: next.threshold, happens, remaining: Math.max(0, next.threshold - confirmed) } : null,
    // Only those the count reached here: one already passed when it was set has no day of its own.
    reached: rows
      .filter((r) => r.reachedAt !== null && r.reachedBy === 'count')
      .map((r) => ({ threshold: r.threshold, reachedOn: new Date(r.reachedAt!).toISOString().slice(0, 10) })),
  }
}

// ——— Back office ———

export type MilestoneInput = {
  id?: number
  threshold: number
  emailTarget: boolean
  texts: Partial<Record<Locale, { happens: string }>>
}

export type AdminMilestone = {
  id: number
  threshold: number
  emailTarget: boolean
  state: 'upcoming' | 'reached' | 'passed'
  reachedAt: number | null
  reachedCount: number | null
  draftUpdateId: number | null
  happens: Localized | null
  texts: Record<Language, { happens: string }>
}

export async function listMilestonesForAdmin(db: Handle, { campaignId, lang, defaultLocale }: { campaignId: number; lang: Language; defaultLocale: Locale }): Promise<AdminMilestone[]> {
  const rows = await allRows(db.select().from(campaignMilestones).where(eq(campaignMilestones.campaignId, campaignId)).orderBy(asc(campaignMilestones.threshold)))
  const texts = rows.length
    ? await allRows(db.select().from(campaignMilestoneTranslations).where(inArray(campaignMilestoneTranslations.milestoneId, rows.map((r) => r.id))))
    : []
  return rows.map((r) => {
    const own = texts.filter((t) => t.milestoneId === r.id)
    const picked = pickTranslation(own, lang, defaultLocale, (t) => t.happens !== '')
    return {
      id: r.id,
      threshold: r.threshold,
      emailTarget: r.emailTarget,
      state: r.reachedAt === null ? 'upcoming' : r.reachedBy === 'setup' ? 'passed' : 'reached',
      reachedAt: r.reachedAt,
      reachedCount: r.reachedCount,
      draftUpdateId: r.draftUpdateId,
      happens: picked ? { value: picked.happens, lang: picked.locale } : null,
      texts: Object.fromEntries(LANGUAGES.map((l) => [l, { happens: own.find((t) => t.locale === l)?.happens ?? '' }])) as AdminMilestone['texts'],
    }
  })
}

async function writeTexts(tx: Tx, milestoneId: number, texts: MilestoneInput['texts']) {
  for (const [locale, text] of Object.entries(texts) as [Locale, { happens: string } | undefined][]) {
    if (!text) continue
    if (!text.happens) {
      await execute(tx.delete(campaignMilestoneTranslations).where(and(eq(campaignMilestoneTranslations.milestoneId, milestoneId), eq(campaignMilestoneTranslations.locale, locale))))
      continue
    }
    await execute(tx.insert(campaignMilestoneTranslations)
      .values({ milestoneId, locale, happens: text.happens })
      .onConflictDoUpdate({ target: [campaignMilestoneTranslations.milestoneId, campaignMilestoneTranslations.locale], set: { happens: text.happens } }))
  }
}

export type SaveMilestoneResult = { status: 'saved'; id: number; passed: boolean } | { status: 'missing' | 'taken' | 'threshold-locked' }

/**
 * Add or change a milestone. A threshold at or below the count is stored as already passed
 * ('setup': no emails, no draft). A reached one keeps its threshold: only its text and the
 * target-email choice change (the choice then has no further effect).
 */
export async function saveMilestone(
  db: Handle,
  { campaignId, input, organizerId, now = Date.now() }: { campaignId: number; input: MilestoneInput; organizerId: number | null; now?: number },
): Promise<SaveMilestoneResult> {
  const result = await transaction(db, async (tx): Promise<SaveMilestoneResult> => {
    const existing = input.id === undefined
      ? null
      : (await firstRow(tx.select().from(campaignMilestones).where(and(eq(campaignMilestones.id, input.id), eq(campaignMilestones.campaignId, campaignId))))) ?? null
    if (input.id !== undefined && !existing) return { status: 'missing' }
    if (existing && existing.reachedAt !== null && existing.threshold !== input.threshold) return { status: 'threshold-locked' }
    const clash = await firstRow(tx
      .select({ id: campaignMilestones.id })
      .from(campaignMilestones)
      .where(and(eq(campaignMilestones.campaignId, campaignId), eq(campaignMilestones.threshold, input.threshold))))
    if (clash && clash.id !== existing?.id) return { status: 'taken' }
    // A confirmation committing between this read and the commit leaves the milestone upcoming
    // though the count passed it: the next confirmation then reaches it, with the emails.
    const { confirmed } = await getSignatureCounters(tx, campaignId)
    const passes = (existing === null || existing.reachedAt === null) && input.threshold <= confirmed
    const passed = passes ? { reachedAt: now, reachedBy: 'setup' as const, reachedCount: confirmed } : {}
    let id: number
    if (existing) {
      id = existing.id
      // Conditional, like the reaching: on Postgres a confirmation may have reached it since it was read.
      const changed = await execute(tx.update(campaignMilestones)
        .set({ threshold: input.threshold, emailTarget: input.emailTarget, updatedAt: now })
        .where(and(eq(campaignMilestones.id, id), or(isNull(campaignMilestones.reachedAt), eq(campaignMilestones.threshold, input.threshold)))))
      if (changed.changes === 0) return { status: 'threshold-locked' }
      if (passes) await execute(tx.update(campaignMilestones).set(passed).where(and(eq(campaignMilestones.id, id), isNull(campaignMilestones.reachedAt))))
    } else {
      // Taken meanwhile by an organiser on another server: the unique index decides.
      const row = await firstRow(tx
        .insert(campaignMilestones)
        .values({ campaignId, threshold: input.threshold, emailTarget: input.emailTarget, createdAt: now, updatedAt: now, ...passed })
        .onConflictDoNothing({ target: [campaignMilestones.campaignId, campaignMilestones.threshold] })
        .returning({ id: campaignMilestones.id }))
      if (!row) return { status: 'taken' }
      id = row.id
    }
    await writeTexts(tx, id, input.texts)
    await recordAudit(tx, {
      organizerId,
      action: 'milestone.save',
      subjectType: 'campaign',
      subjectId: campaignId,
      details: { milestoneId: id, threshold: input.threshold, emailTarget: input.emailTarget, passed: passes, title: String(input.threshold) },
    })
    return { status: 'saved', id, passed: passes }
  })
  if (result.status === 'saved') purgePublicPages()
  return result
}

/** Delete an upcoming milestone; a reached one stays (it happened). */
export async function deleteMilestone(db: Handle, { campaignId, id, organizerId }: { campaignId: number; id: number; organizerId: number | null }) {
  const result = await transaction(db, async (tx) => {
    const row = await firstRow(tx.select().from(campaignMilestones).where(and(eq(campaignMilestones.id, id), eq(campaignMilestones.campaignId, campaignId))))
    if (!row) return 'missing' as const
    // Conditional: a confirmation may have reached it since the page was drawn.
    const deleted = await execute(tx.delete(campaignMilestones).where(and(eq(campaignMilestones.id, id), isNull(campaignMilestones.reachedAt))))
    if (deleted.changes === 0) return 'reached' as const
    await recordAudit(tx, { organizerId, action: 'milestone.delete', subjectType: 'campaign', subjectId: campaignId, details: { milestoneId: id, threshold: row.threshold, title: String(row.threshold) } })
    return 'deleted' as const
  })
  if (result === 'deleted') purgePublicPages()
  return result
}

/**
 * The suggested milestones with their default texts, in each of the campaign's languages, naming
 * its targets (else the old "To" line). Only those the campaign has no milestone at yet.
 */
export async function suggestMilestones(db: Handle, { campaignId }: { campaignId: number }): Promise<MilestoneInput[]> {
  const campaign = await firstRow(db
    .select({ defaultLocale: campaigns.defaultLocale, signatureGoal: campaigns.signatureGoal, target: campaigns.target })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId)))
  if (!campaign) return []
  const { confirmed } = await getSignatureCounters(db, campaignId)
  const taken = new Set((await allRows(db.select({ threshold: campaignMilestones.threshold }).from(campaignMilestones).where(eq(campaignMilestones.campaignId, campaignId)))).map((r) => r.threshold))
  const { locales } = await campaignForMail(db, campaignId)
  const targetsIn = new Map<Language, string>()
  for (const lang of locales) {
    const targets = await listPublicTargets(db, { campaignId, lang, defaultLocale: campaign.defaultLocale })
    const names = targets.map((target) => target.name.value).filter(Boolean)
    const t = getT(lang)
    targetsIn.set(lang, names.length > 0 ? names.join(t('admin.milestones.defaults.and')) : campaign.target || t('admin.milestones.defaults.noTarget'))
  }
  return defaultMilestones({ confirmed, fixedGoal: campaign.signatureGoal })
    .map((threshold, i) => ({ threshold, step: DEFAULT_MILESTONE_STEPS[i]! }))
    .filter(({ threshold }) => !taken.has(threshold))
    .map(({ threshold, step }) => ({
      threshold,
      emailTarget: step.emailTarget,
      texts: Object.fromEntries(locales.map((lang) => [lang, { happens: getT(lang)(`admin.milestones.defaults.${step.happens}`, { targets: targetsIn.get(lang) }) }])),
    }))
}

/** Save the suggested milestones (the "Suggest milestones" button); returns how many were added. */
export async function addDefaultMilestones(db: Handle, { campaignId, organizerId, now = Date.now() }: { campaignId: number; organizerId: number | null; now?: number }) {
  let added = 0
  for (const input of await suggestMilestones(db, { campaignId })) {
    if ((await saveMilestone(db, { campaignId, input, organizerId, now })).status === 'saved') added += 1
  }
  return added
}
