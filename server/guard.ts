/**
 * What the server decides about a request before Remix sees it: the path every later step
 * agrees on, which methods exist, how large a body may be and of which type, whether a write
 * came from one of our pages, and which address the client has behind proxies.
 * Pure functions over strings, so each rule is tested on its own (tests/unit/guard.test.ts).
 */
import type { Language } from '../app/utils/i18n.ts'
import { escapeHtml } from '../app/utils/html.ts'
import { tryDecodeURIComponent } from '../app/utils/uri.ts'

export const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS'

/**
 * The request target as every later step sees it: dot segments (`/./`, `/%2e/`, `/x/../`)
 * resolved and backslashes read as slashes (as WHATWG URLs do, and so Remix), runs of
 * slashes collapsed. `route` is the decoded, lower-case path that policies match on, since
 * Remix matches case-insensitively and after percent-decoding. Null for a target that is not
 * a path (`*`, `http://other/…`).
 */
export function normaliseTarget(raw: string): { url: URL; path: string; search: string; route: string; malformed: boolean } | null {
  if (!raw.startsWith('/')) return null
  let url: URL
  try {
    url = new URL(`http://vigil.invalid${raw}`)
  } catch {
    return null
  }
  if (url.host !== 'vigil.invalid') return null
  const path = url.pathname.replace(/\/{2,}/g, '/')
  const decoded = decodePath(path)
  // A path that, decoded, starts with two slashes or backslashes reads as another host (`//host/…`) to URL
  // parsers, React Router's among them (it threw on /%5C%5C%3B%25): no page of ours looks like that.
  const malformed =
    /^\/[\\/]/.test(decoded) ||
    path.split('/').some((segment) => segment.includes('%') && tryDecodeURIComponent(segment) === undefined) ||
    hasNul(decoded)
  if (path !== url.pathname) url.pathname = path
  return { url, path, search: url.search, route: decoded.toLowerCase(), malformed }
}

/**
 * A NUL character (raw or `%00`) in a path: no page or slug of ours holds one, and Postgres
 * refuses it in any text (SQLite would look it up and find nothing), so it is a bad request on
 * both engines. Form fields and searches are the forms' to judge (their validators say which field).
 */
function hasNul(text: string) {
  return text.includes('\0') || /%00/i.test(text)
}

/** Percent-decoding per segment; a malformed escape keeps that segment as it came, as React Router does. */
export function decodePath(path: string) {
  return path
    .split('/')
    .map((segment) => tryDecodeURIComponent(segment) ?? segment)
    .join('/')
}

export type BodyPolicy = {
  /** Media types (lower case, without parameters) this path accepts, each with its largest body in bytes. */
  limits: Readonly<Record<string, number>>
  /** For forms: fields in all, and fields sharing one name (Conform's parser is quadratic in those). */
  maxFields: number
  maxRepeats: number
}

const FORM = 'application/x-www-form-urlencoded'
const MULTIPART = 'multipart/form-data'
const KiB = 1024
const MiB = 1024 * KiB

// Stripe and Resend events are JSON documents of a few kB; the largest (invoices with many lines) stay far below this.
const WEBHOOK: BodyPolicy = { limits: { 'application/json': 2 * MiB }, maxFields: 0, maxRepeats: 0 }
// Images and a target's answer (a PDF of up to 10 MiB): the upload's own limit (uploads.server.ts) plus the form around it; the same pages' other forms are ordinary ones.
const UPLOAD: BodyPolicy = { limits: { [FORM]: 1 * MiB, [MULTIPART]: 12 * MiB }, maxFields: 200, maxRepeats: 50 }
// Organisers write stories and updates in three languages: long texts, many fields.
const ADMIN: BodyPolicy = { limits: { [FORM]: 1 * MiB }, maxFields: 2000, maxRepeats: 1000 }
// Signing, giving, unsubscribing: a handful of short fields.
const PUBLIC: BodyPolicy = { limits: { [FORM]: 64 * KiB }, maxFields: 200, maxRepeats: 100 }

/** A route as Remix matches it: a single-fetch `.data` suffix and a trailing slash name the same route. */
function routeOf(route: string) {
  const path = route.endsWith('.data') ? route.slice(0, -'.data'.length) : route
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}

