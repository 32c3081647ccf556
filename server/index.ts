/**
 * Vigil's HTTP server: one node:http server in front of Remix.
 *
 * Order of work for each request: security headers and a fresh CSP nonce; the
 * anonymous page cache (served without touching Express or React); static files;
 * the CSRF check for organiser writes; then Remix. Logs carry method, a path with
 * tokens masked, status and time: never query strings, emails or addresses.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequestHandler as createExpressHandler } from '@remix-run/express'
import { createRequestHandler, type ServerBuild } from '@remix-run/node'
import express from 'express'
import { getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { ConfigError, getEnv } from '../app/services/env.server.ts'
import { startSender } from '../app/services/mail-sender.server.ts'
import { startRetention } from '../app/services/retention.server.ts'
import { pointStripeAt } from '../app/services/stripe.server.ts'
import { getPageCache } from '../app/services/page-cache.server.ts'
import { SESSION_COOKIE } from '../app/services/session-cookie.ts'
import { LANGUAGE_COOKIE, languageCookie, LANGUAGE_PARAM, negotiateLanguage, readCookie } from '../app/utils/i18n.ts'
import type { VigilLoadContext } from '../app/load-context.ts'
import { countryFromAcceptLanguage } from '../app/utils/countries.ts'
import { getCountFeed } from '../app/models/signatures.server.ts'
import { buildCachedJson, buildCachedPage, sendCachedPage } from './cached-page.ts'
import {
  createNonce,
  cspForScripts as cspForScriptsOf,
  cspTemplate,
  isSameOriginRequest,
  loggablePath,
  securityHeaders,
  STRIPE_FORM_TARGETS,
} from './headers.ts'

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
let env: ReturnType<typeof getEnv>
try {
  env = getEnv()
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`vigil: configuration error: ${error.message}`)
    process.exit(1)
  }
  throw error
}
const dev = !env.production
const quiet = process.env.VIGIL_QUIET_LOG === '1'

const db = getDb()
migrateDatabase(db)
// The outbox sender runs here by default; VIGIL_SENDER=off leaves it to a separate process.
const sender = process.env.VIGIL_SENDER === 'off' ? undefined : startSender()
// Signatures of closed campaigns are anonymised once their retention period is over (hourly).
const retention = process.env.VIGIL_RETENTION === 'off' ? undefined : startRetention()

const viteDevServer = dev
  ? await import('vite').then((vite) =>
      vite.createServer({ root, server: { middlewareMode: true } }),
    )
  : undefined

async function loadBuild(): Promise<ServerBuild> {
  if (viteDevServer) {
    return (await viteDevServer.ssrLoadModule('virtual:remix/server-build')) as ServerBuild
  }
  return (await import(path.join(root, 'build/server/index.js'))) as ServerBuild
}
const productionBuild = dev ? undefined : await loadBuild()
const mode = dev ? 'development' : 'production'
const remixFetchHandler = createRequestHandler(productionBuild ?? loadBuild, mode)

const baseHeaders = securityHeaders({ https: env.publicUrl.startsWith('https:') })
const flatBaseHeaders = baseHeaders.flat()
// Where the donation form may lead: Stripe's hosted pages, or a stand-in's (demo mode, tests).
function formTargets(standIn?: string) {
  const targets = env.mode === 'live' ? [...STRIPE_FORM_TARGETS] : []
  if (env.stripe.apiBase) targets.push(env.stripe.apiBase.origin)
  if (standIn) targets.push(standIn)
  return [...new Set(targets)]
}
let csp = cspTemplate(dev, formTargets())
let cspForScripts = cspForScriptsOf(dev, formTargets())
const publicOrigin = new URL(env.publicUrl).origin
const pageCache = getPageCache(env.pageCacheTtlMs)

function clientIp(req: http.IncomingMessage) {
  if (env.trustProxy) {
    const forwarded = req.headers['x-forwarded-for']
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
    if (first) return first
  }
  return req.socket.remoteAddress ?? 'unknown'
}

function requestOrigin(req: http.IncomingMessage) {
  const proto = env.trustProxy && req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'
  return `${proto}://${req.headers.host ?? ''}`
}

type Prepared = { nonce: string; context: VigilLoadContext; url: URL; setLanguageCookie: boolean }

function prepare(req: http.IncomingMessage): Prepared {
  const nonce = createNonce()
  const url = new URL(req.url ?? '/', 'http://vigil.invalid')
  const { language, fromParam } = negotiateLanguage({
    param: url.searchParams.get(LANGUAGE_PARAM),
    cookieHeader: req.headers.cookie,
    acceptLanguage: req.headers['accept-language'],
  })
  const setLanguageCookie = fromParam && readCookie(req.headers.cookie, LANGUAGE_COOKIE) !== language
  const countryHint = countryFromAcceptLanguage(req.headers['accept-language']) ?? null
  return { nonce, url, setLanguageCookie, context: { cspNonce: nonce, lang: language, countryHint, clientIp: clientIp(req) } }
}

function isCacheable(req: http.IncomingMessage, prepared: Prepared) {
  if (pageCache.ttlMs <= 0) return false
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  if (prepared.url.search !== '') return false
  const { pathname } = prepared.url
  if (pathname !== '/' && !/^\/c\/[a-z0-9-]+$/.test(pathname)) return false
  return readCookie(req.headers.cookie, SESSION_COOKIE) === undefined
}

/** Headers every response gets; the page cache path writes the same set in one writeHead. */
function applyHeaders(res: http.ServerResponse, prepared: Prepared) {
  for (const [name, value] of baseHeaders) res.setHeader(name, value)
  res.setHeader('Content-Security-Policy', csp(prepared.nonce))
  if (prepared.setLanguageCookie) res.appendHeader('Set-Cookie', languageCookie(prepared.context.lang))
}

