import type { Handle } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import { dashboardQueries, dashboardQueryPlans as dashboardQueryPlansIn } from '#db/sql/dashboard.server.ts'
import { transaction } from '#db/transaction.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { listFundsForAdmin } from './funds.server.ts'
import { countBySource } from './sources.server.ts'

/**
 * What a team looks at every morning, per campaign: signatures confirmed today and in the
 * last seven days (UTC days, as in the campaign's chart), money per fund, signers who have not
 * confirmed yet, messages waiting for moderation, and when something last happened.
 *
 * Counts only, never a supporter's detail: every role may read them (ADR 011). Each query is
 * a seek or a range of one index (see dashboardQueryPlans); the totals come from the counter
 * tables. The day's and week's counts walk their range of the confirmed index, so a surge
 * costs them time in proportion to it (see rangeCounts).
 */
const DAY_MS = 86_400_000
/** Figures that took longer than this to compute (a surge) are kept for MEMO_MS; quick ones are always fresh. */
const SLOW_MS = 10
const MEMO_MS = 5_000

/** Each query's plan, for the test that keeps them on indexes. */
export async function dashboardQueryPlans(db: Handle) {
  return dashboardQueryPlansIn(db)
}

export type LastChangeKind = 'signature' | 'confirmation' | 'donation' | 'payment' | 'edit'
export type CampaignFigures = {
  confirmed: number
  pending: number
  confirmedToday: number
  confirmedThisWeek: number
  messagesToModerate: number
  lastChange: { at: number; kind: LastChangeKind } | null
}

type RangeCounts = Pick<CampaignFigures, 'confirmedToday' | 'confirmedThisWeek' | 'messagesToModerate'>

declare global {
  var __vigilDashboardCounts: Map<number, { counts: RangeCounts; computedAt: number; tookMs: number }> | undefined
}

/**
 * The counts that walk an index range (and so grow with a surge). When they were slow to
 * compute they are kept for a few seconds, so however many organisers look, a surge costs one
 * count per campaign then; quick ones are always fresh.
 */
async function rangeCounts(db: Handle, campaignId: number, now: number, fresh: boolean): Promise<RangeCounts> {
  const memo = (globalThis.__vigilDashboardCounts ??= new Map())
  const hit = memo.get(campaignId)
  if (!fresh && hit && hit.tookMs > SLOW_MS && now >= hit.computedAt && now - hit.computedAt < MEMO_MS) return hit.counts
  const todayStart = Math.floor(now / DAY_MS) * DAY_MS
  // Timed inside the transaction: waiting for another one's turn is not the counts' cost.
  const { counts, tookMs } = await transaction(
    db,
    async (tx) => {
      const q = dashboardQueries(tx)
      const started = performance.now()
      const counts = {
        confirmedToday: await q.confirmedSince(campaignId, todayStart),
        confirmedThisWeek: await q.confirmedSince(campaignId, todayStart - 6 * DAY_MS),
        messagesToModerate: await q.messagesPending(campaignId),
      }
      return { counts, tookMs: performance.now() - started }
    },
    { behavior: 'deferred' },
  )
  memo.set(campaignId, { counts, computedAt: now, tookMs })
  return counts
}

/** The totals and the last change: a handful of seeks, always fresh. */
async function totalsAndLastChange(db: Handle, campaignId: number, fundIds: number[]) {
  return transaction(db, async (tx) => {
    const q = dashboardQueries(tx)
    const counters = await q.counters(campaignId)
    const latestIds: number[] = []
    for (const status of ['pending', 'confirmed', 'invalidated'] as const) {
      const id = await q.latestSignatureId(campaignId, status)
      if (id) latestIds.push(id)
    }
    const candidates: { at: number | null; kind: LastChangeKind }[] = []
    for (const id of latestIds) candidates.push({ at: await q.createdAtOfSignature(id), kind: 'signature' })
    candidates.push({ at: await q.latestConfirmation(campaignId), kind: 'confirmation' }, { at: await q.latestDonation(campaignId), kind: 'donation' })
    for (const fundId of fundIds) candidates.push({ at: await q.latestPayment(fundId), kind: 'payment' })
    candidates.push(
      { at: await q.campaignEdited(campaignId), kind: 'edit' },
      { at: await q.textEdited(campaignId), kind: 'edit' },
      { at: await q.entryEdited(campaignId), kind: 'edit' },
      { at: await q.fundEdited(campaignId), kind: 'edit' },
    )
    const lastChange = candidates.reduce<{ at: number; kind: LastChangeKind } | null>(
      (best, c) => (c.at !== null && (best === null || c.at > best.at) ? { at: c.at, kind: c.kind } : best),
      null,
    )
    return { confirmed: counters?.confirmed ?? 0, pending: counters?.pending ?? 0, lastChange }
  }, { behavior: 'deferred' })
}

/** The figures of one campaign (`fresh`: never from the memo). */
export async function getCampaignFigures(
  db: Handle,
  { campaignId, fundIds, now = Date.now(), fresh = false }: { campaignId: number; fundIds: number[]; now?: number; fresh?: boolean },
): Promise<CampaignFigures> {
  return { ...(await totalsAndLastChange(db, campaignId, fundIds)), ...(await rangeCounts(db, campaignId, now, fresh)) }
}

/** The dashboard's rows for these campaigns: figures and money per fund. */
export async function dashboardFor(db: Handle, { campaigns, lang }: { campaigns: { id: number; defaultLocale: Locale }[]; lang: Language }) {
  return Promise.all(
    campaigns.map(async (c) => {
      const funds = await listFundsForAdmin(db, { campaignId: c.id, lang, defaultLocale: c.defaultLocale })
      const figures = await getCampaignFigures(db, { campaignId: c.id, fundIds: funds.map((f) => f.id) })
      // Where confirmed signatures came from (share links, posters, embeds): the leading four; the Sharing tab has all.
      const sources = figures.confirmed ? (await countBySource(db, { campaignId: c.id })).signatures.filter((s) => s.confirmed > 0).slice(0, 4) : []
      return {
        campaignId: c.id,
        figures,
        sources,
        funds: funds.map((f) => ({ id: f.id, title: f.title, status: f.status, currency: f.currency, goalMinor: f.goalMinor, raisedMinor: f.raisedMinor, donors: f.donors })),
      }
    }),
  )
}
