import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { preferencesToken, unsubscribeToken } from '~/utils/tokens.server.ts'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { attr, h1Text, tagsOf, textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { closeDatabase, openServerDatabase } from '../helpers/engine.ts'
import { insertSignature, insertSupporter, rawSql } from '../helpers/mail-worker.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import type { DB } from '#db/client.server.ts'

/**
 * The unsubscribe and preferences links of update emails, over real HTTP against the
 * production build. Tokens are made in-process with the server's secret (the same
 * SESSION_SECRET), and once taken from a real email in the outbox.
 */
let server: RunningServer
let db: DB
let ownerCookie = ''
let andry: number
let lena: number
let quiet: number
let n = 0
const ANDRY = demoCampaign.translations.en.title
const seen = { tokens: [] as string[], emails: [] as string[] }

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SESSION_SECRET: process.env.SESSION_SECRET! } })
  db = openServerDatabase(server)
  ownerCookie = await petitionClient(server).login()
  andry = ((await rawSql(db).get(`select id from campaigns where slug = 'free-andry'`)) as { id: number }).id
  lena = (await campaign('free-lena', { en: 'Free Lena', de: 'Freiheit für Lena' }, 'de'))
  quiet = (await campaign('quiet-one', { en: 'A campaign they never followed' }, 'en'))
})

afterAll(async () => {
  if (db) await closeDatabase(db)
  await server?.stop()
})

// ——— helpers ———

async function campaign(slug: string, titles: Record<string, string>, defaultLocale: string) {
  const org = ((await rawSql(db).get(`select id from organizations limit 1`)) as { id: number }).id
  const id = Number((await rawSql(db).insert(`insert into campaigns (organization_id, slug, status, default_locale) values (?, ?, 'live', ?)`, org, slug, defaultLocale)))
  for (const [locale, title] of Object.entries(titles)) (await rawSql(db).run(`insert into campaign_translations (campaign_id, locale, title) values (?, ?, ?)`, id, locale, title))
  return id
}

/** A confirmed signer of `campaignIds` who asked for their updates. */
async function supporter(campaignIds: number[] = [andry], { email = `ana.${++n}@example.org` } = {}) {
  const id = await insertSupporter(rawSql(db), { email, firstName: 'Ana', lastName: 'L', country: 'ES' })
  for (const campaignId of campaignIds) {
    await insertSignature(rawSql(db), { campaignId, supporterId: id, firstName: 'Ana', lastName: 'L', country: 'ES' })
    await rawSql(db).run(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, true, 'petition_form')`, id, campaignId)
  }
  seen.emails.push(email)
  return { id, email }
}

type ConsentRow = { granted: number; source: string }
const consentRows = async (supporterId: number, campaignId: number) =>
  (await rawSql(db).all(`select granted, source from consents where supporter_id = ? and campaign_id = ? and purpose = 'campaign_updates' order by id`, supporterId, campaignId)) as ConsentRow[]
const latest = async (supporterId: number, campaignId: number) => (await consentRows(supporterId, campaignId)).at(-1) ?? null
const allConsents = async () => ((await rawSql(db).get(`select count(*) as n from consents`)) as { n: number }).n

/** Who an update to the campaign's signers would reach now (the rule of app/models/update-sends.server.ts). */
const audience = async (campaignId: number) =>
  (
    (await rawSql(db).all(`select s.id from signatures g join supporters s on s.id = g.supporter_id
         where g.campaign_id = ? and g.status = 'confirmed'
         and (select c.granted from consents c where c.supporter_id = s.id and c.purpose = 'campaign_updates' and c.campaign_id = g.campaign_id order by c.id desc limit 1) = true
         and not exists (select 1 from suppressed_addresses x where x.email_hash = s.email_hash)`, campaignId)) as { id: number }[]
  ).map((r) => r.id)

function unsubscribeUrl(supporterId: number, campaignId: number) {
  const token = unsubscribeToken(supporterId, campaignId)
  seen.tokens.push(token)
  return `${server.url}/unsubscribe/${token}`
}

function preferencesUrl(supporterId: number) {
  const token = preferencesToken(supporterId)
  seen.tokens.push(token)
  return `${server.url}/preferences/${token}`
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { redirect: 'manual', headers })
  return { status: res.status, headers: res.headers, html: await res.text() }
}

async function post(url: string, form: Record<string, string> | URLSearchParams, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, ...headers }, body: new URLSearchParams(form) })
  return { status: res.status, html: await res.text() }
}

/** Exactly what a mail program sends for RFC 8058 one-click: a bare POST, no cookies, no Origin. */
function oneClick(url: string) {
  return new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
    const body = 'List-Unsubscribe=One-Click'
    const started = performance.now()
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function forge(token: string) {
  const last = token.at(-1) === 'A' ? 'B' : 'A'
  return token.slice(0, -1) + last
}

// ——— tests ———

describe('the links in an update email', () => {
  it('lead to this supporter’s unsubscribe and preferences pages', async () => {
    const ana = (await supporter())
    const updateId = Number((await rawSql(db).insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-20', ?)`, andry, Date.now())))
    await rawSql(db).run(`insert into update_translations (update_id, locale, title, body_md) values (?, 'en', 'He is home', 'Andry is **home**.')`, updateId)
    const messageId = Number(
      (await rawSql(db).insert(`insert into email_messages (template, locale, props, idempotency_key, campaign_id, supporter_id) values ('campaign-update', 'en', ?, ?, ?, ?)`, JSON.stringify({ updateId, supporterId: ana.id }), `test:update:${updateId}:${ana.id}`, andry, ana.id)),
    )
    const links = await petitionClient(server).linksOf(messageId, ownerCookie)
    const unsubscribe = links.find((l) => l.includes('/unsubscribe/'))!
    const preferences = links.find((l) => l.includes('/preferences/'))!
    expect(unsubscribe).toBe(unsubscribeUrl(ana.id, andry))
    expect(preferences).toBe(preferencesUrl(ana.id))

    const page = await get(unsubscribe)
    expect(page.status).toBe(200)
    expect(textOf(page.html)).toContain(ANDRY)
    expect((await get(preferences)).status).toBe(200)
  })
})

