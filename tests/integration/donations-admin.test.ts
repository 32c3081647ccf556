/**
 * Funds and donations in the back office, through the built server over HTTP: funds are
 * made and edited with the real forms; donations (which only the payment webhook writes)
 * are put straight into the server's database, in the shapes the webhook leaves them:
 * one-time and monthly gifts, renewals, refunds and disputes. The tests run in order and
 * build on each other (one server, one campaign).
 */
import { transaction } from '#db/transaction.server.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDonation, sealDonation } from '~/models/personal-data.server.ts'
import { decodeEntities, textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, sqlOn, type ServerSql, type Sql } from '../helpers/sql.ts'

const EDITOR = { email: 'erika@example.org', name: 'Erika Editor', password: 'a long editor password' }
const CAMPAIGN = 1
const FUNDS = `/admin/campaigns/${CAMPAIGN}/funds`
const DONATIONS = `/admin/campaigns/${CAMPAIGN}/donations`
const HYPERLINK = '=HYPERLINK("http://evil.example","click")'

let server: RunningServer
let db: ServerSql
let owner = ''
let editor = ''

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  db = openServerSql(server)
  const client = petitionClient(server)
  owner = await client.login()
  // Funds, donations and their export are a campaign manager's (ADR 011).
  await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'free-andry', role: 'manager' }] })
  editor = await client.login(EDITOR.email, EDITOR.password)
  expect(editor).toMatch(/^vigil_session=/)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

// ——— HTTP ———

type As = { cookie?: string; lang?: 'en' | 'de' | 'es' }
const headers = ({ cookie = owner, lang = 'en' }: As) => ({ Cookie: `${cookie}; vigil_lang=${lang}`, Origin: server.url })

async function page(path: string, as: As = {}) {
  const response = await fetch(`${server.url}${path}`, { redirect: 'manual', headers: headers(as) })
  return { status: response.status, html: await response.text() }
}

async function post(path: string, fields: Record<string, string>, as: As = {}) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: headers(as), body: new URLSearchParams(fields) })
  return { status: response.status, location: response.headers.get('location'), html: await response.text() }
}

async function csv(path: string, as: As = {}) {
  const response = await fetch(`${server.url}${path}`, { headers: headers(as) })
  expect(response.status).toBe(200)
  // (fetch's decoder drops the byte-order mark; strip it in case it does not.)
  const text = (await response.text()).replace(/^\uFEFF/, '')
  return { response, lines: text.split('\r\n').filter(Boolean), text }
}

