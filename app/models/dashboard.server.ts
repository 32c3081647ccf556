import { getDb, legacyPreparedPerConnection } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
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

const SQL = {
  counters: `select confirmed, pending from campaign_counters where campaign_id = ?`,
  confirmedSince: `select count(*) as n from signatures indexed by signatures_campaign_confirmed_idx where campaign_id = ? and confirmed_at >= ?`,
  messagesPending: `select count(*) as n from signatures indexed by signatures_campaign_message_idx where campaign_id = ? and message_status = 'pending'`,
  // The newest signature of each status is one seek at the end of that status's range.
  latestSignatureId: `select max(id) as id from signatures indexed by signatures_campaign_status_idx where campaign_id = ? and status = ?`,
  createdAtOfSignature: `select created_at as at from signatures where id = ?`,
  latestConfirmation: `select max(confirmed_at) as at from signatures indexed by signatures_campaign_confirmed_idx where campaign_id = ?`,
  latestDonation: `select created_at as at from donations indexed by donations_campaign_created_idx where campaign_id = ? order by id desc limit 1`,
  latestPayment: `select max(paid_at) as at from donations indexed by donations_fund_paid_idx where fund_id = ?`,
  campaignEdited: `select updated_at as at from campaigns where id = ?`,
  textEdited: `select max(updated_at) as at from campaign_translations where campaign_id = ?`,
  entryEdited: `select max(updated_at) as at from updates indexed by updates_campaign_idx where campaign_id = ?`,
  fundEdited: `select max(updated_at) as at from funds indexed by funds_campaign_position_idx where campaign_id = ?`,
} as const

const statements = legacyPreparedPerConnection((db) => {
  const p = (query: string) => db.$client.prepare(query)
  return Object.fromEntries(Object.entries(SQL).map(([name, query]) => [name, p(query)])) as Record<keyof typeof SQL, ReturnType<typeof p>>
})

/** Each query's plan (EXPLAIN QUERY PLAN), for the test that keeps them on indexes. */
export function dashboardQueryPlans() {
  const db = getDb().$client
  return Object.entries(SQL).map(([name, query]) => {
    const args = Array.from({ length: (query.match(/\?/g) ?? []).length }, () => 0)
    const rows = db.prepare(`explain query plan ${query}`).all(...args) as { detail: string }[]
    return { name, plan: rows.map((r) => r.detail) }
  })
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

const n = (row: unknown) => (row as { n: number } | undefined)?.n ?? 0
const at = (row: unknown) => (row as { at: number | null } | undefined)?.at ?? null

type RangeCounts = Pick<CampaignFigures, 'confirmedToday' | 'confirmedThisWeek' | 'messagesToModerate'>

declare global {
  var __vigilDashboardCounts: Map<number, { counts: RangeCounts; computedAt: number; tookMs: number }> | undefined
}

/**
 * The counts that walk an index range (and so grow with a surge). When they were slow to
 * compute they are kept for a few seconds, so however many organisers look, a surge costs one
 * count per campaign then; quick ones are always fresh.
 */
function rangeCounts(campaignId: number, now: number, fresh: boolean): RangeCounts {
  const memo = (globalThis.__vigilDashboardCounts ??= new Map())
  const hit = memo.get(campaignId)
  if (!fresh && hit && hit.tookMs > SLOW_MS && now >= hit.computedAt && now - hit.computedAt < MEMO_MS) return hit.counts
  const q = statements()
  const todayStart = Math.floor(now / DAY_MS) * DAY_MS
  const started = performance.now()
  const counts = getDb().$client.transaction(() => ({
    confirmedToday: n(q.confirmedSince.get(campaignId, todayStart)),
    confirmedThisWeek: n(q.confirmedSince.get(campaignId, todayStart - 6 * DAY_MS)),
    messagesToModerate: n(q.messagesPending.get(campaignId)),
  }))()
  memo.set(campaignId, { counts, computedAt: now, tookMs: performance.now() - started })
  return counts
}

/** The totals and the last change: a handful of seeks, always fresh. */
function totalsAndLastChange(campaignId: number, fundIds: number[]) {
  const q = statements()
  return getDb().$client.transaction(() => {
    const counters = q.counters.get(campaignId) as { confirmed: number; pending: number } | undefined
    const latestIds = (['pending', 'confirmed', 'invalidated'] as const).flatMap((status) => {
      const id = (q.latestSignatureId.get(campaignId, status) as { id: number | null } | undefined)?.id
      return id ? [id] : []
    })
    const candidates: { at: number | null; kind: LastChangeKind }[] = [
      ...latestIds.map((id) => ({ at: at(q.createdAtOfSignature.get(id)), kind: 'signature' as const })),
      { at: at(q.latestConfirmation.get(campaignId)), kind: 'confirmation' },
      { at: at(q.latestDonation.get(campaignId)), kind: 'donation' },
      ...fundIds.map((fundId) => ({ at: at(q.latestPayment.get(fundId)), kind: 'payment' as const })),
      { at: at(q.campaignEdited.get(campaignId)), kind: 'edit' },
      { at: at(q.textEdited.get(campaignId)), kind: 'edit' },
      { at: at(q.entryEdited.get(campaignId)), kind: 'edit' },
      { at: at(q.fundEdited.get(campaignId)), kind: 'edit' },
    ]
    const lastChange = candidates.reduce<{ at: number; kind: LastChangeKind } | null>(
      (best, c) => (c.at !== null && (best === null || c.at > best.at) ? { at: c.at, kind: c.kind } : best),
      null,
    )
    return { confirmed: counters?.confirmed ?? 0, pending: counters?.pending ?? 0, lastChange }
  })()
}

/** The figures of one campaign (`fresh`: never from the memo). */
export function getCampaignFigures({ campaignId, fundIds, now = Date.now(), fresh = false }: { campaignId: number; fundIds: number[]; now?: number; fresh?: boolean }): CampaignFigures {
  return { ...totalsAndLastChange(campaignId, fundIds), ...rangeCounts(campaignId, now, fresh) }
}

/** The dashboard's rows for these campaigns: figures and money per fund. */
export async function dashboardFor({ campaigns, lang }: { campaigns: { id: number; defaultLocale: Locale }[]; lang: Language }) {
  return Promise.all(
    campaigns.map(async (c) => {
      const funds = await listFundsForAdmin(getDb(), { campaignId: c.id, lang, defaultLocale: c.defaultLocale })
      const figures = getCampaignFigures({ campaignId: c.id, fundIds: funds.map((f) => f.id) })
      // Where confirmed signatures came from (share links, posters, embeds): the leading four; the Sharing tab has all.
      const sources = figures.confirmed ? (await countBySource(getDb(), { campaignId: c.id })).signatures.filter((s) => s.confirmed > 0).slice(0, 4) : []
      return {
        campaignId: c.id,
        figures,
        sources,
        funds: funds.map((f) => ({ id: f.id, title: f.title, status: f.status, currency: f.currency, goalMinor: f.goalMinor, raisedMinor: f.raisedMinor, donors: f.donors })),
      }
    }),
  )
}
