/**
 * Retention (ADR 010) against the production build and real SQLite files. Campaigns closed at
 * different times with different periods are set up row by row (as a long-running instance
 * would hold them); the settings form is used over HTTP; the job runs as an operator would
 * run it, through `npm run retention`, and by itself in `npm run worker`. The tests run in
 * order and build on each other.
 */
import { spawn } from 'node:child_process'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymiseDueSignatures } from '~/models/retention.server.ts'
import { unsubscribeToken } from '~/utils/tokens.server.ts'
import { getDb, sqliteOf } from '#db/client.server.ts'
import { textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { captureForLogAudit, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'

const DAY = 86_400_000
const NOW = Date.now()

let server: RunningServer
let db: Database.Database
let owner = ''
let ownerId = 0

// ——— Setting up: campaigns, supporters, signatures, as rows ———

type CampaignSpec = { status: 'live' | 'closed' | 'won'; closedDaysAgo?: number; retentionDays?: number }

function campaign(slug: string, { status, closedDaysAgo, retentionDays }: CampaignSpec, on = db) {
  const org = (on.prepare(`select id from organizations limit 1`).get() as { id: number }).id
  const closedAt = closedDaysAgo === undefined ? null : NOW - closedDaysAgo * DAY
  const id = Number(
    on
      .prepare(`insert into campaigns (organization_id, slug, status, default_locale, published_at, closed_at) values (?, ?, ?, 'en', ?, ?)`)
      .run(org, slug, status, NOW - 400 * DAY, closedAt).lastInsertRowid,
  )
  // Left out, the column's default applies: 180 days, as for every existing campaign.
  if (retentionDays !== undefined) on.prepare(`update campaigns set retention_days = ? where id = ?`).run(retentionDays, id)
  on.prepare(`insert into campaign_translations (campaign_id, locale, title, petition_text) values (?, 'en', ?, 'Let them go.')`).run(id, `Campaign ${slug}`)
  return id
}

let people = 0
function supporter(firstName: string, lastName: string, on = db) {
  const email = `${firstName.toLowerCase()}.${++people}@example.org`
  const id = Number(
    on
      .prepare(`insert into supporters (email_normalized, email, first_name, last_name, country, locale) values (?, ?, ?, ?, 'DE', 'en')`)
      .run(email, email, firstName, lastName).lastInsertRowid,
  )
  return { id, email, firstName, lastName }
}
type Person = ReturnType<typeof supporter>

type SignSpec = {
  status?: 'pending' | 'confirmed' | 'invalidated'
  country?: string
  daysAgo?: number
  message?: string
  showName?: boolean
  /** The consent rows for this campaign's news, oldest first. */
  consents?: boolean[]
}

let tokens = 0
/** A signature as signing, confirming and moderating leave it, with its confirmation email in the outbox. */
function sign(campaignId: number, person: Person, { status = 'confirmed', country = 'DE', daysAgo = 200, message, showName = false, consents = [] }: SignSpec = {}, on = db) {
  const at = NOW - daysAgo * DAY
  const id = Number(
    on
      .prepare(
        `insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, postal_code, locale, show_name, message, message_status,
           token_hash, token_expires_at, confirmations_sent, ip_hash, created_at, confirmed_at, invalidated_at, invalidation_reason)
         values (@campaignId, @supporterId, @status, @firstName, @lastName, @country, '10115', 'en', @showName, @message, @messageStatus,
           @tokenHash, @tokenExpiresAt, 1, @ipHash, @at, @confirmedAt, @invalidatedAt, @reason)`,
      )
      .run({
        campaignId,
        supporterId: person.id,
        status,
        firstName: person.firstName,
        lastName: person.lastName,
        country,
        showName: showName ? 1 : 0,
        message: message ?? null,
        messageStatus: message ? 'approved' : null,
        tokenHash: status === 'pending' ? `token-hash-${++tokens}` : null,
        tokenExpiresAt: status === 'pending' ? at + 7 * DAY : null,
        ipHash: `ip-hash-${person.id}`,
        at,
        confirmedAt: status === 'pending' ? null : at + 60_000,
        invalidatedAt: status === 'invalidated' ? at + DAY : null,
        reason: status === 'invalidated' ? 'Same address hash as 40 others' : null,
      }).lastInsertRowid,
  )
  on.prepare(
    `insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, status, created_at)
     values ('confirm-signature', ?, 'en', ?, ?, ?, 'captured', ?)`,
  ).run(person.email, JSON.stringify({ firstName: person.firstName, tokenSeed: `seed-${id}` }), `signature:${id}:confirm:1`, campaignId, at)
  for (const [i, granted] of consents.entries()) {
    on.prepare(`insert into consents (supporter_id, purpose, campaign_id, granted, source, created_at) values (?, 'campaign_updates', ?, ?, ?, ?)`).run(
      person.id,
      campaignId,
      granted ? 1 : 0,
      granted ? 'petition_form' : 'unsubscribe_link',
      at + i * DAY,
    )
  }
  return id
}

const COUNTRIES = ['DE', 'FR', 'ES', 'IT']

// Campaigns
let longAgo: number // closed 181 days ago, default period: due
let recently: number // closed (through the form) 10 days ago: not due
let live: number
let shortened: number // closed 40 days ago; the form shortens its period to 30 days: due
let longer: number // closed 181 days ago with a period of 365 days: not due

// People
let only: Person // signed the due campaign only, with a message the team answered
let twice: Person // also signed the recent campaign
let donor: Person // also gave money; once wanted the news, then unsubscribed
let news: Person // wants the due campaign's news
let pending: Person // never confirmed (but ticked "send me news")
let invalid: Person // invalidated
let alsoLive: Person // also signed the live campaign
const crowd: Person[] = []
let onlySignature = 0

beforeAll(async () => {
  server = await startServer({
    // The job runs only when a test runs it; the same secret as this process, for unsubscribe links.
    env: { PAGE_CACHE_TTL_MS: '0', VIGIL_RETENTION: 'off', VIGIL_QUIET_LOG: '1', SESSION_SECRET: process.env.SESSION_SECRET! },
  })
  db = new Database(server.databasePath)
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  owner = await petitionClient(server).login()
  ownerId = (db.prepare(`select id from organizers where email = 'demo@vigil.example'`).get() as { id: number }).id

  longAgo = campaign('closed-long-ago', { status: 'closed', closedDaysAgo: 181 })
  recently = campaign('closed-recently', { status: 'live' })
  live = campaign('still-live', { status: 'live' })
  shortened = campaign('custom-short', { status: 'won', closedDaysAgo: 40 })
  longer = campaign('custom-long', { status: 'closed', closedDaysAgo: 181, retentionDays: 365 })

  only = supporter('Zofia', 'Kowalczyk')
  twice = supporter('Tomasz', 'Twice')
  donor = supporter('Dora', 'Donor')
  news = supporter('Nuno', 'News')
  pending = supporter('Penny', 'Pending')
  invalid = supporter('Ivan', 'Invalid')
  alsoLive = supporter('Lara', 'Live')

  onlySignature = sign(longAgo, only, { message: 'We are with you, stay strong.', showName: true })
  db.prepare(`insert into replies (signature_id, organizer_id, body) values (?, ?, 'Thank you, Zofia!')`).run(onlySignature, ownerId)
  sign(longAgo, twice, { country: 'FR' })
  sign(longAgo, donor, { country: 'ES', consents: [true, false] })
  sign(longAgo, news, { consents: [true] })
  sign(longAgo, pending, { status: 'pending', consents: [true] })
  sign(longAgo, invalid, { status: 'invalidated', country: 'FR' })
  sign(longAgo, alsoLive, { country: 'ES' })
  for (let i = 0; i < 12; i++) {
    const person = supporter('Crowd', `Member${i}`)
    crowd.push(person)
    sign(longAgo, person, { country: COUNTRIES[i % 4], daysAgo: 190 + i })
  }
  sign(recently, twice, { daysAgo: 30 })
  sign(recently, supporter('Rita', 'Recent'), { daysAgo: 20, message: 'Still waiting for justice.' })
  sign(live, alsoLive, { daysAgo: 3 })
  sign(live, supporter('Leo', 'Live'), { status: 'pending', daysAgo: 1 })
  for (let i = 0; i < 3; i++) sign(shortened, supporter('Short', `Signer${i}`), { country: COUNTRIES[i], daysAgo: 60 })
  for (let i = 0; i < 2; i++) sign(longer, supporter('Long', `Signer${i}`), { daysAgo: 220 })

  // The donor's gift, and an update email that already went to the first signer.
  const fund = Number(db.prepare(`insert into funds (campaign_id, slug, goal_minor, currency) values (?, 'trip', 100000, 'EUR')`).run(longAgo).lastInsertRowid)
  db.prepare(
    `insert into donations (campaign_id, fund_id, supporter_id, interval, gift_minor, amount_minor, currency, status, paid_at, counted_minor, locale, email)
     values (?, ?, ?, 'one_time', 2500, 2500, 'EUR', 'succeeded', ?, 2500, 'en', ?)`,
  ).run(longAgo, fund, donor.id, NOW - 185 * DAY, donor.email)
  db.prepare(
    `insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, supporter_id, status)
     values ('campaign-update', ?, 'en', ?, ?, ?, ?, 'captured')`,
  ).run(only.email, JSON.stringify({ updateId: 999, supporterId: only.id }), `update:999:${only.id}`, longAgo, only.id)

  // The counters, from the rows, by the real recount command.
  const recount = await runScript('scripts/recount.ts', [], { DATABASE_PATH: server.databasePath })
  expect(recount.code, recount.stderr).toBe(0)
})

afterAll(async () => {
  db?.close()
  await server?.stop()
})

// ——— HTTP ———

function get(path: string, { lang = 'en', cookie = owner }: { lang?: string; cookie?: string } = {}) {
  return fetch(server.url + path, { redirect: 'manual', headers: { Cookie: cookie, 'Accept-Language': lang } }).then(async (r) => ({ status: r.status, body: await r.text() }))
}

function post(path: string, fields: Record<string, string>, { lang = 'en' }: { lang?: string } = {}) {
  return fetch(server.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: owner, Origin: server.url, 'Accept-Language': lang },
    body: new URLSearchParams(fields),
  }).then(async (r) => ({ status: r.status, location: r.headers.get('location'), body: await r.text() }))
}

