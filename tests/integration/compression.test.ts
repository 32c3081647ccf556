// sqlite-only: how responses are compressed does not depend on where the data lives.
/**
 * Vigil compresses what it serves when no proxy does: pages rendered for the
 * request, single-fetch data and JSON (brotli or gzip, as the client accepts), and the
 * build's assets from the .br / .gz files written beside them at build time. Private pages
 * (organisers', private links) are never compressed (ADR 014, BREACH). VIGIL_COMPRESS=off
 * leaves compression to the proxy.
 */
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, startServer, type RunningServer } from '../helpers/server.ts'

const ASSETS = path.join(ROOT, 'build/client/assets')

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** A raw request (fetch would decode the body and hide Content-Encoding and Content-Length). */
function get(server: RunningServer, target: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(`${server.url}${target}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

function decode(answer: Answer) {
  const encoding = answer.headers['content-encoding']
  if (encoding === 'br') return zlib.brotliDecompressSync(answer.body)
  if (encoding === 'gzip') return zlib.gunzipSync(answer.body)
  return answer.body
}

/** A page without its per-response nonce, so two renders compare equal. */
const withoutNonce = (html: Buffer) => html.toString().replace(/ nonce="[^"]*"/g, '')

function largestAsset(ext: string) {
  const files = fs.readdirSync(ASSETS).filter((f) => f.endsWith(ext))
  return files.sort((a, b) => fs.statSync(path.join(ASSETS, b)).size - fs.statSync(path.join(ASSETS, a)).size)[0]!
}

let server: RunningServer
let off: RunningServer

beforeAll(async () => {
  ;[server, off] = await Promise.all([
    startServer({ env: { VIGIL_QUIET_LOG: '1' } }),
    startServer({ env: { VIGIL_QUIET_LOG: '1', VIGIL_COMPRESS: 'off' } }),
  ])
})

afterAll(async () => {
  await Promise.all([server?.stop(), off?.stop()])
})

describe('the build', () => {
  it('writes a .br and a .gz beside every script and stylesheet, each decoding to the file', () => {
    const files = fs.readdirSync(ASSETS).filter((f) => /\.(js|css)$/.test(f))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const original = fs.readFileSync(path.join(ASSETS, file))
      expect(zlib.brotliDecompressSync(fs.readFileSync(path.join(ASSETS, `${file}.br`))).equals(original), file).toBe(true)
      expect(zlib.gunzipSync(fs.readFileSync(path.join(ASSETS, `${file}.gz`))).equals(original), file).toBe(true)
    }
  })
})

describe('pages rendered for the request (the donate page bypasses the page cache)', () => {
  const page = '/c/free-andry/donate'

  it('are brotli for a client that takes br, gzip for one that takes only gzip, identity otherwise; same bytes once decoded', async () => {
    const plain = await get(server, page)
    expect(plain.status).toBe(200)
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers.vary).toMatch(/accept-encoding/i)
    for (const [accept, encoding] of [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
    ] as const) {
      const answer = await get(server, page, { 'accept-encoding': accept })
      expect(answer.status).toBe(200)
      expect(answer.headers['content-encoding'], accept).toBe(encoding)
      expect(answer.headers.vary).toMatch(/accept-encoding/i)
      expect(answer.body.length).toBeLessThan(plain.body.length / 2)
      expect(withoutNonce(decode(answer))).toBe(withoutNonce(plain.body))
    }
  })

  it('answer HEAD with the headers of a GET and no body', async () => {
    const head = await get(server, page, { 'accept-encoding': 'br' }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-type']).toMatch(/^text\/html/)
  })

  it('answer HEAD with the Content-Encoding and Vary a GET gets, for every encoding (a cache may store the HEAD)', async () => {
    for (const target of [page, `${page}.data`]) {
      for (const accept of ['gzip, deflate, br', 'gzip', '']) {
        const headers: Record<string, string> = accept ? { 'accept-encoding': accept } : {}
        const [getAnswer, head] = [await get(server, target, headers), await get(server, target, headers, 'HEAD')]
        expect(head.status, `${target} ${accept}`).toBe(200)
        expect(head.body.length).toBe(0)
        expect(head.headers['content-encoding'], `${target} ${accept}`).toBe(getAnswer.headers['content-encoding'])
        expect(head.headers.vary, `${target} ${accept}`).toBe(getAnswer.headers.vary)
        expect(head.headers['content-length'], `${target} ${accept}`).toBe(getAnswer.headers['content-length'])
      }
    }
  })

  it('answer HEAD on private pages uncompressed, as GET', async () => {
    const head = await get(server, '/admin/login', { 'accept-encoding': 'gzip, br' }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers['content-encoding']).toBeUndefined()
  })

  it('compress single-fetch data too', async () => {
    const answer = await get(server, `${page}.data`, { 'accept-encoding': 'br' })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-encoding']).toBe('br')
    expect(decode(answer).toString()).toContain('routes/c.$slug_.donate')
  })

  it('leave answers to form posts alone: small, echoing what was posted, and the signing path pays nothing for them', async () => {
    const answer = await fetch(`${server.url}/c/free-andry.data`, {
      method: 'POST',
      headers: { Origin: server.url, 'Accept-Encoding': 'br, gzip' },
      body: new URLSearchParams({ firstName: 'Ana', lastName: 'Compressa', email: 'ana.compressa@example.org', country: 'ES', _js: '1' }),
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-encoding')).toBeNull()
    expect(await answer.text()).toContain('signed')
  })

  it('are not compressed on private pages (organisers\' pages, private links)', async () => {
    for (const target of ['/admin/login', '/thanks/free-andry']) {
      const answer = await get(server, target, { 'accept-encoding': 'gzip, br' })
      expect(answer.status, target).toBe(200)
      expect(answer.headers['content-encoding'], target).toBeUndefined()
    }
  })
})

describe('assets', () => {
  it('are served from the precompressed files with Content-Encoding, Vary and their exact Content-Length', async () => {
    for (const file of [largestAsset('.js'), largestAsset('.css')]) {
      const original = fs.readFileSync(path.join(ASSETS, file))
      for (const [accept, encoding, suffix] of [
        ['gzip, deflate, br', 'br', '.br'],
        ['gzip', 'gzip', '.gz'],
        ['', undefined, ''],
      ] as const) {
        const answer = await get(server, `/assets/${file}`, accept ? { 'accept-encoding': accept } : {})
        expect(answer.status, file).toBe(200)
        expect(answer.headers['content-encoding'], `${file} ${accept}`).toBe(encoding)
        expect(answer.headers.vary).toMatch(/accept-encoding/i)
        expect(answer.headers['content-type']).toMatch(file.endsWith('.js') ? /javascript/ : /^text\/css/)
        expect(answer.headers['cache-control']).toMatch(/immutable/)
        expect(Number(answer.headers['content-length'])).toBe(fs.statSync(path.join(ASSETS, `${file}${suffix}`)).size)
        expect(decode(answer).equals(original)).toBe(true)
      }
    }
  })

  it('answer HEAD and a matching If-None-Match as they should', async () => {
    const file = largestAsset('.js')
    const head = await get(server, `/assets/${file}`, { 'accept-encoding': 'br' }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-encoding']).toBe('br')
    expect(Number(head.headers['content-length'])).toBe(fs.statSync(path.join(ASSETS, `${file}.br`)).size)
    const etag = head.headers.etag!
    expect(etag).toBeTruthy()
    const again = await get(server, `/assets/${file}`, { 'accept-encoding': 'br', 'if-none-match': etag })
    expect(again.status).toBe(304)
    expect(again.body.length).toBe(0)
    expect(again.headers.vary).toMatch(/accept-encoding/i)
  })

  it('a missing asset is a 404, and a path out of the folder gets nothing', async () => {
    expect((await get(server, '/assets/no-such-file.js', { 'accept-encoding': 'br' })).status).toBe(404)
    const escape = await get(server, '/assets/..%2f..%2fpackage.json', { 'accept-encoding': 'br' })
    expect(escape.body.toString()).not.toContain('"name": "vigil"')
  })
})

describe('VIGIL_COMPRESS=off', () => {
  it('leaves pages and assets uncompressed for the proxy to compress', async () => {
    const page = await get(off, '/c/free-andry/donate', { 'accept-encoding': 'gzip, br' })
    expect(page.status).toBe(200)
    expect(page.headers['content-encoding']).toBeUndefined()
    const file = largestAsset('.js')
    const asset = await get(off, `/assets/${file}`, { 'accept-encoding': 'gzip, br' })
    expect(asset.status).toBe(200)
    expect(asset.headers['content-encoding']).toBeUndefined()
    expect(Number(asset.headers['content-length'])).toBe(fs.statSync(path.join(ASSETS, file)).size)
  })
})