/** The error messages Conform rendered for one field (by its name, e.g. texts.en.title). */
function errorsFor(html: string, name: string) {
  const input = new RegExp(`<(?:input|select|textarea)[^>]*name="${name.replace(/\./g, '\\.')}"[^>]*>`).exec(html)?.[0]
  const errorId = input ? /aria-describedby="([^"]*)"/.exec(input)?.[1]?.split(' ').find((id) => id.endsWith('-error')) : undefined
  if (!errorId) return []
  const list = new RegExp(`<ul id="${errorId}"[^>]*>([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? ''
  return [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => decodeEntities(m[1]!))
}

function rowIds(html: string) {
  return [...html.matchAll(/data-donation-id="(\d+)"/g)].map((m) => Number(m[1]))
}

/** The "older donations" link (rel=next; the language switcher links carry the cursor too). */
function olderLink(html: string) {
  const tag = /<a\b[^>]*\brel="next"[^>]*>/.exec(html)?.[0]
  const href = tag ? /href="([^"]*)"/.exec(tag)?.[1] : undefined
  return href ? decodeEntities(href) : null
}

// ——— Data as the webhook leaves it ———

type Row = { id: number; fund_id: number; counted_minor: number; created_at: number; status: string; interval: string }

async function fundId(slug: string) {
  return (await db.get('SELECT id FROM funds WHERE campaign_id = ? AND slug = ?', CAMPAIGN, slug) as { id: number }).id
}

const HOUR = 3_600_000
/** Noon on the 10th, `monthsAgo` calendar months before this one (UTC). */
function monthsAgo(monthsAgo: number, day = 10) {
  const now = new Date()
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, day, 12)
}
const isoDay = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10)

let emails = 0
async function insertDonation(d: {
  fund: number
  amount: number
  createdAt: number
  campaign?: number
  interval?: 'one_time' | 'monthly'
  parentId?: number | null
  paid?: boolean
  refunded?: number
  dispute?: 'open' | 'won' | 'lost' | null
  disputed?: number
  publicName?: string | null
  email?: string
  gift?: number
  message?: string | null
}, into: Sql = db) {
  const paid = d.paid ?? true
  const refunded = d.refunded ?? 0
  const disputed = d.disputed ?? 0
  const withheld = d.dispute === 'open' || d.dispute === 'lost' ? disputed : 0
  // The same rules as countedMinor and donationStatus in app/models/donations.server.ts.
  const counted = paid ? Math.max(0, d.amount - refunded - withheld) : 0
  const status = !paid ? 'failed' : withheld ? 'disputed' : refunded >= d.amount ? 'refunded' : 'succeeded'
  // Sealed as the webhook's rows are (ADR 017): the plain columns stay null.
  const sealed = sealDonation({ email: d.email ?? `donor${++emails}@donors.example`, publicName: d.publicName ?? null, message: d.message ?? null, receiptName: null })
  const info = await into.get<{ id: number }>(`INSERT INTO donations (campaign_id, fund_id, parent_id, interval, gift_minor, amount_minor, currency, status, paid_at, failed_at,
         refunded_minor, dispute_status, disputed_minor, counted_minor, sealed, data_key_id, locale, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?) RETURNING id`,
      d.campaign ?? CAMPAIGN,
      d.fund,
      d.parentId ?? null,
      d.interval ?? 'one_time',
      d.gift ?? d.amount,
      d.amount,
      status,
      paid ? d.createdAt + 60_000 : null,
      paid ? null : d.createdAt + 60_000,
      refunded,
      d.dispute ?? null,
      disputed,
      counted,
      sealed.sealed,
      sealed.dataKeyId,
      d.createdAt,
      d.createdAt,
  )
  return info!.id
}

/** What the webhook keeps in fund_counters, recomputed from the rows (donors by their opened address). */
async function syncCounters() {
  const rows = await db.all<{ fund_id: number; counted_minor: number; sealed: string }>('SELECT fund_id, counted_minor, sealed FROM donations WHERE paid_at IS NOT NULL')
  for (const fundId of new Set(rows.map((r) => r.fund_id))) {
    const own = rows.filter((r) => r.fund_id === fundId)
    const raised = own.reduce((sum, r) => sum + r.counted_minor, 0)
    const counting = own.filter((r) => r.counted_minor > 0).length
    const donors = new Set(own.map((r) => openDonation(r.sealed)!.email)).size
    await db.run(`INSERT INTO fund_counters (fund_id, raised_minor, donations, donors) VALUES (?, ?, ?, ?)
      ON CONFLICT (fund_id) DO UPDATE SET raised_minor = excluded.raised_minor, donations = excluded.donations, donors = excluded.donors`, fundId, raised, counting, donors)
  }
}

const fundForm = (fields: Record<string, string> = {}) => ({
  slug: 'trip-to-san-salvador',
  goal: '4500.50',
  currency: 'EUR',
  status: 'open',
  position: '1',
  'texts.en.title': 'Trip to San Salvador',
  'texts.en.description': 'Two reporters, ten days, one prison.',
  'texts.de.title': 'Reise nach San Salvador',
  'texts.de.description': '',
  'texts.es.title': '',
  'texts.es.description': '',
  ...fields,
})

const fundCount = async () => (await db.get('SELECT count(*) AS n FROM funds') as { n: number }).n

describe('funds', () => {
  it('lets an editor create a fund through the form; it appears on the funds page and in the database with its texts', async () => {
    const created = await post(FUNDS, fundForm(), { cookie: editor })
    expect(created.status).toBe(302)
    expect(created.location).toBe(`${FUNDS}?saved=1`)

    const fund = await db.get(`SELECT * FROM funds WHERE slug = 'trip-to-san-salvador'`) as Record<string, unknown>
    expect(fund).toMatchObject({ campaign_id: CAMPAIGN, goal_minor: 450050, currency: 'EUR', status: 'open', position: 1 })
    const texts = await db.all('SELECT locale, title, description FROM fund_translations WHERE fund_id = ? ORDER BY locale', fund.id)
    expect(texts).toEqual([
      { locale: 'de', title: 'Reise nach San Salvador', description: '' },
      { locale: 'en', title: 'Trip to San Salvador', description: 'Two reporters, ten days, one prison.' },
    ])
    const audit = await db.get(`SELECT organizer_id, details FROM audit_log WHERE action = 'fund.create' ORDER BY id DESC`) as { details: string }
    expect(JSON.parse(audit.details)).toMatchObject({ slug: 'trip-to-san-salvador', goalMinor: 450050 })

    const list = await page(FUNDS, { cookie: editor })
    expect(list.status).toBe(200)
    expect(textOf(list.html)).toContain('Trip to San Salvador')
    expect(textOf(list.html)).toContain('€4,500.50')
    expect(list.html).toContain('class="fund-progress"')
    // (Intl puts a no-break space before the euro sign.)
    const german = textOf((await page(FUNDS, { lang: 'de' })).html).replace(/\u00a0/g, ' ')
    expect(german).toContain('Reise nach San Salvador')
    expect(german).toContain('4.500,50 €')
  })

  it('accepts a goal with a decimal comma and whole amounts, and a second fund in another currency', async () => {
    const created = await post(FUNDS, fundForm({ slug: 'legal-aid', goal: '12000,5', currency: 'USD', position: '2', 'texts.en.title': 'Legal aid', 'texts.de.title': 'Rechtshilfe' }))
    expect(created.status).toBe(302)
    expect(await db.get(`SELECT goal_minor, currency FROM funds WHERE slug = 'legal-aid'`)).toEqual({ goal_minor: 1200050, currency: 'USD' })
  })

  it('refuses a bad amount, a bad slug and a missing title with 400 and messages in the organiser’s language, keeping what was typed', async () => {
    const before = await fundCount()
    const german = await post(FUNDS, fundForm({ slug: 'Reise nach SV!', goal: '4.500,00', 'texts.en.title': '', 'texts.en.description': '', 'texts.de.title': '' }), { lang: 'de' })
    expect(german.status).toBe(400)
    expect(errorsFor(german.html, 'slug')).toEqual(['Verwenden Sie Kleinbuchstaben ohne Umlaute oder ß, Ziffern und einzelne Bindestriche, z. B. reise-nach-san-salvador.'])
    expect(errorsFor(german.html, 'goal')).toEqual(['Bitte geben Sie das Ziel als Zahl wie 4500 oder 4500,50 ein, ohne Tausenderpunkte.'])
    // No title in any language: the message sits on the campaign's main language (English here).
    expect(errorsFor(german.html, 'texts.en.title')).toEqual(['Bitte geben Sie dem Spendenzweck in mindestens einer Sprache einen Titel.'])
    expect(german.html).toContain('value="Reise nach SV!"')
    expect(german.html).toContain('value="4.500,00"')

    const spanish = await post(FUNDS, fundForm({ slug: 'tres-decimales', goal: '10.555' }), { lang: 'es' })
    expect(spanish.status).toBe(400)
    expect(errorsFor(spanish.html, 'goal')).toEqual(['Ingresa la meta como un número, como 4500 o 4500.50, sin separadores de miles.'])
    const zero = await post(FUNDS, fundForm({ slug: 'cero', goal: '0.00' }), { lang: 'es' })
    expect(errorsFor(zero.html, 'goal')).toEqual(['La meta debe ser mayor que cero.'])
    const orphan = await post(FUNDS, fundForm({ slug: 'sin-titulo', 'texts.es.description': 'Solo descripción' }), { lang: 'es' })
    expect(errorsFor(orphan.html, 'texts.es.title')).toEqual(['Añade un título en este idioma o borra su descripción.'])

    const taken = await post(FUNDS, fundForm())
    expect(taken.status).toBe(400)
    expect(errorsFor(taken.html, 'slug')).toEqual(['Another fund of this campaign already uses this short name.'])
    const currency = await post(FUNDS, fundForm({ slug: 'odd-currency', currency: 'XTS' }))
    expect(errorsFor(currency.html, 'currency')).toEqual(['Please choose one of the options.'])

    expect(await fundCount()).toBe(before)
  })

  it('edits a fund: goal, status, position and texts, where clearing a title removes that language', async () => {
    const id = await fundId('legal-aid')
    const form = await page(`${FUNDS}/${id}`)
    expect(form.status).toBe(200)
    expect(form.html).toContain('value="12000.50"')

    const saved = await post(`${FUNDS}/${id}`, fundForm({ slug: 'legal-aid', goal: '9000', currency: 'EUR', status: 'closed', position: '5', 'texts.en.title': 'Legal aid for the families', 'texts.de.title': '', 'texts.es.title': 'Ayuda legal' }), { cookie: editor })
    expect(saved.status).toBe(302)
    expect(saved.location).toBe(`${FUNDS}/${id}?saved=1`)
    expect(await db.get('SELECT slug, goal_minor, currency, status, position FROM funds WHERE id = ?', id)).toEqual({
      slug: 'legal-aid',
      goal_minor: 900000,
      currency: 'EUR',
      status: 'closed',
      position: 5,
    })
    expect(await db.all('SELECT locale, title FROM fund_translations WHERE fund_id = ? ORDER BY locale', id)).toEqual([
      { locale: 'en', title: 'Legal aid for the families' },
      { locale: 'es', title: 'Ayuda legal' },
    ])
  })

  it('refuses to take another fund’s slug when editing', async () => {
    const response = await post(`${FUNDS}/${await fundId('legal-aid')}`, fundForm({ slug: 'trip-to-san-salvador' }), { lang: 'es' })
    expect(response.status).toBe(400)
    expect(errorsFor(response.html, 'slug')).toEqual(['Otro fondo de esta campaña ya usa este nombre corto.'])
  })

  it('locks the currency once a fund has raised money, with a clear message', async () => {
    const id = await fundId('trip-to-san-salvador')
    await insertDonation({ fund: id, amount: 2500, createdAt: monthsAgo(2), publicName: 'Ana Ruiz', email: 'ana@donors.example' })
    await syncCounters()
    const edit = await page(`${FUNDS}/${id}`)
    expect(textOf(edit.html)).toContain('This fund has received money, so its currency can no longer change.')
    const refused = await post(`${FUNDS}/${id}`, fundForm({ currency: 'USD' }), { lang: 'de' })
    expect(refused.status).toBe(400)
    expect(errorsFor(refused.html, 'currency')).toEqual([
      'Für diesen Spendenzweck ist bereits Geld in EUR eingegangen, daher lässt sich die Währung nicht mehr ändern.',
    ])
    expect(await db.get('SELECT currency, goal_minor FROM funds WHERE id = ?', id)).toEqual({ currency: 'EUR', goal_minor: 450050 })
    // Everything else may still change.
    expect((await post(`${FUNDS}/${id}`, fundForm({ goal: '5000' }))).status).toBe(302)
    expect(await db.get('SELECT goal_minor FROM funds WHERE id = ?', id)).toEqual({ goal_minor: 500000 })
  })

  it('answers 404 for a fund that is not this campaign’s', async () => {
    expect((await page(`${FUNDS}/999999`)).status).toBe(404)
    expect((await post(`${FUNDS}/999999`, fundForm())).status).toBe(404)
  })
})

describe('donations', () => {
  const ids: Record<string, number> = {}
  let trip = 0
  let legal = 0

  beforeAll(async () => {
    trip = await fundId('trip-to-san-salvador')
    legal = await fundId('legal-aid')
    // Another campaign's donation must never show up here.
    const other = await db.get(`INSERT INTO campaigns (organization_id, slug) VALUES (1, 'other-case') RETURNING id`) as { id: number }
    const otherFund = await db.get(`INSERT INTO funds (campaign_id, slug, goal_minor, currency) VALUES (?, 'elsewhere', 1000, 'EUR') RETURNING id`, other.id) as { id: number }
    await insertDonation({ campaign: other.id, fund: otherFund.id, amount: 99_900, createdAt: monthsAgo(1), publicName: 'Other Campaign Donor' })

    const sealedRows = await db.all<{ id: number; sealed: string }>('SELECT id, sealed FROM donations')
    ids.ana = sealedRows.find((r) => openDonation(r.sealed)!.email === 'ana@donors.example')!.id
    ids.monthly = await insertDonation({ fund: trip, amount: 1000, interval: 'monthly', createdAt: monthsAgo(2, 15), email: 'monthly@donors.example' })
    ids.renewal1 = await insertDonation({ fund: trip, amount: 1000, interval: 'monthly', parentId: ids.monthly, createdAt: monthsAgo(1, 15), email: 'monthly@donors.example' })
    ids.renewal2 = await insertDonation({ fund: trip, amount: 1000, interval: 'monthly', parentId: ids.monthly, refunded: 1000, createdAt: monthsAgo(0, 1), email: 'monthly@donors.example' })
    ids.partial = await insertDonation({ fund: legal, amount: 5000, refunded: 2000, createdAt: monthsAgo(1, 1), publicName: 'Jonas Weber' })
    ids.disputed = await insertDonation({ fund: legal, amount: 3000, dispute: 'open', disputed: 3000, createdAt: monthsAgo(1, 20), publicName: 'Lena Vogel' })
    ids.won = await insertDonation({ fund: legal, amount: 4000, gift: 3880, dispute: 'won', disputed: 4000, createdAt: monthsAgo(1, 25) })
    ids.failed = await insertDonation({ fund: trip, amount: 1500, paid: false, createdAt: monthsAgo(0, 2), publicName: 'Failed Payer' })
    ids.formula = await insertDonation({ fund: trip, amount: 700, createdAt: monthsAgo(0, 3), publicName: HYPERLINK, message: '@SUM(A1:A9)' })
    await syncCounters()
  })

  const sumCounted = async (fund: number) => (await db.get('SELECT coalesce(sum(counted_minor), 0) AS n FROM donations WHERE fund_id = ?', fund) as { n: number }).n

  it('lists the campaign’s donations newest first with donor, fund, amount, type, renewals, refunds and disputes', async () => {
    const { status, html } = await page(DONATIONS)
    expect(status).toBe(200)
    const shown = rowIds(html)
    const expected = (
      await db.all('SELECT id FROM donations WHERE campaign_id = ? ORDER BY created_at DESC, id DESC', CAMPAIGN) as { id: number }[]
    ).map((r) => r.id)
    expect(shown).toEqual(expected)
    const text = textOf(html)
    expect(text).not.toContain('Other Campaign Donor')
    const row = (id: number) => textOf(new RegExp(`<tr[^>]*data-donation-id="${id}"[^>]*>([\\s\\S]*?)</tr>`).exec(html)![1]!)
    expect(row(ids.ana!)).toContain('Ana Ruiz')
    expect(row(ids.ana!)).toContain('€25.00')
    expect(row(ids.ana!)).toContain('Trip to San Salvador')
    expect(row(ids.ana!)).toContain('one-time')
    expect(row(ids.monthly!)).toContain('anonymous')
    expect(row(ids.monthly!)).toContain('monthly')
    expect(row(ids.monthly!)).not.toContain('renewal')
    expect(row(ids.renewal1!)).toContain(`renewal of #${ids.monthly}`)
    expect(row(ids.renewal2!)).toContain('refunded')
    expect(row(ids.renewal2!)).toContain('€10.00 refunded')
    expect(row(ids.partial!)).toContain('paid')
    expect(row(ids.partial!)).toContain('€20.00 refunded')
    expect(row(ids.disputed!)).toContain('dispute open: €30.00')
    expect(row(ids.won!)).toContain('dispute won: €40.00')
    expect(row(ids.won!)).toContain('gift €38.80, plus fees')
    expect(row(ids.failed!)).toContain('failed')
  })

  it('shows a cancelled monthly gift as cancelled, with the date, in the table and the export', async () => {
    const row = (html: string, id: number) => textOf(new RegExp(`<tr[^>]*data-donation-id="${id}"[^>]*>([\\s\\S]*?)</tr>`).exec(html)![1]!)
    const before = await page(DONATIONS)
    expect(row(before.html, ids.monthly!)).not.toContain('cancelled')
    // What customer.subscription.deleted records: the end, on every month of the gift.
    const endedAt = Date.UTC(2026, 10, 3, 12)
    await db.run('UPDATE donations SET subscription_ended_at = ? WHERE id IN (?, ?, ?)', endedAt, ids.monthly, ids.renewal1, ids.renewal2)
    try {
      const { html } = await page(DONATIONS)
      for (const id of [ids.monthly!, ids.renewal1!]) expect(row(html, id)).toContain('cancelled November 3, 2026')
      expect(row(html, ids.ana!)).not.toContain('cancelled')
      const german = await page(DONATIONS, { lang: 'de' })
      expect(row(german.html, ids.monthly!)).toContain('gekündigt am 3. November 2026')

      const { lines } = await csv(`${DONATIONS}.csv`)
      const cancelledAt = lines[0]!.split(',').indexOf('cancelled_at')
      expect(cancelledAt).toBeGreaterThan(0)
      const cell = (id: number) => lines.find((l) => l.startsWith(`${id},`))!.split(',')[cancelledAt]
      expect(cell(ids.monthly!)).toBe('2026-11-03T12:00:00.000Z')
      expect(cell(ids.renewal2!)).toBe('2026-11-03T12:00:00.000Z')
      expect(cell(ids.ana!)).toBe('')
    } finally {
      await db.run('UPDATE donations SET subscription_ended_at = NULL WHERE id IN (?, ?, ?)', ids.monthly, ids.renewal1, ids.renewal2)
    }
  })

  it('filters by fund, status, interval and dates', async () => {
    const only = async (query: string) => rowIds((await page(`${DONATIONS}?${query}`)).html).sort((a, b) => a - b)
    expect(await only(`fund=${legal}`)).toEqual([ids.partial, ids.disputed, ids.won].sort((a, b) => a! - b!))
    expect(await only('status=disputed')).toEqual([ids.disputed])
    expect(await only('status=refunded')).toEqual([ids.renewal2])
    expect(await only('status=failed')).toEqual([ids.failed])
    expect(await only('interval=monthly')).toEqual([ids.monthly, ids.renewal1, ids.renewal2])
    expect(await only(`interval=monthly&fund=${trip}&status=succeeded`)).toEqual([ids.monthly, ids.renewal1])
    const lastMonth = `from=${isoDay(monthsAgo(1, 1))}&to=${isoDay(monthsAgo(1, 20))}`
    expect(await only(lastMonth)).toEqual([ids.renewal1, ids.partial, ids.disputed].sort((a, b) => a! - b!))
    // Unknown values are ignored, not errors; another campaign's fund is not a filter here.
    expect((await only('status=bogus&interval=weekly&from=2025-02-30')).length).toBe(9)
    expect((await page(`${DONATIONS}?fund=999999`)).status).toBe(200)
  })

  it('shows totals per fund equal to the sum of what each donation counts, with paid, refunded and disputed beside it', async () => {
    const { html } = await page(DONATIONS)
    for (const fund of [trip, legal]) {
      const cell = new RegExp(`data-fund-id="${fund}"[\\s\\S]*?data-raised-minor="(-?\\d+)"`).exec(html)
      expect(Number(cell?.[1]), `fund ${fund}`).toBe(await sumCounted(fund))
    }
    expect(await sumCounted(legal)).toBe(3000 + 4000)
    const legalRow = textOf(new RegExp(`<tr[^>]*data-fund-id="${legal}"[^>]*>([\\s\\S]*?)</tr>`).exec(html)![1]!)
    // Raised, paid (gross), refunded, disputed (open only: the won one counts again), payments.
    expect(legalRow).toMatch(/€70\.00\s*€120\.00\s*€20\.00\s*€30\.00\s*3/)
    // The public counter and the back office agree.
    const funds = textOf((await page(FUNDS)).html)
    expect(funds).toContain('€70.00')
  })

  it('charts the money per month, with a table of the same numbers', async () => {
    const { html } = await page(DONATIONS)
    expect(html).toContain('class="chart__raised"')
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby=/)
    const label = new Intl.DateTimeFormat('en', { month: 'short', year: '2-digit', timeZone: 'UTC' }).format(new Date(monthsAgo(1)))
    const paidLastMonth = await db.get('SELECT sum(counted_minor) AS raised, sum(amount_minor) AS gross FROM donations WHERE campaign_id = ? AND paid_at >= ? AND paid_at < ?', CAMPAIGN, monthsAgo(1, 1) - 12 * HOUR, monthsAgo(0, 1) - 12 * HOUR) as { raised: number; gross: number }
    expect(paidLastMonth).toEqual({ raised: 1000 + 3000 + 0 + 4000, gross: 1000 + 5000 + 3000 + 4000 })
    const row = new RegExp(`<th scope="row">${label}</th>([\\s\\S]*?)</tr>`).exec(html)?.[1]
    expect(textOf(row ?? '')).toBe('€80.00€130.00')
    // The fund filter narrows the chart too.
    const legalOnly = await page(`${DONATIONS}?fund=${legal}`)
    expect(textOf(new RegExp(`<th scope="row">${label}</th>([\\s\\S]*?)</tr>`).exec(legalOnly.html)?.[1] ?? '')).toBe('€70.00€120.00')
  })

  it('shows donor emails to owners only', async () => {
    const forOwner = await page(DONATIONS)
    expect(forOwner.html).toContain('ana@donors.example')
    expect(textOf(forOwner.html)).toContain('Email')
    const forEditor = await page(DONATIONS, { cookie: editor })
    expect(forEditor.status).toBe(200)
    expect(forEditor.html).not.toContain('@donors.example')
    expect(textOf(forEditor.html)).toContain('Email addresses are in the table and the export for owners only.')
  })

  it('pages by keyset, newest first, through ties in time, with and without filters', async () => {
    const filler = await db.get(`INSERT INTO funds (campaign_id, slug, goal_minor, currency) VALUES (?, 'filler', 100000, 'EUR') RETURNING id`, CAMPAIGN) as { id: number }
    await db.run(`INSERT INTO fund_translations (fund_id, locale, title) VALUES (?, 'en', 'Filler fund')`, filler.id)
    await transaction(db.db, async (tx) => {
      // Groups of seven share a timestamp, so the id must break the ties.
      for (let i = 0; i < 130; i++) await insertDonation({ fund: filler.id, amount: 100 + i, createdAt: monthsAgo(3) + Math.floor(i / 7) * HOUR }, sqlOn(tx))
    })
    const walk = async (query: string) => {
      const seen: number[] = []
      let url: string | null = `${DONATIONS}${query}`
      for (let pages = 0; url && pages < 20; pages++) {
        const { status, html } = await page(url)
        expect(status).toBe(200)
        const rows = rowIds(html)
        expect(rows.length).toBeLessThanOrEqual(50)
        seen.push(...rows)
        const next = olderLink(html)
        url = next ? (next.startsWith('?') ? `${DONATIONS}${next}` : next) : null
      }
      return seen
    }
    const all = await walk('')
    const expected = (await db.all('SELECT id FROM donations WHERE campaign_id = ? ORDER BY created_at DESC, id DESC', CAMPAIGN) as Row[]).map((r) => r.id)
    expect(all).toEqual(expected)
    expect(new Set(all).size).toBe(all.length)

    const fillerOnly = await walk(`?fund=${filler.id}`)
    expect(fillerOnly).toHaveLength(130)
    expect(fillerOnly).toEqual(
      (await db.all('SELECT id FROM donations WHERE fund_id = ? ORDER BY created_at DESC, id DESC', filler.id) as Row[]).map((r) => r.id),
    )
    // The cursor in the link keeps the filter.
    const first = await page(`${DONATIONS}?fund=${filler.id}`)
    expect(olderLink(first.html)).toContain(`fund=${filler.id}`)
  })
})