function isAdminRoute(path: string) {
  return path === '/admin' || path.startsWith('/admin/')
}

// Organiser pages and pages opened with a private link show personal data.
const PRIVATE_PAGES = /^\/(admin|confirm|unsubscribe|preferences|donations\/manage|thanks|me)(\/|$)/

/** Whether a response of this route may be stored by a browser or proxy (`route` as normaliseTarget gives it). */
export function isPrivatePage(route: string) {
  return PRIVATE_PAGES.test(routeOf(route))
}

/** `route` as normaliseTarget gives it. */
export function bodyPolicy(route: string): BodyPolicy {
  const path = routeOf(route)
  if (path === '/webhooks/stripe' || path === '/webhooks/resend') return WEBHOOK
  if (/^\/admin\/(campaigns\/[^/]+\/(image|timeline\/[^/]+|responses)|branding)$/.test(path)) return UPLOAD
  if (isAdminRoute(path)) return ADMIN
  return PUBLIC
}

/** The largest body of this type the policy takes, or undefined when it takes none of it. */
export function bodyLimit(policy: BodyPolicy, type: string) {
  return Object.hasOwn(policy.limits, type) ? policy.limits[type] : undefined
}

export function mediaType(contentType: string | undefined) {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}

export type BodyVerdict = { ok: true } | { ok: false; status: 400 | 413; problem: 'tooManyFields' | 'badForm' }

/**
 * Counts an url-encoded form's fields before any parser does: splitting on `&` is linear and
 * allocation-light, and names are compared decoded (`%61` is `a`), as parsers will see them.
 */
export function checkUrlEncoded(body: Buffer, policy: BodyPolicy): BodyVerdict {
  let fields = 0
  for (let i = body.indexOf(0x26); i !== -1; i = body.indexOf(0x26, i + 1)) {
    if (++fields > policy.maxFields) return { ok: false, status: 413, problem: 'tooManyFields' }
  }
  const names = new Map<string, number>()
  for (const [name] of new URLSearchParams(body.toString('utf8'))) {
    const n = (names.get(name) ?? 0) + 1
    if (n > policy.maxRepeats || indexTooLarge(name, policy)) return { ok: false, status: 413, problem: 'tooManyFields' }
    names.set(name, n)
  }
  return { ok: true }
}

/**
 * Conform reads `x[99999999]` as item 99,999,999 of a list: one field becomes a sparse array
 * that long, and echoing it back in a form's reply took gigabytes. No form of ours has more
 * items in a list than the fields it may repeat.
 */
function indexTooLarge(name: string, policy: BodyPolicy) {
  for (const [, index] of name.matchAll(/\[(\d+)\]/g)) {
    if (index!.length > 6 || Number(index) >= policy.maxRepeats) return true
  }
  return false
}

// A boundary as browsers write it (RFC 2046: 1 to 70 characters, unquoted, nothing after it).
// Parsers disagree about quotes and extra parameters; refusing them keeps ours and Remix's reading the same body.
const MULTIPART_TYPE = /^multipart\/form-data;\s*boundary=[A-Za-z0-9'()+_,\-./:=?]{1,70}$/i

/** Parses a multipart body once (undici's parser, as Remix's), so a broken one is a 400 here, not a 500 in an action. */
export async function checkMultipart(body: Buffer, contentType: string, policy: BodyPolicy): Promise<BodyVerdict> {
  if (!MULTIPART_TYPE.test(contentType.trim())) return { ok: false, status: 400, problem: 'badForm' }
  let form: FormData
  try {
    form = await new Response(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length), { headers: { 'Content-Type': contentType } }).formData()
  } catch {
    return { ok: false, status: 400, problem: 'badForm' }
  }
  const names = new Map<string, number>()
  let fields = 0
  for (const [name] of form) {
    const n = (names.get(name) ?? 0) + 1
    if (++fields > policy.maxFields || n > policy.maxRepeats || indexTooLarge(name, policy)) return { ok: false, status: 413, problem: 'tooManyFields' }
    names.set(name, n)
  }
  return { ok: true }
}

// Pages whose form carries its own secret token: they set `no-referrer`, so strict browsers
// (Tor Browser's "Safest") post them with `Origin: null`. The token, not the origin, proves them.
const TOKEN_FORMS = /^\/(unsubscribe|preferences|donations\/manage|me\/open)\/[^/]+$/
const WEBHOOKS = /^\/webhooks\/(stripe|resend)$/

