/**
 * Source tags: the short `?s=` a shared link carries, so organisers see where signatures and
 * gifts came from. Only the tag is kept, with the signature or donation row; never anything
 * else about the visitor. A tag counts when it is built in or minted by the campaign's team;
 * anything else is ignored (never an error), so a typo or a forged link just counts as direct.
 */

/** The tags Vigil's own links use (share links, posters, flyers, QR codes, embeds). Others use these strings. */
export const BUILT_IN_SOURCES = ['wa', 'tg', 'sig', 'bsky', 'masto', 'x', 'fb', 'li', 'mail', 'copy', 'share', 'poster', 'flyer', 'qr', 'embed'] as const
export type BuiltInSource = (typeof BUILT_IN_SOURCES)[number]

/** The query parameter and the form field that carry the tag. */
export const SOURCE_PARAM = 's'
/** How the dashboard names signatures and gifts that came with no (known) tag. */
export const DIRECT_SOURCE = 'direct'
/** Tags a campaign's team may mint: enough for every newsletter and partner, few enough to bound the page cache. */
export const MAX_MINTED_SOURCES = 50

const SHAPE = /^[a-z0-9][a-z0-9-]{0,31}$/
const builtIn = new Set<string>(BUILT_IN_SOURCES)

/** The value when it has a tag's shape (lower-case letters, digits and hyphens, at most 32), else null. */
export function sourceShape(value: unknown): string | null {
  return typeof value === 'string' && SHAPE.test(value) ? value : null
}

export function isBuiltInSource(tag: string): tag is BuiltInSource {
  return builtIn.has(tag)
}

/** Why a tag cannot be minted, or null when it can. */
export function mintProblem(tag: string): 'shape' | 'builtIn' | null {
  if (!sourceShape(tag)) return 'shape'
  if (isBuiltInSource(tag) || tag === DIRECT_SOURCE) return 'builtIn'
  return null
}
