/**
 * GET /c/:slug/card-:lang.png, the share card crawlers fetch for link previews. Answered before
 * Express and Remix from the card cache (app/workflows/share-card-cache.server.ts), with an ETag
 * (If-None-Match → 304) and a Cache-Control a CDN may keep: a minute fresh, then served stale
 * while it asks again. No cookies are read or set. Unknown campaigns and languages get a 404
 * and are never stored.
 */
import type http from 'node:http'
import type { Handle } from '../db/client.server.ts'
import { resources } from '../app/i18n-resources.ts'
import { ShareCardBusyError, ShareCardCache } from '../app/workflows/share-card-cache.server.ts'
import { renderShareCard } from '../app/utils/share-card.server.ts'
import { isLanguage, negotiateLanguage } from '../app/utils/i18n.ts'

// Only these characters: nothing to normalise, so the raw target can be matched as it came.
const SHARE_CARD = /^\/c\/([a-z0-9-]{1,100})\/card-([a-z]{0,10})\.png(?:\?[\w=&.-]*)?$/
const CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=600'

export function matchShareCard(target: string) {
  const match = SHARE_CARD.exec(target)
  return match ? { slug: match[1]!, lang: match[2]!, path: `/c/${match[1]}/card-${match[2]}.png` } : null
}

const cards = new ShareCardCache()

/**
 * The first card of a process also loads satori, parses the fonts and starts the layout engine
 * (about 0.7 s, 0.9 s of CPU): the server calls this once it listens, so no crawler's request
 * pays it. Half a minute later, not at once: a start (a deploy, a restart, each test server)
 * is not slowed by it, and a process that ends sooner never pays it (ADR 020).
 */
const WARM_SHARE_CARDS_AFTER_MS = 30_000

export function warmShareCards() {
  setTimeout(() => {
    renderShareCard({ title: 'Vigil', lang: 'en', confirmed: 0, goal: 100, teamName: 'Vigil', accent: null, hero: null }).catch(() => undefined)
  }, WARM_SHARE_CARDS_AFTER_MS).unref()
}

let headersFor: { base: string[]; headers: string[] } | undefined

/** The card is meant to be shown by other sites (previews, the team's own pages): it may be embedded cross-origin. */
function cardHeaders(baseHeaders: string[]) {
  if (headersFor?.base === baseHeaders) return headersFor.headers
  const headers: string[] = []
  for (let i = 0; i < baseHeaders.length; i += 2) {
    if (baseHeaders[i]!.toLowerCase() !== 'cross-origin-resource-policy') headers.push(baseHeaders[i]!, baseHeaders[i + 1]!)
  }
  headers.push('Cross-Origin-Resource-Policy', 'cross-origin')
  headersFor = { base: baseHeaders, headers }
  return headers
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string) {
  if (!ifNoneMatch) return false
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === `W/${etag}`
  })
}

export async function serveShareCard(
  db: Handle,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  { slug, lang }: { slug: string; lang: string },
  baseHeaders: string[],
) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, [...baseHeaders, 'Allow', 'GET, HEAD', 'Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-store']).end('Method not allowed')
    return
  }
  let card
  try {
    card = await cards.get(db, { slug, lang })
  } catch (error) {
    if (!(error instanceof ShareCardBusyError)) throw error
    // Too many different cards asked for at once: crawlers retry, and the server stays responsive.
    res.writeHead(503, [...baseHeaders, 'Retry-After', '5', 'Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-store'])
    res.end(req.method === 'HEAD' ? undefined : 'Busy drawing share cards; please try again in a few seconds.\n')
    return
  }
  if (!card) {
    // In the card's language when it names one we have, else the visitor's (a person may follow a broken link too).
    const language = isLanguage(lang) ? lang : negotiateLanguage({ param: null, cookieHeader: req.headers.cookie, acceptLanguage: req.headers['accept-language'] }).language
    const { title, body } = resources[language].common.errors.notFound
    res.writeHead(404, [...baseHeaders, 'Content-Type', 'text/plain; charset=utf-8', 'Content-Language', language, 'Cache-Control', 'no-store'])
    res.end(req.method === 'HEAD' ? undefined : `${title}. ${body}\n`)
    return
  }
  const headers = [...cardHeaders(baseHeaders), 'ETag', card.etag, 'Cache-Control', CACHE_CONTROL]
  if (matchesEtag(req.headers['if-none-match'], card.etag)) {
    res.writeHead(304, headers).end()
    return
  }
  res.writeHead(200, [...headers, 'Content-Type', 'image/png', 'Content-Length', String(card.png.length)])
  res.end(req.method === 'HEAD' ? undefined : card.png)
}