/**
 * May this write go ahead? Webhooks are signed and come from servers: no Origin to check.
 * Otherwise a browser's Origin must be ours. A request without one (mail programs' RFC 8058
 * one-click unsubscribe, scripts) can do no more than its own body proves, except on organiser
 * paths, where a session cookie would ride along: there, only Sec-Fetch-Site: same-origin.
 */
export function isWriteAllowed({
  route,
  origin,
  secFetchSite,
  allowedOrigins,
}: {
  route: string
  origin: string | undefined
  secFetchSite: string | undefined
  allowedOrigins: readonly string[]
}) {
  const path = routeOf(route)
  if (WEBHOOKS.test(path)) return true
  if (origin === 'null') return TOKEN_FORMS.test(path)
  if (origin !== undefined) return allowedOrigins.includes(origin)
  if (isAdminRoute(path)) return secFetchSite === 'same-origin'
  return true
}

/**
 * The client's address behind `hops` trusted proxies, counted from the right of
 * X-Forwarded-For as Express's `trust proxy` does: each proxy appends the address it saw, so
 * the entries a client wrote itself are on the left and cannot be chosen.
 */
export function clientAddress(forwardedFor: string | string[] | undefined, remoteAddress: string | undefined, hops: number) {
  const remote = remoteAddress ?? 'unknown'
  if (hops <= 0 || forwardedFor === undefined) return remote
  const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  // [client-written…, proxy 1 saw, …, proxy n saw] + the socket's peer (the nearest proxy).
  const addresses = [...chain, remote]
  return addresses[Math.max(0, addresses.length - 1 - hops)] ?? remote
}

/**
 * The address limits count: an IPv6 client is its /64 (one household or server gets a whole
 * /64 and may use any address in it), an IPv4-mapped one its IPv4 address.
 */
export function addressForLimits(address: string) {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(':')) return address
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return address
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

const TOKEN_ROUTES = /^\/(confirm|unsubscribe|preferences|donations\/manage|admin\/set-password|me\/open)\/([^/]+)\/?$/i

/**
 * A path as it may appear in the log. Routes whose last segment is a secret are masked by
 * route, whatever the token looks like (short, percent-encoded, `.data` for single fetch);
 * elsewhere, segments that look like tokens or hold an address are masked, and control
 * characters escaped. Never throws, and never prints a path it could not read.
 */
export function loggablePath(rawPath: string) {
  const decoded = decodePath(rawPath)
  const token = TOKEN_ROUTES.exec(decoded)
  if (token) return `/${token[1]!.toLowerCase()}/:token${token[2]!.endsWith('.data') ? '.data' : ''}`
  const masked = decoded
    .split('/')
    .map((whole) => {
      const data = whole.endsWith('.data') ? '.data' : ''
      const segment = whole.slice(0, whole.length - data.length)
      if (segment.includes('@')) return `:email${data}`
      if (segment.length >= 20 && !/^[\w.-]+\.(js|css|map|woff2?|png|jpe?g|webp|avif|svg|ico|txt|xml|json|csv)$/.test(segment)) return `:token${data}`
      if (/%[0-9a-f]{2}/i.test(segment)) return `:segment${data}`
      return whole
    })
    .join('/')
  return masked.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export type GuardProblem = 'tooLarge' | 'tooManyFields' | 'badForm' | 'unsupportedType' | 'crossSite' | 'method' | 'badRequest'

type GuardText = { title: string; body: string; back: string }

// Read by the server before i18n is involved; the app's catalogs hold the same words (errors.guard).
export function guardText(resources: Record<Language, { common: { errors: { guard: Record<GuardProblem, { title: string; body: string }>; home: string } } }>, lang: Language, problem: GuardProblem): GuardText {
  const errors = resources[lang].common.errors
  return { ...errors.guard[problem], back: errors.home }
}

/** A small page for refusals made before Remix: readable without styles or scripts. */
export function guardPage(lang: Language, text: GuardText) {
  return `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(text.title)}</title></head><body><main><h1>${escapeHtml(text.title)}</h1><p>${escapeHtml(text.body)}</p><p><a href="/">${escapeHtml(text.back)}</a></p></main></body></html>`
}