async function renderPage(req: http.IncomingMessage, prepared: Prepared) {
  const request = new Request(new URL(prepared.url.pathname, publicOrigin), {
    method: 'GET',
    headers: req.headers as Record<string, string>,
  })
  const response = await remixFetchHandler(request, prepared.context)
  const html = await response.text()
  const headers: string[] = []
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'content-security-policy') headers.push(name, value)
  })
  const page = buildCachedPage({ html, nonce: prepared.nonce, status: response.status, headers, baseHeaders: flatBaseHeaders, cspForScripts })
  const storable =
    response.status === 200 &&
    !response.headers.has('set-cookie') &&
    (response.headers.get('content-type') ?? '').startsWith('text/html')
  return { page, storable }
}

// When an entry expires under load, the first request renders it and the others wait
// for that render instead of all rendering the same page at once.
const inflight = new Map<string, ReturnType<typeof renderPage>>()

async function renderAndCache(req: http.IncomingMessage, res: http.ServerResponse, prepared: Prepared, key: string) {
  let pending = inflight.get(key)
  if (!pending) {
    pending = renderPage(req, prepared).finally(() => inflight.delete(key))
    inflight.set(key, pending)
  }
  const { page, storable } = await pending
  if (storable) pageCache.set(key, page)
  sendCachedPage(req, res, page, 'miss')
}

/**
 * GET /c/:slug/count.json, for widgets and CDNs. Answered here, before Express and Remix,
 * from the page cache (the same TTL and purges as the page that shows the count), with an
 * ETag, a CDN-friendly Cache-Control, and CORS open: the count is public.
 */
const COUNT_FEED = /^\/c\/([a-z0-9-]{1,100})\/count\.json(?:\?.*)?$/

