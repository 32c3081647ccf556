// sqlite-only: headers, the CSP nonce and the in-memory page cache; pages read from the database are covered on both engines by public-pages and the others.
import crypto from 'node:crypto'
/**
 * Security headers, the CSP nonce, third-party-free pages, the anonymous page cache and
 * what the server writes to its log, over real HTTP against the production build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { decodeEntities, tagsOf, attr, htmlLang, h1Text } from '../helpers/html.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const CAMPAIGN = `/c/${demoCampaign.slug}`
const EN = demoCampaign.translations.en
const DE = demoCampaign.translations.de

let server: RunningServer

beforeAll(async () => {
  // No count-log job: its first entry (4 s after start) adds a log line of its own, after the first
  // request on a slow machine, which the log tests below would take for a stray line.
  server = await startServer({ env: { VIGIL_COUNT_LOG: 'off' } })
})

afterAll(async () => {
  await server?.stop()
})

// ——— helpers ———

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual', headers })
  return { res, body: await res.text() }
}

function cspDirectives(res: Response) {
  const header = res.headers.get('content-security-policy')
  if (!header) throw new Error(`no Content-Security-Policy on ${res.url}`)
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources] as const),
  )
}

function cspNonce(res: Response) {
  const scriptSrc = cspDirectives(res).get('script-src') ?? []
  const nonces = scriptSrc.flatMap((s) => /^'nonce-(.+)'$/.exec(s)?.[1] ?? [])
  expect(nonces).toHaveLength(1)
  return nonces[0]!
}

function scriptNonces(html: string) {
  return tagsOf(html, 'script').map((tag) => attr(tag, 'nonce'))
}

/**
 * Every script on the page must be allowed by this response's CSP: external ones by
 * 'self', inline ones by the response's nonce or by the SHA-256 of their content.
 * Returns how each inline script was allowed.
 */
function expectScriptsAllowed(res: Response, html: string) {
  const scriptSrc = cspDirectives(res).get('script-src') ?? []
  expect(scriptSrc).not.toContain("'unsafe-inline'")
  const nonces = scriptSrc.flatMap((s) => /^'nonce-(.+)'$/.exec(s)?.[1] ?? [])
  const hashes = scriptSrc.flatMap((s) => /^'sha256-(.+)'$/.exec(s)?.[1] ?? [])
  expect(nonces.length <= 1).toBe(true)
  const how: ('nonce' | 'hash')[] = []
  for (const [, attributes, content] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc=/.test(attributes!)) continue
    const nonce = /\snonce="([^"]*)"/.exec(attributes!)?.[1]
    const hash = crypto.createHash('sha256').update(content!).digest('base64')
    if (nonce !== undefined && nonces.includes(nonce)) how.push('nonce')
    else if (hashes.includes(hash)) how.push('hash')
    else throw new Error(`inline script not allowed by the CSP: ${content!.slice(0, 60)}`)
  }
  expect(how.length).toBeGreaterThan(0)
  return how
}

function isOwnUrl(value: string, origin: string) {
  const url = value.trim()
  if (url.startsWith('//')) return false
  try {
    const resolved = new URL(url, `${origin}/`)
    return resolved.origin === origin
  } catch {
    return false
  }
}

const URL_ATTRIBUTES = ['src', 'href', 'action', 'formaction', 'srcset', 'poster', 'data', 'xlink:href', 'background', 'cite']

/**
 * Every URL a page refers to that is not relative or on our own origin. Only plain
 * <a href> links inside story text (the sanitised Markdown in .prose) may point elsewhere.
 */
function foreignReferences(html: string, origin: string) {
  // Script bodies are code, not markup; their tags are still scanned.
  const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>')
  // Outbound links are allowed in the organisers' prose and in the share block (plain links the visitor follows).
  const prose = [...markup.matchAll(/<div class="prose"[^>]*>[\s\S]*?<\/div>|<section class="share"[^>]*>[\s\S]*?<\/section>/g)].map((m) => [m.index, m.index + m[0].length])
  const found: string[] = []
  for (const tag of markup.matchAll(/<([a-z][a-z0-9-]*)\b([^>]*)>/gi)) {
    const name = tag[1]!.toLowerCase()
    const inProse = prose.some(([start, end]) => tag.index >= start! && tag.index < end!)
    for (const attribute of tag[2]!.matchAll(/\s([a-z:-]+)="([^"]*)"/gi)) {
      const attrName = attribute[1]!.toLowerCase()
      const value = decodeEntities(attribute[2]!)
      let urls: string[] = []
      if (URL_ATTRIBUTES.includes(attrName)) {
        urls = attrName === 'srcset' ? value.split(',').map((s) => s.trim().split(/\s+/)[0] ?? '') : [value]
      } else if (name === 'meta' && attrName === 'content' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        urls = [value]
      }
      for (const url of urls) {
        if (isOwnUrl(url, origin)) continue
        if (inProse && name === 'a' && attrName === 'href') continue
        found.push(`<${name} ${attrName}="${url}">`)
      }
    }
  }
  return found
}