describe('unsubscribing', () => {
  it('opening the link shows the campaign and a button, and changes nothing', async () => {
    const ana = (await supporter())
    const before = (await allConsents())
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(unsubscribeUrl(ana.id, andry), { method })
      expect(res.status).toBe(200)
      if (method === 'GET') {
        const html = await res.text()
        expect(h1Text(html)).toBe('Unsubscribe from updates')
        expect(textOf(html)).toContain(ANDRY)
        expect(html).toContain('name="intent" value="unsubscribe"')
      }
    }
    expect((await allConsents())).toBe(before)
    expect((await latest(ana.id, andry))).toEqual({ granted: 1, source: 'petition_form' })
    expect((await audience(andry))).toContain(ana.id)
  })

  it('pressing Unsubscribe withdraws at once, only for that campaign, and they drop out of the audience', async () => {
    const ana = (await supporter([andry, lena]))
    const page = await post(unsubscribeUrl(ana.id, andry), { intent: 'unsubscribe' })
    expect(page.status).toBe(200)
    expect(h1Text(page.html)).toBe('You are unsubscribed')
    expect(page.html).toContain(`href="/preferences/${preferencesToken(ana.id)}"`)
    expect(page.html).toContain('name="intent" value="resubscribe"')
    expect((await latest(ana.id, andry))).toEqual({ granted: 0, source: 'unsubscribe_link' })
    expect((await audience(andry))).not.toContain(ana.id)
    // Other campaigns are not touched.
    expect((await latest(ana.id, lena))).toEqual({ granted: 1, source: 'petition_form' })
    expect((await audience(lena))).toContain(ana.id)
    // Coming back to the link says so, and offers no button.
    const again = await get(unsubscribeUrl(ana.id, andry))
    expect(textOf(again.html)).toContain('You do not get email updates about this campaign.')
    expect(again.html).not.toContain('value="unsubscribe"')
  })

  it('writes nothing more when pressed again, or when the mail program’s one-click POST follows', async () => {
    const ana = (await supporter())
    await post(unsubscribeUrl(ana.id, andry), { intent: 'unsubscribe' })
    const rows = (await consentRows(ana.id, andry)).length
    expect((await post(unsubscribeUrl(ana.id, andry), { intent: 'unsubscribe' })).status).toBe(200)
    expect((await oneClick(unsubscribeUrl(ana.id, andry))).status).toBe(200)
    expect((await consentRows(ana.id, andry))).toHaveLength(rows)
  })

  it('works as RFC 8058 one-click: a bare POST without cookies or Origin gets 200 and withdraws', async () => {
    const ana = (await supporter())
    const answer = await oneClick(unsubscribeUrl(ana.id, andry))
    expect(answer.status).toBe(200)
    expect(answer.ms).toBeLessThan(2000)
    expect((await latest(ana.id, andry))).toEqual({ granted: 0, source: 'one_click' })
    expect((await audience(andry))).not.toContain(ana.id)
  })

  it('can be undone from the page that confirms it', async () => {
    const ana = (await supporter())
    await post(unsubscribeUrl(ana.id, andry), { intent: 'unsubscribe' })
    const undone = await post(unsubscribeUrl(ana.id, andry), { intent: 'resubscribe' })
    expect(undone.status).toBe(200)
    expect(textOf(undone.html)).toContain('You are subscribed again')
    expect((await latest(ana.id, andry))).toEqual({ granted: 1, source: 'unsubscribe_undo' })
    expect((await audience(andry))).toContain(ana.id)
    // Undo twice: still one row.
    const rows = (await consentRows(ana.id, andry)).length
    await post(unsubscribeUrl(ana.id, andry), { intent: 'resubscribe' })
    expect((await consentRows(ana.id, andry))).toHaveLength(rows)
  })

  it('cannot subscribe anyone to a campaign they never asked news of', async () => {
    const ana = (await supporter([andry]))
    await post(unsubscribeUrl(ana.id, quiet), { intent: 'resubscribe' })
    expect((await consentRows(ana.id, quiet))).toEqual([])
  })

  it('speaks the visitor’s language, with the campaign’s title in it', async () => {
    const ana = (await supporter([lena]))
    const de = await get(unsubscribeUrl(ana.id, lena), { 'Accept-Language': 'de-DE,de;q=0.9' })
    expect(h1Text(de.html)).toBe('Von Neuigkeiten abmelden')
    expect(textOf(de.html)).toContain('Freiheit für Lena')
    const es = await post(`${unsubscribeUrl(ana.id, lena)}?lng=es`, { intent: 'unsubscribe' })
    expect(h1Text(es.html)).toBe('Te has dado de baja')
    // No Spanish title: the campaign's own language.
    expect(es.html).toContain('lang="de"><strong>Freiheit für Lena</strong>')
  })

  it('answers a forged or altered link with a 404 page in the visitor’s language, and writes nothing', async () => {
    const ana = (await supporter())
    const real = unsubscribeToken(ana.id, andry)
    const [, , mac] = real.split('.')
    const forgeries = [forge(real), `${ana.id}.${lena}.${mac}`, `${ana.id + 1}.${andry}.${mac}`, 'nonsense', `${ana.id}.${andry}`, preferencesToken(ana.id)]
    const before = (await allConsents())
    for (const token of forgeries) {
      const url = `${server.url}/unsubscribe/${token}`
      const page = await get(url, { 'Accept-Language': 'de' })
      expect(page.status).toBe(404)
      expect(h1Text(page.html)).toBe('Wir konnten diese Seite nicht finden')
      expect((await post(url, { intent: 'unsubscribe' })).status).toBe(404)
      expect((await oneClick(url)).status).toBe(404)
    }
    expect((await allConsents())).toBe(before)
    expect((await latest(ana.id, andry))).toEqual({ granted: 1, source: 'petition_form' })
  })

  it('refuses a POST that is neither the button nor one-click', async () => {
    const ana = (await supporter())
    expect((await post(unsubscribeUrl(ana.id, andry), { intent: 'something' })).status).toBe(400)
    expect((await post(unsubscribeUrl(ana.id, andry), { 'List-Unsubscribe': 'Maybe' })).status).toBe(400)
    expect((await latest(ana.id, andry))).toEqual({ granted: 1, source: 'petition_form' })
  })

  it('is not stored by shared caches', async () => {
    const ana = (await supporter())
    expect((await get(unsubscribeUrl(ana.id, andry))).headers.get('cache-control')).toBe('private, no-store')
    expect((await get(preferencesUrl(ana.id))).headers.get('cache-control')).toBe('private, no-store')
  })
})

