/**
 * The public forms over HTTP, as a browser without JavaScript uses them: the donate form
 * reports every invalid field at once, with an error summary linking to each; and the
 * confirm and thanks pages speak the language of the email that linked to them, whatever
 * the browser asks for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import es from '../../app/locales/es/common.json'
import { attr, decodeEntities, h1Text, htmlLang, tagsOf, textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { openedSignature } from '../helpers/sealed.ts'

let server: RunningServer
let db: ServerSql
let client: ReturnType<typeof petitionClient>
let owner = ''

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' } })
  db = openServerSql(server)
  client = petitionClient(server, db)
  owner = await client.login()
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const fundId = async () => String((await db.get(`SELECT id FROM funds ORDER BY position LIMIT 1`) as { id: number }).id)

async function donate(fields: Record<string, string>, lang = 'en') {
  const response = await fetch(`${server.url}/c/free-andry/donate`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, Cookie: `vigil_lang=${lang}` },
    body: new URLSearchParams(fields),
  })
  return { status: response.status, html: await response.text() }
}

/** The error summary's links (href → text), in order. */
function summaryLinks(html: string) {
  const summary = /<div\b[^>]*class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(html)
  expect(summary, 'an error summary').not.toBeNull()
  return [...summary![1]!.matchAll(/<a\b[^>]*href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g)].map((m) => [decodeEntities(m[1]!), textOf(m[2]!)] as const)
}

describe('the donate form without JavaScript', () => {
  it('reports a bad email and a too-small amount together, each in the summary with a link to its field', async () => {
    const { status, html } = await donate({ fundId: await fundId(), interval: 'one_time', amount: 'custom', customAmount: '0.50', email: 'not-an-email' })
    expect(status).toBe(400)
    const text = textOf(html)
    expect(text).toContain(en.forms.email)
    expect(text).toContain(en.donate.tooSmall.replace('{{min}}', '€1.00'))
    const links = summaryLinks(html)
    expect(links.map(([href]) => href)).toEqual(['#donate-form-customAmount', '#donate-form-email'])
    expect(links[1]![1]).toContain(en.forms.email)
    // Each link points at a field that is on the page.
    for (const [href] of links) expect(tagsOf(html, 'input').some((tag) => attr(tag, 'id') === href.slice(1))).toBe(true)
    expect(text).toContain(en.forms.errorSummary)
  })

  it('reports a malformed amount and a missing email together, in the visitor language', async () => {
    const { status, html } = await donate({ fundId: await fundId(), interval: 'one_time', amount: 'custom', customAmount: 'zwölf', email: '' }, 'de')
    expect(status).toBe(400)
    const text = textOf(html)
    expect(text).toContain(de.donate.amountFormat)
    expect(text).toContain(de.forms.required)
    expect(text).toContain(de.forms.errorSummary)
    expect(summaryLinks(html).map(([href]) => href)).toEqual(['#donate-form-customAmount', '#donate-form-email'])
  })

  it('reports a preset amount under the minimum beside a bad email', async () => {
    const { status, html } = await donate({ fundId: await fundId(), interval: 'one_time', amount: '50', email: 'x@' }, 'es')
    expect(status).toBe(400)
    const text = textOf(html)
    expect(text).toContain(es.forms.email)
    expect(text).toContain(es.donate.tooSmall.replace('{{min}}', '1,00\u00a0€'))
    expect(summaryLinks(html).map(([href]) => href)).toEqual(['#donate-form-amount', '#donate-form-email'])
  })
})

describe('line breaks against maxlength', () => {
  it('takes a message as long as the textarea allows, line breaks sent as CRLF counting as one character each', async () => {
    // What a browser sends for 500 characters typed into <textarea maxlength="500">, five of them line breaks.
    const message = `${'a'.repeat(99)}\r\n`.repeat(5).slice(0, -2) + 'a'
    expect(message.replaceAll('\r\n', '\n')).toHaveLength(500)
    const form = client.person({ message })
    expect((await client.sign(form)).status).toBe(303)
    // The message is sealed (ADR 017): the newest signature's, opened with the server's data key.
    const row = openedSignature((await db.get<{ sealed: string | null }>(`SELECT sealed FROM signatures ORDER BY id DESC LIMIT 1`))!)
    expect(row.message).toBe(message.replaceAll('\r\n', '\n'))
    // One character more is still refused, with the clear message.
    const longer = await client.sign(client.person({ message: `${message}a` }))
    expect(longer.status).toBe(400)
    expect(textOf(await longer.text())).toContain(en.forms.tooLong.replace('{{max}}', '500'))
  })
})

