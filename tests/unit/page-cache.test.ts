import crypto from 'node:crypto'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { PageCache } from '~/utils/page-cache.server.ts'
import { buildCachedPage, pickEncoding } from '../../server/cached-page.ts'
import { cspForScripts } from '../../server/headers.ts'

const NONCE = 'cmVuZGVyLW5vbmNl'
const script = 'window.__remixContext = {"state":1}'
const html = `<!DOCTYPE html><html><head><link rel="modulepreload" href="/assets/a.js" nonce="${NONCE}"/></head><body><p>Hola</p><script nonce="${NONCE}">${script}</script><script type="module" nonce="${NONCE}" src="/assets/b.js"></script></body></html>`
const page = buildCachedPage({ html, nonce: NONCE, status: 200, headers: ['content-type', 'text/html; charset=utf-8'], baseHeaders: ['X-Frame-Options', 'DENY'], cspForScripts: cspForScripts(false) })

function header(headers: string[], name: string) {
  const i = headers.findIndex((h, index) => index % 2 === 0 && h.toLowerCase() === name.toLowerCase())
  return i === -1 ? undefined : headers[i + 1]
}

describe('buildCachedPage', () => {
  it('removes the render’s nonce and allows exactly its inline scripts by hash', () => {
    const body = page.variants.identity.body.toString()
    expect(body).not.toContain(NONCE)
    const csp = header(page.variants.identity.headers, 'Content-Security-Policy')!
    const hash = crypto.createHash('sha256').update(script).digest('base64')
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}';`)
    expect(csp).not.toContain('nonce-')
    expect(csp.match(/sha256-/g)).toHaveLength(1)
  })

  it('stores gzip and brotli versions that decode to the same bytes, with matching headers', () => {
    const identity = page.variants.identity.body
    expect(zlib.gunzipSync(page.variants.gzip.body).equals(identity)).toBe(true)
    expect(zlib.brotliDecompressSync(page.variants.br.body).equals(identity)).toBe(true)
    expect(header(page.variants.br.headers, 'Content-Encoding')).toBe('br')
    expect(header(page.variants.gzip.headers, 'Content-Length')).toBe(String(page.variants.gzip.body.length))
    expect(header(page.variants.identity.headers, 'Content-Encoding')).toBeUndefined()
    expect(header(page.variants.identity.headers, 'Vary')).toContain('Accept-Encoding')
    expect(header(page.variants.identity.headers, 'X-Frame-Options')).toBe('DENY')
  })
})

describe('pickEncoding', () => {
  it('prefers brotli, then gzip, and respects q=0', () => {
    expect(pickEncoding('gzip, deflate, br')).toBe('br')
    expect(pickEncoding('gzip, br;q=0')).toBe('gzip')
    expect(pickEncoding('deflate')).toBe('identity')
    expect(pickEncoding(undefined)).toBe('identity')
  })
})

describe('PageCache', () => {
  it('serves an entry until its time to live runs out', () => {
    const cache = new PageCache(1000)
    cache.set('en:/', page, 0)
    expect(cache.get('en:/', 999)).toBeDefined()
    expect(cache.get('en:/', 1000)).toBeUndefined()
  })

  it('forgets everything on purge', () => {
    const cache = new PageCache(1000)
    cache.set('en:/', page, 0)
    cache.set('de:/', page, 0)
    cache.purge()
    expect(cache.size).toBe(0)
  })

  it('stores nothing when turned off', () => {
    const cache = new PageCache(0)
    cache.set('en:/', page, 0)
    expect(cache.get('en:/', 0)).toBeUndefined()
  })

  it('keeps an entry that is in use when newer, unused ones fill the cache (least recently used goes first)', () => {
    const cache = new PageCache(1000, 3)
    cache.set('hot', page, 0)
    for (let i = 0; i < 10; i++) {
      cache.set(`cold-${i}`, page, 0)
      expect(cache.get('hot', 1), `after cold-${i}`).toBeDefined()
    }
    expect(cache.get('cold-0', 1)).toBeUndefined()
    expect(cache.size).toBe(3)
  })

  it('evicts the least recently used entry when full', () => {
    const cache = new PageCache(1000, 2)
    cache.set('a', page, 0)
    cache.set('b', page, 0)
    cache.set('c', page, 0)
    expect(cache.get('a', 1)).toBeUndefined()
    expect(cache.get('c', 1)).toBeDefined()
  })
})