async function serveCountFeed(req: http.IncomingMessage, res: http.ServerResponse, slug: string) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, [...flatBaseHeaders, 'Allow', 'GET, HEAD', 'Content-Type', 'text/plain; charset=utf-8']).end('Method not allowed')
    return
  }
  const key = `count:${slug}`
  let feed = pageCache.get(key)
  const state = feed ? 'hit' : 'miss'
  if (!feed) {
    const data = await getCountFeed({ slug })
    const body = JSON.stringify(data ?? { error: 'No such campaign' })
    const etag = `"${crypto.createHash('sha1').update(body).digest('base64url')}"`
    feed = {
      expiresAt: 0,
      ...buildCachedJson({
        body,
        status: data ? 200 : 404,
        headers: ['Cache-Control', 'public, max-age=5, stale-while-revalidate=30', 'Access-Control-Allow-Origin', '*', 'ETag', etag],
        baseHeaders: flatBaseHeaders,
      }),
      etag,
    }
    pageCache.set(key, feed)
  }
  if (feed.status === 200 && req.headers['if-none-match'] === feed.etag) {
    res.writeHead(304, [...flatBaseHeaders, 'ETag', feed.etag!, 'Cache-Control', 'public, max-age=5, stale-while-revalidate=30', 'X-Vigil-Cache', state]).end()
    return
  }
  sendCachedPage(req, res, feed, state)
}

const app = express()
app.disable('x-powered-by')
app.set('trust proxy', env.trustProxy)

if (viteDevServer) {
  app.use(viteDevServer.middlewares)
} else {
  app.use('/assets', express.static(path.join(root, 'build/client/assets'), { immutable: true, maxAge: '1y' }))
  app.use(express.static(path.join(root, 'build/client'), { maxAge: '1h' }))
}
app.use('/media', express.static(env.uploadsPath, { maxAge: '1d', fallthrough: false, dotfiles: 'deny' }))
// A missing upload is an ordinary 404, not an error: without this, Express's final handler
// prints a stack trace with the raw requested path to the log for every such request.
app.use('/media', ((error, _req, res, next) => {
  const status = Number((error as { status?: unknown } | null)?.status)
  if (status >= 400 && status < 500) {
    res.status(status).type('text/plain').send(http.STATUS_CODES[status] ?? 'Not found')
    return
  }
  next(error)
}) satisfies express.ErrorRequestHandler)

/**
 * Remix matches routes case-insensitively and after percent-decoding (/ADMIN/x and
 * /%61dmin/x reach the /admin/x route), so the guard below must see paths the same way.
 */
function isAdminPath(rawPath: string) {
  let decoded = rawPath
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    // Malformed escapes: React Router falls back to the raw path as well.
  }
  return decoded.toLowerCase().startsWith('/admin')
}

app.use((req, res, next) => {
  const unsafe = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS'
  if (unsafe && isAdminPath(req.path)) {
    const allowed = [publicOrigin, requestOrigin(req)]
    if (!isSameOriginRequest(req.headers as Record<string, string>, allowed)) {
      res.status(403).type('text/plain').send('This request did not come from a Vigil page (cross-site request refused).')
      return
    }
  }
  next()
})

/**
 * The Remix adapter appends a route's headers to the defaults set above. For the policy
 * headers that makes two policies, and browsers enforce both: a route with its own (the
 * email frames of the outbox and the update preview: framable by our own pages, inline
 * styles, nothing else) could never be shown. A route's Content-Security-Policy and
 * X-Frame-Options replace the defaults instead.
 */
const ROUTE_POLICY_HEADERS = new Set(['content-security-policy', 'x-frame-options'])
app.use((_req, res, next) => {
  const append = res.append.bind(res)
  const replaced = new Set<string>()
  res.append = (field, value) => {
    const name = field.toLowerCase()
    if (ROUTE_POLICY_HEADERS.has(name) && !replaced.has(name)) {
      replaced.add(name)
      res.removeHeader(field)
    }
    return append(field, value)
  }
  next()
})

app.all(
  '*',
  createExpressHandler({
    build: productionBuild ?? loadBuild,
    mode,
    getLoadContext: (_req, res) => res.locals.vigil as VigilLoadContext,
  }),
)

