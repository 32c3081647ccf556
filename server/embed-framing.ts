/**
 * The policy headers of the embed pages (/embed/c/:slug, /embed/c/:slug/donate): every other
 * page refuses to be framed (X-Frame-Options DENY, frame-ancestors 'none'); these may be framed
 * by our own origin (the back office's preview) and by the origins the campaign's organisers
 * listed. X-Frame-Options cannot name a list, so it goes where other sites are allowed and is
 * SAMEORIGIN where none is (browsers that know frame-ancestors ignore it then anyway).
 */
import type { Handle } from '../db/client.server.ts'
import { getFrameOriginsBySlug } from '../app/models/embed.server.ts'
import { EMBED_PATH, frameAncestors } from '../app/utils/embed.ts'
import { isPlainOrigin } from '../app/utils/embed-origins.ts'

export type Framing = { origins: string[] }

export function isEmbedPath(pathname: string) {
  return EMBED_PATH.test(pathname)
}

/** The framing an embed page allows (one indexed lookup), or null for any other page. */
export async function embedFraming(db: Handle, pathname: string): Promise<Framing | null> {
  const slug = EMBED_PATH.exec(pathname)?.[1]
  // A row that is not a plain origin (saved before the host check) frames nothing and keeps X-Frame-Options.
  return slug ? { origins: (await getFrameOriginsBySlug(db, { slug })).filter(isPlainOrigin) } : null
}

export function framedCsp(csp: string, framing: Framing) {
  return csp.replace("frame-ancestors 'none'", frameAncestors(framing.origins))
}

export function framedBaseHeaders(base: [string, string][], framing: Framing): [string, string][] {
  return base.flatMap(([name, value]): [string, string][] => {
    if (name !== 'X-Frame-Options') return [[name, value]]
    return framing.origins.length > 0 ? [] : [[name, 'SAMEORIGIN']]
  })
}
