import { preparedPerConnection, sqliteOf, type Handle } from '../client.server.ts'

/**
 * The dashboard's figures (app/models/dashboard.server.ts combines them). Raw because each
 * query names the index it must stay on (INDEXED BY), which Drizzle cannot say: without
 * statistics SQLite could pick another index and walk far more rows during a surge.
 * SQLite-specific (INDEXED BY); on another engine the same queries without the hints.
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
type At = { at: number | null }

const statements = preparedPerConnection((db) => {
  const c = sqliteOf(db)
  return {
    counters: c.prepare<[number], { confirmed: number; pending: number }>(SQL.counters),
    confirmedSince: c.prepare<[number, number], Count>(SQL.confirmedSince),
    messagesPending: c.prepare<[number], Count>(SQL.messagesPending),
    latestSignatureId: c.prepare<[number, string], { id: number | null }>(SQL.latestSignatureId),
    createdAtOfSignature: c.prepare<[number], At>(SQL.createdAtOfSignature),
    latestConfirmation: c.prepare<[number], At>(SQL.latestConfirmation),
    latestDonation: c.prepare<[number], At>(SQL.latestDonation),
    latestPayment: c.prepare<[number], At>(SQL.latestPayment),
    campaignEdited: c.prepare<[number], At>(SQL.campaignEdited),
    textEdited: c.prepare<[number], At>(SQL.textEdited),
    entryEdited: c.prepare<[number], At>(SQL.entryEdited),
    fundEdited: c.prepare<[number], At>(SQL.fundEdited),
  }
})

/** The dashboard's queries on this handle's connection, each answering a number or a time (null: none). */
export function dashboardQueries(db: Handle) {
  const q = statements(db)
  const at = (row: At | undefined) => row?.at ?? null
  return {
    counters: (campaignId: number) => q.counters.get(campaignId),
    /** Confirmed signatures of the campaign confirmed at or after `since`. */
    confirmedSince: (campaignId: number, since: number) => q.confirmedSince.get(campaignId, since)?.n ?? 0,
    messagesPending: (campaignId: number) => q.messagesPending.get(campaignId)?.n ?? 0,
    latestSignatureId: (campaignId: number, status: string) => q.latestSignatureId.get(campaignId, status)?.id ?? null,
    createdAtOfSignature: (id: number) => at(q.createdAtOfSignature.get(id)),
    latestConfirmation: (campaignId: number) => at(q.latestConfirmation.get(campaignId)),
    latestDonation: (campaignId: number) => at(q.latestDonation.get(campaignId)),
    latestPayment: (fundId: number) => at(q.latestPayment.get(fundId)),
    campaignEdited: (campaignId: number) => at(q.campaignEdited.get(campaignId)),
    textEdited: (campaignId: number) => at(q.textEdited.get(campaignId)),
    entryEdited: (campaignId: number) => at(q.entryEdited.get(campaignId)),
    fundEdited: (campaignId: number) => at(q.fundEdited.get(campaignId)),
  }
}

/** Each dashboard query's plan (EXPLAIN QUERY PLAN), for the test that keeps them on indexes. SQLite-specific. */
export function dashboardQueryPlans(db: Handle): { name: string; plan: string[] }[] {
  return Object.entries(SQL).map(([name, query]) => {
    const args = Array.from({ length: (query.match(/\?/g) ?? []).length }, () => 0)
    const rows = sqliteOf(db).prepare<unknown[], { detail: string }>(`explain query plan ${query}`).all(...args)
    return { name, plan: rows.map((r) => r.detail) }
  })
}
