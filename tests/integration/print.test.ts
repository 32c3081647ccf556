/**
 * Print: the poster (A4) and flyer (A5) pages and the QR code downloads over real
 * HTTP against the production build: content types, the code's exact URL (decoded from the
 * PNG with jsqr), the source-tag allow-list, ETags, and a 4xx in the visitor's language for
 * bad input. How they print (one page of the right size) is tests/e2e/print.test.ts.
 */
import jsQR from 'jsqr'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { attr, htmlLang, tagsOf, textOf } from '../helpers/html.ts'
import { openServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers, redirect: 'manual' })

/** The text a PNG's QR code holds, read the way a phone would: from its pixels. */
async function decodePng(bytes: Buffer) {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height)?.data ?? null
}

const campaignUrl = (query: string) => `${server.url}/c/${demoCampaign.slug}${query}`

describe('the poster and the flyer', () => {
  it('prints the German poster: title, summary, count, date, team and a QR code to the page with ?s=poster', async () => {
    const response = await get(`/c/${demoCampaign.slug}/print/a4?lng=de`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await response.text()
    expect(htmlLang(html)).toBe('de')
    const text = textOf(html)
    expect(text).toContain(demoCampaign.translations.de.title)
    expect(text).toContain(demoCampaign.translations.de.summary)
    const today = new Intl.DateTimeFormat('de', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date())
    expect(text).toContain(`Stand: ${today}`)
    expect(text).toContain('Demo')
    // The URL written out in short form, without scheme or tag.
    expect(text).toContain(`127.0.0.1:${server.port}/c/${demoCampaign.slug}`)
    const qr = tagsOf(html, 'img').find((tag) => attr(tag, 'src')?.includes('/qr.svg'))
    expect(attr(qr!, 'src')).toBe(`/c/${demoCampaign.slug}/qr.svg?s=poster&lng=de`)
    // Its own print stylesheet, loaded on this route only.
    expect(tagsOf(html, 'link').some((tag) => /\/print-[\w-]+\.css$/.test(attr(tag, 'href') ?? ''))).toBe(true)
    expect(html).toMatch(/class="[^"]*print-sheet--a4/)
  })

  it('prints the Spanish flyer with ?s=flyer', async () => {
    const response = await get(`/c/${demoCampaign.slug}/print/a5?lng=es`)
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(htmlLang(html)).toBe('es')
    expect(textOf(html)).toContain(demoCampaign.translations.es.title)
    expect(html).toMatch(/class="[^"]*print-sheet--a5/)
    const qr = tagsOf(html, 'img').find((tag) => attr(tag, 'src')?.includes('/qr.svg'))
    expect(attr(qr!, 'src')).toBe(`/c/${demoCampaign.slug}/qr.svg?s=flyer&lng=es`)
  })

  it('answers a size, language or campaign it does not know with a 4xx in the visitor’s language', async () => {
    const badSize = await get(`/c/${demoCampaign.slug}/print/a3`, { 'Accept-Language': 'es' })
    expect(badSize.status).toBe(404)
    expect(textOf(await badSize.text())).toContain('A4 o A5')
    const badLanguage = await get(`/c/${demoCampaign.slug}/print/a4?lng=xx`, { 'Accept-Language': 'de' })
    expect(badLanguage.status).toBe(400)
    expect(textOf(await badLanguage.text())).toContain('Diese Sprache gibt es hier nicht')
    const badSlug = await get('/c/no-such-campaign/print/a4', { 'Accept-Language': 'de' })
    expect(badSlug.status).toBe(404)
    expect(await badSlug.text()).toMatch(/lang="de"/)
  })
})

describe('the QR code downloads', () => {
  it('gives the code as an SVG download with an ETag that revalidates', async () => {
    const response = await get(`/c/${demoCampaign.slug}/qr.svg?s=poster&lng=de`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8')
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${demoCampaign.slug}-qr-poster-de.svg"`)
    expect(response.headers.get('cache-control')).toMatch(/public/)
    const etag = response.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]+"$/)
    const svg = await response.text()
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    const again = await get(`/c/${demoCampaign.slug}/qr.svg?s=poster&lng=de`, { 'If-None-Match': etag! })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('sets no language cookie: `lng` is the language of the code\'s link, not the visitor\'s, and the download stays shareable by a CDN', async () => {
    for (const target of [`/c/${demoCampaign.slug}/qr.svg?s=poster&lng=de`, `/c/${demoCampaign.slug}/qr.png?lng=es`]) {
      for (const headers of [{}, { Cookie: 'vigil_lang=en' }] as Record<string, string>[]) {
        const response = await get(target, headers)
        expect(response.status, target).toBe(200)
        expect(response.headers.get('set-cookie'), target).toBeNull()
        const etag = response.headers.get('etag')!
        const again = await get(target, { ...headers, 'If-None-Match': etag })
        expect(again.status, target).toBe(304)
        expect(again.headers.get('set-cookie'), target).toBeNull()
      }
    }
    // The poster is a page a person reads: there `?lng=` is their choice, as on every page.
    const poster = await get(`/c/${demoCampaign.slug}/print/a4?lng=de`)
    expect(poster.headers.get('set-cookie')).toMatch(/^vigil_lang=de/)
  })

  it('gives the code as a PNG that decodes to the campaign URL with ?s=poster', async () => {
    const response = await get(`/c/${demoCampaign.slug}/qr.png?s=poster&lng=de`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${demoCampaign.slug}-qr-poster-de.png"`)
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+"$/)
    const bytes = Buffer.from(await response.arrayBuffer())
    const { width, height } = await sharp(bytes).metadata()
    expect(width).toBeGreaterThanOrEqual(800)
    expect(height).toBe(width)
    expect(await decodePng(bytes)).toBe(campaignUrl('?s=poster&lng=de'))
  })

  it('encodes only the tags it knows (built in, or minted by the team) and the plain URL for any other, never an error', async () => {
    const db = openServerSql(server)
    await db.run('INSERT INTO campaign_sources (campaign_id, tag) SELECT id, ? FROM campaigns WHERE slug = ?', 'vigil-berlin', demoCampaign.slug)
    await db.close()
    const cases: [string, string][] = [
      ['?s=flyer&lng=es', '?s=flyer&lng=es'],
      ['?s=qr', '?s=qr'],
      ['', '?s=qr'],
      ['?s=vigil-berlin', '?s=vigil-berlin'],
      ['?s=newsletter&lng=en', '?lng=en'],
      [`?s=${encodeURIComponent('poster&x=https://evil.example')}`, ''],
      ['?s=POSTER', ''],
      [`?s=${'x'.repeat(5000)}`, ''],
    ]
    for (const [query, expected] of cases) {
      const response = await get(`/c/${demoCampaign.slug}/qr.png${query}`)
      expect(response.status, query).toBe(200)
      expect(await decodePng(Buffer.from(await response.arrayBuffer())), query).toBe(campaignUrl(expected))
    }
  })

  it('refuses an unknown campaign or language with a 4xx in the visitor’s language', async () => {
    const unknown = await get('/c/no-such-campaign/qr.svg?s=poster', { 'Accept-Language': 'de' })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await unknown.text()).toContain('Diese Kampagne')
    const badLanguage = await get(`/c/${demoCampaign.slug}/qr.png?s=poster&lng=zz`, { 'Accept-Language': 'es' })
    expect(badLanguage.status).toBe(400)
    expect(await badLanguage.text()).toContain('Ese idioma no existe aquí')
  })
})