async function logIn() {
  const res = await fetch(`${server.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: DEMO.email, password: DEMO.password }),
  })
  expect(res.status).toBe(302)
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('vigil_session='))
  expect(cookie).toBeDefined()
  return cookie!.split(';')[0]!
}

async function postForm(path: string, cookie: string, fields: Record<string, string>) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  })
}

function englishText(overrides: Partial<Record<'title' | 'summary' | 'storyMd' | 'petitionText' | 'imageAlt', string>>) {
  return {
    title: EN.title,
    summary: EN.summary,
    storyMd: EN.storyMd,
    petitionText: EN.petitionText,
    imageAlt: demoCampaign.imageAlt.en,
    ...overrides,
  }
}

async function stylesheetPath() {
  const { body } = await get('/')
  const href = tagsOf(body, 'link').find((l) => attr(l, 'rel') === 'stylesheet')
  const path = attr(href ?? '', 'href')
  expect(path).toMatch(/^\/assets\/.+\.css$/)
  return path!
}

// ——— headers ———

describe('security headers', () => {
  const targets: [string, () => Promise<string>, number][] = [
    ['the home page', async () => '/', 200],
    ['a campaign page', async () => CAMPAIGN, 200],
    ['a built stylesheet', stylesheetPath, 200],
    ['a public image', async () => '/images/free-andry-vigil.png', 200],
    ['the favicon', async () => '/favicon.svg', 200],
    ['an unknown campaign (404)', async () => '/c/no-such-campaign', 404],
    ['an unknown path (404)', async () => '/no/such/page', 404],
    ['a missing upload (404)', async () => '/media/no-such-file.png', 404],
    ['robots.txt', async () => '/robots.txt', 200],
    ['sitemap.xml', async () => '/sitemap.xml', 200],
  ]

  it.each(targets)('sends the security headers with %s', async (_name, pathOf, status) => {
    const { res } = await get(await pathOf())
    expect(res.status).toBe(status)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin']).toContain(
      res.headers.get('referrer-policy'),
    )
    const permissions = res.headers.get('permissions-policy') ?? ''
    for (const feature of ['camera', 'microphone', 'geolocation', 'payment']) {
      expect(permissions).toMatch(new RegExp(`(^|,\\s*)${feature}=\\(\\)`))
    }
    const csp = cspDirectives(res)
    expect(csp.get('default-src')?.length).toBeGreaterThan(0)
    expect(csp.get('default-src')).not.toContain('*')
  })

  it('sends the same security headers on a page served from the cache', async () => {
    await get('/')
    const { res, body } = await get('/')
    expect(res.headers.get('x-vigil-cache')).toBe('hit')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('referrer-policy')).toBeTruthy()
    expect(res.headers.get('permissions-policy')).toContain('camera=()')
    expect(expectScriptsAllowed(res, body)).toContain('hash')
  })
})

// ——— CSP and nonces ———

function demoPaymentsOrigin() {
  const match = /demo payments: a local Stripe stand-in on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())
  expect(match, 'the demo server names its Stripe stand-in').not.toBeNull()
  return match![1]!
}

describe('content security policy', () => {
  it('allows scripts only from our origin and the response nonce, with no unsafe-inline', async () => {
    // A language choice in the URL bypasses the page cache: this is a fresh render with a nonce.
    const { res } = await get(`${CAMPAIGN}?lng=en`)
    const csp = cspDirectives(res)
    const scriptSrc = csp.get('script-src')
    expect(scriptSrc).toBeDefined()
    expect(scriptSrc).toContain("'self'")
    expect(scriptSrc!.filter((s) => s.startsWith("'nonce-"))).toHaveLength(1)
    expect(scriptSrc).not.toContain("'unsafe-inline'")
    expect(scriptSrc).not.toContain("'unsafe-eval'")
    expect(csp.get('default-src')).not.toContain("'unsafe-inline'")
    expect(csp.get('object-src')).toEqual(["'none'"])
    expect(csp.get('base-uri')).toEqual(["'none'"])
    expect(csp.get('frame-ancestors')).toEqual(["'none'"])
    // Forms post to us, and the donation form's redirect may lead only to the payment page:
    // in demo mode the local Stripe stand-in the server started (Stripe's own in live mode).
    expect(csp.get('form-action')).toEqual(["'self'", demoPaymentsOrigin()])
  })

  it('names no third-party origin in any directive', async () => {
    for (const path of ['/', CAMPAIGN, '/c/no-such-campaign', '/robots.txt']) {
      const { res } = await get(path)
      for (const [directive, sources] of cspDirectives(res)) {
        for (const source of sources) {
          const allowed = ["'self'", "'none'"].includes(source) || /^'(nonce|sha256)-[A-Za-z0-9+/=]+'$/.test(source) ||
            (directive === 'img-src' && source === 'data:') ||
            (directive === 'form-action' && source === demoPaymentsOrigin())
          expect(allowed, `${path}: ${directive} ${source}`).toBe(true)
        }
      }
    }
  })

  it('uses a fresh, unguessable nonce for every response', async () => {
    const nonces = new Set<string>()
    for (let i = 0; i < 5; i++) {
      const { res } = await get(`${CAMPAIGN}?lng=en`)
      const nonce = cspNonce(res)
      expect(Buffer.from(nonce, 'base64').length).toBeGreaterThanOrEqual(16)
      nonces.add(nonce)
    }
    expect(nonces.size).toBe(5)
  })

  it.each([
    ['the home page', '/', {}],
    ['a campaign page in German', CAMPAIGN, { 'Accept-Language': 'de' }],
    ['a campaign page chosen with ?lng=', `${CAMPAIGN}?lng=es`, {}],
    ['a 404 page', '/c/no-such-campaign', {}],
    ['the login page', '/admin/login', {}],
  ] as [string, string, Record<string, string>][])('allows every script of %s by the response’s own nonce or hash', async (_name, path, headers) => {
    const { res, body } = await get(path, headers)
    expectScriptsAllowed(res, body)
  })

  it('has no inline event handlers, which a nonce cannot allow', async () => {
    for (const path of ['/', CAMPAIGN, '/c/no-such-campaign']) {
      const { body } = await get(path)
      const markup = body.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>')
      expect(markup).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i)
      expect(markup).not.toMatch(/javascript:/i)
    }
  })
})

// ——— third parties ———

describe('no third parties', () => {
  it('notices a reference to another origin (the scan itself works)', () => {
    const origin = 'http://127.0.0.1:1'
    expect(foreignReferences('<img src="https://cdn.example/x.png"><a href="//evil.example/">x</a>', origin)).toHaveLength(2)
    expect(foreignReferences(`<link href="/a.css"><a href="${origin}/c/x">x</a><a href="#main">y</a>`, origin)).toEqual([])
    expect(foreignReferences('<div class="prose"><a href="https://example.org/">ok</a><img src="https://t.example/p.png"></div>', origin)).toEqual([
      '<img src="https://t.example/p.png">',
    ])
  })

  it.each([
    ['the home page', '/', {}],
    ['the home page in German', '/', { 'Accept-Language': 'de' }],
    ['the campaign page', CAMPAIGN, {}],
    ['the campaign page in German', CAMPAIGN, { 'Accept-Language': 'de' }],
    ['the campaign page in Spanish', `${CAMPAIGN}?lng=es`, {}],
    ['a 404 page', '/c/no-such-campaign', {}],
  ] as [string, string, Record<string, string>][])('refers only to our own origin from %s', async (_name, path, headers) => {
    const { res, body } = await get(path, headers)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(foreignReferences(body, server.url)).toEqual([])
  })

  it('loads no fonts, images or imports from elsewhere in the stylesheet', async () => {
    const { res, body } = await get(await stylesheetPath())
    expect(res.status).toBe(200)
    for (const match of body.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/gi)) {
      expect(isOwnUrl(match[1]!, server.url) || match[1]!.startsWith('data:'), match[1]).toBe(true)
    }
    expect(body).not.toMatch(/@import\s+(url\()?\s*['"]?(https?:)?\/\//i)
  })
})

// ——— anonymous page cache ———

describe('anonymous page cache', () => {
  it('serves the second anonymous request for a page from the cache', async () => {
    for (const path of ['/', CAMPAIGN]) {
      const first = await get(path)
      expect(first.res.status).toBe(200)
      expect(['hit', 'miss']).toContain(first.res.headers.get('x-vigil-cache'))
      const second = await get(path)
      expect(second.res.headers.get('x-vigil-cache')).toBe('hit')
      expect(second.res.status).toBe(200)
      expect(h1Text(second.body)).toBe(h1Text(first.body))
    }
  })

  it('serves cached hits with no nonce at all: their inline scripts are allowed by hash only', async () => {
    await get(CAMPAIGN)
    const bodies = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const { res, body } = await get(CAMPAIGN)
      expect(res.headers.get('x-vigil-cache')).toBe('hit')
      expect(res.headers.get('content-security-policy')).not.toContain('nonce-')
      expect(scriptNonces(body).every((n) => n === undefined)).toBe(true)
      expect(new Set(expectScriptsAllowed(res, body))).toEqual(new Set(['hash']))
      bodies.add(body)
    }
    // Every visitor gets the same bytes, so nothing per-visitor can be in them.
    expect(bodies.size).toBe(1)
  })

  it('compresses cached pages for browsers that accept it', async () => {
    await get(CAMPAIGN)
    const plain = await fetch(`${server.url}${CAMPAIGN}`, { headers: { 'Accept-Encoding': 'identity' } })
    const raw = await fetch(`${server.url}${CAMPAIGN}`, { headers: { 'Accept-Encoding': 'br' } })
    expect(raw.headers.get('content-encoding')).toBe('br')
    expect(Number(raw.headers.get('content-length'))).toBeLessThan(Number(plain.headers.get('content-length')) / 2)
    expect(raw.headers.get('vary')).toContain('Accept-Encoding')
    // fetch decodes brotli: the page read through it is the same page.
    expect(await raw.text()).toBe(await plain.text())
  })

  it('never gives a German visitor the cached English page, or the other way round', async () => {
    const english = { 'Accept-Language': 'en' }
    const german = { 'Accept-Language': 'de-DE,de;q=0.9' }
    await get(CAMPAIGN, english)
    const cachedEnglish = await get(CAMPAIGN, english)
    expect(cachedEnglish.res.headers.get('x-vigil-cache')).toBe('hit')
    expect(htmlLang(cachedEnglish.body)).toBe('en')

    const firstGerman = await get(CAMPAIGN, german)
    expect(htmlLang(firstGerman.body)).toBe('de')
    expect(h1Text(firstGerman.body)).toBe(DE.title)
    const cachedGerman = await get(CAMPAIGN, german)
    expect(cachedGerman.res.headers.get('x-vigil-cache')).toBe('hit')
    expect(htmlLang(cachedGerman.body)).toBe('de')
    expect(h1Text(cachedGerman.body)).toBe(DE.title)

    const germanByCookie = await get(CAMPAIGN, { Cookie: 'vigil_lang=de', 'Accept-Language': 'en' })
    expect(htmlLang(germanByCookie.body)).toBe('de')
    expect(h1Text(germanByCookie.body)).toBe(DE.title)

    const englishAgain = await get(CAMPAIGN, english)
    expect(englishAgain.res.headers.get('x-vigil-cache')).toBe('hit')
    expect(htmlLang(englishAgain.body)).toBe('en')
  })

  it('never serves a cached page to a request carrying the session cookie', async () => {
    for (const path of ['/', CAMPAIGN]) {
      await get(path)
      expect((await get(path)).res.headers.get('x-vigil-cache')).toBe('hit')
      for (const cookie of ['vigil_session=anything', 'vigil_lang=en; vigil_session=not-a-real-session', 'vigil_session=']) {
        const { res } = await get(path, { Cookie: cookie })
        expect(res.status).toBe(200)
        expect(res.headers.get('x-vigil-cache'), `${path} with ${cookie}`).not.toBe('hit')
      }
    }
  })

  it('serves tracking and share tags from the bare page’s entry, so they cannot be used to skip the cache', async () => {
    for (const path of ['/', CAMPAIGN]) {
      await get(path)
      expect((await get(path)).res.headers.get('x-vigil-cache')).toBe('hit')
      for (const query of ['?utm_source=newsletter', '?x', '?fbclid=1&ref=share', '?_data=routes%2Fc.%24slug']) {
        const { res } = await get(`${path}${query}`)
        expect(res.status).toBe(200)
        expect(res.headers.get('x-vigil-cache'), `${path}${query}`).toBe('hit')
      }
    }
  })

  it('renders a language choice in the URL afresh (it sets a cookie), and keeps the no-JS thanks state apart', async () => {
    for (let i = 0; i < 2; i++) {
      const { res } = await get(`${CAMPAIGN}?lng=en`)
      expect(res.headers.get('x-vigil-cache')).not.toBe('hit')
    }
    await get(`${CAMPAIGN}?signed=1`)
    const thanks = await get(`${CAMPAIGN}?signed=1&utm_medium=email`)
    expect(thanks.res.headers.get('x-vigil-cache')).toBe('hit')
    const plain = await get(CAMPAIGN)
    expect(plain.body).not.toBe(thanks.body)
  })
})

// ——— organiser changes and the cache ———

describe('organiser edits and the public pages', () => {
  let session: string
  const newTitle = `Andry's case: a fresh headline ${Date.now()}`

  beforeAll(async () => {
    session = await logIn()
  })

  it('shows an organiser\u2019s new title on the very next anonymous request', async () => {
    await get(CAMPAIGN)
    expect((await get(CAMPAIGN)).res.headers.get('x-vigil-cache')).toBe('hit')
    await get('/')
    expect((await get('/')).res.headers.get('x-vigil-cache')).toBe('hit')

    const saved = await postForm('/admin/campaigns/1/text/en', session, englishText({ title: newTitle }))
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toBe('/admin/campaigns/1/text/en?saved=1')

    const page = await get(CAMPAIGN)
    expect(page.res.headers.get('x-vigil-cache')).not.toBe('hit')
    expect(h1Text(page.body)).toBe(newTitle)
    const home = await get('/')
    expect(home.res.headers.get('x-vigil-cache')).not.toBe('hit')
    expect(decodeEntities(home.body)).toContain(newTitle)
    // The German text has its own title and is unaffected.
    expect(h1Text((await get(CAMPAIGN, { 'Accept-Language': 'de' })).body)).toBe(DE.title)
  })

  it('keeps images from other sites out of story text but lets plain outbound links through', async () => {
    const storyMd = [
      '## Sources',
      '',
      'Read [the full report](https://example.org/report) for details.',
      '',
      '![tracking pixel](https://tracker.example/pixel.png)',
    ].join('\n')
    const saved = await postForm('/admin/campaigns/1/text/en', session, englishText({ title: newTitle, storyMd }))
    expect(saved.status).toBe(302)

    const { body } = await get(CAMPAIGN)
    expect(body).toContain('<h2>Sources</h2>')
    const link = tagsOf(body, 'a').find((a) => attr(a, 'href') === 'https://example.org/report')
    expect(link).toBeDefined()
    expect(attr(link!, 'rel')?.split(/\s+/)).toEqual(expect.arrayContaining(['noopener', 'noreferrer']))
    expect(body).not.toContain('tracker.example')
    expect(foreignReferences(body, server.url)).toEqual([])

    // Put the demo story back for anyone reading the page later in this file.
    expect((await postForm('/admin/campaigns/1/text/en', session, englishText({ title: newTitle }))).status).toBe(302)
  })

  it('never caches what a signed-in organiser sees for anonymous visitors', async () => {
    const organiserView = await get('/', { Cookie: session })
    expect(organiserView.res.status).toBe(200)
    expect(tagsOf(organiserView.body, 'a').map((a) => attr(a, 'href'))).toContain('/admin')

    for (let i = 0; i < 2; i++) {
      const anonymous = await get('/')
      expect(tagsOf(anonymous.body, 'a').map((a) => attr(a, 'href'))).not.toContain('/admin')
    }
  })

  it('refuses an organiser edit that comes from another origin', async () => {
    const res = await fetch(`${server.url}/admin/campaigns/1/text/en`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: 'https://evil.example', Cookie: session, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(englishText({ title: 'Defaced' })),
    })
    expect(res.status).toBe(403)
    expect(h1Text((await get(`${CAMPAIGN}?check=1`)).body)).toBe(newTitle)
  })
})

