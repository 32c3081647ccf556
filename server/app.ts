/**
 * Vigil's HTTP handling as a factory: one node:http server in front of Remix, built from what
 * the boot file (server/index.ts) hands it. Importing this module starts nothing.
 *
 * Order of work for each request: security headers and a fresh CSP nonce; the count feed and
 * share cards; the anonymous page cache (served without touching Express or React); static
 * files; the CSRF check for organiser writes; then Remix. Logs carry method, a path with
 * tokens masked, status and time: never query strings, emails or addresses (as text, or one
 * JSON object per line with LOG_FORMAT=json: server/logging.ts). Every answered request is
 * also counted by route group for /metrics (server/metrics.ts); /healthz checks the database
 * first (server/health.ts). `shutdown()` stops taking connections and lets requests in flight
 * finish (server/index.ts calls it on SIGTERM and SIGINT).
 */
import http from 'node:http'
import path from 'node:path'
import { createRequestHandler, type ServerBuild, writeReadableStreamToWritable } from '@remix-run/node'
import express from 'express'
import type { ViteDevServer } from 'vite'
import type { DB } from '../db/client.server.ts'
import type { Env } from '../app/utils/config.server.ts'
import { getPageCache } from '../app/utils/page-cache.server.ts'
import { countRequest, routeGroupOf } from '../app/utils/metrics.server.ts'
import { SESSION_COOKIE } from '../app/utils/session-cookie.ts'
import { LANGUAGE_COOKIE, languageCookie, LANGUAGE_PARAM, negotiateLanguage, readCookie } from '../app/utils/i18n.ts'
import type { VigilLoadContext } from '../app/load-context.ts'
import { countryFromAcceptLanguage } from '../app/utils/countries.ts'
import { knownSourceForSlug } from '../app/models/sources.server.ts'
import { resources } from '../app/i18n-resources.ts'
import type { Language } from '../app/utils/i18n.ts'
import { isQrDownloadPath } from '../app/utils/print.ts'
import { buildCachedPage, sendCachedPage } from './cached-page.ts'
import { compressResponses, servePrecompressedAssets } from './compression.ts'
import { COUNT_FEED, createCountFeed, PLAIN_COUNT_FEED } from './count-feed.ts'
import { matchShareCard, serveShareCard } from './share-card.ts'
import {
  addressForLimits,
  ALLOWED_METHODS,
  bodyLimit,
  bodyPolicy,
  checkMultipart,
  checkUrlEncoded,
  clientAddress,
  guardPage,
  guardText,
  loggablePath,
  mediaType,
  normaliseTarget,
  isPrivatePage,
  isWriteAllowed,
  type BodyPolicy,
  type GuardProblem,
} from './guard.ts'
import { createNonce, cspForScripts as cspForScriptsOf, cspTemplate, securityHeaders, STRIPE_FORM_TARGETS } from './headers.ts'
import { embedFraming, framedBaseHeaders, framedCsp, isEmbedPath } from './embed-framing.ts'
import { createHealthCheck } from './health.ts'
import { writeJsonLine } from './logging.ts'
import { createMetricsEndpoint } from './metrics.ts'

export type AppOptions = {
  /** The repository's root: the build and its static files are found from it. */
  root: string
  db: DB
  env: Pick<Env, 'mode' | 'publicUrl' | 'trustProxy' | 'uploadsPath' | 'pageCacheTtlMs' | 'stripe' | 'metricsToken' | 'logFormat' | 'resend'>
  /** The production build, or (in development) how to load the current one on each request. */
  build: ServerBuild | (() => Promise<ServerBuild>)
  /** Development: Vite serves the client modules and the build is reloaded as files change. */
  vite?: ViteDevServer
  /** No request log lines (VIGIL_QUIET_LOG); requests are still counted for /metrics. */
  quiet: boolean
  /** Brotli/gzip by Vigil itself; off when the proxy compresses (server/compression.ts). */
  compress: boolean
  /** How long a form body may take to arrive (uploads get the server's request timeout). */
  formBodyDeadlineMs: number
}

type Prepared = {
  nonce: string
  context: VigilLoadContext
  /** The normalised target (see normaliseTarget; its host is a placeholder); every later step reads this, never req.url. */
  url: URL
  route: string
  setLanguageCookie: boolean
  /** An embed page (/embed/c/…): framable by the campaign's listed sites, its language from `?lng=`, never a cookie. */
  embed: boolean
}

