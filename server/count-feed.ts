/**
 * GET /c/:slug/count.json, for widgets and CDNs. Answered before Express and Remix, from
 * the page cache (the same TTL and purges as the page that shows the count), with an
 * ETag, a CDN-friendly Cache-Control, and CORS open: the count is public. Unknown slugs are
 * answered but never stored, so they cannot push real pages out of the cache.
 */
import crypto from 'node:crypto'
import type http from 'node:http'
import type { Handle } from '../db/client.server.ts'
import { getCountFeed } from '../app/models/signatures.server.ts'
import type { PageCache } from '../app/utils/page-cache.server.ts'
import { buildCachedJson, sendCachedPage } from './cached-page.ts'

/** The feed's path, once the target is normalised. */
export const COUNT_FEED = /^\/c\/([a-z0-9-]{1,100})\/count\.json$/

// The widget's poll, the hottest request: a target of only these characters has nothing to normalise.
export const PLAIN_COUNT_FEED = /^\/c\/([a-z0-9-]{1,100})\/count\.json(?:\?[\w=&.-]*)?$/

const CACHE_CONTROL = 'public, max-age=5, stale-while-revalidate=30'

export function createCountFeed({ db, pageCache, baseHeaders }: { db: Handle; pageCache: PageCache; baseHeaders: string[] }) {
  return async function serveCountFeed(req: http.IncomingMessage, res: http.ServerResponse, slug: string) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, [...baseHeaders, 'Allow', 'GET, HEAD', 'Content-Type', 'text/plain; charset=utf-8']).end('Method not allowed')
      return
    }
    const key = `count:${slug}`
    let feed = pageCache.get(key)
    const state = feed ? 'hit' : 'miss'
    if (!feed) {
      const data = await getCountFeed(db, { slug })
      const body = JSON.stringify(data ?? { error: 'No such campaign' })
      const etag = `"${crypto.createHash('sha1').update(body).digest('base64url')}"`
      feed = {
        expiresAt: 0,
        ...buildCachedJson({
          body,
          status: data ? 200 : 404,
          headers: ['Cache-Control', CACHE_CONTROL, 'Access-Control-Allow-Origin', '*', 'ETag', etag],
          baseHeaders,
        }),
        etag,
      }
      if (data) pageCache.set(key, feed)
    }
    if (feed.status === 200 && req.headers['if-none-match'] === feed.etag) {
      res.writeHead(304, [...baseHeaders, 'ETag', feed.etag!, 'Cache-Control', CACHE_CONTROL, 'X-Vigil-Cache', state]).end()
      return
    }
    sendCachedPage(req, res, feed, state)
  }
}
