/**
 * Embedding a campaign on another site, over real HTTP against the production build: who may
 * frame the embed pages (frame-ancestors from the organisers' list, X-Frame-Options only
 * dropped there, every other page still unframable, the cached page's headers following the
 * list), the list's validation in each language, signing from inside a frame without cookies,
 * count.json's CORS and shape, and oEmbed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { textOf } from '../helpers/html.ts'
import { byAddress } from '../helpers/sealed.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

let server: RunningServer
let db: ServerSql
let owner: string
let campaignId: number

const EMBED = '/embed/c/free-andry'
const MAGAZINE = 'https://magazin.example.org'

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '60000' } })
  db = openServerSql(server)
  owner = await petitionClient(server, db).login()
  campaignId = (await db.get(`SELECT id FROM campaigns WHERE slug = 'free-andry'`) as { id: number }).id
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

function saveOrigins(text: string, { lang = 'en', cookie = owner } = {}) {
  return fetch(`${server.url}/admin/campaigns/${campaignId}/embed?lng=${lang}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, Cookie: cookie },
    body: new URLSearchParams({ origins: text }),
  })
}

const frameAncestors = (response: Response) => /frame-ancestors ([^;]*)/.exec(response.headers.get('content-security-policy') ?? '')?.[1]

describe('who may frame the embed', () => {
  it('frames the embed nowhere but our own origin until an organiser lists a site', async () => {
    const embed = await fetch(server.url + EMBED)
    expect(embed.status).toBe(200)
    expect(frameAncestors(embed)).toBe("'self'")
    expect(embed.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  it('lets a listed origin frame the embed pages, and only those pages; the cached page follows the list', async () => {
    // Filled into the page cache with the old list first.
    expect((await fetch(server.url + EMBED)).headers.get('x-vigil-cache')).toMatch(/hit|miss/)
    expect((await saveOrigins(`${MAGAZINE}/\nhttp://localhost:4000`)).status).toBe(302)
    expect(await db.column(`SELECT origin FROM campaign_frame_origins WHERE campaign_id = ? ORDER BY created_at`, campaignId)).toEqual([MAGAZINE, 'http://localhost:4000'])
    for (const path of [EMBED, `${EMBED}?lng=de`, `${EMBED}/donate?lng=es`]) {
      const first = await fetch(server.url + path)
      const again = await fetch(server.url + path)
      expect(again.headers.get('x-vigil-cache'), path).toBe('hit')
      for (const response of [first, again]) {
        expect(frameAncestors(response), path).toBe(`'self' ${MAGAZINE} http://localhost:4000`)
        expect(response.headers.get('x-frame-options'), path).toBeNull()
      }
    }
    // Every other page stays unframable.
    for (const path of ['/c/free-andry', '/', '/c/free-andry/donate', '/privacy']) {
      const response = await fetch(server.url + path)
      expect(response.headers.get('x-frame-options'), path).toBe('DENY')
      expect(frameAncestors(response), path).toBe("'none'")
    }
    // Taking a site off the list takes it off the (cached) page at once.
    expect((await saveOrigins('http://localhost:4000')).status).toBe(302)
    const after = await fetch(server.url + EMBED)
    expect(frameAncestors(after)).toBe("'self' http://localhost:4000")
  })

  it('an embed page for another campaign, or none, does not take this one’s list', async () => {
    const unknown = await fetch(`${server.url}/embed/c/no-such-campaign`)
    expect(unknown.status).toBe(404)
    expect(frameAncestors(unknown)).toBe("'self'")
  })

  it('shows the embed in the language of ?lng=, whatever the language cookie says, and sets no cookie', async () => {
    const response = await fetch(`${server.url}${EMBED}?lng=de`, { headers: { Cookie: 'vigil_lang=es', 'Accept-Language': 'en' } })
    const html = await response.text()
    expect(html).toContain('<html lang="de"')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(html).not.toContain('site-header')
    expect(html).not.toContain('site-footer')
    expect(html).toContain('name="s" value="embed"')
    expect(html).toContain('action="/embed/c/free-andry?lng=de"')
    expect(html).toMatch(/href="\/privacy" target="_blank" rel="noopener"/)
    expect(await (await fetch(`${server.url}${EMBED}?lang=es`)).text()).toContain('<html lang="es"')
  })
})

describe('the donate panel', () => {
  it('shows the funds and a form that opens the payment in a tab of its own, in the frame’s language', async () => {
    const html = await (await fetch(`${server.url}${EMBED}/donate?lng=es`)).text()
    expect(html).toContain('<html lang="es"')
    expect(html).not.toContain('site-header')
    expect(html).toMatch(/<form[^>]*action="\/c\/free-andry\/donate\?lng=es"[^>]*target="_blank"|<form[^>]*target="_blank"[^>]*action="\/c\/free-andry\/donate\?lng=es"/)
    expect(html).toContain('class="fund"')
    // A gift made from the frame is counted under the embed's tag, like a signature.
    expect(html).toMatch(/<input type="hidden" name="s" value="embed"\/>/)
    expect(textOf(html)).toContain('El pago se abre en una pestaña nueva.')
  })
})

describe('the list of allowed sites', () => {
  const BAD = 'https://ok.example\nhttp://plain.example\nhttps://site.example/blog\nmagazine.example\nhttps://*.example'
  it('refuses bad lines with one message per line, in the organiser’s language, and saves nothing', async () => {
    const before = await db.column(`SELECT origin FROM campaign_frame_origins ORDER BY campaign_id, origin`)
    const expected = {
      en: ['Line 2 (“http://plain.example”) must start with https://', 'Line 3 (“https://site.example/blog”) has a path', 'Line 4 (“magazine.example”) is not a site address', 'Line 5 (“https://*.example”) has a wildcard'],
      de: ['Zeile 2 („http://plain.example“) muss mit https:// beginnen', 'Zeile 3 („https://site.example/blog“) enthält einen Pfad', 'Zeile 4 („magazine.example“) ist keine Website-Adresse', 'Zeile 5 („https://*.example“) enthält einen Platzhalter'],
      es: ['La línea 2 («http://plain.example») debe empezar por https://', 'La línea 3 («https://site.example/blog») tiene una ruta', 'La línea 4 («magazine.example») no es la dirección de un sitio', 'La línea 5 («https://*.example») tiene un comodín'],
    }
    for (const [lang, messages] of Object.entries(expected)) {
      const response = await saveOrigins(BAD, { lang })
      expect(response.status, lang).toBe(400)
      const text = textOf(await response.text())
      for (const message of messages) expect(text, lang).toContain(message)
      expect(text).not.toContain('Line 1')
    }
    expect(await db.column(`SELECT origin FROM campaign_frame_origins ORDER BY campaign_id, origin`)).toEqual(before)
  })

  it('refuses more than 20 sites', async () => {
    const response = await saveOrigins(Array.from({ length: 21 }, (_, i) => `https://s${i}.example`).join('\n'))
    expect(response.status).toBe(400)
    expect(textOf(await response.text())).toContain('At most 20 sites')
  })

  it('shows the snippet in each language, the resize listener and a same-origin preview', async () => {
    const response = await fetch(`${server.url}/admin/campaigns/${campaignId}/embed`, { headers: { Cookie: owner } })
    expect(response.status).toBe(200)
    const html = await response.text()
    for (const lang of ['en', 'de', 'es']) {
      expect(html).toContain(`src=&quot;${server.url}/embed/c/free-andry?lng=${lang}&quot;`)
      expect(html).toContain(`${server.url}/embed/c/free-andry/donate?lng=${lang}`)
    }
    expect(html).toContain('loading=&quot;lazy&quot;')
    expect(html).toContain('vigil:embed-height')
    expect(html).toMatch(/<iframe class="embed-admin__preview" src="\/embed\/c\/free-andry\?lng=en"/)
  })
})

describe('signing inside another site’s frame', () => {
  it('signs with no cookie at all, from the frame’s own origin, in the form’s language, back into the frame', async () => {
    const response = await fetch(`${server.url}${EMBED}?lng=es`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url, 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Dest': 'iframe' },
      body: new URLSearchParams({ firstName: 'Lucía', lastName: 'Marín', email: 'lucia.embed@example.org', country: 'VE', s: 'embed' }),
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/embed/c/free-andry?lng=es&signed=1')
    expect(response.headers.get('set-cookie')).toBeNull()
    const lucia = byAddress('lucia.embed@example.org', 'p.email_hash')
    const row = await db.get(`SELECT s.locale FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE ${lucia.where}`, ...lucia.params) as { locale: string } | undefined
    expect(row?.locale).toBe('es')
    const back = await fetch(`${server.url}/embed/c/free-andry?lng=es&signed=1`)
    expect(textOf(await back.text())).toContain('Revisa tu correo')
  })

  it('refuses a post from the embedding site itself (its Origin is not ours)', async () => {
    const response = await fetch(server.url + EMBED, { method: 'POST', redirect: 'manual', headers: { Origin: MAGAZINE }, body: new URLSearchParams({ firstName: 'X', lastName: 'Y', email: 'x.y@example.org', country: 'DE' }) })
    expect(response.status).toBe(403)
  })
})

describe('count.json', () => {
  it('answers any origin with the count, the goal and the countries, with an ETag', async () => {
    const response = await fetch(`${server.url}/c/free-andry/count.json`, { headers: { Origin: MAGAZINE } })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(response.headers.get('etag')).toMatch(/^".+"$/)
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['confirmed', 'countries', 'goal'])
    expect(typeof body.confirmed).toBe('number')
    expect(body.goal).toBeGreaterThan(body.confirmed as number)
    expect(typeof body.countries).toBe('object')
    const unchanged = await fetch(`${server.url}/c/free-andry/count.json`, { headers: { 'If-None-Match': response.headers.get('etag')! } })
    expect(unchanged.status).toBe(304)
  })

  it('is a 404 with CORS for an unknown campaign', async () => {
    const response = await fetch(`${server.url}/c/no-such-campaign/count.json`)
    expect(response.status).toBe(404)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('oEmbed', () => {
  const oembed = (query: string) => fetch(`${server.url}/oembed?${query}`)

  it('answers a campaign URL with a rich iframe snippet, honouring maxwidth and maxheight', async () => {
    const url = encodeURIComponent(`${server.url}/c/free-andry?lng=de`)
    const response = await oembed(`url=${url}&format=json&maxwidth=500&maxheight=600`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ version: '1.0', type: 'rich', width: 500, height: 600, provider_url: server.url })
    expect(typeof body.title).toBe('string')
    expect(typeof body.provider_name).toBe('string')
    expect(body.html).toContain(`<iframe src="${server.url}/embed/c/free-andry?lng=de"`)
    expect(body.html).toContain('loading="lazy"')
    expect(body.html).toContain('max-width:500px;height:600px')
    const plain = (await (await oembed(`url=${encodeURIComponent(`${server.url}/c/free-andry`)}`)).json()) as { width: number; height: number }
    expect(plain.width).toBe(720)
    const donate = (await (await oembed(`url=${encodeURIComponent(`${server.url}/c/free-andry/donate`)}`)).json()) as { html: string }
    expect(donate.html).toContain('/embed/c/free-andry/donate?lng=')
  })

  it('refuses what it cannot answer, saying why', async () => {
    const cases: [string, number, RegExp][] = [
      ['format=json', 400, /url parameter is missing/],
      ['url=not%20a%20url', 400, /not an absolute URL/],
      [`url=${encodeURIComponent(`${server.url}/c/free-andry`)}&maxwidth=wide`, 400, /maxwidth/],
      [`url=${encodeURIComponent(`${server.url}/c/free-andry`)}&format=xml`, 501, /format=json/],
      [`url=${encodeURIComponent(`${server.url}/c/no-such-campaign`)}`, 404, /no public campaign/],
      [`url=${encodeURIComponent('https://elsewhere.example/c/free-andry')}`, 404, /not a campaign on this site/],
      [`url=${encodeURIComponent(`${server.url}/admin`)}`, 404, /not a campaign on this site/],
    ]
    for (const [query, status, message] of cases) {
      const response = await oembed(query)
      expect(response.status, query).toBe(status)
      expect(((await response.json()) as { error: string }).error, query).toMatch(message)
    }
  })

  it('is discoverable from the campaign page', async () => {
    const html = await (await fetch(`${server.url}/c/free-andry`)).text()
    const link = /<link[^>]*type="application\/json\+oembed"[^>]*>/.exec(html)?.[0] ?? ''
    expect(link).toContain(`href="${server.url}/oembed?url=${encodeURIComponent(`${server.url}/c/free-andry?lng=en`).replaceAll('&', '&amp;')}&amp;format=json"`)
  })
})
