import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import es from '../../app/locales/es/common.json'
import { h1Text, textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { nameWordHashes, openResubmitted } from '../../app/models/personal-data.server.ts'
import { byAddress, openedSignature, outboxRows } from '../helpers/sealed.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { databaseEnv, runScript, startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let db: ServerSql
let client: ReturnType<typeof petitionClient>
let ownerCookie = ''

beforeAll(async () => {
  // No page cache, so every page shows the count as it is; tight limits to see the 429.
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '40', TRUST_PROXY: '1' } })
  db = openServerSql(server)
  client = petitionClient(server)
  ownerCookie = await client.login()
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const person = (extra: Record<string, string> = {}) => client.person(extra)
const sign = (form: Record<string, string>, { lang = 'en', ip }: { lang?: string; ip?: string } = {}) => client.sign(form, { lang, from: ip })
const counters = () => client.counters()
const waitForEmail = (address: string, count = 1) => client.waitForEmails(address, count)
const linksOf = (messageId: number) => client.linksOf(messageId, ownerCookie)

async function confirmLinkFor(address: string) {
  const [email] = await waitForEmail(address)
  const [confirm] = await linksOf(email!.id)
  return confirm!
}

describe('signing', () => {
  it.each(['en', 'de', 'es'])('signs in %s: the confirmation email is in that language and only confirming counts', async (lang) => {
    const form = person({ message: 'Fuerza, Andry', showName: 'on' })
    const before = await counters()
    const response = await sign(form, { lang })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/c/free-andry?signed=1#petition')
    expect(await counters()).toEqual({ confirmed: before.confirmed, pending: before.pending + 1 })
    const [email] = await waitForEmail(form.email!)
    expect(email).toMatchObject({ template: 'confirm-signature', locale: lang })

    const confirmUrl = await confirmLinkFor(form.email!)
    expect(confirmUrl).toMatch(new RegExp(`^${server.url}/confirm/[A-Za-z0-9_-]{40,}$`))
    // Opening the link (as a mail scanner would) changes nothing.
    const page = await fetch(confirmUrl)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('name="intent" value="confirm"')
    expect((await counters()).confirmed).toBe(before.confirmed)

    const confirmed = await fetch(confirmUrl, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('location')).toMatch(/^\/thanks\/free-andry/)
    expect(await counters()).toEqual({ confirmed: before.confirmed + 1, pending: before.pending })
  })

  it('answers a new address, a pending one and a confirmed one exactly alike', async () => {
    const form = person()
    const first = await sign(form)
    const again = await sign(form)
    const confirmUrl = await confirmLinkFor(form.email!)
    await fetch(confirmUrl, { method: 'POST', body: new URLSearchParams({ intent: 'confirm' }) })
    const afterConfirm = await sign(form)
    for (const response of [first, again, afterConfirm]) {
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/c/free-andry?signed=1#petition')
    }
  })

  it('re-sends the confirmation at most three times for a pending signature', async () => {
    const form = person()
    for (let i = 0; i < 5; i++) expect((await sign(form)).status).toBe(303)
    const emails = await waitForEmail(form.email!, 3)
    expect(emails.map((e) => e.idempotency_key.split(':').slice(2).join(':'))).toEqual(['confirm:1', 'confirm:2', 'confirm:3'])
    // The first link (the first details) and the newest (the latest details) work; one superseded in between does not.
    const links = await Promise.all(emails.map((e) => linksOf(e.id).then((l) => l[0]!)))
    const superseded = await fetch(links[1]!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(superseded.status).toBe(404)
    const newest = await fetch(links[2]!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(newest.status).toBe(303)
    const first = await fetch(links[0]!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(first.status).toBe(404)
  })

  it('sends “you have already signed” to a confirmed signer who signs again, once a day', async () => {
    const form = person()
    await sign(form)
    await fetch(await confirmLinkFor(form.email!), { method: 'POST', body: new URLSearchParams({ intent: 'confirm' }) })
    await sign(form)
    await sign(form)
    const emails = await waitForEmail(form.email!, 2)
    expect(emails.map((e) => e.template)).toEqual(['confirm-signature', 'already-signed'])
  })

  it('treats case, spaces, Gmail dots and +tags as the same address, and writes to the address as typed', async () => {
    const before = await counters()
    await sign(person({ email: 'Andry.Friend@gmail.com' }))
    await sign(person({ email: '  andryfriend+petition@googlemail.com ' }))
    expect((await counters()).pending).toBe(before.pending + 1)
    const rows = (await outboxRows(db)).filter((r) => /ndry.*riend/.test(r.to))
    expect(rows.map((r) => r.to)).toEqual(['Andry.Friend@gmail.com', 'andryfriend+petition@googlemail.com'])
    // One supporter, found by the keyed hash of the normalised address; the address itself is sealed.
    expect(await db.all(`SELECT id FROM supporters s WHERE ${byAddress('andryfriend@gmail.com').where}`, ...byAddress('andryfriend@gmail.com').params)).toHaveLength(1)
  })

  it('records the separate consent to updates, with its time and source, once the address is confirmed', async () => {
    const form = person({ updates: 'on' })
    await sign(form)
    const consents = () =>
      db.all<{ purpose: string; granted: number; source: string; created_at: number }>(
        `SELECT c.purpose, c.granted, c.source, c.created_at FROM consents c JOIN supporters s ON s.id = c.supporter_id WHERE ${byAddress(form.email!).where}`,
        ...byAddress(form.email!).params,
      )
    // Anyone can type an address: until its owner confirms, nothing is consented in their name.
    expect(await consents()).toEqual([])
    await fetch(await confirmLinkFor(form.email!), { method: 'POST', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(await consents()).toHaveLength(1)
    expect((await consents())[0]).toMatchObject({ purpose: 'campaign_updates', granted: 1, source: 'petition_form' })
    expect(Math.abs((await consents())[0]!.created_at - Date.now())).toBeLessThan(60_000)
    const without = person()
    await sign(without)
    await fetch(await confirmLinkFor(without.email!), { method: 'POST', body: new URLSearchParams({ intent: 'confirm' }) })
    const none = (await db.get(`SELECT count(*) AS n FROM consents c JOIN supporters s ON s.id = c.supporter_id WHERE ${byAddress(without.email!).where}`, ...byAddress(without.email!).params)) as { n: number }
    expect(none.n).toBe(0)
  })
})

describe('signing again while a signature is pending', () => {
  type Row = { status: string; first_name: string; last_name: string; message: string | null; show_name: number; country: string }
  const signatureOf = async (email: string) => {
    const row = await db.get<{ status: string; sealed: string | null; show_name: number; country: string }>(
      `SELECT s.status, s.sealed, s.show_name, s.country FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE ${byAddress(email, 'p.email_hash').where}`,
      ...byAddress(email, 'p.email_hash').params,
    )
    if (!row) return undefined
    const { postal_code: _postalCode, ...opened } = openedSignature(row)
    return opened as Row
  }
  const nameWordsOf = async (email: string) =>
    (await db.column<string>(
      `SELECT w.word_hash FROM signature_name_words w JOIN signatures s ON s.id = w.signature_id JOIN supporters p ON p.id = s.supporter_id WHERE ${byAddress(email, 'p.email_hash').where} ORDER BY w.word_hash`,
      ...byAddress(email, 'p.email_hash').params,
    )).sort()
  const sortedHashes = (first: string, last: string) => nameWordHashes(first, last).sort()
  const grantedRows = async (email: string) =>
    ((await db.get(`SELECT count(*) AS n FROM consents c JOIN supporters s ON s.id = c.supporter_id WHERE ${byAddress(email).where} AND c.granted`, ...byAddress(email).params)) as { n: number }).n
  const post = (url: string, intent: string) => fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent }) })

  it('keeps the first details, and grants no consent, when someone else signs again with the address', async () => {
    const owner = person({ firstName: 'Maria', lastName: 'González' })
    await sign(owner)
    const [first] = await waitForEmail(owner.email!)
    // Someone who knows the address signs with it, with their own name, a message, shown publicly, wanting news.
    const again = await sign({ ...owner, firstName: 'Mallory', lastName: 'Vote-Not-Counted', message: 'Call +1 555 0100', showName: 'on', updates: 'on', country: 'US' })
    expect(again.status).toBe(303)
    expect(again.headers.get('location')).toBe('/c/free-andry?signed=1#petition')
    expect(await signatureOf(owner.email!)).toEqual({ status: 'pending', first_name: 'Maria', last_name: 'González', message: null, show_name: 0, country: 'DE' })
    expect(await grantedRows(owner.email!)).toBe(0)
    // The owner's own link still confirms what they signed, and only that.
    const [confirmFirst] = await linksOf(first!.id)
    expect(await (await fetch(confirmFirst!)).text()).toContain('Maria, press the button')
    expect((await post(confirmFirst!, 'confirm')).status).toBe(303)
    expect(await signatureOf(owner.email!)).toEqual({ status: 'confirmed', first_name: 'Maria', last_name: 'González', message: null, show_name: 0, country: 'DE' })
    expect(await grantedRows(owner.email!)).toBe(0)
    // The other email's link is dead now.
    const [, second] = await waitForEmail(owner.email!, 2)
    const [confirmSecond] = await linksOf(second!.id)
    expect((await post(confirmSecond!, 'confirm')).status).toBe(404)
    expect((await signatureOf(owner.email!))!.first_name).toBe('Maria')
    expect(await grantedRows(owner.email!)).toBe(0)
  })

  it('lets the owner of the address remove only the other details with “this wasn’t me” on their email', async () => {
    const owner = person({ firstName: 'Ines' })
    await sign(owner)
    await sign({ ...owner, firstName: 'Mallory', updates: 'on' })
    const [first, second] = await waitForEmail(owner.email!, 2)
    const [, notMeSecond] = await linksOf(second!.id)
    expect(await (await post(notMeSecond!, 'discard')).text()).toContain('was removed')
    expect(await signatureOf(owner.email!)).toMatchObject({ status: 'pending', first_name: 'Ines' })
    const [confirmFirst] = await linksOf(first!.id)
    expect((await post(confirmFirst!, 'confirm')).status).toBe(303)
    expect(await signatureOf(owner.email!)).toMatchObject({ status: 'confirmed', first_name: 'Ines' })
    expect(await grantedRows(owner.email!)).toBe(0)
  })

  // Someone who mistyped their name signs again at once with it corrected, and expects the
  // email that greets them by the right name to sign with the right name. From the server's
  // side they look exactly like someone else using their address, so each email confirms what
  // it was sent for: the newest link brings the corrected details (and the news they asked for
  // this time); the first link would still confirm the first.
  it('confirms the corrected details with the newest link, for someone who mistyped their name', async () => {
    const form = person({ firstName: 'Mraia', lastName: 'Gonzales' })
    await sign(form, { lang: 'de' })
    await sign({ ...form, firstName: 'Maria', lastName: 'González', updates: 'on' }, { lang: 'es' })
    const [first, second] = await waitForEmail(form.email!, 2)
    expect(second).toMatchObject({ template: 'confirm-signature', locale: 'es' })
    const [sent] = await outboxRows(db, 'm.id = ?', second!.id)
    expect(sent!.props).toMatchObject({ firstName: 'Maria' })
    // Waiting beside the first details, sealed: nothing of them in a plain column.
    const waiting = await db.get<{ resubmitted_sealed: string | null; resubmitted_details: string | null }>(
      `SELECT s.resubmitted_sealed, s.resubmitted_details FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE ${byAddress(form.email!, 'p.email_hash').where}`,
      ...byAddress(form.email!, 'p.email_hash').params,
    )
    expect(waiting!.resubmitted_details).toBeNull()
    expect(openResubmitted(waiting!.resubmitted_sealed)).toMatchObject({ firstName: 'Maria', lastName: 'González', locale: 'es', updates: true })
    // Pending, nobody is found by name: neither the mistyped names nor the corrected ones.
    expect(await nameWordsOf(form.email!)).toEqual([])
    const [confirmSecond] = await linksOf(second!.id)
    // In the language of the email the link came in (the corrected details' Spanish).
    expect(textOf(await (await fetch(confirmSecond!)).text())).toContain(es.confirm.intro.replace('{{firstName}}', 'Maria'))
    const before = await counters()
    const confirmed = await post(confirmSecond!, 'confirm')
    expect(confirmed.status).toBe(303)
    expect(await signatureOf(form.email!)).toMatchObject({ status: 'confirmed', first_name: 'Maria', last_name: 'González' })
    // The back office finds the confirmed names, not the mistyped ones.
    expect(await nameWordsOf(form.email!)).toEqual(sortedHashes('Maria', 'González'))
    expect(await counters()).toEqual({ confirmed: before.confirmed + 1, pending: before.pending - 1 })
    expect(await grantedRows(form.email!)).toBe(1)
    // The thanks page greets them by the corrected name.
    const thanks = await fetch(`${server.url}/thanks/free-andry?lng=es`, { headers: { Cookie: confirmed.headers.get('set-cookie')!.split(';')[0]! } })
    expect(h1Text(await thanks.text())).toBe('¡Gracias, Maria! Tu firma cuenta.')
    const [confirmFirst] = await linksOf(first!.id)
    expect((await post(confirmFirst!, 'confirm')).status).toBe(404)
  })
})

describe('confirmation links', () => {
  it('work once', async () => {
    const form = person()
    await sign(form)
    const url = await confirmLinkFor(form.email!)
    await fetch(url, { method: 'POST', body: new URLSearchParams({ intent: 'confirm' }) })
    const before = await counters()
    const reused = await fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    // A used link is unknown to the server (its hash is cleared): a 404 that says so.
    expect(reused.status).toBe(404)
    expect(await reused.text()).toContain('expired or was already used')
    expect(await counters()).toEqual(before)
  })

  it('expire after 7 days', async () => {
    const form = person()
    await sign(form)
    const url = await confirmLinkFor(form.email!)
    await db.run(`UPDATE signatures SET token_expires_at = ? WHERE token_hash IS NOT NULL AND id = (SELECT max(id) FROM signatures)`, Date.now() - 1)
    const before = await counters()
    const late = await fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(await late.text()).toContain('expired or was already used')
    expect(await counters()).toEqual(before)
  })

  it('are never stored: the database holds only their hashes', async () => {
    const form = person()
    await sign(form)
    const token = (await confirmLinkFor(form.email!)).split('/confirm/')[1]!
    const dump = JSON.stringify(await db.all(`SELECT * FROM signatures`)) + JSON.stringify(await db.all(`SELECT * FROM email_messages`))
    expect(dump).not.toContain(token)
  })

  it('let someone who did not sign remove the pending signature (“this wasn’t me”)', async () => {
    const form = person({ updates: 'on' })
    await sign(form)
    const [, notMe] = await linksOf((await waitForEmail(form.email!))[0]!.id)
    expect(notMe).toContain('?not-me')
    const page = await (await fetch(notMe!)).text()
    expect(page).toContain('value="discard"')
    const before = await counters()
    const removed = await fetch(notMe!, { method: 'POST', body: new URLSearchParams({ intent: 'discard' }) })
    expect(await removed.text()).toContain('was removed')
    expect(await counters()).toEqual({ confirmed: before.confirmed, pending: before.pending - 1 })
    const left = (await db.get(`SELECT count(*) AS n FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE ${byAddress(form.email!, 'p.email_hash').where}`, ...byAddress(form.email!, 'p.email_hash').params)) as { n: number }
    expect(left.n).toBe(0)
    const consent = await db.get(`SELECT granted, source FROM consents c JOIN supporters s ON s.id = c.supporter_id WHERE ${byAddress(form.email!).where} ORDER BY c.id DESC LIMIT 1`, ...byAddress(form.email!).params)
    expect(consent).toEqual({ granted: 0, source: 'not_me_link' })
  })
})

describe('the thanks page', () => {
  const catalogs = { en, de, es }
  const confirmNow = (url: string) => fetch(url, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
  const thanksPage = (query: string, cookie?: string) => fetch(`${server.url}/thanks/free-andry${query}`, { headers: cookie ? { Cookie: cookie } : {} })
  // What a visitor reads (the language links keep the query string in their href, which shows nothing).
  const shown = (html: string) => textOf(html.replace(/<script\b[\s\S]*?<\/script>/gi, ''))

  it('shows nothing that was put in its address, and thanks without a name', async () => {
    const response = await thanksPage(`?name=${encodeURIComponent('Your vote was NOT counted, call +1 555 0100')}`)
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(shown(html)).not.toContain('NOT counted')
    expect(h1Text(html)).toBe(en.confirm.thanksTitleNoName)
  })

  it.each(['en', 'de', 'es'] as const)('greets the signer by first name after confirming in %s, with nothing of it in the URL', async (lang) => {
    const form = person({ firstName: 'Zoë' })
    await sign(form, { lang })
    const confirmed = await confirmNow(await confirmLinkFor(form.email!))
    expect(confirmed.status).toBe(303)
    // Nothing personal in the URL (proxy logs, browser history): the name travels in a signed, short-lived cookie.
    // Only the email's language, so the page speaks it whatever the browser's.
    expect(confirmed.headers.get('location')).toBe(`/thanks/free-andry?lng=${lang}`)
    const setCookie = confirmed.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^vigil_thanks=[^;]+;/)
    expect(setCookie).toMatch(/; HttpOnly/i)
    expect(setCookie).toMatch(/; SameSite=Lax/i)
    expect(setCookie).toMatch(/; Path=\/thanks(;|$)/)
    expect(Number(/Max-Age=(\d+)/i.exec(setCookie)?.[1])).toBeLessThanOrEqual(15 * 60)
    const cookie = setCookie.split(';')[0]!
    const page = await thanksPage(`?lng=${lang}`, cookie)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toMatch(/no-store/)
    expect(h1Text(await page.text())).toBe(catalogs[lang].confirm.thanksTitle.replace('{{firstName}}', 'Zoë'))
    // The URL cannot change what the cookie says.
    expect(shown(await (await thanksPage('?name=Mallory', cookie)).text())).not.toContain('Mallory')
    // A forged or altered cookie is ignored.
    const [name, value] = cookie.split('=') as [string, string]
    const forged = `${name}=${encodeURIComponent(Buffer.from(JSON.stringify({ slug: 'free-andry', firstName: 'Mallory', expiresAt: Date.now() + 60_000 })).toString('base64'))}.${value.split('.')[1]}`
    expect(h1Text(await (await thanksPage('', forged)).text())).toBe(en.confirm.thanksTitleNoName)
  })

  it('greets nobody with a cookie made for another campaign, one that has expired or a broken one', async () => {
    const { thanksCookie } = await import('~/utils/thanks-cookie.server.ts')
    const other = await thanksCookie({ slug: 'another-campaign', firstName: 'Eve' })
    const expired = await thanksCookie({ slug: 'free-andry', firstName: 'Eve', now: Date.now() - 60 * 60 * 1000 })
    for (const setCookie of [other, expired]) {
      expect(h1Text(await (await thanksPage('', setCookie.split(';')[0]!)).text())).toBe(en.confirm.thanksTitleNoName)
    }
    for (const broken of ['vigil_thanks=%E0', 'vigil_thanks=', 'vigil_thanks=e30.x', `vigil_thanks=${'A'.repeat(4000)}`]) {
      const response = await thanksPage('', broken)
      expect(response.status, broken.slice(0, 20)).toBe(200)
      expect(h1Text(await response.text())).toBe(en.confirm.thanksTitleNoName)
    }
    // The same cookie, made for this campaign and now, is read: the two above fail only for their slug and age.
    const fresh = await thanksCookie({ slug: 'free-andry', firstName: 'Eve' })
    expect(h1Text(await (await thanksPage('', fresh.split(';')[0]!)).text())).toBe('Thank you, Eve! Your signature counts.')
  })
})

describe('against abuse', () => {
  it('quietly drops what a bot puts in the hidden field', async () => {
    const form = person({ website: 'http://spam.example' })
    const response = await sign(form)
    expect(response.status).toBe(303)
    expect(await db.get(`SELECT count(*) AS n FROM supporters WHERE email = ?`, form.email)).toEqual({ n: 0 })
  })

  it('refuses a disposable address with a clear message, in the visitor’s language', async () => {
    const response = await sign(person({ email: 'someone@mailinator.com' }), { lang: 'de' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Wegwerf-Postfächer')
  })

  it('answers bad input with 400, messages per field and what was typed', async () => {
    const response = await sign({ firstName: 'Ada', lastName: '', email: 'not-an-address', country: 'XX', message: 'x'.repeat(501) }, { lang: 'es' })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toContain('value="Ada"')
    expect(html.match(/class="field__errors"/g)!.length).toBeGreaterThanOrEqual(4)
    expect(html).toContain('500')
  })

  it('answers a body that is not a form with a 4xx page, not a server error', async () => {
    const json = await fetch(`${server.url}/c/free-andry`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"firstName":"x"}' })
    expect(json.status).toBe(415)
    // The signing form is url-encoded; other kinds of body are refused before any parser sees them.
    const multipart = await fetch(`${server.url}/c/free-andry`, { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: 'garbage' })
    expect(multipart.status).toBe(415)
    expect(await multipart.text()).toContain('only accepts forms sent from its pages')
  })

  it('refuses invisible, direction-reversing and undecodable characters in names', async () => {
    for (const firstName of ['\u200B', 'Ana\u202Eevil', 'Ana\uFFFD']) {
      const response = await sign(person({ firstName }), { lang: 'de' })
      expect(response.status, JSON.stringify(firstName)).toBe(400)
      expect(await response.text()).toContain('ungewöhnlichen Zeichen')
    }
    // Emoji joined with a zero-width joiner are fine in a message.
    expect((await sign(person({ message: 'Wir sind bei dir 👨‍👩‍👧' }))).status).toBe(303)
  })

  it('stops a flood from one address with 429, Retry-After and when to try again', async () => {
    const ip = '203.0.113.7'
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 42; i++) {
      last = await sign(person(), { ip })
      statuses.push(last.status)
    }
    expect(statuses.slice(0, 40).every((s) => s === 303)).toBe(true)
    expect(statuses.slice(40)).toEqual([429, 429])
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await last!.text()).toMatch(/try again in \d+ minutes?/)
    // Another household is not affected.
    expect((await sign(person(), { ip: '203.0.113.8' })).status).toBe(303)
  })
})

describe('counting', () => {
  it('serves count.json with the confirmed count, goal, countries, CDN caching and an ETag', async () => {
    const response = await fetch(`${server.url}/c/free-andry/count.json`)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+.*stale-while-revalidate=\d+/)
    const body = (await response.json()) as { confirmed: number; goal: number; countries: Record<string, number> }
    expect(body.confirmed).toBe((await counters()).confirmed)
    expect(body.goal).toBeGreaterThan(body.confirmed)
    expect(Object.values(body.countries).reduce((a, b) => a + b, 0)).toBe(body.confirmed)
    const etag = response.headers.get('etag')!
    const again = await fetch(`${server.url}/c/free-andry/count.json`, { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    // Public, for widgets on other sites; never a page of ours in a frame.
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('answers count.json for an unknown campaign with a JSON 404, and other methods with 405', async () => {
    const missing = await fetch(`${server.url}/c/no-such-campaign/count.json`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: 'No such campaign' })
    const posted = await fetch(`${server.url}/c/free-andry/count.json`, { method: 'POST', body: 'x=1' })
    expect(posted.status).toBe(405)
    expect(posted.headers.get('allow')).toBe('GET, HEAD')
  })

  it('shows the confirmed count and shown names (first name and initial) on the campaign page, never an email', async () => {
    const html = await (await fetch(`${server.url}/c/free-andry?lng=de`)).text()
    expect(html).toContain(`${(await counters()).confirmed} Unterschriften`)
    expect(html).toContain('Maria G., Deutschland')
    expect(html).not.toMatch(/maria\.\d+@example\.org/)
  })

  it('npm run recount finds drift, repairs it, and then finds none', async () => {
    const real = await counters()
    await db.run(`UPDATE campaign_counters SET confirmed = confirmed + 7 WHERE campaign_id = 1`)
    const first = await runScript('scripts/recount.ts', [], databaseEnv(server))
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`stored ${real.confirmed + 7}, actual ${real.confirmed}`)
    expect(await counters()).toEqual(real)
    const second = await runScript('scripts/recount.ts', [], databaseEnv(server))
    expect(second.stdout).toContain('all counters match')
  })
})