function logRequest(req: http.IncomingMessage, res: http.ServerResponse) {
  const started = performance.now()
  res.on('finish', () => {
    const ms = (performance.now() - started).toFixed(1)
    // Express rewrites req.url inside mounted middleware; the original is what was asked for.
    const url = (req as http.IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    console.log(`${req.method} ${loggablePath(url.split('?')[0]!)} ${res.statusCode} ${ms}ms`)
  })
}

const server = http.createServer((req, res) => {
  if (!quiet) logRequest(req, res)
  const countFeed = req.url?.startsWith('/c/') ? COUNT_FEED.exec(req.url) : null
  if (countFeed) {
    serveCountFeed(req, res, countFeed[1]!).catch((error: unknown) => {
      console.error('vigil: count feed failed', error)
      if (!res.headersSent) res.writeHead(500, flatBaseHeaders).end()
    })
    return
  }
  let prepared: Prepared
  try {
    prepared = prepare(req)
  } catch {
    res.writeHead(400).end('Bad request')
    return
  }
  if (isCacheable(req, prepared)) {
    const key = `${prepared.context.lang}:${prepared.context.countryHint ?? ''}:${prepared.url.pathname}`
    const hit = pageCache.get(key)
    if (hit) {
      sendCachedPage(req, res, hit, 'hit')
      return
    }
    renderAndCache(req, res, prepared, key).catch((error: unknown) => {
      console.error('vigil: render failed', error)
      if (res.headersSent) return res.destroy()
      applyHeaders(res, prepared)
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Something went wrong on our side. Please try again in a moment.')
    })
    return
  }
  applyHeaders(res, prepared)
  ;(res as http.ServerResponse & { locals?: unknown }).locals = { vigil: prepared.context }
  app(req as express.Request, res as express.Response)
})

/**
 * Demo mode: payments go to the local Stripe stand-in, started here, whose checkout page
 * (clearly marked as a demo) sends signed webhooks back to this server.
 */
async function startDemoStripe(port: number) {
  if (env.mode !== 'demo' || env.stripe.apiBase) return null
  const { startStripeStandIn } = await import('./stripe-stand-in.ts')
  const standInPort = Number(process.env.STRIPE_DEMO_PORT) || (await freePort())
  // The browser reaches the stand-in's checkout page on the host it reaches Vigil on.
  const pages = new URL(env.publicUrl)
  pages.port = String(standInPort)
  const standIn = await startStripeStandIn({
    port: standInPort,
    host: env.host,
    publicUrl: pages.origin,
    secretKey: env.stripe.secretKey,
    webhookUrl: `http://127.0.0.1:${port}/webhooks/stripe`,
    webhookSecret: env.stripe.webhookSecret,
    asyncDelayMs: Number(process.env.STRIPE_DEMO_ASYNC_DELAY_MS ?? 3000),
    // Beside the database, so monthly donors' portal links survive a restart.
    stateFile: path.join(path.dirname(env.databasePath), 'stripe-stand-in.json'),
  })
  pointStripeAt(`http://127.0.0.1:${standIn.port}`)
  csp = cspTemplate(dev, formTargets(pages.origin))
  cspForScripts = cspForScriptsOf(dev, formTargets(pages.origin))
  return { standIn, pagesUrl: pages.origin }
}

function freePort() {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, env.host, () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
let demoStripe: Awaited<ReturnType<typeof startDemoStripe>> = null

server.listen(env.port, env.host, async () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : env.port
  demoStripe = await startDemoStripe(port)
  console.log(`vigil: listening on http://localhost:${port} (${env.mode} mode, ${mode} build)`)
  if (env.mode === 'demo') {
    console.log(`vigil: demo mode: emails are captured to the outbox, payments are simulated.`)
    if (demoStripe) console.log(`vigil: demo payments: a local Stripe stand-in on ${demoStripe.pagesUrl} (no money moves)`)
    console.log(`vigil: organiser login: ${env.publicUrl}/admin/login  (demo@vigil.example / vigil-demo-2026)`)
  }
})

let stopping = false
function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  console.log(`vigil: ${signal} received, closing`)
  sender?.stop()
  retention?.stop()
  void demoStripe?.standIn.close()
  server.close(() => {
    db.$client.close()
    process.exit(0)
  })
  server.closeIdleConnections()
  setTimeout(() => process.exit(0), 3000).unref()
  void viteDevServer?.close()
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
