/**
 * A short-lived, in-process cache of the HTML anonymous visitors get for public pages.
 *
 * The server consults it before Remix renders anything; entries live `ttlMs` and are
 * dropped at once when an organiser (or, later, a signature) changes what they show.
 * Keys are path + language; requests with a session cookie or a query string never
 * read or fill it. A stored page carries no nonce: its CSP lists the hashes of its
 * inline scripts, so the bytes are the same for every visitor and are compressed once
 * (see docs/decisions/003-anonymous-page-cache.md).
 *
 * Several app servers: each has a cache of its own and a purge reaches only its own. A change
 * made through one server (an edited campaign, a fund moved by a webhook) shows on the others'
 * cached pages once their entries expire: within `ttlMs` (PAGE_CACHE_TTL_MS, 5 s by default),
 * the documented bound. Counts in count.json are never cached here.
 */
export type Encoding = 'br' | 'gzip' | 'identity'

/** One way to send the page: its bytes and the complete headers (flat, as writeHead takes them). */
export type PageVariant = { body: Buffer; headers: string[] }

export type CachedPage = {
  status: number
  variants: Record<Encoding, PageVariant>
  expiresAt: number
  etag?: string
}

export class PageCache {
  #entries = new Map<string, CachedPage>()
  constructor(public ttlMs: number, private maxEntries = 500) {}

  get(key: string, now = Date.now()): CachedPage | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt <= now) return undefined
    // Re-inserted on every hit: the Map's order is then least recently used first, and
    // eviction takes the entry no one asked for longest, not the oldest hot page.
    this.#entries.set(key, entry)
    return entry
  }

  set(key: string, page: Omit<CachedPage, 'expiresAt'>, now = Date.now()) {
    if (this.ttlMs <= 0) return
    this.#entries.delete(key)
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { ...page, expiresAt: now + this.ttlMs })
  }

  purge() {
    this.#entries.clear()
  }

  get size() {
    return this.#entries.size
  }
}

declare global {
  var __vigilPageCache: PageCache | undefined
}

/** One cache per process, shared by the server and the app bundle (they are loaded separately). */
export function getPageCache(ttlMs = 5000): PageCache {
  globalThis.__vigilPageCache ??= new PageCache(ttlMs)
  return globalThis.__vigilPageCache
}

/** Call after any change that public pages show. */
export function purgePublicPages() {
  globalThis.__vigilPageCache?.purge()
}