describe('confirm and thanks in the language of the email', () => {
  /** Sign in `lang`, and return the email's confirm link. */
  async function confirmLink(lang: 'en' | 'de' | 'es') {
    const form = client.person()
    expect((await client.sign(form, { lang })).status).toBe(303)
    const [email] = await client.waitForEmails(form.email)
    expect(email!.locale).toBe(lang)
    const links = await client.linksOf(email!.id, owner)
    return { confirm: links.find((l) => /\/confirm\/[^/?]+$/.test(l))!, notMe: links.find((l) => l.endsWith('?not-me'))!, firstName: form.firstName }
  }

  const asEnglishBrowser = { 'Accept-Language': 'en-US,en;q=0.9' }

  it('opens a German email link in German in an English browser, then thanks in German', async () => {
    const { confirm, firstName } = await confirmLink('de')
    // The link in the email stays as it was (links already sent keep working).
    const token = new URL(confirm).pathname.split('/').at(-1)!
    let response = await fetch(confirm, { redirect: 'manual', headers: asEnglishBrowser })
    expect(response.status).toBe(303)
    const landing = response.headers.get('location')!
    expect(landing).toBe(`/confirm/${token}?lng=de`)
    response = await fetch(new URL(landing, server.url), { redirect: 'manual', headers: asEnglishBrowser })
    expect(response.status).toBe(200)
    let html = await response.text()
    expect(htmlLang(html)).toBe('de')
    expect(h1Text(html)).toBe(de.confirm.title)

    response = await fetch(new URL(landing, server.url), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...asEnglishBrowser, Origin: server.url },
      body: new URLSearchParams({ intent: 'confirm' }),
    })
    expect(response.status).toBe(303)
    const thanks = response.headers.get('location')!
    expect(thanks).toBe('/thanks/free-andry?lng=de')
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('vigil_thanks='))!.split(';')[0]!
    // A browser that refuses the language cookie still gets German: the language is in the address.
    response = await fetch(new URL(thanks, server.url), { headers: { ...asEnglishBrowser, Cookie: cookie } })
    html = await response.text()
    expect(htmlLang(html)).toBe('de')
    expect(h1Text(html)).toBe(de.confirm.thanksTitle.replace('{{firstName}}', firstName))
  })

  it('keeps "this was not me" on the way, and an English email stays English in a Spanish browser', async () => {
    const { notMe } = await confirmLink('en')
    const response = await fetch(notMe, { redirect: 'manual', headers: { 'Accept-Language': 'es' } })
    expect(response.status).toBe(303)
    const landing = new URL(response.headers.get('location')!, server.url)
    expect(landing.searchParams.get('lng')).toBe('en')
    expect(landing.searchParams.has('not-me')).toBe(true)
    const html = await (await fetch(landing, { headers: { 'Accept-Language': 'es' } })).text()
    expect(htmlLang(html)).toBe('en')
    expect(html).toContain(en.confirm.notMe)
    expect(html).not.toContain(`value="confirm"`)
  })

  it('does not redirect when the browser already speaks the email language, nor for an unknown link', async () => {
    const { confirm } = await confirmLink('es')
    const same = await fetch(confirm, { redirect: 'manual', headers: { 'Accept-Language': 'es' } })
    expect(same.status).toBe(200)
    expect(htmlLang(await same.text())).toBe('es')
    const unknown = await fetch(`${server.url}/confirm/not-a-real-token-at-all-0000000000`, { redirect: 'manual', headers: { 'Accept-Language': 'de' } })
    // Nothing is found there: a 404, explained in the visitor's language.
    expect(unknown.status).toBe(404)
    const html = await unknown.text()
    expect(htmlLang(html)).toBe('de')
    expect(textOf(html)).toContain(de.confirm.invalid)
  })

  it('answers an unknown or used link with 404 in the visitor language, for both buttons, and writes nothing', async () => {
    const snapshot = async () =>
      JSON.stringify([
        await db.all(`SELECT id, status, token_hash FROM signatures ORDER BY id`),
        await db.all(`SELECT * FROM campaign_counters ORDER BY campaign_id`),
        await db.get(`SELECT COUNT(*) AS n FROM consents`),
        await db.get(`SELECT COUNT(*) AS n FROM email_messages`),
      ])
    const before = await snapshot()
    const unknown = `${server.url}/confirm/not-a-real-token-at-all-1111111111`
    for (const [intent, lang, texts] of [['confirm', 'es', es], ['discard', 'de', de], ['confirm', 'en', en]] as const) {
      const response = await fetch(unknown, {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: server.url, Cookie: `vigil_lang=${lang}` },
        body: new URLSearchParams({ intent }),
      })
      expect(response.status, intent).toBe(404)
      const html = await response.text()
      expect(htmlLang(html)).toBe(lang)
      expect(textOf(html)).toContain(texts.confirm.invalid)
    }
    expect(await snapshot()).toBe(before)

    // A link already used is no longer found either, and confirming it again changes nothing.
    const { confirm } = await confirmLink('en')
    const post = () => fetch(confirm, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: 'vigil_lang=en' }, body: new URLSearchParams({ intent: 'confirm' }) })
    expect((await post()).status).toBe(303)
    const afterFirst = await snapshot()
    expect((await post()).status).toBe(404)
    expect((await fetch(confirm, { redirect: 'manual', headers: { Cookie: 'vigil_lang=en' } })).status).toBe(404)
    expect(await snapshot()).toBe(afterFirst)
  })
})
