import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb, openDatabase, openPostgres, type DB, closeDatabase } from '#db/client.server.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { demoStoryEs } from '../../scripts/seed/content.ts'
import { demoClosedCampaign } from '../../scripts/seed/history-content.ts'
import { removeDemoData } from '~/models/demo.server.ts'
import { recountFunds, recountSignatures } from '~/models/counters.server.ts'
import { getCampaignFigures } from '~/models/dashboard.server.ts'
import { createTestDatabase, dropTestDatabase, onPostgres } from '../helpers/engine.ts'
import { openDonation, openSupporter } from '~/models/personal-data.server.ts'
import { openedSignature, outboxRows, withEnvelopesOpened } from '../helpers/sealed.ts'
import { sortedRows, sqlOn } from '../helpers/sql.ts'

// The living demo (`npm run db:seed`): a believable history that keeps the app's invariants.
const NOW = Date.parse('2026-12-04T15:00:00Z')
const DAY = 86_400_000
const sql = () => sqlOn(getDb())
const rows = <T,>(query: string, ...params: unknown[]) => sql().all<T>(query, ...params)
const one = async <T,>(query: string, ...params: unknown[]) => (await sql().get<T>(query, ...params))!

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: true, history: true, now: NOW })
})

describe('the living demo', async () => {
  it('has a few hundred confirmed signatures over weeks, from several countries, with counters that equal a recount', async () => {
    const demo = await one<{ confirmed: number; pending: number }>(`select confirmed, pending from campaign_counters where campaign_id = 1`)
    expect(demo.confirmed).toBeGreaterThanOrEqual(200)
    expect(demo.confirmed).toBeLessThan(600)
    const spread = await one<{ days: number; first: number; last: number; countries: number }>(
      `select count(distinct confirmed_at / 86400000) as days, min(confirmed_at) as first, max(confirmed_at) as last, count(distinct country) as countries
       from signatures where campaign_id = 1 and status = 'confirmed'`,
    )
    expect(spread.countries).toBeGreaterThanOrEqual(8)
    expect(spread.days).toBeGreaterThanOrEqual(28)
    expect(NOW - spread.first).toBeGreaterThan(28 * DAY)
    expect(spread.last).toBeLessThanOrEqual(NOW)
    expect(NOW - spread.last).toBeLessThan(DAY)
    expect(await recountSignatures(getDb())).toEqual([])
    expect(await recountFunds(getDb())).toEqual([])
  })

  it('shows approved messages in English, German and Spanish from confirmed signers, some answered by the team', async () => {
    const byLocale = await rows<{ locale: string; n: number }>(`select locale, count(*) as n from signatures where message_status = 'approved' group by locale`)
    expect(Object.fromEntries(byLocale.map((r) => [r.locale, r.n]))).toMatchObject({ en: expect.any(Number), de: expect.any(Number), es: expect.any(Number) })
    expect((await one<{ n: number }>(`select count(*) as n from signatures where message_status = 'approved' and status <> 'confirmed'`)).n).toBe(0)
    // The campaign page shows the latest ten: all three languages among them.
    const latest = await rows<{ locale: string }>(`select locale from signatures where campaign_id = 1 and message_status = 'approved' and status = 'confirmed' order by id desc limit 10`)
    expect(new Set(latest.map((r) => r.locale))).toEqual(new Set(['en', 'de', 'es']))
    const answered = await rows<{ status: string; organizer: number | null }>(
      `select s.message_status as status, r.organizer_id as organizer from replies r join signatures s on s.id = r.signature_id`,
    )
    expect(answered.length).toBeGreaterThanOrEqual(3)
    expect(answered.every((r) => r.status === 'approved' && r.organizer !== null)).toBe(true)
    expect((await one<{ n: number }>(`select count(*) as n from signatures where message_status = 'pending'`)).n).toBeGreaterThan(0)
  })

  it('records paid gifts to both funds, each in the Stripe ledger, with one receipt each, numbered without gaps', async () => {
    const gifts = await rows<{ id: number; fund_campaign: number | null; campaign_id: number; status: string; counted_minor: number; stripe_payment_intent_id: string }>(
      `select d.id, f.campaign_id as fund_campaign, d.campaign_id, d.status, d.counted_minor, d.stripe_payment_intent_id from donations d left join funds f on f.id = d.fund_id order by d.id`,
    )
    expect(gifts.length).toBeGreaterThanOrEqual(30)
    expect(gifts.every((g) => g.fund_campaign === g.campaign_id && g.status === 'succeeded' && g.counted_minor > 0)).toBe(true)
    expect(new Set((await rows<{ fund_id: number }>(`select distinct fund_id from donations`)).map((r) => r.fund_id)).size).toBe(2)
    const ledger = await rows<{ id: string; failure: string | null }>(`select id, failure from stripe_events`)
    expect(ledger.length).toBe(gifts.length)
    expect(ledger.every((e) => e.failure === null)).toBe(true)
    const receipts = await outboxRows(sql(), `m.template = 'donation-receipt'`)
    const numbers = receipts.map((r) => r.props.donationId as number)
    expect(numbers).toEqual(gifts.map((g) => g.id))
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i))
    expect(receipts.every((r) => r.status === 'captured')).toBe(true)
    const raised = await rows<{ raised_minor: number; donations: number }>(`select raised_minor, donations from fund_counters`)
    expect(raised.every((f) => f.raised_minor > 0 && f.donations > 0)).toBe(true)
  })

  it('has one update sent weeks ago, every message captured and delivered', async () => {
    const send = await one<{ id: number; recipients: number; created_at: number }>(`select id, recipients, created_at from update_sends`)
    expect(send.recipients).toBeGreaterThan(50)
    expect(NOW - send.created_at).toBeGreaterThan(7 * DAY)
    const messages = await rows<{ status: string; delivery_status: string | null }>(
      `select m.status, m.delivery_status from email_messages m join email_batches b on b.id = m.batch_id where b.send_id = ?`,
      send.id,
    )
    expect(messages.length).toBe(send.recipients)
    expect(messages.every((m) => m.status === 'captured' && m.delivery_status === 'delivered')).toBe(true)
    expect((await one<{ n: number }>(`select count(*) as n from email_batches where send_id = ? and status <> 'submitted'`, send.id)).n).toBe(0)
    // Nothing is left for the sender to send when the demo starts.
    expect((await one<{ n: number }>(`select count(*) as n from email_messages where status not in ('captured', 'sent')`)).n).toBe(0)
  })

  it('tells the whole story in Spanish', async () => {
    expect((await one<{ story_md: string }>(`select story_md from campaign_translations where campaign_id = 1 and locale = 'es'`)).story_md).toBe(demoStoryEs)
  })

  it('has a second campaign, closed a while ago, with its own signatures and a retention date still ahead', async () => {
    const closed = await one<{ id: number; status: string; closed_at: number; retention_days: number; signatures_anonymised_at: number | null }>(
      `select id, status, closed_at, retention_days, signatures_anonymised_at from campaigns where slug = ?`,
      demoClosedCampaign.slug,
    )
    expect(closed.status).toBe('closed')
    expect(NOW - closed.closed_at).toBeGreaterThan(30 * DAY)
    expect(closed.closed_at + closed.retention_days * DAY).toBeGreaterThan(NOW)
    expect(closed.signatures_anonymised_at).toBeNull()
    const signed = await one<{ n: number; last: number }>(`select count(*) as n, max(confirmed_at) as last from signatures where campaign_id = ? and status = 'confirmed'`, closed.id)
    expect(signed.n).toBeGreaterThan(10)
    expect(signed.last).toBeLessThan(closed.closed_at)
    expect((await one<{ confirmed: number }>(`select confirmed from campaign_counters where campaign_id = ?`, closed.id)).confirmed).toBe(signed.n)
  })

  it('writes to no address outside the example domains', async () => {
    // Sealed (ADR 017): opened with the data key; a donation written plain (not sealed yet) read as it is.
    const addresses = [
      ...(await rows<{ sealed: string }>(`select sealed from supporters`)).map((r) => openSupporter(r.sealed).email),
      ...(await rows<{ sealed: string | null; email: string | null }>(`select sealed, email from donations`)).map((r) => openDonation(r.sealed)?.email ?? r.email ?? ''),
      ...(await outboxRows(sql())).map((r) => r.to),
      ...(await rows<{ a: string }>(`select email as a from organizers`)).map((r) => r.a),
    ]
    expect(addresses.length).toBeGreaterThan(300)
    expect(addresses.filter((a) => !/@(example\.(org|net)|[a-z0-9.-]+\.example)$/.test(a))).toEqual([])
  })

  it('seals the names, messages and replies it writes, with the name words the back office searches', async () => {
    const plain = await one<{ n: number }>(
      `select (select count(*) from supporters where email is not null or email_normalized is not null or first_name is not null or last_name is not null or sealed is null or email_hash is null)
            + (select count(*) from signatures where first_name is not null or last_name is not null or message is not null or postal_code is not null or sealed is null)
            + (select count(*) from replies where body is not null or sealed is null) as n`,
    )
    expect(plain.n).toBe(0)
    const signatures = (await rows<{ id: number; sealed: string | null; message_status: string | null }>(`select id, sealed, message_status from signatures`)).map((r) => openedSignature(r))
    expect(signatures.every((s) => s.first_name && s.last_name && (s.message !== null) === (s.message_status !== null))).toBe(true)
    const words = await one<{ n: number; signed: number }>(`select count(*) as n, count(distinct signature_id) as signed from signature_name_words`)
    expect(words.signed).toBe(signatures.length)
    expect(words.n).toBeGreaterThanOrEqual(2 * signatures.length)
  })

  it('changes nothing when seeded again', async () => {
    const before = await dump(getDb())
    expect(await seedDemo(getDb(), { demoOrganizer: true, history: true, now: NOW + DAY })).toEqual([])
    expect(await dump(getDb())).toEqual(before)
  })

  it('is removed entirely by npm run demo:remove, the closed campaign with it', async () => {
    const removed = await freshSeed((db) => removeDemoData(db))
    expect(removed.campaigns).toEqual([])
    for (const table of ['supporters', 'signatures', 'donations', 'email_messages', 'consents', 'update_sends']) expect(removed[table], table).toEqual([])
  })

  it('is the same data on every run', async () => {
    const [a, b] = [await freshSeed(), await freshSeed()]
    expect(a.signatures?.length).toBeGreaterThan(200)
    expect(b).toEqual(a)
  })
})

