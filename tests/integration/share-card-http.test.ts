import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCREENSHOTS } from '../helpers/browser.ts'
import { startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { attr, decodeEntities, tagsOf } from '../helpers/html.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let stack: DonationStack

beforeAll(async () => {
  ;[server, stack] = await Promise.all([startServer({ env: { VIGIL_QUIET_LOG: '1' } }), startDonationStack()])
})
afterAll(async () => {
  await Promise.all([server?.stop(), stack?.close()])
})

const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) })

/** The content of each `<meta property|name=…>` on a page. */
function metaOf(html: string) {
  const found: Record<string, string> = {}
  for (const tag of tagsOf(html, 'meta')) {
    const key = attr(tag, 'property') ?? attr(tag, 'name')
    if (key) found[key] = decodeEntities(attr(tag, 'content') ?? '')
  }
  return found
}

describe('GET /c/:slug/card-:lang.png', () => {
  it('answers a 1200 × 630 PNG with an ETag and headers a CDN can keep, and no cookie', async () => {
    const response = await fetch(`${server.url}/c/free-andry/card-en.png`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+, stale-while-revalidate=\d+$/)
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+"$/)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const png = Buffer.from(await response.arrayBuffer())
    expect(Number(response.headers.get('content-length'))).toBe(png.length)
    expect(pngSize(png)).toEqual({ width: 1200, height: 630 })
    fs.mkdirSync(SCREENSHOTS, { recursive: true })
    fs.writeFileSync(path.join(SCREENSHOTS, 'card-served-en.png'), png)
  })

  it('answers 304 to a matching If-None-Match, and HEAD with the headers alone', async () => {
    const first = await fetch(`${server.url}/c/free-andry/card-de.png?v=anything`)
    const etag = first.headers.get('etag')!
    const again = await fetch(`${server.url}/c/free-andry/card-de.png`, { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    expect((await again.arrayBuffer()).byteLength).toBe(0)
    const head = await fetch(`${server.url}/c/free-andry/card-de.png`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('etag')).toBe(etag)
    expect(head.headers.get('content-length')).toBe(first.headers.get('content-length'))
    expect((await head.arrayBuffer()).byteLength).toBe(0)
    const other = await fetch(`${server.url}/c/free-andry/card-en.png`)
    expect(other.headers.get('etag')).not.toBe(etag)
  })

  it('answers 404 for an unknown campaign or language, and 405 for other methods, never a 500', async () => {
    for (const target of ['/c/no-such-campaign/card-en.png', '/c/free-andry/card-fr.png', '/c/free-andry/card-english.png', '/c/free-andry/card-.png']) {
      const response = await fetch(`${server.url}${target}`)
      expect(response.status, target).toBe(404)
      expect(response.headers.get('cache-control'), target).toMatch(/no-store|max-age/)
    }
    const post = await fetch(`${server.url}/c/free-andry/card-en.png`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(server.output()).not.toMatch(/request failed/)
  })
})

describe('link previews name the card', () => {
  function expectCard(html: string, lang: string) {
    const meta = metaOf(html)
    expect(meta['og:image']).toMatch(new RegExp(`^${server.url.replace(/[.:/]/g, '\\$&')}/c/free-andry/card-${lang}\\.png\\?v=[\\w-]+$`))
    expect(meta['og:image:width']).toBe('1200')
    expect(meta['og:image:height']).toBe('630')
    expect(meta['og:image:alt']).toMatch(/Andry/)
    expect(meta['twitter:card']).toBe('summary_large_image')
    expect(meta['twitter:image']).toBe(meta['og:image'])
    return meta
  }

  it('on the campaign page, also when it comes from the page cache, in the page’s language', async () => {
    const first = await fetch(`${server.url}/c/free-andry`, { headers: { 'Accept-Language': 'de' } })
    const cached = await fetch(`${server.url}/c/free-andry`, { headers: { 'Accept-Language': 'de' } })
    expect(cached.headers.get('x-vigil-cache')).toBe('hit')
    const meta = expectCard(await first.text(), 'de')
    expect(metaOf(await cached.text())['og:image']).toBe(meta['og:image'])
    expect(meta['og:image:alt']).toMatch(/Bisher haben 0 Menschen unterschrieben/)
    const card = await fetch(meta['og:image']!)
    expect(card.status).toBe(200)
    expectCard(await (await fetch(`${server.url}/c/free-andry?lng=es`)).text(), 'es')
  })

  it('on the thanks and donate pages', async () => {
    expectCard(await (await fetch(`${server.url}/thanks/free-andry`)).text(), 'en')
    expectCard(await (await fetch(`${server.url}/c/free-andry/donate`, { headers: { 'Accept-Language': 'es' } })).text(), 'es')
  })

  it('on the page a donor returns to', async () => {
    const gift = await stack.donate({ amount: '2000' })
    const html = await (await fetch(`${stack.server.url}/c/free-andry/donate/thanks?session_id=${gift.sessionId}`)).text()
    const meta = metaOf(html)
    expect(meta['og:image']).toMatch(/\/c\/free-andry\/card-en\.png\?v=/)
    expect(meta['twitter:card']).toBe('summary_large_image')
  })
})
