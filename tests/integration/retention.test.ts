/**
 * Retention (ADR 010) against the production build and a real database (SQLite file or Postgres). Campaigns closed at
 * different times with different periods are set up row by row (as a long-running instance
 * would hold them); the settings form is used over HTTP; the job runs as an operator would
 * run it, through `npm run retention`, and by itself in `npm run worker`. The tests run in
 * order and build on each other.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nameWordHashes, openSignature, sealDonation, sealEmail, sealReply, sealSignature, sealSupporter } from '~/models/personal-data.server.ts'
import { anonymiseDueSignatures } from '~/models/retention.server.ts'
import { unsubscribeToken } from '~/utils/tokens.server.ts'
import { getDb } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { onPostgres } from '../helpers/engine.ts'
import { textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { entryArgs, captureForLogAudit, databaseEnv, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, sortedRows, sqlOn, type ServerSql, type Sql } from '../helpers/sql.ts'

const DAY = 86_400_000
const NOW = Date.now()

let server: RunningServer
let db: ServerSql
let owner = ''
let ownerId = 0

// ——— Setting up: campaigns, supporters, signatures, as rows ———

type CampaignSpec = { status: 'live' | 'closed' | 'won'; closedDaysAgo?: number; retentionDays?: number }

async function campaign(slug: string, { status, closedDaysAgo, retentionDays }: CampaignSpec, on: Sql = db) {
  const org = (await on.get<{ id: number }>(`select id from organizations order by id limit 1`))!.id
  const closedAt = closedDaysAgo === undefined ? null : NOW - closedDaysAgo * DAY
  const { id } = (await on.get<{ id: number }>(
    `insert into campaigns (organization_id, slug, status, default_locale, published_at, closed_at) values (?, ?, ?, 'en', ?, ?) returning id`,
    org,
    slug,
    status,
    NOW - 400 * DAY,
    closedAt,
  ))!
  // Left out, the column's default applies: 180 days, as for every existing campaign.
  if (retentionDays !== undefined) await on.run(`update campaigns set retention_days = ? where id = ?`, retentionDays, id)
  await on.run(`insert into campaign_translations (campaign_id, locale, title, petition_text) values (?, 'en', ?, 'Let them go.')`, id, `Campaign ${slug}`)
  return id
}

let people = 0
/** A supporter as signing leaves one: sealed, found by the keyed hash of their address (ADR 017). */
async function supporter(firstName: string, lastName: string, on: Sql = db) {
  const email = `${firstName.toLowerCase()}.${++people}@example.org`
  const sealed = sealSupporter({ email, firstName, lastName })
  const { id } = (await on.get<{ id: number }>(
    `insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, 'DE', 'en') returning id`,
    sealed.emailHash,
    sealed.emailDomainHash,
    sealed.sealed,
    sealed.dataKeyId,
  ))!
  return { id, email, firstName, lastName }
}
type Person = Awaited<ReturnType<typeof supporter>>

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
async function sign(campaignId: number, person: Person, { status = 'confirmed', country = 'DE', daysAgo = 200, message, showName = false, consents = [] }: SignSpec = {}, on: Sql = db) {
  const at = NOW - daysAgo * DAY
  const sealed = sealSignature({ firstName: person.firstName, lastName: person.lastName, postalCode: '10115', message: message ?? null })
  const { id } = (await on.get<{ id: number }>(
    `insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, show_name, message_status,
       token_hash, token_expires_at, confirmations_sent, ip_hash, created_at, confirmed_at, invalidated_at, invalidation_reason)
     values (?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) returning id`,
    campaignId,
    person.id,
    status,
    sealed.sealed,
    sealed.dataKeyId,
    country,
    showName,
    message ? 'approved' : null,
    status === 'pending' ? `token-hash-${++tokens}` : null,
    status === 'pending' ? at + 7 * DAY : null,
    `ip-hash-${person.id}`,
    at,
    status === 'pending' ? null : at + 60_000,
    status === 'invalidated' ? at + DAY : null,
    status === 'invalidated' ? 'Same address hash as 40 others' : null,
  ))!
  // Its name words, in one statement (the back office's search by name).
  const words = nameWordHashes(person.firstName, person.lastName)
  await on.run(`insert into signature_name_words (campaign_id, word_hash, signature_id) values ${words.map(() => '(?, ?, ?)').join(', ')}`, ...words.flatMap((w) => [campaignId, w, id]))
  const email = sealEmail({ to: person.email, props: { firstName: person.firstName, tokenSeed: `seed-${id}` } })
  await on.run(
    `insert into email_messages (template, sealed, data_key_id, locale, props, idempotency_key, campaign_id, status, created_at)
     values ('confirm-signature', ?, ?, 'en', '{}', ?, ?, 'captured', ?)`,
    email.sealed,
    email.dataKeyId,
    `signature:${id}:confirm:1`,
    campaignId,
    at,
  )
  for (const [i, granted] of consents.entries()) {
    await on.run(
      `insert into consents (supporter_id, purpose, campaign_id, granted, source, created_at) values (?, 'campaign_updates', ?, ?, ?, ?)`,
      person.id,
      campaignId,
      granted,
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
const shorts: Person[] = [] // signed the shortened campaign only
const stayers: Person[] = [] // signed campaigns not due (Rita, Leo, the two Longs)
let onlySignature = 0

beforeAll(async () => {
  server = await startServer({
    // The job runs only when a test runs it; the same secret as this process, for unsubscribe links.
    env: { PAGE_CACHE_TTL_MS: '0', VIGIL_RETENTION: 'off', VIGIL_QUIET_LOG: '1', SESSION_SECRET: process.env.SESSION_SECRET! },
  })
  db = openServerSql(server)
  owner = await petitionClient(server).login()
  ownerId = (await db.get<{ id: number }>(`select id from organizers where email = 'demo@vigil.example'`))!.id

  longAgo = await campaign('closed-long-ago', { status: 'closed', closedDaysAgo: 181 })
  recently = await campaign('closed-recently', { status: 'live' })
  live = await campaign('still-live', { status: 'live' })
  shortened = await campaign('custom-short', { status: 'won', closedDaysAgo: 40 })
  longer = await campaign('custom-long', { status: 'closed', closedDaysAgo: 181, retentionDays: 365 })

  only = await supporter('Zofia', 'Kowalczyk')
  twice = await supporter('Tomasz', 'Twice')
  donor = await supporter('Dora', 'Donor')
  news = await supporter('Nuno', 'News')
  pending = await supporter('Penny', 'Pending')
  invalid = await supporter('Ivan', 'Invalid')
  alsoLive = await supporter('Lara', 'Live')

  onlySignature = await sign(longAgo, only, { message: 'We are with you, stay strong.', showName: true })
  const reply = sealReply({ body: 'Thank you, Zofia!' })
  await db.run(`insert into replies (signature_id, organizer_id, sealed, data_key_id) values (?, ?, ?, ?)`, onlySignature, ownerId, reply.sealed, reply.dataKeyId)
  await sign(longAgo, twice, { country: 'FR' })
  await sign(longAgo, donor, { country: 'ES', consents: [true, false] })
  await sign(longAgo, news, { consents: [true] })
  await sign(longAgo, pending, { status: 'pending', consents: [true] })
  await sign(longAgo, invalid, { status: 'invalidated', country: 'FR' })
  await sign(longAgo, alsoLive, { country: 'ES' })
  for (let i = 0; i < 12; i++) {
    const person = await supporter('Crowd', `Member${i}`)
    crowd.push(person)
    await sign(longAgo, person, { country: COUNTRIES[i % 4], daysAgo: 190 + i })
  }
  await sign(recently, twice, { daysAgo: 30 })
  stayers.push(await supporter('Rita', 'Recent'))
  await sign(recently, stayers.at(-1)!, { daysAgo: 20, message: 'Still waiting for justice.' })
  await sign(live, alsoLive, { daysAgo: 3 })
  stayers.push(await supporter('Leo', 'Live'))
  await sign(live, stayers.at(-1)!, { status: 'pending', daysAgo: 1 })
  for (let i = 0; i < 3; i++) {
    shorts.push(await supporter('Short', `Signer${i}`))
    await sign(shortened, shorts.at(-1)!, { country: COUNTRIES[i], daysAgo: 60 })
  }
  for (let i = 0; i < 2; i++) {
    stayers.push(await supporter('Long', `Signer${i}`))
    await sign(longer, stayers.at(-1)!, { daysAgo: 220 })
  }

  // The donor's gift, and an update email that already went to the first signer.
  const fund = (await db.get<{ id: number }>(`insert into funds (campaign_id, slug, goal_minor, currency) values (?, 'trip', 100000, 'EUR') returning id`, longAgo))!.id
  const gift = sealDonation({ email: donor.email, receiptName: null, publicName: null, message: null })
  await db.run(
    `insert into donations (campaign_id, fund_id, supporter_id, interval, gift_minor, amount_minor, currency, status, paid_at, counted_minor, locale, sealed, data_key_id)
     values (?, ?, ?, 'one_time', 2500, 2500, 'EUR', 'succeeded', ?, 2500, 'en', ?, ?)`,
    longAgo,
    fund,
    donor.id,
    NOW - 185 * DAY,
    gift.sealed,
    gift.dataKeyId,
  )
  // An update's message names its supporter and goes to their address; nothing of it is sealed (ADR 017).
  await db.run(
    `insert into email_messages (template, locale, props, idempotency_key, campaign_id, supporter_id, status)
     values ('campaign-update', 'en', ?, ?, ?, ?, 'captured')`,
    JSON.stringify({ updateId: 999, supporterId: only.id }),
    `update:999:${only.id}`,
    longAgo,
    only.id,
  )

  // The counters, from the rows, by the real recount command.
  const recount = await runScript('scripts/recount.ts', [], databaseEnv(server))
  expect(recount.code, recount.stderr).toBe(0)
})

afterAll(async () => {
  await db?.close()
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

async function settingsForm(campaignId: number, overrides: Record<string, string>) {
  const row = (await db.get(`select slug, status, currency, retention_days as "retentionDays" from campaigns where id = ?`, campaignId)) as Record<string, string | number>
  return { slug: String(row.slug), status: String(row.status), defaultLocale: 'en', currency: String(row.currency), signatureGoal: '', target: '', retentionDays: String(row.retentionDays), confirmationReminder: 'on', ...overrides }
}

const settingsPath = (campaignId: number) => `/admin/campaigns/${campaignId}?index`
const day = (epochMs: number) => new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(new Date(epochMs).toISOString().slice(0, 10)))

function retentionNotice(html: string) {
  return textOf(/<p class="notice" id="retention-notice">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '')
}

// ——— Reading the database ———

type Row = Record<string, unknown>
const all = (query: string, ...params: unknown[]) => db.all<Row>(query, ...params)
const one = (query: string, ...params: unknown[]) => db.get<Row>(query, ...params)

const signaturesOf = (campaignId: number) => all(`select * from signatures where campaign_id = ? order by id`, campaignId)
const supporterExists = async (person: Person) => (await one(`select 1 as yes from supporters where id = ?`, person.id)) !== undefined
const lastAuditId = async () => Number((await one(`select coalesce(max(id), 0) as id from audit_log`))!.id)
const auditSince = (id: number) => all(`select organizer_id as "organizerId", action, subject_id as "subjectId", details from audit_log where id > ? order by id`, id)

// A signature's UTC day, in each engine's words (as db/sql/signatures.server.ts writes it).
const utcDay = onPostgres ? `to_char(to_timestamp(created_at / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')` : `strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')`

/** Everything a count is made of: counters, counts by country, and signatures per day and status. */
async function counts() {
  return {
    counters: await all(`select campaign_id, confirmed, pending from campaign_counters order by campaign_id`),
    countries: await all(`select campaign_id, country, confirmed from country_counters order by campaign_id, country`),
    perDay: await all(`select campaign_id, ${utcDay} as day, status, count(*) as n from signatures group by 1, 2, 3 order by 1, 2, 3`),
  }
}

/** What a retention run may change, table by table (rows in an order of their own: not every table has an id, and Postgres no rowid). */
async function everything() {
  const tables = ['campaigns', 'signatures', 'supporters', 'consents', 'replies', 'email_messages', 'donations', 'fund_donors', 'audit_log', 'campaign_counters', 'country_counters']
  return Object.fromEntries(await Promise.all(tables.map(async (table) => [table, sortedRows(await all(`select * from ${table}`))])))
}

async function runRetention() {
  const result = await runScript('scripts/retention.ts', [], databaseEnv(server))
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
    const before = await one(`select * from campaigns where id = ?`, live)
    const mark = await lastAuditId()
    for (const { value, lang, message } of cases) {
      const response = await post(settingsPath(live), await settingsForm(live, { retentionDays: value }), { lang })
      expect(response.status, value).toBe(400)
      expect(response.body).toMatch(new RegExp(`<html[^>]*lang="${lang}"`))
      expect(fieldErrors(response.body, 'retentionDays'), value).toEqual([message])
      if (value) expect(response.body).toMatch(new RegExp(`name="retentionDays"[^>]*value="${value}"`))
    }
    expect(await one(`select * from campaigns where id = ?`, live)).toEqual(before)
    expect(await auditSince(mark)).toEqual([])
  })

  it('stores a new period, audits it, and counts it from when the campaign closed', async () => {
    const mark = await lastAuditId()
    const response = await post(settingsPath(shortened), await settingsForm(shortened, { retentionDays: '30' }))
    expect(response.status).toBe(302)
    expect(await one(`select retention_days as days, closed_at as "closedAt" from campaigns where id = ?`, shortened)).toEqual({ days: 30, closedAt: NOW - 40 * DAY })
    expect(await auditSince(mark)).toEqual([{ organizerId: ownerId, action: 'campaign.update', subjectId: String(shortened), details: JSON.stringify({ retentionDays: [180, 30] }) }])
    const page = await get(`/admin/campaigns/${shortened}`)
    expect(retentionNotice(page.body)).toContain(`its signatures are due for anonymisation since ${day(NOW - 10 * DAY)}`)
  })

  it('records when a campaign stops collecting signatures, and forgets it when it goes live again', async () => {
    const closedAt = async () => (await one(`select closed_at as at from campaigns where id = ?`, recently))!.at as number | null
    const start = Date.now()
    expect((await post(settingsPath(recently), await settingsForm(recently, { status: 'closed' }))).status).toBe(302)
    expect(await closedAt()).toBeGreaterThanOrEqual(start)
    expect(await closedAt()).toBeLessThanOrEqual(Date.now())
    // Closed → won is still not collecting: the clock keeps running from the first close.
    const first = await closedAt()
    expect((await post(settingsPath(recently), await settingsForm(recently, { status: 'won' }))).status).toBe(302)
    expect(await closedAt()).toBe(first)
    expect((await post(settingsPath(recently), await settingsForm(recently, { status: 'live' }))).status).toBe(302)
    expect(await closedAt()).toBeNull()
    expect((await post(settingsPath(recently), await settingsForm(recently, { status: 'closed' }))).status).toBe(302)
    expect(await closedAt()).toBeGreaterThanOrEqual(start)
    // As if that was ten days ago.
    await db.run(`update campaigns set closed_at = ? where id = ?`, NOW - 10 * DAY, recently)
    const page = await get(`/admin/campaigns/${recently}`)
    expect(retentionNotice(page.body)).toBe(`Closed on ${day(NOW - 10 * DAY)}: its signatures will be anonymised on ${day(NOW + 170 * DAY)}.`)
  })
})

describe('a retention run', () => {
  let before: Awaited<ReturnType<typeof counts>>
  let untouched: Record<number, Row[]>
  let figures: Record<string, unknown>
  let csvBefore: string[]
  let countriesCsvBefore: string
  let publicPageBefore = ''
  let mark = 0
  let output = ''

  beforeAll(async () => {
    before = await counts()
    untouched = Object.fromEntries(await Promise.all([recently, live, longer].map(async (id) => [id, await signaturesOf(id)])))
    figures = Object.fromEntries(
      await Promise.all(['closed-long-ago', 'closed-recently', 'still-live', 'custom-short', 'custom-long'].map(async (slug) => [slug, await publicFigures(slug)])),
    )
    csvBefore = csvLines((await get(`/admin/campaigns/${longAgo}/export.csv`)).body)
    countriesCsvBefore = (await get(`/admin/campaigns/${longAgo}/export.csv?kind=countries`)).body
    publicPageBefore = (await get('/c/closed-long-ago', { cookie: '' })).body
    mark = await lastAuditId()
    output = await runRetention()
  })

  it('anonymises the signatures of campaigns whose period is over, and only those', async () => {
    expect(output).toContain(`retention: campaign ${longAgo} (closed-long-ago): 19 signature(s) anonymised, 15 supporter(s) deleted`)
    expect(output).toContain(`retention: campaign ${shortened} (custom-short): 3 signature(s) anonymised, 3 supporter(s) deleted`)
    expect(output).toContain('retention: 22 signature(s) anonymised and 18 supporter(s) deleted in 2 campaign(s)')
    for (const campaignId of [longAgo, shortened]) {
      const rows = await signaturesOf(campaignId)
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) {
        expect(row).toMatchObject({
          sealed: null,
          resubmitted_sealed: null,
          message_status: null,
          show_name: 0,
          ip_hash: null,
          token_hash: null,
          token_expires_at: null,
          anonymised_at: expect.any(Number),
        })
      }
    }
    // Their names can no longer be searched for either.
    expect(await one(`select count(*) as n from signature_name_words where campaign_id in (?, ?)`, longAgo, shortened)).toEqual({ n: 0 })
    expect(Number((await one(`select count(*) as n from signature_name_words where campaign_id = ?`, recently))!.n)).toBeGreaterThan(0)
    // The signer who wants the news is still reachable through their (anonymised) signature; nobody else is.
    expect((await signaturesOf(longAgo)).filter((r) => r.supporter_id !== null).map((r) => r.supporter_id)).toEqual([news.id])
    for (const [id, rows] of Object.entries(untouched)) expect(await signaturesOf(Number(id))).toEqual(rows)
    expect((await one(`select signatures_anonymised_at as at from campaigns where id = ?`, longAgo))!.at).toEqual(expect.any(Number))
    expect((await one(`select signatures_anonymised_at as at from campaigns where id = ?`, recently))!.at).toBeNull()
  })

  it('keeps every count: counters, counts by country, signatures per day, count.json and the CSV exports', async () => {
    expect(await counts()).toEqual(before)
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

  it('deletes supporters left with nothing; keeps those who signed elsewhere, gave money or want the news', async () => {
    for (const gone of [only, pending, invalid, ...crowd]) expect(await supporterExists(gone), gone.lastName).toBe(false)
    for (const kept of [twice, donor, news, alsoLive]) expect(await supporterExists(kept), kept.lastName).toBe(true)
    for (const gone of shorts) expect(await supporterExists(gone), gone.lastName).toBe(false)
    for (const kept of stayers) expect(await supporterExists(kept), kept.lastName).toBe(true)
    // Their other signatures are as they were.
    const firstName = async (campaignId: number, person: Person) =>
      openSignature((await one(`select sealed from signatures where campaign_id = ? and supporter_id = ?`, campaignId, person.id))!.sealed as string)?.firstName
    expect(await firstName(recently, twice)).toBe('Tomasz')
    expect(await firstName(live, alsoLive)).toBe('Lara')
    expect((await one(`select count(*) as n from donations where supporter_id = ?`, donor.id))!.n).toBe(1)
  })

  it('keeps the consents of those who stay, withdrawals included; deletes those of the deleted', async () => {
    const consents = async (person: Person) => (await all(`select granted from consents where supporter_id = ? and campaign_id = ? order by id`, person.id, longAgo)).map((r) => r.granted)
    // The latest row decides: without the withdrawal, the grant before it would count again.
    expect(await consents(donor)).toEqual([1, 0])
    expect(await consents(news)).toEqual([1])
    expect(await consents(pending)).toEqual([])
    expect((await one(`select count(*) as n from consents where supporter_id not in (select id from supporters)`))!.n).toBe(0)
  })

  it('deletes the message’s replies and the confirmation emails, and blanks the address of updates already sent', async () => {
    expect(await all(`select * from replies where signature_id = ?`, onlySignature)).toEqual([])
    expect((await one(`select count(*) as n from email_messages where template = 'confirm-signature' and campaign_id in (?, ?)`, longAgo, shortened))!.n).toBe(0)
    expect((await one(`select count(*) as n from email_messages where template = 'confirm-signature' and campaign_id in (?, ?, ?)`, recently, live, longer))!.n).toBe(6)
    expect(await one(`select to_email as "toEmail", sealed, supporter_id as "supporterId", status from email_messages where idempotency_key = ?`, `update:999:${only.id}`)).toEqual({
      toEmail: null,
      sealed: null,
      supporterId: null,
      status: 'captured',
    })
    const outbox = textOf((await get('/admin/outbox')).body)
    expect(outbox).toContain('(address deleted)')
    expect(outbox).not.toContain(only.email)
    const leftovers = JSON.stringify(await everything())
    for (const gone of [only, pending, invalid, ...crowd]) expect(leftovers).not.toContain(gone.email)
    expect(leftovers).not.toContain('Kowalczyk')
    expect(leftovers).not.toContain('We are with you')
  })

  it('writes one audit entry per campaign, with how many signatures', async () => {
    // (The exports above are audited too.)
    const entries = (await auditSince(mark)).filter((e) => e.action === 'signatures.anonymise')
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
    const state = await everything()
    expect(await runRetention()).toBe('retention: nothing is due\n')
    expect(await everything()).toEqual(state)
  })

  it('lets go of a signer who no longer wants the news, and deletes them, at the next run', async () => {
    const unsubscribe = await fetch(`${server.url}/unsubscribe/${unsubscribeToken(news.id, longAgo)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
    expect(unsubscribe.status).toBe(200)
    const counted = await counts()
    const since = await lastAuditId()
    const again = await runRetention()
    expect(again).toContain(`retention: campaign ${longAgo} (closed-long-ago): 0 signature(s) anonymised, 1 no longer kept for news, 1 supporter(s) deleted`)
    expect(await supporterExists(news)).toBe(false)
    expect((await signaturesOf(longAgo)).filter((r) => r.supporter_id !== null)).toEqual([])
    expect(await counts()).toEqual(counted)
    expect((await auditSince(since)).map((e) => [e.subjectId, e.details])).toEqual([[String(longAgo), JSON.stringify({ anonymised: 0, released: 1, supportersDeleted: 1 })]])
    expect(await runRetention()).toBe('retention: nothing is due\n')
  })
})

describe('running by itself', () => {
  /** Its supporters' ids are one range: they are written in one transaction, by one process. */
  async function bigClosedCampaign(slug: string, signers: number, on: Sql = db) {
    const id = await campaign(slug, { status: 'closed', closedDaysAgo: 200 }, on)
    const supporterIds: number[] = []
    await transaction(on.db, async (tx) => {
      const inside = sqlOn(tx)
      for (let i = 0; i < signers; i++) {
        const person = await supporter('Many', `${slug}-${i}`, inside)
        supporterIds.push(person.id)
        await sign(id, person, { country: COUNTRIES[i % 4], daysAgo: 210 + (i % 5) }, inside)
      }
    })
    return { id, supporterIds: [Math.min(...supporterIds), Math.max(...supporterIds)] as const }
  }

  it('two runs at the same time take turns batch by batch (SQLite), and each signature is anonymised once', async () => {
    // In this process, on its own database: on SQLite the two runs interleave at every batch boundary.
    const local = sqlOn(getDb())
    await local.run(`insert into organizations (slug, name) values ('local', 'Local')`)
    const { id } = await bigClosedCampaign('taking-turns', 2_600, local)
    const [first, second] = await Promise.all([anonymiseDueSignatures(getDb()), anonymiseDueSignatures(getDb())])
    const mine = [...first, ...second].filter((r) => r.campaignId === id)
    // Taking turns is SQLite's: one connection orders the two runs' transactions. On Postgres they overlap on two
    // pooled connections and one may find the other's batch done (one run at a time there is the job lock's); what
    // each counts must still be only what it did.
    if (!onPostgres) {
      expect(mine).toHaveLength(2)
      expect(mine.every((r) => r.anonymised > 0)).toBe(true)
    }
    expect(mine.reduce((sum, r) => sum + r.anonymised, 0)).toBe(2_600)
    expect(mine.reduce((sum, r) => sum + r.supportersDeleted, 0)).toBe(2_600)
    expect(await local.get(`select count(*) as n from signatures where campaign_id = ? and anonymised_at is null`, id)).toEqual({ n: 0 })
    const audit = await local.all<{ details: string }>(`select details from audit_log where action = 'signatures.anonymise' and subject_id = ?`, String(id))
    expect(audit.map((a) => (JSON.parse(a.details) as { anonymised: number }).anonymised).sort()).toEqual(mine.map((r) => r.anonymised).sort())
    expect(await anonymiseDueSignatures(getDb())).toEqual([])
  })

  it('two processes at the same time leave what one would: each signature anonymised once, the counts kept', async () => {
    const { id, supporterIds } = await bigClosedCampaign('two-at-once', 3_000)
    expect((await runScript('scripts/recount.ts', [], databaseEnv(server))).code).toBe(0)
    const counted = await counts()
    const mark = await lastAuditId()
    const [a, b] = await Promise.all([runRetention(), runRetention()])
    expect((await one(`select count(*) as n from signatures where campaign_id = ? and anonymised_at is null`, id))!.n).toBe(0)
    expect((await one(`select count(*) as n from supporters where id between ? and ?`, ...supporterIds))!.n).toBe(0)
    expect(await counts()).toEqual(counted)
    // One entry per process that did part of it.
    const entries = (await auditSince(mark)).filter((e) => e.subjectId === String(id))
    expect(entries.length).toBeGreaterThanOrEqual(1)
    expect(entries.length).toBeLessThanOrEqual(2)
    const total = entries.reduce((sum, e) => sum + (JSON.parse(String(e.details)) as { anonymised: number }).anonymised, 0)
    expect(total, `${a}\n${b}`).toBe(3_000)
  })

  it('`npm run worker` anonymises what falls due without being asked', async () => {
    const { id } = await bigClosedCampaign('for-the-worker', 3)
    const worker = spawn(process.execPath, entryArgs('scripts/worker.ts'), {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', ...databaseEnv(server), STRIPE_SECRET_KEY: '', RESEND_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    worker.stdout.on('data', (d: Buffer) => (output += d.toString()))
    worker.stderr.on('data', (d: Buffer) => (output += d.toString()))
    captureForLogAudit(worker, 'worker')
    try {
      for (let i = 0; i < 150 && !output.includes('(for-the-worker)'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(output).toContain(`vigil worker: retention: campaign ${id} (for-the-worker): 3 signature(s) anonymised, 3 supporter(s) deleted`)
      expect((await one(`select count(*) as n from signatures where campaign_id = ? and anonymised_at is null`, id))!.n).toBe(0)
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.kill('SIGTERM')
      await exited
    }
  })
})