// ——— the log ———

describe('server log', () => {
  const invitee = 'new.colleague@example.org'
  let token = ''
  let session = ''
  let stylesheet = ''

  beforeAll(async () => {
    session = await logIn()
    const invited = await postForm('/admin/organizers', session, {
      intent: 'create',
      email: invitee,
      name: 'New Colleague',
      role: 'editor',
    })
    expect(invited.status).toBe(200)
    const match = /\/admin\/set-password\/([A-Za-z0-9_-]+)/.exec(await invited.text())
    expect(match).not.toBeNull()
    token = match![1]!
    const setPassword = await get(`/admin/set-password/${token}`)
    expect(setPassword.res.status).toBe(200)
    await get(`${CAMPAIGN}?lng=de&utm_source=log-check`)
    stylesheet = await stylesheetPath()
    expect((await get(stylesheet)).res.status).toBe(200)
    expect((await get('/media/missing-upload-for-the-log.png')).res.status).toBe(404)
    // The last request of the file; its log line is written when the response finishes.
    await get('/healthz?utm_source=log-check')
    const deadline = Date.now() + 5000
    while (!/^GET \/healthz 200 /m.test(server.output()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  })

  function lines() {
    return server.output().split('\n').map((l) => l.trim()).filter(Boolean)
  }

  function requestLines() {
    return lines().filter((l) => /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /.test(l))
  }

  /** Start-up lines (printed before the first request), which in demo mode name the demo login. */
  function startupLines() {
    const all = lines()
    const firstRequest = all.findIndex((l) => /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /.test(l))
    return all.slice(0, firstRequest === -1 ? all.length : firstRequest)
  }

  it('logs one line per request: method, path, status and time only', () => {
    const requests = requestLines()
    expect(requests.length).toBeGreaterThan(20)
    for (const line of requests) expect(line).toMatch(/^[A-Z]+ \/\S* \d{3} \d+(\.\d+)?ms$/)
    expect(requests).toContainEqual(expect.stringMatching(/^POST \/admin\/login 302 /))
    expect(requests).toContainEqual(expect.stringMatching(/^GET \/admin\/set-password\/:token 200 /))
  })

  it('records the path that was asked for, also for static assets', () => {
    expect(requestLines()).toContainEqual(expect.stringMatching(new RegExp(`^GET ${stylesheet.replace(/[.]/g, '\\.')} 200 `)))
    expect(requestLines()).toContainEqual(expect.stringMatching(/^GET \/media\/missing-upload-for-the-log\.png 404 /))
  })

  it('writes nothing but its start-up lines and one line per request (no stack traces for 404s)', () => {
    const startup = startupLines()
    expect(startup.length).toBeGreaterThan(0)
    for (const line of lines()) {
      if (startup.includes(line)) continue
      expect(line).toMatch(/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /)
    }
  })

  it('logs no query strings', () => {
    for (const line of requestLines()) expect(line).not.toContain('?')
    expect(server.output()).not.toContain('utm_source')
    expect(server.output()).not.toContain('lng=')
  })

  it('logs no email address outside the demo start-up banner', () => {
    const startup = new Set(startupLines())
    const email = /[^\s@()]+@[^\s@()]+\.[a-z]{2,}/i
    for (const line of lines()) {
      if (startup.has(line)) continue
      expect(line).not.toMatch(email)
    }
    expect(server.output()).not.toContain(invitee)
  })

  it('logs no IP address on request lines', () => {
    const ipv4 = /\b\d{1,3}(\.\d{1,3}){3}\b/
    for (const line of requestLines()) {
      expect(line).not.toMatch(ipv4)
      expect(line).not.toMatch(/::1|::ffff:/i)
    }
    for (const line of lines()) {
      if (line.includes('127.0.0.1')) expect(startupLines()).toContain(line)
    }
  })

  it('logs no set-password tokens, session cookies or passwords', () => {
    expect(token.length).toBeGreaterThanOrEqual(20)
    const output = server.output()
    expect(output).not.toContain(token)
    expect(output).not.toContain(session.split('=')[1]!)
    for (const line of requestLines()) expect(line).not.toContain(DEMO.password)
  })
})