/** The error list Conform renders under one field. */
function fieldErrors(html: string, field: string) {
  const match = new RegExp(`id="[^"]*-${field}-error" class="field__errors">(.*?)</ul>`).exec(html)
  return match ? [...match[1]!.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]) : []
}

function settingsForm(campaignId: number, overrides: Record<string, string>) {
  const row = db.prepare(`select slug, status, currency, retention_days as retentionDays from campaigns where id = ?`).get(campaignId) as Record<string, string | number>
  return { slug: String(row.slug), status: String(row.status), defaultLocale: 'en', currency: String(row.currency), signatureGoal: '', target: '', retentionDays: String(row.retentionDays), confirmationReminder: 'on', ...overrides }
}

const settingsPath = (campaignId: number) => `/admin/campaigns/${campaignId}?index`
const day = (epochMs: number) => new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(new Date(epochMs).toISOString().slice(0, 10)))

function retentionNotice(html: string) {
  return textOf(/<p class="notice" id="retention-notice">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '')
}

// ——— Reading the database ———

type Row = Record<string, unknown>
const all = (query: string, ...params: unknown[]) => db.prepare(query).all(...params) as Row[]
const one = (query: string, ...params: unknown[]) => db.prepare(query).get(...params) as Row | undefined

const signaturesOf = (campaignId: number) => all(`select * from signatures where campaign_id = ? order by id`, campaignId)
const supporterExists = (person: Person) => one(`select 1 as yes from supporters where id = ?`, person.id) !== undefined
const lastAuditId = () => Number(one(`select coalesce(max(id), 0) as id from audit_log`)!.id)
const auditSince = (id: number) => all(`select organizer_id as organizerId, action, subject_id as subjectId, details from audit_log where id > ? order by id`, id)

