/**
 * Rendered share cards, kept in memory per campaign and language.
 *
 * An entry is served as it is for `checkMs` after its last look at the database. After that,
 * the next request reads what the card would show (getShareCardSource, a couple of indexed
 * reads) and draws it again only when
 * - the campaign's texts, image, goal or status or the site's branding changed (contentVersion):
 *   at once, as these are the team's own edits, and an image that must come down must not wait; or
 * - the visible step moved (cardStep: the shown count or the goal; an ended campaign's final count) and the entry is at least
 *   `minIntervalMs` (a minute) old: a surge of signatures redraws each card once a minute at most.
 * Requests that find a card due wait for one shared render. Unknown slugs, drafts and unknown
 * languages are never stored; the store is bounded by entries and bytes (least recently used go).
 */
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Handle } from '#db/client.server.ts'
import { getShareCardSource, type ShareCardSource } from '~/models/share-cards.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { isLanguage, type Language } from '~/utils/i18n.ts'
import { cardStep } from '~/utils/share-card.ts'
import { renderShareCard, type CardContent } from '~/utils/share-card.server.ts'

export type ShareCardEntry = {
  png: Buffer
  etag: string
  step: string
  contentVersion: string
  renderedAt: number
  checkedAt: number
  /** How long the render took (ms), for the benchmark and the log. */
  renderMs: number
}

type Options = {
  maxEntries?: number
  maxBytes?: number
  minIntervalMs?: number
  checkMs?: number
  /** Cards drawn at the same time (each takes a core for about 100 ms). */
  maxConcurrent?: number
  /** Cards that may wait for a turn; beyond that get() throws ShareCardBusyError. */
  maxQueued?: number
  render?: (content: CardContent) => Promise<Buffer>
}

// The hero's file: uploads under /media, the seeded images under /images (the build's copy of public/).
const IMAGE_PATH = /^\/(media|images)\/([\w.-]{1,200})$/

async function readHero(imagePath: string | null) {
  const match = imagePath ? IMAGE_PATH.exec(imagePath) : null
  if (!match || match[2]!.startsWith('.')) return null
  const candidates =
    match[1] === 'media'
      ? [path.join(getEnv().uploadsPath, match[2]!)]
      : [path.resolve('build/client/images', match[2]!), path.resolve('public/images', match[2]!)]
  for (const file of candidates) {
    const bytes = await fs.readFile(file).catch(() => null)
    if (bytes) return bytes
  }
  return null
}

/** Thrown when more cards wait to be drawn than the cache will queue: answered 503 with Retry-After. */
export class ShareCardBusyError extends Error {
  constructor() {
    super('share card renders are queued up')
  }
}

export class ShareCardCache {
  #entries = new Map<string, ShareCardEntry>()
  #inflight = new Map<string, Promise<ShareCardEntry>>()
  #bytes = 0
  // Drawings under way and those waiting for a turn: a script asking for many different cards
  // (campaigns × languages beyond the cache's size) gets them one after another, not all at once.
  #drawing = 0
  #waiting: (() => void)[] = []
  readonly maxConcurrent: number
  readonly maxQueued: number
  readonly maxEntries: number
  readonly maxBytes: number
  readonly minIntervalMs: number
  readonly checkMs: number
  #render: (content: CardContent) => Promise<Buffer>
  /** Renders started, for tests and the benchmark. */
  renders = 0

  constructor({
    maxEntries = 300,
    maxBytes = 48 * 1024 * 1024,
    minIntervalMs = 60_000,
    checkMs = 2_000,
    maxConcurrent = 2,
    maxQueued = 64,
    render = renderShareCard,
  }: Options = {}) {
    this.maxConcurrent = maxConcurrent
    this.maxQueued = maxQueued
    this.maxEntries = maxEntries
    this.maxBytes = maxBytes
    this.minIntervalMs = minIntervalMs
    this.checkMs = checkMs
    this.#render = render
  }

  /** The card, or null for an unknown slug, a draft or an unknown language. */
  async get(db: Handle, { slug, lang, now = Date.now() }: { slug: string; lang: string; now?: number }): Promise<ShareCardEntry | null> {
    if (!isLanguage(lang)) return null
    const key = `${slug}:${lang}`
    const cached = this.#entries.get(key)
    if (cached && now - cached.checkedAt < this.checkMs) return this.#touch(key, cached)
    const source = await getShareCardSource(db, { slug, lang })
    // Read again: while this request read its source (a real wait on Postgres), another may have redrawn the card.
    const entry = this.#entries.get(key)
    if (!source) {
      if (entry) this.#delete(key)
      return null
    }
    const step = cardStep(source)
    if (entry && entry.contentVersion === source.contentVersion && (entry.step === step || now - entry.renderedAt < this.minIntervalMs)) {
      entry.checkedAt = now
      return this.#touch(key, entry)
    }
    let pending = this.#inflight.get(key)
    if (!pending) {
      pending = this.#draw(key, source, lang, step, now).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, pending)
    }
    try {
      return await pending
    } catch (error) {
      // A failed redraw keeps serving the card it would have replaced.
      if (entry) return entry
      throw error
    }
  }

  get size() {
    return this.#entries.size
  }

  get bytes() {
    return this.#bytes
  }

  async #turn() {
    if (this.#drawing < this.maxConcurrent) {
      this.#drawing++
      return
    }
    if (this.#waiting.length >= this.maxQueued) throw new ShareCardBusyError()
    // The finishing drawing hands its turn over (#drawing stays as it is).
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  #done() {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#drawing--
  }

  async #draw(key: string, source: ShareCardSource, lang: Language, step: string, now: number) {
    await this.#turn()
    try {
      return await this.#drawNow(key, source, lang, step, now)
    } finally {
      this.#done()
    }
  }

  async #drawNow(key: string, source: ShareCardSource, lang: Language, step: string, now: number) {
    this.renders++
    const started = performance.now()
    const hero = await readHero(source.imagePath)
    const png = await this.#render({ title: source.title, lang, confirmed: source.confirmed, goal: source.goal, teamName: source.teamName, accent: source.accent, hero, status: source.status })
    const entry: ShareCardEntry = {
      png,
      etag: `"${crypto.createHash('sha1').update(png).digest('base64url').slice(0, 22)}"`,
      step,
      contentVersion: source.contentVersion,
      renderedAt: now,
      checkedAt: now,
      renderMs: performance.now() - started,
    }
    this.#delete(key)
    this.#entries.set(key, entry)
    this.#bytes += png.length
    for (const [oldest] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break
      if (oldest === key) break
      this.#delete(oldest)
    }
    return entry
  }

  // Map order is least recently used first: a hit moves its entry to the end.
  #touch(key: string, entry: ShareCardEntry) {
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry
  }

  #delete(key: string) {
    const entry = this.#entries.get(key)
    if (!entry) return
    this.#bytes -= entry.png.length
    this.#entries.delete(key)
  }
}
