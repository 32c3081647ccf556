/**
 * Sharing over real HTTP: share links on the public pages per language, source tags (`?s=`)
 * kept with signatures and donations (malformed and unknown ones ignored, minted ones
 * counted), the page cache's bounded variants per known tag, the counts by source in the
 * back office, and the Mastodon redirect that only ever goes to `https://<host>/share`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StripeEventJson } from '../../stand-ins/stripe/index.ts'
import { startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { attr, decodeEntities, tagsOf, textOf } from '../helpers/html.ts'
import { onPostgres } from '../helpers/engine.ts'
import { petitionClient } from '../helpers/petition.ts'
import { byAddress } from '../helpers/sealed.ts'
import type { ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let stack: DonationStack
let cached: RunningServer
let db: ServerSql
let client: ReturnType<typeof petitionClient>
let cookie: string

beforeAll(async () => {
  ;[stack, cached] = await Promise.all([startDonationStack(), startServer({ env: { VIGIL_QUIET_LOG: '1', TRUST_PROXY: '1' } })])
  db = stack.db
  client = petitionClient(stack.server)
  cookie = await client.login()
}, 60_000)

afterAll(async () => {
  await Promise.all([stack?.close(), cached?.stop()])
})

const sourceOf = async (email: string) => {
  const signer = byAddress(email, 'p.email_hash')
  return ((await db.get(`select s.source from signatures s join supporters p on p.id = s.supporter_id where ${signer.where}`, ...signer.params)) as { source: string | null } | undefined)?.source
}

async function signWith(s: string | undefined) {
  const person = client.person()
  const response = await client.sign(s === undefined ? person : { ...person, s })
  return { response, email: person.email }
}

async function adminPost(path: string, fields: Record<string, string>) {
  return fetch(`${stack.server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: stack.server.url }, body: new URLSearchParams(fields) })
}

const hrefs = (html: string) => tagsOf(html, 'a').map((a) => attr(a, 'href') ?? '')

describe('share links on the public pages', () => {
  it('show every network in each language, the text encoded and each link tagged', async () => {
    for (const lng of ['en', 'de', 'es']) {
      const html = await (await fetch(`${stack.server.url}/c/free-andry?lng=${lng}`)).text()
      const links = hrefs(html)
      const wa = links.find((h) => h.startsWith('https://wa.me/'))!
      expect(wa, lng).toBeDefined()
      const text = new URL(wa).searchParams.get('text')!
      expect(text.endsWith(`${stack.server.url}/c/free-andry?s=wa`), text).toBe(true)
      for (const prefix of ['https://t.me/share/url?', 'https://bsky.app/intent/compose?', 'https://x.com/intent/tweet?', 'https://www.facebook.com/sharer/sharer.php?', 'https://www.linkedin.com/sharing/share-offsite/?', 'mailto:?subject=']) {
        expect(links.some((h) => h.startsWith(prefix)), `${lng} ${prefix}`).toBe(true)
      }
      const external = tagsOf(html, 'a').filter((a) => /^https:\/\/(wa\.me|t\.me|bsky\.app|x\.com|www\.facebook|www\.linkedin)/.test(attr(a, 'href') ?? ''))
      expect(external.length).toBe(6)
      for (const a of external) {
        expect(attr(a, 'target')).toBe('_blank')
        expect(attr(a, 'rel')).toBe('noopener noreferrer')
      }
      // The Mastodon form works without JavaScript; nothing is loaded from these sites.
      expect(html).toContain('action="/share/mastodon"')
      expect(html).not.toMatch(/<(script|img|iframe|link)[^>]+(wa\.me|t\.me|bsky\.app|x\.com|facebook|linkedin|mastodon)/)
    }
  })

  it('prefill the team’s own text per language, encoded (umlauts, ñ, &, #, emoji)', async () => {
    const own = 'Grüße & Solidarität: #FreeAndry 🕯️ für Andrés Ñúñez'
    expect((await adminPost('/admin/campaigns/1/sharing', { intent: 'texts', shareText_de: own, shareText_en: '', shareText_es: '' })).status).toBe(302)
    const html = await (await fetch(`${stack.server.url}/c/free-andry?lng=de`)).text()
    const wa = hrefs(html).find((h) => h.startsWith('https://wa.me/'))!
    expect(new URL(wa).searchParams.get('text')).toBe(`${own} ${stack.server.url}/c/free-andry?s=wa`)
    const x = hrefs(html).find((h) => h.startsWith('https://x.com/'))!
    expect(new URL(x).searchParams.get('text')).toBe(own)
    // English kept the default, with the title.
    const en = await (await fetch(`${stack.server.url}/c/free-andry?lng=en`)).text()
    const enText = new URL(hrefs(en).find((h) => h.startsWith('https://wa.me/'))!).searchParams.get('text')!
    expect(enText).toMatch(/^Sign the petition “.+” and pass it on\. /)
  })

  it('show on the thanks page after confirming and on the donate-thanks page', async () => {
    const person = client.person()
    await client.signAndConfirm(person, cookie)
    const mark = stack.standIn.events().length
    const gift = await stack.donate()
    stack.standIn.complete(gift.sessionId, { method: 'card' })
    await deliverAll(stack.eventsSince(mark))
    const thanks = await (await fetch(`${stack.server.url}/c/free-andry/donate/thanks?session_id=${gift.sessionId}`)).text()
    expect(thanks).toContain('data-testid="share"')
    expect(hrefs(thanks).some((h) => h.startsWith('https://wa.me/'))).toBe(true)
    const afterConfirm = await (await fetch(`${stack.server.url}/thanks/free-andry`)).text()
    expect(afterConfirm).toContain('data-testid="share"')
    expect(hrefs(afterConfirm).some((h) => h.startsWith('https://t.me/share/url?'))).toBe(true)
  })
})

async function deliverAll(events: StripeEventJson[]) {
  for (const event of events) expect((await stack.deliver(event)).status).toBe(200)
}

describe('source tags', () => {
  it('keep a built-in tag with the signature', async () => {
    const { response, email } = await signWith('wa')
    expect(response.status).toBe(303)
    await client.waitForEmails(email)
    expect(await sourceOf(email)).toBe('wa')
  })

  it('ignore malformed, oversized, empty and unknown tags: the signature still counts, as direct', async () => {
    for (const s of ['<script>alert(1)</script>', 'x'.repeat(500), '', 'random123', 'WA', undefined]) {
      const { response, email } = await signWith(s)
      expect(response.status, String(s)).toBe(303)
      await client.waitForEmails(email)
      expect(await sourceOf(email), String(s)).toBeNull()
    }
  })

  it('keep the tag in the form when it comes back with errors (without JavaScript)', async () => {
    const petition = await client.sign({ ...client.person(), email: 'not-an-address', s: 'wa' })
    expect(petition.status).toBe(400)
    const signForm = /<form[^>]*id="sign-form"[\s\S]*?<\/form>/.exec(await petition.text())![0]
    expect(tagsOf(signForm, 'input').some((i) => attr(i, 'name') === 's' && attr(i, 'value') === 'wa')).toBe(true)
    const donation = await stack.postDonation({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: 'nope', s: 'tg' })
    expect(donation.status).toBe(400)
    expect(tagsOf(await donation.text(), 'input').some((i) => attr(i, 'name') === 's' && attr(i, 'value') === 'tg')).toBe(true)
  })

  it('count a tag the team minted, and refuse to mint a malformed or built-in one', async () => {
    expect((await adminPost('/admin/campaigns/1/sharing', { intent: 'mint', tag: 'newsletter-dec' })).status).toBe(302)
    for (const tag of ['Bad Tag!', 'wa', 'direct', 'x'.repeat(33)]) {
      const refused = await adminPost('/admin/campaigns/1/sharing', { intent: 'mint', tag })
      expect(refused.status, tag).toBe(400)
    }
    expect((await adminPost('/admin/campaigns/1/sharing', { intent: 'mint', tag: 'newsletter-dec' })).status).toBe(400)
    const page = await (await fetch(`${stack.server.url}/admin/campaigns/1/sharing`, { headers: { Cookie: cookie } })).text()
    expect(decodeEntities(page)).toContain(`${stack.server.url}/c/free-andry?s=newsletter-dec`)
    const { response, email } = await signWith('newsletter-dec')
    expect(response.status).toBe(303)
    await client.waitForEmails(email)
    expect(await sourceOf(email)).toBe('newsletter-dec')
    // Another campaign's tag means nothing here.
    expect(await db.get(`select count(*) as n from campaign_sources where campaign_id = 1`)).toEqual({ n: 1 })
  })

  it('keep the tag with the donation, from the campaign page’s form and the donate page', async () => {
    const page = await (await fetch(`${stack.server.url}/c/free-andry/donate?s=tg`)).text()
    expect(tagsOf(page, 'input').some((i) => attr(i, 'name') === 's' && attr(i, 'value') === 'tg')).toBe(true)
    const tagged = await stack.donate({ s: 'tg' })
    expect(await stack.db.get(`select source from donations where id = ?`, tagged.donationId)).toEqual({ source: 'tg' })
    const forged = await stack.donate({ s: '<b>x</b>' })
    expect(await stack.db.get(`select source from donations where id = ?`, forged.donationId)).toEqual({ source: null })
    const mark = stack.standIn.events().length
    stack.standIn.complete(tagged.sessionId, { method: 'card' })
    await deliverAll(stack.eventsSince(mark))
  })

  it('are counted by source in the back office: confirmed signatures, gifts and amounts per currency, direct for none', async () => {
    // Confirm one tagged signature so it counts.
    const person = { ...client.person(), s: 'wa' }
    await client.signAndConfirm(person, cookie)
    const html = await (await fetch(`${stack.server.url}/admin/campaigns/1/sharing`, { headers: { Cookie: cookie } })).text()
    const signatures = /data-testid="signatures-by-source"[\s\S]*?<\/table>/.exec(html)![0]
    const row = (table: string, source: string) => textOf(new RegExp(`<tr[^>]*data-source="${source}"[^>]*>([\\s\\S]*?)</tr>`).exec(table)?.[1] ?? '')
    expect(row(signatures, 'wa')).toBe('wa1')
    const confirmed = ((await db.get(`select confirmed from campaign_counters where campaign_id = 1`)) as { confirmed: number }).confirmed
    expect(row(signatures, 'direct')).toBe(`direct (no tag)${confirmed - 1}`)
    const donations = /data-testid="donations-by-source"[\s\S]*?<\/table>/.exec(html)![0]
    expect(row(donations, 'tg')).toMatch(/^tg1€25\.00$/)
    expect(row(donations, 'direct')).toMatch(/^direct \(no tag\)1€25\.00$/)
    // The dashboard names the campaign's leading sources and links to the whole table.
    const dashboard = await (await fetch(`${stack.server.url}/admin`, { headers: { Cookie: cookie } })).text()
    const sources = /data-testid="sources"[^>]*>([\s\S]*?)<\/p>/.exec(dashboard)?.[1] ?? ''
    expect(textOf(sources)).toMatch(/direct \(no tag\): \d+/)
    expect(textOf(sources)).toContain('wa: 1')
    expect(sources).toContain('href="/admin/campaigns/1/sharing"')
  })
})

// The plan is SQLite's (EXPLAIN QUERY PLAN, INDEXED BY); Postgres picks its own plan for the same index.
it.skipIf(onPostgres)('counts signatures by source from the partial index alone (signing never writes to it)', async () => {
  const plan = await db.all<{ detail: string }>(
    `explain query plan select source, count(*) as n from signatures indexed by signatures_campaign_source_idx
     where campaign_id = 1 and source is not null and status = 'confirmed' group by source`,
  )
  expect(plan.map((r) => r.detail).join(' ')).toMatch(/USING COVERING INDEX signatures_campaign_source_idx/)
})

describe('the page cache', () => {
  const get = (query: string) => fetch(`${cached.url}/c/free-andry${query}`, { headers: { 'Accept-Language': 'en' } })
  const hiddenTag = (html: string) => tagsOf(html, 'input').filter((i) => attr(i, 'name') === 's').map((i) => attr(i, 'value'))

  it('keeps a known tag as its own bounded variant and never makes one for anything else', async () => {
    expect((await get('')).headers.get('x-vigil-cache')).toBe('miss')
    const first = await get('?s=wa')
    expect(first.headers.get('x-vigil-cache')).toBe('miss')
    // Both forms (petition and donation) carry the tag.
    expect(hiddenTag(await first.text())).toEqual(['wa', 'wa'])
    const again = await get('?s=wa')
    expect(again.headers.get('x-vigil-cache')).toBe('hit')
    expect(hiddenTag(await again.text())).toEqual(['wa', 'wa'])
    // Unknown and malformed tags are served the plain page from its entry: no new entry, no tag.
    for (const s of ['random123', 'random124', '%3Cscript%3E', 'x'.repeat(500)]) {
      const response = await get(`?s=${s}`)
      expect(response.headers.get('x-vigil-cache'), s).toBe('hit')
      expect(hiddenTag(await response.text()), s).toEqual([])
    }
    const plain = await get('')
    expect(hiddenTag(await plain.text())).toEqual([])
  })
})

describe('the Mastodon redirect', () => {
  const go = (query: string) => fetch(`${stack.server.url}/share/mastodon?${query}`, { redirect: 'manual' })

  it('sends the visitor to their own server’s share page with the text in their language', async () => {
    const response = await go('instance=%40maria%40Mastodon.Social&c=free-andry&lng=es')
    // A page that moves on at once (meta refresh) with a link: CSP form-action forbids the share form a cross-origin redirect.
    expect(response.status).toBe(200)
    const html = await response.text()
    const refresh = tagsOf(html, 'meta').find((m) => attr(m, 'http-equiv') === 'refresh')!
    const target = /^0; url=(.+)$/.exec(attr(refresh, 'content')!)![1]!
    expect(hrefs(html)).toContain(target)
    const location = new URL(target)
    expect(location.origin).toBe('https://mastodon.social')
    expect(location.pathname).toBe('/share')
    const text = location.searchParams.get('text')!
    expect(text).toMatch(/^Firma la petición «.+» y pásala\. /)
    expect(text.endsWith(`${stack.server.url}/c/free-andry?s=masto`)).toBe(true)
  })

  it('refuses anything but a public host name with a page that says why, and never redirects elsewhere', async () => {
    for (const instance of ['javascript:alert(1)', 'https://evil.example/phish', 'evil.example:8443', '127.0.0.1', 'localhost', '//evil.example', 'a b', '']) {
      const response = await go(`instance=${encodeURIComponent(instance)}&c=free-andry&lng=de`)
      expect(response.status, instance).toBe(400)
      expect(response.headers.get('location'), instance).toBeNull()
      expect(textOf(await response.text()), instance).toContain('Das ist kein Servername.')
    }
    expect((await go('instance=mastodon.social&c=no-such-campaign')).status).toBe(404)
  })
})
