import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { fundCounters, funds, fundTranslations, type FundStatus, type FundTranslation, type Locale } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { purgePublicPages } from '~/utils/page-cache.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { recordAudit } from './audit.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/** A fund's texts by the language rule (a translation without a title is not one). */
function localizeFund(rows: FundTranslation[], lang: Language, defaultLocale: Locale) {
  const text = pickTranslation(rows, lang, defaultLocale, (r) => r.title !== '')
  return { title: text?.title ?? '', description: text?.description ?? '', lang: text?.locale ?? defaultLocale }
}

async function fundsWithTexts(db: Handle, campaignId: number, statuses: FundStatus[]) {
  const rows = await allRows(db
    .select({ fund: funds, counters: fundCounters })
    .from(funds)
    .leftJoin(fundCounters, eq(fundCounters.fundId, funds.id))
    .where(and(eq(funds.campaignId, campaignId), inArray(funds.status, statuses)))
    .orderBy(asc(funds.position), asc(funds.id)))
  const texts = rows.length
    ? await allRows(db.select().from(fundTranslations).where(inArray(fundTranslations.fundId, rows.map((r) => r.fund.id))))
    : []
  return rows.map(({ fund, counters }) => ({ fund, counters, texts: texts.filter((t) => t.fundId === fund.id) }))
}

/**
 * What the campaign page shows about money: each open fund with its progress, and the
 * campaign's total over all its funds (closed ones included), per currency.
 */
export async function listPublicFunds(db: Handle, { campaignId, lang, defaultLocale }: { campaignId: number; lang: Language; defaultLocale: Locale }) {
  const all = await fundsWithTexts(db, campaignId, ['open', 'closed'])
  const totals = new Map<string, { raisedMinor: number; donors: number }>()
  for (const { fund, counters } of all) {
    const total = totals.get(fund.currency) ?? { raisedMinor: 0, donors: 0 }
    total.raisedMinor += counters?.raisedMinor ?? 0
    total.donors += counters?.donors ?? 0
    totals.set(fund.currency, total)
  }
  return {
    funds: all
      .filter(({ fund }) => fund.status === 'open')
      .map(({ fund, counters, texts }) => ({
        id: fund.id,
        slug: fund.slug,
        currency: fund.currency,
        goalMinor: fund.goalMinor,
        raisedMinor: counters?.raisedMinor ?? 0,
        donors: counters?.donors ?? 0,
        ...localizeFund(texts, lang, defaultLocale),
      })),
    totals: [...totals].map(([currency, total]) => ({ currency, ...total })),
  }
}
export type PublicFund = Awaited<ReturnType<typeof listPublicFunds>>['funds'][number]

/** An open fund of this campaign, for a donation to it; null otherwise. */
export async function getOpenFund(db: Handle, { campaignId, fundId, lang, defaultLocale }: { campaignId: number; fundId: number; lang: Language; defaultLocale: Locale }) {
  const fund = await firstRow(db
    .select()
    .from(funds)
    .where(and(eq(funds.id, fundId), eq(funds.campaignId, campaignId), eq(funds.status, 'open'))))
  if (!fund) return null
  const texts = await allRows(db.select().from(fundTranslations).where(eq(fundTranslations.fundId, fund.id)))
  return { ...fund, ...localizeFund(texts, lang, defaultLocale) }
}

// ——— Back office ———

export type FundInput = {
  slug: string
  goalMinor: number
  currency: string
  status: FundStatus
  position: number
  texts: Partial<Record<Locale, { title: string; description: string }>>
}

export async function listFundsForAdmin(db: Handle, { campaignId, lang, defaultLocale }: { campaignId: number; lang: Language; defaultLocale: Locale }) {
  return (await fundsWithTexts(db, campaignId, ['open', 'closed'])).map(({ fund, counters, texts }) => ({
    ...fund,
    raisedMinor: counters?.raisedMinor ?? 0,
    donations: counters?.donations ?? 0,
    donors: counters?.donors ?? 0,
    texts: Object.fromEntries(texts.map((t) => [t.locale, { title: t.title, description: t.description }])) as FundInput['texts'],
    ...localizeFund(texts, lang, defaultLocale),
  }))
}

async function writeTexts(tx: Tx, fundId: number, texts: FundInput['texts']) {
  for (const [locale, text] of Object.entries(texts) as [Locale, { title: string; description: string } | undefined][]) {
    if (!text) continue
    if (!text.title) {
      await execute(tx.delete(fundTranslations).where(and(eq(fundTranslations.fundId, fundId), eq(fundTranslations.locale, locale))))
      continue
    }
    await execute(tx.insert(fundTranslations)
      .values({ fundId, locale, title: text.title, description: text.description })
      .onConflictDoUpdate({ target: [fundTranslations.fundId, fundTranslations.locale], set: { title: text.title, description: text.description } }))
  }
}

/** Returns the new fund's id, or null when the campaign already has a fund with that slug. */
export async function createFund(db: Handle, { campaignId, input, organizerId }: { campaignId: number; input: FundInput; organizerId: number | null }) {
  const id = await transaction(db, async (tx) => {
    const taken = await firstRow(tx.select({ id: funds.id }).from(funds).where(and(eq(funds.campaignId, campaignId), eq(funds.slug, input.slug))))
    if (taken) return null
    const { texts, ...fields } = input
    // Taken meanwhile by an organiser on another server: the unique slug decides.
    const fund = await firstRow(tx
      .insert(funds)
      .values({ ...fields, campaignId, currency: fields.currency.toUpperCase() })
      .onConflictDoNothing({ target: [funds.campaignId, funds.slug] })
      .returning({ id: funds.id }))
    if (!fund) return null
    await writeTexts(tx, fund.id, texts)
    await recordAudit(tx, { organizerId, action: 'fund.create', subjectType: 'fund', subjectId: String(fund.id), details: { campaignId, slug: input.slug, goalMinor: input.goalMinor, currency: input.currency } })
    return fund.id
  })
  if (id !== null) purgePublicPages()
  return id
}

/**
 * Update a fund. Its currency cannot change once money has come in (the totals are in it).
 * Returns 'saved', 'missing', 'slug-taken' or 'currency-locked'.
 */
export async function updateFund(db: Handle, { campaignId, fundId, input, organizerId }: { campaignId: number; fundId: number; input: FundInput; organizerId: number | null }) {
  const result = await transaction(db, async (tx) => {
    const fund = await firstRow(tx.select().from(funds).where(and(eq(funds.id, fundId), eq(funds.campaignId, campaignId))))
    if (!fund) return 'missing' as const
    const clash = await firstRow(tx.select({ id: funds.id }).from(funds).where(and(eq(funds.campaignId, campaignId), eq(funds.slug, input.slug))))
    if (clash && clash.id !== fundId) return 'slug-taken' as const
    const currency = input.currency.toUpperCase()
    const raised = await firstRow(tx.select().from(fundCounters).where(eq(fundCounters.fundId, fundId)))
    if (currency !== fund.currency && raised && (raised.raisedMinor !== 0 || raised.donors !== 0)) return 'currency-locked' as const
    const { texts, ...fields } = input
    await execute(tx.update(funds).set({ ...fields, currency, updatedAt: Date.now() }).where(eq(funds.id, fundId)))
    await writeTexts(tx, fundId, texts)
    await recordAudit(tx, { organizerId, action: 'fund.update', subjectType: 'fund', subjectId: String(fundId), details: { slug: input.slug, goalMinor: input.goalMinor, currency, status: input.status, position: input.position } })
    return 'saved' as const
  })
  if (result === 'saved') purgePublicPages()
  return result
}
