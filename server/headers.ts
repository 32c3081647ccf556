import crypto from 'node:crypto'

export function createNonce() {
  return crypto.randomBytes(16).toString('base64')
}

/** Only our own origin: no CDNs, fonts, analytics or embeds on any page. */
export function contentSecurityPolicy(nonce: string, { dev = false } = {}) {
  return [
    `default-src 'self'`,
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self'${dev ? ` 'unsafe-inline'` : ''}`,
    `img-src 'self' data:`,
    `font-src 'self'`,
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
    `base-uri 'none'`,
    `object-src 'none'`,
  ].join('; ')
}

export function securityHeaders({ https }: { https: boolean }): [string, string][] {
  const headers: [string, string][] = [
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    // 'same-origin' keeps the Origin header on our own form posts (the CSRF check reads it)
    // and tells other sites nothing about which campaign a supporter was reading.
    ['Referrer-Policy', 'same-origin'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), browsing-topics=()'],
  ]
  if (https) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'])
  return headers
}

/** Paths as they may appear in logs: long opaque segments (tokens) are masked. */
export function loggablePath(pathname: string) {
  return pathname
    .split('/')
    .map((segment) => (/^[A-Za-z0-9_-]{20,}$/.test(segment) ? ':token' : segment))
    .join('/')
}

/**
 * Strict Origin check for state-changing organiser requests. Browsers send Origin on
 * every POST; Sec-Fetch-Site covers the few that omit it. Anything else is refused.
 */
export function isSameOriginRequest(
  headers: { origin?: string; 'sec-fetch-site'?: string; host?: string },
  allowedOrigins: string[],
) {
  const origin = headers.origin
  if (origin && origin !== 'null') return allowedOrigins.includes(origin)
  return headers['sec-fetch-site'] === 'same-origin'
}