// The README promises "a few today": the dashboard's "signed today" counts UTC days, so a demo
// seeded just after midnight UTC must still have some, and nothing may lie ahead of the clock.
describe('the living demo seeded at any hour of the UTC day', () => {
  for (const iso of ['2026-12-04T00:00:00Z', '2026-12-04T00:02:00Z', '2026-12-04T09:30:00Z', '2026-12-04T23:58:00Z']) {
    it(`has a few signatures confirmed today and nothing in the future when seeded at ${iso}`, async () => {
      const now = Date.parse(iso)
      await freshSeed(async (db) => {
        const figures = await getCampaignFigures(db, { campaignId: 1, fundIds: [], now, fresh: true })
        expect(figures.confirmedToday).toBeGreaterThanOrEqual(3)
        expect(figures.confirmedToday).toBeLessThan(30)
        const ahead: string[] = []
        for (const [table, rows] of Object.entries(await dump(db))) {
          for (const row of rows) {
            for (const [column, value] of Object.entries(row)) {
              if (column.endsWith('_at') && typeof value === 'number' && value > now) ahead.push(`${table}.${column} = ${new Date(value).toISOString()}`)
            }
          }
        }
        expect(ahead).toEqual([])
        // The team answers a message after it was written.
        const early = await sqlOn(db).all(`select r.id from replies r join signatures s on s.id = r.signature_id where r.created_at < s.confirmed_at`)
        expect(early).toEqual([])
      }, now)
    })
  }
})

/** Every table's rows, without the columns that record when the seed itself ran. */
async function dump(db: DB) {
  const result: Record<string, Record<string, unknown>[]> = {}
  for (const table of await sqlOn(db).tables()) {
    const rows = (await sqlOn(db).all(`select * from "${table}"`)).map((row) => {
      const { updated_at: _u, received_at: _r, password_hash: _p, ...rest } = row
      return withEnvelopesOpened(table, rest)
    })
    result[table] = sortedRows(rows)
  }
  return result
}

/** Seed a new database on the process-wide connection (the app's models write through it), then put the test's back. */
async function freshSeed(then?: (db: DB) => unknown, now = NOW) {
  const previous = globalThis.__vigilDb
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-demo-'))
  const url = onPostgres ? await createTestDatabase() : null
  const db = url ? openPostgres(url, 2) : openDatabase(path.join(dir, 'vigil.db'))
  try {
    await migrateDatabase(db)
    globalThis.__vigilDb = db
    await seedDemo(db, { demoOrganizer: false, history: true, now })
    await then?.(db)
    return await dump(db)
  } finally {
    globalThis.__vigilDb = previous
    await closeDatabase(db)
    if (url) await dropTestDatabase(url)
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
