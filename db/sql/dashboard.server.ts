import { sqliteOf, type Handle } from '../client.server.ts'
import { rawStatement } from './statement.server.ts'

/**
 * The dashboard's figures (app/models/dashboard.server.ts combines them). Raw because each
 * query names the index it must stay on (INDEXED BY), which Drizzle cannot say: without
 * statistics SQLite could pick another index and walk far more rows during a surge.
 * The hints are SQLite's own; Postgres runs the same queries without them (statement.server.ts).
 */
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

type Count = { n: number }
/** A surge grows their ranges by orders: planned for the rows there are (statement.server.ts). */
const FIGURES = { planEachRun: true }
type At = { at: number | null }

const statements = {
  counters: rawStatement<{ confirmed: number; pending: number }>(SQL.counters, FIGURES),
  confirmedSince: rawStatement<Count>(SQL.confirmedSince, FIGURES),
  messagesPending: rawStatement<Count>(SQL.messagesPending, FIGURES),
  latestSignatureId: rawStatement<{ id: number | null }>(SQL.latestSignatureId, FIGURES),
  createdAtOfSignature: rawStatement<At>(SQL.createdAtOfSignature, FIGURES),
  latestConfirmation: rawStatement<At>(SQL.latestConfirmation, FIGURES),
  latestDonation: rawStatement<At>(SQL.latestDonation, FIGURES),
  latestPayment: rawStatement<At>(SQL.latestPayment, FIGURES),
  campaignEdited: rawStatement<At>(SQL.campaignEdited, FIGURES),
  textEdited: rawStatement<At>(SQL.textEdited, FIGURES),
  entryEdited: rawStatement<At>(SQL.entryEdited, FIGURES),
  fundEdited: rawStatement<At>(SQL.fundEdited, FIGURES),
}

/** The dashboard's queries on this handle's connection, each answering a number or a time (null: none). */
export function dashboardQueries(db: Handle) {
  const q = statements
  const at = (row: At | undefined) => row?.at ?? null
  return {
    counters: async (campaignId: number) => await q.counters.get(db, [campaignId]),
    /** Confirmed signatures of the campaign confirmed at or after `since`. */
    confirmedSince: async (campaignId: number, since: number) => (await q.confirmedSince.get(db, [campaignId, since]))?.n ?? 0,
    messagesPending: async (campaignId: number) => (await q.messagesPending.get(db, [campaignId]))?.n ?? 0,
    latestSignatureId: async (campaignId: number, status: string) => (await q.latestSignatureId.get(db, [campaignId, status]))?.id ?? null,
    createdAtOfSignature: async (id: number) => at(await q.createdAtOfSignature.get(db, [id])),
    latestConfirmation: async (campaignId: number) => at(await q.latestConfirmation.get(db, [campaignId])),
    latestDonation: async (campaignId: number) => at(await q.latestDonation.get(db, [campaignId])),
    latestPayment: async (fundId: number) => at(await q.latestPayment.get(db, [fundId])),
    campaignEdited: async (campaignId: number) => at(await q.campaignEdited.get(db, [campaignId])),
    textEdited: async (campaignId: number) => at(await q.textEdited.get(db, [campaignId])),
    entryEdited: async (campaignId: number) => at(await q.entryEdited.get(db, [campaignId])),
    fundEdited: async (campaignId: number) => at(await q.fundEdited.get(db, [campaignId])),
  }
}

/** Each dashboard query's plan (EXPLAIN QUERY PLAN), for the test that keeps them on indexes. SQLite only. */
export function dashboardQueryPlans(db: Handle): { name: string; plan: string[] }[] {
  return Object.entries(SQL).map(([name, query]) => {
    const args = Array.from({ length: (query.match(/\?/g) ?? []).length }, () => 0)
    const rows = sqliteOf(db).prepare<unknown[], { detail: string }>(`explain query plan ${query}`).all(...args)
    return { name, plan: rows.map((r) => r.detail) }
  })
}
