import crypto from 'node:crypto'
import type http from 'node:http'
import zlib from 'node:zlib'
import type { CachedPage, Encoding, PageVariant } from '../app/utils/page-cache.server.ts'

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi

/**
 * Turn a render into a page every anonymous visitor can share: drop the render's nonce,
 * allow its inline scripts by their SHA-256 instead, and compress it once.
 */
export function buildCachedPage({
  html,
  nonce,
  status,
  headers,
  baseHeaders,
  cspForScripts,
}: {
  html: string
  nonce: string
  status: number
  headers: string[]
  baseHeaders: string[]
  cspForScripts: (sources: string) => string
}): Omit<CachedPage, 'expiresAt'> {
  const shared = html.replaceAll(` nonce="${nonce}"`, '')
  const hashes = new Set<string>()
  for (const [, attributes, content] of shared.matchAll(INLINE_SCRIPT)) {
    if (/\bsrc\s*=/i.test(attributes ?? '')) continue
    hashes.add(`'sha256-${crypto.createHash('sha256').update(content ?? '').digest('base64')}'`)
  }
  const common = [
    ...baseHeaders,
    ...headers,
    'Content-Security-Policy',
    cspForScripts([...hashes].join(' ') || "'none'"),
    'Vary',
    'Cookie, Accept-Language, Accept-Encoding',
  ]
  return { status, variants: compressedVariants(Buffer.from(shared), common) }
}

/** A small public JSON document (count.json): shared by every client, compressed once. */
export function buildCachedJson({
  body,
  status,
  headers,
  baseHeaders,
}: {
  body: string
  status: number
  headers: string[]
  baseHeaders: string[]
}): Omit<CachedPage, 'expiresAt'> {
  const common = [
    ...baseHeaders,
    ...headers,
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Security-Policy',
    "default-src 'none'; frame-ancestors 'none'",
    'Vary',
    'Accept-Encoding',
  ]
  return { status, variants: compressedVariants(Buffer.from(body), common) }
}

function compressedVariants(identity: Buffer, common: string[]): Record<Encoding, PageVariant> {
  const variant = (body: Buffer, encoding?: string): PageVariant => ({
    body,
    headers: [...common, ...(encoding ? ['Content-Encoding', encoding] : []), 'Content-Length', String(body.length)],
  })
  return {
    identity: variant(identity),
    gzip: variant(zlib.gzipSync(identity, { level: 9 }), 'gzip'),
    br: variant(zlib.brotliCompressSync(identity, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } }), 'br'),
  }
}

const picked = new Map<string, Encoding>()

/** The best encoding the client accepts (q=0 means "not this one"). */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  if (!acceptEncoding) return 'identity'
  let encoding = picked.get(acceptEncoding)
  if (encoding === undefined) {
    encoding = parseAcceptEncoding(acceptEncoding)
    if (picked.size >= 1000) picked.clear()
    picked.set(acceptEncoding, encoding)
  }
  return encoding
}

function parseAcceptEncoding(acceptEncoding: string): Encoding {
  let gzip = false
  for (const item of acceptEncoding.split(',')) {
    const [token, ...params] = item.trim().toLowerCase().split(';')
    if (params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) continue
    if (token === 'br') return 'br'
    if (token === 'gzip') gzip = true
  }
  return gzip ? 'gzip' : 'identity'
}

export function sendCachedPage(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  page: Omit<CachedPage, 'expiresAt'>,
  state: 'hit' | 'miss',
) {
  const { body, headers } = page.variants[pickEncoding(req.headers['accept-encoding'])]
  res.writeHead(page.status, [...headers, 'X-Vigil-Cache', state])
  res.end(req.method === 'HEAD' ? undefined : body)
}
