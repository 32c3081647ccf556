// sqlite-only: the guard in front of Remix (body limits, methods, origins, proxy hops, the page cache) answers before the database is asked; the rate limiter it relies on runs on both engines in rate-limit-windows and sign-* tests.
/**
 * The server's guard in front of Remix, over real HTTP against the production build: no
 * request can stop the process, bodies are limited before they are read, non-form bodies,
 * odd methods and forged origins get a clear 4xx in the visitor's language, the anonymous
 * page cache cannot be bypassed or flooded, client addresses come from the right proxy hop,
 * and the log carries no tokens.
 */
import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const CAMPAIGN = `/c/${demoCampaign.slug}`
const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

let server: RunningServer
let db: ServerSql

beforeAll(async () => {
  server = await startServer({ env: { TRUST_PROXY: '1', PAGE_CACHE_TTL_MS: '60000', SIGN_LIMIT_PER_10_MIN: '3', VIGIL_FORM_BODY_DEADLINE_MS: '1500' } })
  db = openServerSql(server)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

/** A raw request: the path and headers go out exactly as given (fetch would normalise them). */
function raw(method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer | string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function alive() {
  const res = await fetch(`${server.url}/healthz`)
  expect(res.status).toBe(200)
}

async function count(sql: string) {
  return (await db.get<{ n: number }>(sql))!.n
}

async function login() {
  const res = await fetch(`${server.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url },
    body: new URLSearchParams(DEMO),
  })
  expect(res.status).toBe(302)
  return res.headers.get('set-cookie')!.split(';')[0]!
}

describe('malformed cookies', () => {
  it('answers a malformed session or language cookie on cached pages and keeps serving', async () => {
    for (const path of ['/', CAMPAIGN, `${CAMPAIGN}/donate`, '/admin']) {
      for (const cookie of ['vigil_session=%E0', 'vigil_lang=%', 'vigil_session=%E0; vigil_lang=%ZZ', 'vigil_session=' + 'x'.repeat(4000)]) {
        const res = await raw('GET', path, { Cookie: cookie })
        expect(res.status, `${path} with ${cookie.slice(0, 30)}`).toBeLessThan(500)
      }
    }
    await alive()
  })
})

describe('request bodies', () => {
  it('refuses a body larger than the route allows before reading it, in the visitor’s language', async () => {
    const res = await raw('POST', CAMPAIGN, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 256 * 1024 * 1024, 'Accept-Language': 'de' })
    expect(res.status).toBe(413)
    expect(res.body).toContain('zu groß')
    await alive()
  })

  it('stops reading a chunked body once it passes the limit, and /healthz stays quick', async () => {
    const started = performance.now()
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: CAMPAIGN, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', () => resolve(-1))
      const chunk = Buffer.alloc(64 * 1024, 'a')
      let sent = 0
      const pump = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length
          if (!req.write(chunk)) return req.once('drain', pump)
        }
        req.end()
      }
      req.on('socket', () => pump())
      setTimeout(() => reject(new Error('no answer')), 10_000)
    })
    // Either the 413 arrived or the server closed the connection on the sender; never a full read.
    expect([413, -1]).toContain(status)
    const health = performance.now()
    await alive()
    expect(performance.now() - health).toBeLessThan(500)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('lets go of a form body trickled in too slowly (the connection is closed at the deadline)', async () => {
    const started = performance.now()
    const closed = await new Promise<boolean>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(`POST ${CAMPAIGN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\na=`)
        const drip = setInterval(() => socket.writable && socket.write('b'), 200)
        socket.on('close', () => {
          clearInterval(drip)
          resolve(true)
        })
        setTimeout(() => resolve(false), 8000)
      })
      socket.on('error', () => {})
    })
    expect(closed).toBe(true)
    expect(performance.now() - started).toBeLessThan(5000)
    await alive()
  })

  it('refuses 60,000 repeated fields before any parser sees them, quickly', async () => {
    const body = 'a=&'.repeat(60_000)
    const started = performance.now()
    const res = await raw('POST', CAMPAIGN, { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'es' }, body)
    expect(res.status).toBe(413)
    expect(res.body).toMatch(/demasiado grande/)
    expect(performance.now() - started).toBeLessThan(1000)
    await alive()
  })

  it('refuses too many fields even where the body is small enough: public forms and the login form', async () => {
    for (const [path, body] of [
      [CAMPAIGN, 'a=&'.repeat(20_000)],
      [CAMPAIGN, 'a=1&%61=2&'.repeat(60)],
      ['/admin/login', 'a=&'.repeat(60_000)],
    ] as const) {
      const started = performance.now()
      const res = await raw('POST', path, { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'es', Origin: server.url }, body)
      expect(res.status, path).toBe(413)
      expect(res.body).toMatch(/demasiados campos/)
      expect(performance.now() - started).toBeLessThan(1000)
    }
    await alive()
  })

  it('refuses a field name with a huge index (Conform builds a sparse array that long), quickly', async () => {
    for (const [path, body] of [
      [CAMPAIGN, 'x[100000000]=1'],
      [CAMPAIGN, 'firstName=A&a.b[00099999999]=1'],
      ['/admin/login', 'email[100000000]=1'],
    ] as const) {
      const started = performance.now()
      const res = await raw('POST', path, { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url }, body)
      expect(res.status, path).toBe(413)
      expect(performance.now() - started).toBeLessThan(1000)
    }
    await alive()
  })

  it('answers JSON, text, octet-stream, broken multipart and empty bodies with a 4xx, never a 500', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['/admin/login', { 'Content-Type': 'application/json' }, '{"email":"a"}'],
      ['/admin/login', { 'Content-Type': 'text/plain' }, 'email=a'],
      ['/admin/login', {}, ''],
      ['/admin/login', { 'Content-Type': 'multipart/form-data; boundary=x' }, '--x\r\nbroken'],
      ['/admin/login', { 'Content-Type': 'multipart/form-data' }, 'no boundary'],
      [CAMPAIGN, { 'Content-Type': 'application/octet-stream' }, '\u0000\u0001'],
      [`${CAMPAIGN}/donate`, { 'Content-Type': 'application/json' }, '[]'],
      ['/admin/set-password/abc', { 'Content-Type': 'application/json' }, '{}'],
    ]
    for (const [path, headers, body] of cases) {
      const res = await raw('POST', path, { ...headers, Origin: server.url }, body)
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400)
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBeLessThan(500)
    }
    await alive()
  })
})

describe('methods', () => {
  it('answers TRACE, PUT and made-up methods with 405 and OPTIONS without touching the app', async () => {
    for (const method of ['TRACE', 'PUT', 'DELETE', 'PATCH', 'PROPFIND']) {
      const res = await raw(method, CAMPAIGN)
      expect(res.status, method).toBe(405)
      expect(res.headers.allow).toBe('GET, HEAD, POST, OPTIONS')
    }
    const options = await raw('OPTIONS', CAMPAIGN)
    expect(options.status).toBe(204)
    expect(server.output()).not.toContain('unhandled error')
  })

  it('logs one line, no stack, for a ?_data= request', async () => {
    const res = await raw('GET', `${CAMPAIGN}?_data=routes%2Fc.%24slug`)
    expect(res.status).toBeLessThan(500)
    expect(server.output()).not.toMatch(/unhandled error|\n\s+at /)
  })
})

describe('origins', () => {
  it('refuses a cross-site POST with a clear 403 page in the visitor’s language, for public and admin paths', async () => {
    for (const path of [CAMPAIGN, '/admin/login', '/./admin/organizers', '/%2e/admin/organizers', '/x/../admin/organizers']) {
      const res = await raw('POST', path, { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'de' }, 'a=1')
      expect(res.status, path).toBe(403)
      expect(res.body, path).toContain('Anfrage')
    }
  })

  it('refuses admin writes on dot-segment paths without an Origin (the CSRF check sees the normalised path)', async () => {
    const cookie = await login()
    const before = await count('SELECT count(*) AS n FROM organizers')
    for (const path of ['/./admin/organizers', '/%2e/admin/organizers', '/x/../admin/organizers', '/%2E/ADMIN/organizers']) {
      const res = await raw('POST', path, { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, 'intent=invite&email=x%40example.org&name=X&role=owner')
      expect(res.status, path).toBe(403)
    }
    expect(await count('SELECT count(*) AS n FROM organizers')).toBe(before)
  })

  it('accepts Origin: null on the token pages (their own token proves the form) and refuses it elsewhere', async () => {
    const res = await raw('POST', '/unsubscribe/not-a-real-token', { Origin: 'null', 'Content-Type': 'application/x-www-form-urlencoded' }, 'intent=unsubscribe')
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(res.status).not.toBe(403)
    const elsewhere = await raw('POST', CAMPAIGN, { Origin: 'null', 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1')
    expect(elsewhere.status).toBe(403)
  })

  it('answers an unparseable Origin with 403, not 500', async () => {
    const res = await raw('POST', CAMPAIGN, { Origin: 'http://[::1', 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1')
    expect(res.status).toBe(403)
  })

  it('accepts a same-origin POST when the proxy rewrote Host (the public origin is ours)', async () => {
    const res = await raw('POST', '/admin/login', { Origin: server.url, Host: 'internal:3000', 'Content-Type': 'application/x-www-form-urlencoded' }, new URLSearchParams({ email: 'nobody@example.org', password: 'wrong' }).toString())
    expect(res.status).toBe(400)
  })
})

describe('paths and logs', () => {
  it('masks tokens by route in the log, for single-fetch and percent-encoded paths too', async () => {
    const secret = 'Zq9sEcRetT0kenValue'
    const paths = [
      `/confirm/${secret}.data`,
      `/unsubscribe/${secret}.data`,
      `/preferences/${secret}`,
      `/admin/set-password/${secret}.data`,
      `/donations/manage/${secret}`,
      `/confirm/${encodeURIComponent(secret).replace('Z', '%5A')}`,
      `/CONFIRM/short`,
      `/c/${encodeURIComponent('bob@example.org')}`,
    ]
    for (const path of paths) await raw('GET', path)
    await new Promise((r) => setTimeout(r, 100))
    const log = server.output()
    expect(log).not.toContain('EcRetT0ken')
    expect(log).not.toContain('short')
    expect(log).not.toMatch(/bob(@|%40)example/)
    expect(log).toMatch(/GET \/confirm\/:token\.data \d{3} /)
  })

  it('never prints a raw path when the path cannot be decoded', async () => {
    const res = await raw('GET', '/media/%E0secret%ZZ')
    expect(res.status).toBeLessThan(500)
    expect(server.output()).not.toContain('secret%ZZ')
    expect(server.output()).not.toContain('URIError')
  })

  it('serves the benchmark routes only when the benchmark asks for them', async () => {
    expect((await raw('POST', '/healthz/echo', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1')).status).toBe(404)
    expect((await raw('POST', '/healthz/form', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1')).status).toBe(404)
  })

  it('marks every admin response no-store', async () => {
    const cookie = await login()
    for (const path of ['/admin', '/admin/login', '/admin/outbox', `/admin/campaigns/1`]) {
      const res = await raw('GET', path, { Cookie: cookie })
      expect(res.headers['cache-control'], path).toContain('no-store')
    }
  })
})

describe('client addresses behind TRUST_PROXY=1', () => {
  it('counts an IPv6 client by its /64, so rotating addresses inside one network does not escape the limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await raw(
        'POST',
        CAMPAIGN,
        { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': `2001:db8:1:2::${(i + 1).toString(16)}` },
        new URLSearchParams({ firstName: 'Six', lastName: 'Four', email: `v6.${i}@example.org`, country: 'DE' }).toString(),
      )
      statuses.push(res.status)
    }
    expect(statuses).toEqual([303, 303, 303, 429, 429])
  })


  it('takes the address the proxy appended, so a client cannot rotate its own X-Forwarded-For past the signing limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await raw(
        'POST',
        CAMPAIGN,
        // nginx's $proxy_add_x_forwarded_for: the client's own value, then the address nginx saw.
        { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': `10.9.9.${i}, 192.0.2.77` },
        new URLSearchParams({ firstName: 'Rotating', lastName: 'Client', email: `rotate.${i}@example.org`, country: 'DE' }).toString(),
      )
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 3).every((s) => s === 303)).toBe(true)
    expect(statuses.slice(3)).toEqual([429, 429])
  })
})

describe('the anonymous page cache', () => {
  it('never stores a page rendered with an organiser’s session, however the cookie header is spelled', async () => {
    const cookie = await login()
    const [name, value] = cookie.split('=') as [string, string]
    // U+00A0 before a first, undecodable vigil_session: JavaScript's trim() and the cookie
    // package Remix uses disagree about whether that is the session cookie.
    const header = Buffer.from(`\u00a0${name}=%E0; ${name}=${value}`, 'latin1').toString('latin1')
    await raw('GET', '/c/free-andry', { Cookie: header })
    const anonymous = await raw('GET', '/c/free-andry')
    expect(anonymous.body).not.toContain('Demo Organiser')
    expect(anonymous.body).not.toMatch(/"organizer":\{/)
  })


  it('serves tracking and share parameters from the cache entry of the bare page', async () => {
    await raw('GET', CAMPAIGN)
    const tagged = await raw('GET', `${CAMPAIGN}?utm_source=newsletter&fbclid=abc`)
    expect(tagged.status).toBe(200)
    expect(tagged.headers['x-vigil-cache']).toBe('hit')
  })

  it('keeps a hot page when many unknown slugs and count feeds are requested', async () => {
    await raw('GET', CAMPAIGN)
    for (let i = 0; i < 600; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => Promise.all([raw('GET', `/c/nope-${i + j}/count.json`), raw('GET', `/c/nope-${i + j}`)])),
      )
      await raw('GET', CAMPAIGN)
    }
    expect((await raw('GET', CAMPAIGN)).headers['x-vigil-cache']).toBe('hit')
    // 1,200 uncached 404 pages (past the cache's 500 entries) and 600 feeds: over 30 s on a busy 2-core machine.
  }, 90_000)
})

describe('after all of that', () => {
  it('is still serving, and never answered with a stack trace', async () => {
    await alive()
    expect(server.output()).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  })

  it('the raw socket: control characters and overlong paths get a 400 from the HTTP layer', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.end('GET /c/\u0001x HTTP/1.1\r\nHost: x\r\n\r\n'))
      let text = ''
      socket.on('data', (d) => (text += d.toString()))
      socket.on('close', () => resolve(text))
      socket.on('error', () => resolve(text))
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400/)
    await alive()
  })
})
