/**
 * The sites an organiser allows to frame a campaign's embed, typed one per line. Each line must
 * be an origin as browsers send it in `frame-ancestors` terms: https (http only for this
 * machine, for testing), a host, an optional port, nothing after it. Stored normalised (lower
 * case, Punycode, no default port), so the list the CSP is built from is exactly what was checked.
 */

export const MAX_FRAME_ORIGINS = 20
const MAX_LINE = 300
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
// The URL parser keeps ; , ' " and more in a host name: only DNS labels (or a bracketed IPv6) may go into a CSP.
const HOST = /^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|\[[0-9a-f:.]+\])$/

/** Whether `origin` (as stored) is one scheme, host and optional port with nothing a CSP would read as syntax. */
export function isPlainOrigin(origin: string) {
  const match = /^(https?):\/\/([^/:]+|\[[^\]]+\])(?::(\d{1,5}))?$/.exec(origin)
  return Boolean(match && HOST.test(match[2]!))
}

export type OriginProblem = 'notOrigin' | 'scheme' | 'path' | 'credentials' | 'wildcard' | 'tooLong'
export type OriginLineError = { line: number; value: string; problem: OriginProblem }

/** One line as an origin, or what is wrong with it. */
export function normaliseOrigin(input: string): { origin: string } | { problem: OriginProblem } {
  const value = input.trim()
  if (value.length > MAX_LINE) return { problem: 'tooLong' }
  if (value.includes('*')) return { problem: 'wildcard' }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase()
  if (!scheme) return { problem: 'notOrigin' }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { problem: 'notOrigin' }
  }
  if (url.username || url.password) return { problem: 'credentials' }
  if (scheme !== 'https' && !(scheme === 'http' && LOCAL_HOSTS.has(url.hostname))) return { problem: 'scheme' }
  if (!url.hostname || !HOST.test(url.hostname)) return { problem: 'notOrigin' }
  // `https://example.org/` is the origin with the slash URLs add; anything more is a page, not a site.
  const rest = value.slice(value.indexOf('//') + 2).replace(/^[^/?#]*/, '')
  if (rest !== '' && rest !== '/') return { problem: 'path' }
  return { origin: url.origin }
}

/** The organiser's text, line by line: the origins (deduplicated, in order) and each bad line's number and problem. */
export function parseOriginList(text: string): { origins: string[]; errors: OriginLineError[]; tooMany: boolean } {
  const origins: string[] = []
  const errors: OriginLineError[] = []
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const value = raw.trim()
    if (!value) return
    const parsed = normaliseOrigin(value)
    if ('problem' in parsed) errors.push({ line: index + 1, value: value.slice(0, 80), problem: parsed.problem })
    else if (!origins.includes(parsed.origin)) origins.push(parsed.origin)
  })
  return { origins, errors, tooMany: origins.length > MAX_FRAME_ORIGINS }
}