const LINGER_BYTES = 16 * 1024 * 1024
const LINGER_MS = 5_000

/**
 * The server, not yet listening, and `allowPaymentPages` for demo mode's Stripe stand-in, whose
 * pages the donation form may then lead to (it starts once the server's port is known).
 */
export function createApp({ root, db, env, build, vite, quiet, compress, formBodyDeadlineMs }: AppOptions) {
  const dev = vite !== undefined
  const remixFetchHandler = createRequestHandler(build, dev ? 'development' : 'production')

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
  const health = createHealthCheck({ db, baseHeaders: flatBaseHeaders })
  const serveMetrics = env.metricsToken
    ? createMetricsEndpoint({ db, token: env.metricsToken, requestsPerSecond: env.resend.requestsPerSecond, baseHeaders: flatBaseHeaders })
    : null

  /** Host and scheme as the client addressed us (through TRUST_PROXY hops): a proxy that rewrites neither needs no setting. */
  function requestOrigin(req: http.IncomingMessage) {
    const forwarded = req.headers['x-forwarded-proto']
    const proto = env.trustProxy > 0 && typeof forwarded === 'string' && forwarded.split(',').at(-1)?.trim() === 'https' ? 'https' : 'http'
    return `${proto}://${req.headers.host ?? ''}`
  }

  function prepare(req: http.IncomingMessage, target: NonNullable<ReturnType<typeof normaliseTarget>>): Prepared {
    const nonce = createNonce()
    const { url } = target
    // Legacy data requests (not made by a single-fetch app) are answered as the page itself.
    url.searchParams.delete('_data')
    // Inside another site's frame our cookies are third-party: the embed neither reads nor sets the language's.
    const embed = isEmbedPath(url.pathname)
    const { language, fromParam } = negotiateLanguage({
      // Embeds also take `?lang=`, as sites that paste a URL by hand tend to write it.
      param: url.searchParams.get(LANGUAGE_PARAM) ?? (embed ? url.searchParams.get('lang') : null),
      cookieHeader: embed ? undefined : req.headers.cookie,
      acceptLanguage: req.headers['accept-language'],
    })
    const setLanguageCookie = !embed && !isQrDownloadPath(url.pathname) && fromParam && readCookie(req.headers.cookie, LANGUAGE_COOKIE) !== language
    const countryHint = countryFromAcceptLanguage(req.headers['accept-language']) ?? null
    const clientIp = addressForLimits(clientAddress(req.headers['x-forwarded-for'], req.socket.remoteAddress, env.trustProxy))
    return { nonce, url, route: target.route, setLanguageCookie, embed, context: { cspNonce: nonce, lang: language, countryHint, clientIp, db } }
  }

  /**
   * The page cache's key, or null when this request must be rendered for itself. Query
   * parameters the public pages do not read (tracking and share tags) are left out, so
   * `?utm_source=…` cannot be used to skip the cache; `signed=1` (the no-JS thanks state)
   * is the one the pages show.
   */
  async function cacheKey(req: http.IncomingMessage, prepared: Prepared) {
    if (pageCache.ttlMs <= 0) return null
    if (req.method !== 'GET' && req.method !== 'HEAD') return null
    const { pathname, searchParams } = prepared.url
    if (pathname !== '/' && !/^\/c\/[a-z0-9-]+$/.test(pathname) && !prepared.embed) return null
    // An embed's language is its `?lng=` (already in context.lang, and no cookie is set for it).
    if (searchParams.has(LANGUAGE_PARAM) && !prepared.embed) return null
    // Any trace of a session cookie, however spelled, is not an anonymous visitor.
    if (req.headers.cookie?.includes(SESSION_COOKIE)) return null
    // A known source tag (?s=wa, or one the campaign's team minted) is a variant of its own, so
    // the page's forms carry it; any other value shares the plain page (a bounded set of entries).
    const source = pathname === '/' ? null : await knownSourceForSlug(db, { slug: pathname.slice(3), value: searchParams.get('s') })
    const variant = [searchParams.get('signed') === '1' ? 'signed=1' : '', source ? `s=${source}` : ''].filter(Boolean).join('&')
    return `${prepared.context.lang}:${prepared.context.countryHint ?? ''}:${pathname}${variant ? `?${variant}` : ''}`
  }

  /** Headers every response gets; the page cache path writes the same set in one writeHead. */
  async function applyHeaders(res: http.ServerResponse, prepared: Prepared) {
    const framing = prepared.embed ? await embedFraming(db, prepared.url.pathname) : null
    for (const [name, value] of framing ? framedBaseHeaders(baseHeaders, framing) : baseHeaders) res.setHeader(name, value)
    res.setHeader('Content-Security-Policy', framing ? framedCsp(csp(prepared.nonce), framing) : csp(prepared.nonce))
    if (prepared.setLanguageCookie) res.appendHeader('Set-Cookie', languageCookie(prepared.context.lang))
  }

  async function renderPage(req: http.IncomingMessage, prepared: Prepared, key: string) {
    const path = key.slice(key.indexOf('/'))
    // A shared page is rendered from nothing personal: no cookies reach it (the language was read already).
    const requestHeaders = remixHeaders(req)
    requestHeaders.delete('cookie')
    const request = new Request(new URL(path, publicOrigin), { method: 'GET', headers: requestHeaders })
    const response = await remixFetchHandler(request, prepared.context)
    const html = await response.text()
    const headers: string[] = []
    response.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-security-policy') headers.push(name, value)
    })
    // An embed page keeps the framing policy of the moment it was rendered: saving the list purges the cache.
    const framing = prepared.embed ? await embedFraming(db, prepared.url.pathname) : null
    const page = buildCachedPage({
      html,
      nonce: prepared.nonce,
      status: response.status,
      headers,
      baseHeaders: framing ? framedBaseHeaders(baseHeaders, framing).flat() : flatBaseHeaders,
      cspForScripts: framing ? (sources) => framedCsp(cspForScripts(sources), framing) : cspForScripts,
    })
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
      pending = renderPage(req, prepared, key).finally(() => inflight.delete(key))
      inflight.set(key, pending)
    }
    const { page, storable } = await pending
    if (storable) pageCache.set(key, page)
    sendCachedPage(req, res, page, 'miss')
  }

    const serveCountFeed = createCountFeed({ db, pageCache, baseHeaders: flatBaseHeaders })

  /**
   * Refusals made here, before Remix: a small page in the visitor's language (plain text for
   * clients that do not want HTML), the security headers, and `Connection: close` when the
   * body was not read.
   */
  function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, problem: GuardProblem, lang: Language, extra: string[] = []) {
    if (res.headersSent) return void res.destroy()
    const text = guardText(resources, lang, problem)
    const html = (req.headers.accept ?? 'text/html').includes('text/html')
    const body = Buffer.from(html ? guardPage(lang, text) : `${text.title}. ${text.body}\n`)
    res.writeHead(status, [
      ...flatBaseHeaders,
      'Content-Security-Policy',
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'Content-Type',
      html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'Content-Length',
      String(req.method === 'HEAD' ? 0 : body.length),
      'Content-Language',
      lang,
      'Cache-Control',
      'no-store',
      ...(req.complete ? [] : ['Connection', 'close']),
      ...extra,
    ])
    if (req.complete) return void res.end(req.method === 'HEAD' ? undefined : body)
    // The client is still sending. Closing now would reset the connection under it and it would
    // see no answer (nginx's lingering_close solves the same): the answer goes out whole, the
    // rest of the body is read and dropped, never stored, up to a bound; then the connection goes.
    if (req.method !== 'HEAD') res.write(body)
    let drained = 0
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS)
    timer.unref()
    req.socket.on('close', () => clearTimeout(timer))
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length
      if (drained > LINGER_BYTES) req.socket.destroy()
    })
    req.on('end', () => {
      clearTimeout(timer)
      if (!res.writableEnded) res.end()
    })
    req.resume()
  }

  /**
   * Reads a body up to the route's limit: a declared length over it is refused before a byte
   * is read, a chunked one as soon as it passes it. Nothing beyond the limit is buffered.
   */
  function readBody(req: http.IncomingMessage, maxBytes: number) {
    return new Promise<Buffer | 'too-large' | 'aborted'>((resolve) => {
      const declared = Number(req.headers['content-length'])
      if (declared > maxBytes) return resolve('too-large')
      // A form trickled in a byte at a time would hold its buffer (and a connection) for as long
      // as the client likes: forms get formBodyDeadlineMs, uploads the server's request timeout.
      const deadline = setTimeout(() => {
        cleanup()
        req.socket.destroy()
        resolve('aborted')
      }, maxBytes > 1024 * 1024 ? server.requestTimeout : formBodyDeadlineMs)
      const chunks: Buffer[] = []
      let size = 0
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) {
          cleanup()
          req.pause()
          return resolve('too-large')
        }
        chunks.push(chunk)
      }
      const onEnd = () => {
        cleanup()
        resolve(Buffer.concat(chunks, size))
      }
      const onAbort = () => {
        cleanup()
        resolve('aborted')
      }
      const cleanup = () => {
        clearTimeout(deadline)
        req.off('data', onData)
        req.off('end', onEnd)
        req.off('error', onAbort)
        req.off('close', onAbort)
      }
      req.on('data', onData)
      req.on('end', onEnd)
      req.on('error', onAbort)
      req.on('close', onAbort)
    })
  }

  /**
   * The guard for writes: origin, media type, size and field count, before any parser. A body
   * within the route's limit is read even when the request is refused, so the client gets the
   * answer rather than a connection closed under its upload; a larger one is never read.
   */
  async function guardWrite(req: http.IncomingMessage, res: http.ServerResponse, prepared: Prepared): Promise<Buffer | null> {
    const lang = prepared.context.lang
    const policy: BodyPolicy = bodyPolicy(prepared.route)
    const secFetchSite = req.headers['sec-fetch-site']
    const allowed = isWriteAllowed({
      route: prepared.route,
      origin: req.headers.origin,
      secFetchSite: typeof secFetchSite === 'string' ? secFetchSite : undefined,
      allowedOrigins: [publicOrigin, requestOrigin(req)],
    })
    const contentType = req.headers['content-type']
    const type = mediaType(contentType)
    const encoded = (req.headers['content-encoding'] ?? 'identity').toLowerCase() !== 'identity'
    const limit = encoded ? undefined : bodyLimit(policy, type)
    // Refused before the body: refuse() reads and drops what the client still sends, storing nothing.
    if (!allowed || limit === undefined) {
      refuse(req, res, allowed ? 415 : 403, allowed ? 'unsupportedType' : 'crossSite', lang)
      return null
    }
    const body = await readBody(req, limit)
    if (body === 'aborted') {
      res.destroy()
      return null
    }
    const verdict =
      body === 'too-large'
        ? ({ ok: false, status: 413, problem: 'tooLarge' } as const)
        : type === 'multipart/form-data'
          ? await checkMultipart(body, contentType!, policy)
          : type === 'application/x-www-form-urlencoded'
            ? checkUrlEncoded(body, policy)
            : ({ ok: true } as const)
    if (!verdict.ok) {
      refuse(req, res, verdict.status, verdict.problem, lang)
      return null
    }
    return body as Buffer
  }

  /**
   * What Remix gets to see of the request's headers. The Origin was checked above, against our
   * public origin, so it is not passed on: Remix's own check compares it with Host (or a
   * client-chosen X-Forwarded-Host) and throws a 500 when a proxy rewrote Host.
   */
  const DROPPED_HEADERS = new Set(['origin', 'x-forwarded-host', 'host', 'content-length', 'transfer-encoding', 'connection', 'expect'])
  function remixHeaders(req: http.IncomingMessage) {
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || DROPPED_HEADERS.has(name)) continue
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
    }
    headers.set('host', new URL(publicOrigin).host)
    return headers
  }

  /**
   * Remix adds a route's headers after the defaults set above. For the policy headers that
   * would make two policies, and browsers enforce both: a route with its own (the email frames
   * of the outbox and the update preview: framable by our own pages, inline styles, nothing
   * else) could never be shown. A route's Content-Security-Policy and X-Frame-Options replace
   * the defaults instead.
   */
  const ROUTE_POLICY_HEADERS = new Set(['content-security-policy', 'x-frame-options'])

  async function serveRemix(req: http.IncomingMessage, res: http.ServerResponse, prepared: Prepared, body: Buffer | null) {
    const controller = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    const request = new Request(new URL(`${prepared.url.pathname}${prepared.url.search}`, publicOrigin), {
      method: req.method,
      headers: remixHeaders(req),
      body: body && req.method !== 'GET' && req.method !== 'HEAD' ? new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length) : undefined,
      signal: controller.signal,
    })
    const response = await remixFetchHandler(request, prepared.context)
    res.statusCode = response.status
    if (response.statusText) res.statusMessage = response.statusText
    for (const [name, value] of response.headers) {
      if (ROUTE_POLICY_HEADERS.has(name)) res.setHeader(name, value)
      else res.appendHeader(name, value)
    }
    if (isPrivatePage(prepared.route) && !/no-store/.test(String(res.getHeader('Cache-Control') ?? ''))) res.setHeader('Cache-Control', 'private, no-store')
    if (response.body) await writeReadableStreamToWritable(response.body, res)
    else res.end()
  }

  const app = express()
  app.disable('x-powered-by')

  if (vite) {
    app.use(vite.middlewares)
  } else {
    app.use('/assets', servePrecompressedAssets({ dir: path.join(root, 'build/client/assets'), enabled: compress }))
    app.use('/assets', express.static(path.join(root, 'build/client/assets'), { immutable: true, maxAge: '1y' }))
    app.use(express.static(path.join(root, 'build/client'), { maxAge: '1h' }))
  }
  // Revalidated on every use (a 304 when unchanged): an image the team removed, a face that
  // must not be shown, stops being served at once, not when a browser's copy expires. The same
  // for its AVIF/WebP variants: their names never change content, but they must go just as fast.
  express.static.mime.define({ 'image/avif': ['avif'] })
  // A target's answer as a PDF is published as uploaded: a download, never a document opened on
  // our origin (a PDF can carry scripts and forms), and sandboxed should a browser show it anyway.
  const mediaHeaders = (res: http.ServerResponse, file: string) => {
    if (!file.endsWith('.pdf')) return
    res.setHeader('Content-Disposition', 'attachment')
    res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'")
  }
  app.use('/media', express.static(env.uploadsPath, { maxAge: 0, fallthrough: false, dotfiles: 'deny', setHeaders: mediaHeaders }))
  app.use(compressResponses({ enabled: compress, routeOf: (res) => (res as express.Response).locals.vigil.prepared.route }))
  app.use((req, res, next) => {
    const { prepared, body } = res.locals.vigil as { prepared: Prepared; body: Buffer | null }
    serveRemix(req, res, prepared, body).catch(next)
  })
  // Errors from static files (a missing upload, a path that cannot be decoded) are the client's:
  // a plain 4xx, and no stack trace with the raw path in the log. Anything else is ours.
  app.use(((error, req, res, _next) => {
    const status = Number((error as { status?: unknown } | null)?.status)
    if (status >= 400 && status < 500) {
      if (res.headersSent) return res.destroy()
      res.status(status).type('text/plain').send(http.STATUS_CODES[status] ?? 'Bad request')
      return
    }
    lastResort(req, res, error)
  }) satisfies express.ErrorRequestHandler)

  /**
   * Nothing a request does may reach the process: an error that got this far is logged on one
   * line (its kind and where it was thrown, never the request's path or values) and answered
   * 400 when the input could not be read, 500 otherwise.
   */
  function lastResort(req: http.IncomingMessage, res: http.ServerResponse, error: unknown) {
    const inputError = error instanceof URIError || (error instanceof TypeError && /invalid url|header|body/i.test(error.message))
    const where = error instanceof Error ? /\((.*?:\d+:\d+)\)/.exec(error.stack ?? '')?.[1]?.replace(root, '.') : undefined
    console.error(`vigil: request failed: ${error instanceof Error ? error.name : typeof error}${where ? ` at ${where}` : ''}`)
    if (res.headersSent) return void res.destroy()
    res.writeHead(inputError ? 400 : 500, [...flatBaseHeaders, 'Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-store'])
    res.end(inputError ? 'Bad request.' : 'Something went wrong on our side. Please try again in a moment.')
  }

  type Logged = { path: string | null; route: string | null }
  const json = env.logFormat === 'json'

  /** When the answer is complete: counted for /metrics, and one log line (unless quiet). */
  function trackRequest(req: http.IncomingMessage, res: http.ServerResponse, logged: Logged) {
    const started = performance.now()
    res.on('finish', () => {
      const elapsed = performance.now() - started
      const group = routeGroupOf(req.method ?? '', logged.route)
      countRequest({ group, status: res.statusCode, seconds: elapsed / 1000 })
      if (quiet) return
      const path = logged.path === null ? '-' : loggablePath(logged.path)
      if (json) {
        const level = res.statusCode >= 500 ? 'error' : 'info'
        writeJsonLine(level, { msg: 'request', method: req.method, path, status: res.statusCode, ms: Math.round(elapsed * 10) / 10, group })
      } else {
        console.log(`${req.method} ${path} ${res.statusCode} ${elapsed.toFixed(1)}ms`)
      }
    })
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const logged: Logged = { path: null, route: null }
    trackRequest(req, res, logged)
    const plainFeed = PLAIN_COUNT_FEED.exec(req.url ?? '')
    if (plainFeed) {
      logged.path = logged.route = `/c/${plainFeed[1]}/count.json`
      return serveCountFeed(req, res, plainFeed[1]!)
    }
    const shareCard = matchShareCard(req.url ?? '')
    if (shareCard) {
      logged.path = logged.route = shareCard.path
      return serveShareCard(db, req, res, shareCard, flatBaseHeaders)
    }
    const target = normaliseTarget(req.url ?? '')
    if (!target) {
      res.writeHead(400, [...flatBaseHeaders, 'Content-Type', 'text/plain; charset=utf-8', 'Connection', 'close']).end('Bad request.')
      return
    }
    logged.path = target.path
    logged.route = target.route
    // Everything after this sees the same path: Express's static files, the cache, Remix.
    req.url = `${target.path}${target.search}`
    const method = req.method ?? ''
    if (target.route === '/metrics' && serveMetrics) return serveMetrics(req, res)
    if (target.route === '/healthz' && (method === 'GET' || method === 'HEAD') && (await health.refuse(req, res, { draining }))) return
    const countFeed = COUNT_FEED.exec(target.path)
    if (countFeed) return serveCountFeed(req, res, countFeed[1]!)
    const card = matchShareCard(target.path)
    if (card) return serveShareCard(db, req, res, card, flatBaseHeaders)
    const prepared = prepare(req, target)
    // No page has an undecodable path; answering here keeps it (and any token in it) out of the router's warnings.
    if (target.malformed) return refuse(req, res, 400, 'badRequest', prepared.context.lang)
    if (method === 'OPTIONS') {
      res.writeHead(204, [...flatBaseHeaders, 'Allow', ALLOWED_METHODS, 'Cache-Control', 'no-store']).end()
      return
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      refuse(req, res, 405, 'method', prepared.context.lang, ['Allow', ALLOWED_METHODS])
      return
    }
    const key = await cacheKey(req, prepared)
    if (key) {
      const hit = pageCache.get(key)
      if (hit) return sendCachedPage(req, res, hit, 'hit')
      return renderAndCache(req, res, prepared, key)
    }
    let body: Buffer | null = null
    if (method === 'POST') {
      body = await guardWrite(req, res, prepared)
      if (!body) return
    }
    await applyHeaders(res, prepared)
    ;(res as http.ServerResponse & { locals?: unknown }).locals = { vigil: { prepared, body } }
    app(req as express.Request, res as express.Response)
  }

  // Requests not yet answered, for a shutdown that lets them finish.
  let inFlight = 0
  let draining = false
  let drained: (() => void) | undefined
  const server = http.createServer((req, res) => {
    inFlight++
    // While shutting down, each answer ends its connection (keep-alive would keep the server open).
    if (draining) res.setHeader('Connection', 'close')
    res.once('close', () => {
      inFlight--
      if (!draining) return
      server.closeIdleConnections()
      if (inFlight === 0) drained?.()
    })
    handle(req, res).catch((error: unknown) => lastResort(req, res, error))
  })
  // A slow client may not hold a request open for ever (uploads over a poor connection included).
  server.requestTimeout = 120_000
  server.headersTimeout = 20_000

  /**
   * Stop accepting connections, close idle keep-alive ones, and wait for the requests in flight
   * to be answered, at most `deadlineMs`; connections still open then are cut. Resolves with how
   * many requests were cut.
   */
  async function shutdown({ deadlineMs }: { deadlineMs: number }) {
    draining = true
    server.close()
    server.closeIdleConnections()
    if (inFlight > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        drained = resolve
        timer = setTimeout(resolve, deadlineMs)
      })
      clearTimeout(timer)
    }
    const cut = inFlight
    server.closeAllConnections()
    return { cut }
  }

  return {
    server,
    shutdown,
    /** Lets the donation form lead to a Stripe stand-in's pages (demo mode), besides the configured targets. */
    allowPaymentPages(origin: string) {
      csp = cspTemplate(dev, formTargets(origin))
      cspForScripts = cspForScriptsOf(dev, formTargets(origin))
    },
  }
}
