/**
 * Compression by Vigil itself, for installations without a proxy that compresses
 * (`VIGIL_COMPRESS=off` leaves it to the proxy; docs/decisions/014-compression.md):
 *
 * - the build's assets are served from the .br / .gz files written beside them at build
 *   time (scripts/precompress.ts), with their exact Content-Length and a strong ETag per
 *   encoding; nothing is compressed per request;
 * - responses Remix renders for a GET (pages that bypass the page cache, single-fetch .data,
 *   JSON) are compressed on the fly, streaming kept, except on private pages, whose secrets
 *   would sit next to text an attacker can put in the same body (BREACH); answers to posts are not.
 *
 * The anonymous page cache compresses its entries itself, once per render (cached-page.ts).
 */
import fs from 'node:fs'
import type http from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream'
import zlib from 'node:zlib'
import compression from 'compression'
import type express from 'express'
import { pickEncoding } from './cached-page.ts'
import { isPrivatePage } from './guard.ts'

/** On-the-fly compression for what Remix renders, skipped on private pages (`route` as normaliseTarget gives it). */
export function compressResponses({ enabled, routeOf }: { enabled: boolean; routeOf: (res: http.ServerResponse) => string }): express.RequestHandler {
  if (!enabled) return (_req, _res, next) => next()
  const compress = compression({
    // Brotli's default 4 MB window is allocated per response: under load that cost a third of
    // the uncached campaign page's throughput. 256 kB holds any page whole, at the same ratio.
    brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_LGWIN]: 18 } },
    // Not answers to posts: they are small (a brotli stream per response cost signing a third of
    // its throughput) and echo what was posted, the half of BREACH an attacker controls.
    filter: (req, res) => req.method !== 'POST' && !isPrivatePage(routeOf(res)) && compression.filter(req, res),
  })
  // The package answers HEAD without Content-Encoding, so a cache that stores the HEAD would
  // describe another entity than the GET's. It is shown the request as a GET and decides as for one
  // (Node sends no body for a HEAD whatever is written).
  return (req, res, next) => {
    if (req.method !== 'HEAD') return compress(req, res, next)
    compress(asGet(req), res, (error?: unknown) => {
      if (error) return next(error)
      // A HEAD ends without a body: the package would take that for a body under its threshold,
      // where the GET's streamed body is not. The head goes out first, as it does for the GET.
      const end = res.end.bind(res) as (...args: unknown[]) => express.Response
      res.end = ((...args: unknown[]) => {
        if (!res.headersSent) res.writeHead(res.statusCode)
        return end(...args)
      }) as express.Response['end']
      next()
    })
  }
}

/** The same request with GET as its method (a view: the request itself is not changed). */
function asGet(req: express.Request): express.Request {
  return Object.create(req, { method: { value: 'GET', enumerable: true } }) as express.Request
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
}

type Variant = { file: string; size: number; etag: string }
type Asset = { type: string; identity: Variant; br?: Variant; gzip?: Variant }

/**
 * The build's hashed, immutable assets with their precompressed copies, listed once at start
 * (the folder does not change while the server runs). Anything not listed (other file types,
 * an unknown name) is left to the next handler (express.static, then its 404).
 */
export function servePrecompressedAssets({ dir, enabled }: { dir: string; enabled: boolean }): express.RequestHandler {
  const assets = new Map<string, Asset>()
  const variant = (file: string, tag: string): Variant | undefined => {
    const stat = fs.statSync(file, { throwIfNoEntry: false })
    return stat?.isFile() ? { file, size: stat.size, etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${tag}"` } : undefined
  }
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : []
  for (const name of names) {
    const type = TYPES[path.extname(name)]
    if (!type) continue
    const full = path.join(dir, name)
    const identity = variant(full, '')
    if (!identity) continue
    assets.set(`/${name}`, { type, identity, ...(enabled ? { br: variant(`${full}.br`, '-br'), gzip: variant(`${full}.gz`, '-gz') } : {}) })
  }
  return (req, res, next) => {
    const asset = req.method === 'GET' || req.method === 'HEAD' ? assets.get(req.path) : undefined
    if (!asset) return next()
    const encoding = asset.br || asset.gzip ? pickEncoding(req.headers['accept-encoding']) : 'identity'
    const chosen = (encoding === 'br' && asset.br) || (encoding === 'gzip' && asset.gzip) || asset.identity
    const headers: Record<string, string> = {
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: chosen.etag,
    }
    if (asset.br || asset.gzip) headers.Vary = 'Accept-Encoding'
    if (matches(req.headers['if-none-match'], chosen.etag)) {
      res.writeHead(304, headers).end()
      return
    }
    headers['Content-Type'] = asset.type
    headers['Content-Length'] = String(chosen.size)
    if (chosen !== asset.identity) headers['Content-Encoding'] = chosen === asset.br ? 'br' : 'gzip'
    res.writeHead(200, headers)
    if (req.method === 'HEAD') return void res.end()
    pipeline(fs.createReadStream(chosen.file), res, () => undefined)
  }
}

function matches(ifNoneMatch: string | undefined, etag: string) {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}