/** Everything a count is made of: counters, counts by country, and signatures per day and status. */
function counts() {
  return {
    counters: all(`select campaign_id, confirmed, pending from campaign_counters order by campaign_id`),
    countries: all(`select campaign_id, country, confirmed from country_counters order by campaign_id, country`),
    perDay: all(`select campaign_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') as day, status, count(*) as n from signatures group by 1, 2, 3 order by 1, 2, 3`),
  }
}

/** What a retention run may change, table by table. */
function everything() {
  return Object.fromEntries(
    ['campaigns', 'signatures', 'supporters', 'consents', 'replies', 'email_messages', 'donations', 'fund_donors', 'audit_log', 'campaign_counters', 'country_counters'].map((table) => [
      table,
      all(`select * from ${table} order by rowid`),
    ]),
  )
}

async function runRetention() {
  const result = await runScript('scripts/retention.ts', [], { DATABASE_PATH: server.databasePath })
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

async function publicFigures(slug: string) {
  const feed = await fetch(`${server.url}/c/${slug}/count.json`)
  expect(feed.status).toBe(200)
  return (await feed.json()) as unknown
}

function csvLines(csv: string) {
  return csv.replace(/^\uFEFF/, '').trim().split('\r\n')
}

// ——— Tests ———

describe('the retention setting', () => {
  it('is 180 days unless set, and the settings say when signatures will be anonymised', async () => {
    const livePage = await get(`/admin/campaigns/${live}`)
    expect(livePage.status).toBe(200)
    expect(livePage.body).toMatch(/name="retentionDays"[^>]*value="180"/)
    expect(retentionNotice(livePage.body)).toBe('Signatures will be anonymised 180 days after the campaign closes.')

    const longer365 = await get(`/admin/campaigns/${longer}`)
    expect(longer365.body).toMatch(/name="retentionDays"[^>]*value="365"/)
    const closed = NOW - 181 * DAY
    expect(retentionNotice(longer365.body)).toBe(`Closed on ${day(closed)}: its signatures will be anonymised on ${day(closed + 365 * DAY)}.`)

    const due = await get(`/admin/campaigns/${longAgo}?lng=de`)
    expect(retentionNotice(due.body)).toMatch(/^Beendet am .+: Die Unterschriften sind seit dem .+ zur Anonymisierung fällig/)
  })

  it('refuses values that are not a whole number of days from 1 to 3650, in the visitor’s language, storing nothing', async () => {
    const cases = [
      { value: '0', lang: 'de', message: 'Bitte geben Sie mindestens 1 ein.' },
      { value: '-30', lang: 'en', message: 'Please enter at least 1.' },
      { value: '3651', lang: 'es', message: 'Ingresa un valor de como máximo 3650.' },
      { value: '1.5', lang: 'en', message: 'Please enter a whole number.' },
      { value: 'six months', lang: 'de', message: 'Bitte geben Sie eine ganze Zahl ein.' },
      { value: '', lang: 'es', message: 'Completa este campo.' },
    ]
    const before = one(`select * from campaigns where id = ?`, live)
    const mark = lastAuditId()
    for (const { value, lang, message } of cases) {
      const response = await post(settingsPath(live), settingsForm(live, { retentionDays: value }), { lang })
      expect(response.status, value).toBe(400)
      expect(response.body).toMatch(new RegExp(`<html[^>]*lang="${lang}"`))
      expect(fieldErrors(response.body, 'retentionDays'), value).toEqual([message])
      if (value) expect(response.body).toMatch(new RegExp(`name="retentionDays"[^>]*value="${value}"`))
    }
    expect(one(`select * from campaigns where id = ?`, live)).toEqual(before)
    expect(auditSince(mark)).toEqual([])
  })

  it('stores a new period, audits it, and counts it from when the campaign closed', async () => {
    const mark = lastAuditId()
    const response = await post(settingsPath(shortened), settingsForm(shortened, { retentionDays: '30' }))
    expect(response.status).toBe(302)
    expect(one(`select retention_days as days, closed_at as closedAt from campaigns where id = ?`, shortened)).toEqual({ days: 30, closedAt: NOW - 40 * DAY })
    expect(auditSince(mark)).toEqual([{ organizerId: ownerId, action: 'campaign.update', subjectId: String(shortened), details: JSON.stringify({ retentionDays: [180, 30] }) }])
    const page = await get(`/admin/campaigns/${shortened}`)
    expect(retentionNotice(page.body)).toContain(`its signatures are due for anonymisation since ${day(NOW - 10 * DAY)}`)
  })

  it('records when a campaign stops collecting signatures, and forgets it when it goes live again', async () => {
    const closedAt = () => one(`select closed_at as at from campaigns where id = ?`, recently)!.at as number | null
    const start = Date.now()
    expect((await post(settingsPath(recently), settingsForm(recently, { status: 'closed' }))).status).toBe(302)
    expect(closedAt()).toBeGreaterThanOrEqual(start)
    expect(closedAt()).toBeLessThanOrEqual(Date.now())
    // Closed → won is still not collecting: the clock keeps running from the first close.
    const first = closedAt()
    expect((await post(settingsPath(recently), settingsForm(recently, { status: 'won' }))).status).toBe(302)
    expect(closedAt()).toBe(first)
    expect((await post(settingsPath(recently), settingsForm(recently, { status: 'live' }))).status).toBe(302)
    expect(closedAt()).toBeNull()
    expect((await post(settingsPath(recently), settingsForm(recently, { status: 'closed' }))).status).toBe(302)
    expect(closedAt()).toBeGreaterThanOrEqual(start)
    // As if that was ten days ago.
    db.prepare(`update campaigns set closed_at = ? where id = ?`).run(NOW - 10 * DAY, recently)
    const page = await get(`/admin/campaigns/${recently}`)
    expect(retentionNotice(page.body)).toBe(`Closed on ${day(NOW - 10 * DAY)}: its signatures will be anonymised on ${day(NOW + 170 * DAY)}.`)
  })
})

describe('a retention run', () => {
  let before: ReturnType<typeof counts>
  let untouched: Record<number, Row[]>
  let figures: Record<string, unknown>
  let csvBefore: string[]
  let countriesCsvBefore: string
  let publicPageBefore = ''
  let mark = 0
  let output = ''

  beforeAll(async () => {
    before = counts()
    untouched = Object.fromEntries([recently, live, longer].map((id) => [id, signaturesOf(id)]))
    figures = Object.fromEntries(
      await Promise.all(['closed-long-ago', 'closed-recently', 'still-live', 'custom-short', 'custom-long'].map(async (slug) => [slug, await publicFigures(slug)])),
    )
    csvBefore = csvLines((await get(`/admin/campaigns/${longAgo}/export.csv`)).body)
    countriesCsvBefore = (await get(`/admin/campaigns/${longAgo}/export.csv?kind=countries`)).body
    publicPageBefore = (await get('/c/closed-long-ago', { cookie: '' })).body
    mark = lastAuditId()
    output = await runRetention()
  })

  it('anonymises the signatures of campaigns whose period is over, and only those', () => {
    expect(output).toContain(`retention: campaign ${longAgo} (closed-long-ago): 19 signature(s) anonymised, 15 supporter(s) deleted`)
    expect(output).toContain(`retention: campaign ${shortened} (custom-short): 3 signature(s) anonymised, 3 supporter(s) deleted`)
    expect(output).toContain('retention: 22 signature(s) anonymised and 18 supporter(s) deleted in 2 campaign(s)')
    for (const campaignId of [longAgo, shortened]) {
      const rows = signaturesOf(campaignId)
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) {
        expect(row).toMatchObject({
          first_name: '',
          last_name: '',
          postal_code: null,
          message: null,
          message_status: null,
          show_name: 0,
          ip_hash: null,
          token_hash: null,
          token_expires_at: null,
          anonymised_at: expect.any(Number),
        })
      }
    }
    // The signer who wants the news is still reachable through their (anonymised) signature; nobody else is.
    expect(signaturesOf(longAgo).filter((r) => r.supporter_id !== null).map((r) => r.supporter_id)).toEqual([news.id])
    for (const [id, rows] of Object.entries(untouched)) expect(signaturesOf(Number(id))).toEqual(rows)
    expect(one(`select signatures_anonymised_at as at from campaigns where id = ?`, longAgo)!.at).toEqual(expect.any(Number))
    expect(one(`select signatures_anonymised_at as at from campaigns where id = ?`, recently)!.at).toBeNull()
  })

  it('keeps every count: counters, counts by country, signatures per day, count.json and the CSV exports', async () => {
    expect(counts()).toEqual(before)
    for (const [slug, figure] of Object.entries(figures)) expect(await publicFigures(slug)).toEqual(figure)
    const csvAfter = csvLines((await get(`/admin/campaigns/${longAgo}/export.csv`)).body)
    expect(csvAfter).toHaveLength(csvBefore.length)
    expect(csvAfter.length - 1).toBe(17) // confirmed: 19 signed, one pending, one invalidated
    expect(csvAfter[0]).toBe(csvBefore[0])
    expect(csvAfter.slice(1).every((line) => line.startsWith('Anonymised,,,'))).toBe(true)
    // Country and confirmation time stay, row for row (names and emails hold no commas; messages come last).
    const kept = (line: string) => [line.split(',')[3], line.split(',')[5]]
    expect(csvAfter.slice(1).map(kept)).toEqual(csvBefore.slice(1).map(kept))
    expect((await get(`/admin/campaigns/${longAgo}/export.csv?kind=countries`)).body).toBe(countriesCsvBefore)
  })

  it('deletes supporters left with nothing; keeps those who signed elsewhere, gave money or want the news', () => {
    for (const gone of [only, pending, invalid, ...crowd]) expect(supporterExists(gone), gone.lastName).toBe(false)
    for (const kept of [twice, donor, news, alsoLive]) expect(supporterExists(kept), kept.lastName).toBe(true)
    expect(one(`select count(*) as n from supporters where first_name = 'Short'`)!.n).toBe(0)
    expect(one(`select count(*) as n from supporters where first_name in ('Long', 'Rita', 'Leo')`)!.n).toBe(4)
    // Their other signatures are as they were.
    expect(one(`select first_name as name from signatures where campaign_id = ? and supporter_id = ?`, recently, twice.id)).toEqual({ name: 'Tomasz' })
    expect(one(`select first_name as name from signatures where campaign_id = ? and supporter_id = ?`, live, alsoLive.id)).toEqual({ name: 'Lara' })
    expect(one(`select count(*) as n from donations where supporter_id = ?`, donor.id)!.n).toBe(1)
  })

  it('keeps the consents of those who stay, withdrawals included; deletes those of the deleted', () => {
    const consents = (person: Person) => all(`select granted from consents where supporter_id = ? and campaign_id = ? order by id`, person.id, longAgo).map((r) => r.granted)
    // The latest row decides: without the withdrawal, the grant before it would count again.
    expect(consents(donor)).toEqual([1, 0])
    expect(consents(news)).toEqual([1])
    expect(consents(pending)).toEqual([])
    expect(one(`select count(*) as n from consents where supporter_id not in (select id from supporters)`)!.n).toBe(0)
  })

  it('deletes the message’s replies and the confirmation emails, and blanks the address of updates already sent', async () => {
    expect(all(`select * from replies where signature_id = ?`, onlySignature)).toEqual([])
    expect(one(`select count(*) as n from email_messages where template = 'confirm-signature' and campaign_id in (?, ?)`, longAgo, shortened)!.n).toBe(0)
    expect(one(`select count(*) as n from email_messages where template = 'confirm-signature' and campaign_id in (?, ?, ?)`, recently, live, longer)!.n).toBe(6)
    expect(one(`select to_email as toEmail, supporter_id as supporterId, status from email_messages where idempotency_key = ?`, `update:999:${only.id}`)).toEqual({
      toEmail: '',
      supporterId: null,
      status: 'captured',
    })
    const outbox = textOf((await get('/admin/outbox')).body)
    expect(outbox).toContain('(address deleted)')
    expect(outbox).not.toContain(only.email)
    const leftovers = JSON.stringify(everything())
    for (const gone of [only, pending, invalid, ...crowd]) expect(leftovers).not.toContain(gone.email)
    expect(leftovers).not.toContain('Kowalczyk')
    expect(leftovers).not.toContain('We are with you')
  })

  it('writes one audit entry per campaign, with how many signatures', async () => {
    // (The exports above are audited too.)
    const entries = auditSince(mark).filter((e) => e.action === 'signatures.anonymise')
    expect(entries).toEqual([
      { organizerId: null, action: 'signatures.anonymise', subjectId: String(longAgo), details: JSON.stringify({ anonymised: 19, released: 0, supportersDeleted: 15, retentionDays: 180 }) },
      { organizerId: null, action: 'signatures.anonymise', subjectId: String(shortened), details: JSON.stringify({ anonymised: 3, released: 0, supportersDeleted: 3, retentionDays: 30 }) },
    ])
    const log = textOf((await get('/admin/audit')).body)
    // In a sentence: who (the job, not an organiser), what, how many, of which campaign, why.
    expect(log).toContain('Vigil anonymised 19 signatures of “Campaign closed-long-ago” (retention period over)')
    expect(log).toContain('Vigil anonymised 3 signatures of “Campaign custom-short” (retention period over)')
  })

  it('shows organisers “Anonymised” where the names were, in their language, and when it happened', async () => {
    const table = await get(`/admin/campaigns/${longAgo}/signatures?lng=de`)
    expect(table.status).toBe(200)
    const text = textOf(table.body)
    expect(text.match(/Anonymisiert/g)).toHaveLength(19)
    for (const name of ['Zofia', 'Kowalczyk', 'Nuno', 'Dora', 'Member', '@example.org']) expect(text).not.toContain(name)
    expect((await get(`/admin/campaigns/${longAgo}/signatures`)).body).toContain('>Anonymised</span>')
    const settings = await get(`/admin/campaigns/${longAgo}?lng=es`)
    expect(retentionNotice(settings.body)).toMatch(/^Sus firmas se anonimizaron el .+\.$/)
  })

  it('takes the messages of support and the names shown off the public page', async () => {
    expect(publicPageBefore).toContain('We are with you, stay strong.')
    expect(publicPageBefore).toContain('Zofia K.')
    const after = (await get('/c/closed-long-ago', { cookie: '' })).body
    expect(after).not.toContain('We are with you')
    expect(after).not.toContain('Zofia')
  })

  it('changes nothing when run again', async () => {
    const state = everything()
    expect(await runRetention()).toBe('retention: nothing is due\n')
    expect(everything()).toEqual(state)
  })

  it('lets go of a signer who no longer wants the news, and deletes them, at the next run', async () => {
    const unsubscribe = await fetch(`${server.url}/unsubscribe/${unsubscribeToken(news.id, longAgo)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
    expect(unsubscribe.status).toBe(200)
    const counted = counts()
    const since = lastAuditId()
    const again = await runRetention()
    expect(again).toContain(`retention: campaign ${longAgo} (closed-long-ago): 0 signature(s) anonymised, 1 no longer kept for news, 1 supporter(s) deleted`)
    expect(supporterExists(news)).toBe(false)
    expect(signaturesOf(longAgo).filter((r) => r.supporter_id !== null)).toEqual([])
    expect(counts()).toEqual(counted)
    expect(auditSince(since).map((e) => [e.subjectId, e.details])).toEqual([[String(longAgo), JSON.stringify({ anonymised: 0, released: 1, supportersDeleted: 1 })]])
    expect(await runRetention()).toBe('retention: nothing is due\n')
  })
})

describe('running by itself', () => {
  function bigClosedCampaign(slug: string, signers: number, on = db) {
    const id = campaign(slug, { status: 'closed', closedDaysAgo: 200 }, on)
    on.transaction(() => {
      for (let i = 0; i < signers; i++) sign(id, supporter('Many', `${slug}-${i}`, on), { country: COUNTRIES[i % 4], daysAgo: 210 + (i % 5) }, on)
    })()
    return id
  }

  it('two runs at the same time take turns batch by batch, and each signature is anonymised once', async () => {
    // In this process, on its own SQLite file: the two runs interleave at every batch boundary.
    const local = sqliteOf(getDb())
    local.prepare(`insert into organizations (slug, name) values ('local', 'Local')`).run()
    const id = bigClosedCampaign('taking-turns', 2_600, local)
    const [first, second] = await Promise.all([anonymiseDueSignatures(getDb()), anonymiseDueSignatures(getDb())])
    const mine = [...first, ...second].filter((r) => r.campaignId === id)
    expect(mine).toHaveLength(2)
    expect(mine.every((r) => r.anonymised > 0)).toBe(true)
    expect(mine.reduce((sum, r) => sum + r.anonymised, 0)).toBe(2_600)
    expect(mine.reduce((sum, r) => sum + r.supportersDeleted, 0)).toBe(2_600)
    expect(local.prepare(`select count(*) as n from signatures where campaign_id = ? and anonymised_at is null`).get(id)).toEqual({ n: 0 })
    const audit = local.prepare(`select details from audit_log where action = 'signatures.anonymise' and subject_id = ?`).all(String(id)) as { details: string }[]
    expect(audit.map((a) => (JSON.parse(a.details) as { anonymised: number }).anonymised).sort()).toEqual(mine.map((r) => r.anonymised).sort())
    expect(await anonymiseDueSignatures(getDb())).toEqual([])
  })

  it('two processes at the same time leave what one would: each signature anonymised once, the counts kept', async () => {
    const id = bigClosedCampaign('two-at-once', 3_000)
    expect((await runScript('scripts/recount.ts', [], { DATABASE_PATH: server.databasePath })).code).toBe(0)
    const counted = counts()
    const mark = lastAuditId()
    const [a, b] = await Promise.all([runRetention(), runRetention()])
    expect(one(`select count(*) as n from signatures where campaign_id = ? and anonymised_at is null`, id)!.n).toBe(0)
    expect(one(`select count(*) as n from supporters where first_name = 'Many'`)!.n).toBe(0)
    expect(counts()).toEqual(counted)
    // One entry per process that did part of it.
    const entries = auditSince(mark).filter((e) => e.subjectId === String(id))
    expect(entries.length).toBeGreaterThanOrEqual(1)
    expect(entries.length).toBeLessThanOrEqual(2)
    const total = entries.reduce((sum, e) => sum + (JSON.parse(String(e.details)) as { anonymised: number }).anonymised, 0)
    expect(total, `${a}\n${b}`).toBe(3_000)
  })

  it('`npm run worker` anonymises what falls due without being asked', async () => {
    const id = bigClosedCampaign('for-the-worker', 3)
    const worker = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', DATABASE_PATH: server.databasePath, STRIPE_SECRET_KEY: '', RESEND_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    worker.stdout.on('data', (d: Buffer) => (output += d.toString()))
    worker.stderr.on('data', (d: Buffer) => (output += d.toString()))
    captureForLogAudit(worker, 'worker')
    try {
      for (let i = 0; i < 150 && !output.includes('(for-the-worker)'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(output).toContain(`vigil worker: retention: campaign ${id} (for-the-worker): 3 signature(s) anonymised, 3 supporter(s) deleted`)
      expect(one(`select count(*) as n from signatures where campaign_id = ? and anonymised_at is null`, id)!.n).toBe(0)
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.kill('SIGTERM')
      await exited
    }
  })
})