describe('the preferences page', () => {
  const checkbox = (html: string, campaignId: number) => tagsOf(html, 'input').find((tag) => attr(tag, 'name') === 'updates' && attr(tag, 'value') === String(campaignId)) ?? null

  it('lists every campaign the supporter answered for, ticked when updates are on, with the address masked', async () => {
    const ana = (await supporter([andry, lena], { email: 'Ana.Lopez@example.org' }))
    await post(unsubscribeUrl(ana.id, lena), { intent: 'unsubscribe' })
    const page = await get(preferencesUrl(ana.id))
    expect(page.status).toBe(200)
    expect(h1Text(page.html)).toBe('Your email updates')
    expect(textOf(page.html)).toContain('Settings for A•••@example.org')
    expect(page.html.toLowerCase()).not.toContain('ana.lopez')
    expect(checkbox(page.html, andry)).toContain('checked')
    expect(checkbox(page.html, lena)).not.toBeNull()
    expect(checkbox(page.html, lena)).not.toContain('checked')
    expect(checkbox(page.html, quiet)).toBeNull()
    expect(textOf(page.html)).toContain('Free Lena')
  })

  it('saves ticks and unticks as consent rows, without JavaScript, and only for campaigns the supporter answered for', async () => {
    const ana = (await supporter([andry, lena]))
    await post(unsubscribeUrl(ana.id, lena), { intent: 'unsubscribe' })
    const form = new URLSearchParams([
      ['shown', String(andry)],
      ['shown', String(lena)],
      ['updates', String(lena)],
      // Never asked for (and so not on the page): a crafted form cannot add it.
      ['shown', String(quiet)],
      ['updates', String(quiet)],
    ])
    const saved = await post(preferencesUrl(ana.id), form)
    expect(saved.status).toBe(200)
    expect(textOf(saved.html)).toContain('Saved.')
    expect((await latest(ana.id, andry))).toEqual({ granted: 0, source: 'preferences_page' })
    expect((await latest(ana.id, lena))).toEqual({ granted: 1, source: 'preferences_page' })
    expect((await consentRows(ana.id, quiet))).toEqual([])
    expect((await audience(andry))).not.toContain(ana.id)
    expect((await audience(lena))).toContain(ana.id)
    expect(checkbox(saved.html, andry)).not.toContain('checked')
    expect(checkbox(saved.html, lena)).toContain('checked')

    // Saving the same again writes nothing; a campaign not on the page is left as it is.
    const before = (await allConsents())
    await post(preferencesUrl(ana.id), form)
    await post(preferencesUrl(ana.id), new URLSearchParams([['shown', String(lena)], ['updates', String(lena)]]))
    expect((await allConsents())).toBe(before)
  })

  it('says so when there is nothing to choose, and 404s for a forged link', async () => {
    const bea = (await supporter([]))
    const empty = await get(preferencesUrl(bea.id), { 'Accept-Language': 'es' })
    expect(textOf(empty.html)).toContain('No recibes novedades por correo de ninguna campaña.')
    const before = (await allConsents())
    for (const token of [forge(preferencesToken(bea.id)), unsubscribeToken(bea.id, andry), '999999.x']) {
      expect((await get(`${server.url}/preferences/${token}`)).status).toBe(404)
      expect((await post(`${server.url}/preferences/${token}`, { shown: String(andry), updates: String(andry) })).status).toBe(404)
    }
    expect((await allConsents())).toBe(before)
  })
})

describe('the log', () => {
  it('never holds a token, a supporter id from a link, or an address', async () => {
    // Let the last requests' lines arrive.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const log = server.output()
    expect(log).toMatch(/POST \/unsubscribe\/:token 200/)
    expect(log).toMatch(/GET \/preferences\/:token 200/)
    expect(log).not.toMatch(/\/(unsubscribe|preferences)\/\S*[A-Za-z0-9_-]{20}/)
    for (const token of new Set(seen.tokens)) expect(log).not.toContain(token.split('.').at(-1))
    for (const email of seen.emails) expect(log.toLowerCase()).not.toContain(email.toLowerCase())
  })
})