describe('the donations export', () => {
  const HEADER = 'donation_id,renewal_of,created_at,paid_at,fund,fund_title,interval,currency,amount,gift,status,refunded,dispute_status,disputed,counted,receipt_number,cancelled_at,public_name'

  it('streams every donation of the campaign as CSV, with emails for owners and formulas defused', async () => {
    const { response, lines, text } = await csv(`${DONATIONS}.csv`)
    expect(response.headers.get('content-type')).toContain('text/csv')
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="free-andry-donations-\d{4}-\d{2}-\d{2}\.csv"/)
    expect(lines[0]).toBe(`${HEADER},email,message`)
    const total = (await db.get('SELECT count(*) AS n FROM donations WHERE campaign_id = ?', CAMPAIGN) as { n: number }).n
    expect(lines).toHaveLength(total + 1)
    expect(text).not.toContain('Other Campaign Donor')

    const ana = lines.find((l) => l.includes('ana@donors.example'))!
    expect(ana).toMatch(/^\d+,,\d{4}-\d{2}-\d{2}T[\d:.]+Z,\d{4}-\d{2}-\d{2}T[\d:.]+Z,trip-to-san-salvador,Trip to San Salvador,one_time,EUR,25\.00,25\.00,succeeded,0\.00,,0\.00,25\.00,(VIG-\d{6})?,,Ana Ruiz,ana@donors\.example,$/)
    const renewalId = (await db.get<{ id: number }>('SELECT id FROM donations WHERE parent_id IS NOT NULL AND refunded_minor > 0'))!.id
    const renewal = lines.find((l) => l.startsWith(`${renewalId},`))!
    expect(renewal).toContain(',monthly,EUR,10.00,10.00,refunded,10.00,,0.00,0.00,')
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`)
    expect(text).toContain(",'@SUM(A1:A9)")
    expect(text).toContain(',legal-aid,Legal aid for the families,one_time,EUR,30.00,30.00,disputed,0.00,open,30.00,0.00,,,Lena Vogel,')
  })

  it('leaves emails out for editors', async () => {
    const { lines, text } = await csv(`${DONATIONS}.csv`, { cookie: editor })
    expect(lines[0]).toBe(`${HEADER},message`)
    expect(text).not.toContain('@donors.example')
    expect(text).not.toContain('@example.org')
  })

  it('exports what the table’s filters select, across batches', async () => {
    const { lines } = await csv(`${DONATIONS}.csv?status=disputed`)
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain('Lena Vogel')

    const big = await db.get(`INSERT INTO funds (campaign_id, slug, goal_minor, currency) VALUES (?, 'big', 100000, 'EUR') RETURNING id`, CAMPAIGN) as { id: number }
    await transaction(db.db, async (tx) => {
      for (let i = 0; i < 2_345; i++) await insertDonation({ fund: big.id, amount: 500, createdAt: monthsAgo(4) + i * 1000 }, sqlOn(tx))
    })
    const all = await csv(`${DONATIONS}.csv?fund=${big.id}`)
    expect(all.lines).toHaveLength(2_346)
    const exported = all.lines.slice(1).map((l) => Number(l.split(',')[0]))
    expect(new Set(exported).size).toBe(2_345)
    expect(exported).toEqual([...exported].sort((a, b) => a - b))
  })

  it('records who exported donations, and whether with emails, in the audit log', async () => {
    const rows = await db.all(`SELECT organizer_id, details FROM audit_log WHERE action = 'donations.export' ORDER BY id`) as { details: string }[]
    expect(rows.map((r) => JSON.parse(r.details))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'donations', withEmails: true }),
        expect.objectContaining({ kind: 'donations', withEmails: false }),
        expect.objectContaining({ withEmails: true, filter: expect.objectContaining({ status: 'disputed' }) }),
      ]),
    )
  })
})
