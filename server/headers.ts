import crypto from 'node:crypto'

// Nonces come from the same CSPRNG, drawn 4 KiB at a time: one call per 256 requests.
let pool = Buffer.alloc(0)
let offset = 0
export function createNonce() {
  if (offset + 16 > pool.length) {
    pool = crypto.randomBytes(4096)
    offset = 0
  }
  offset += 16
  return pool.toString('base64', offset - 16, offset)
}

/**
 * Only our own origin: no CDNs, fonts, analytics or embeds on any page. default-src
 * covers fonts, connections and styles; scripts also need this response's nonce.
 */
export function contentSecurityPolicy(nonce: string, { dev = false, formTargets = [] as string[] } = {}) {
  return cspTemplate(dev, formTargets)(nonce)
}

export function cspTemplate(dev: boolean, formTargets: string[] = []) {
  const forScripts = cspForScripts(dev, formTargets)
  return (nonce: string) => forScripts(`'nonce-${nonce}'`)
}

/**
 * Where a form may lead besides our own pages: the donation form and the "manage your
 * gift" button answer with a redirect to Stripe's Checkout or portal, and browsers apply
 * form-action to that redirect too. Only navigation, never a request from our pages.
 */
export const STRIPE_FORM_TARGETS = ['https://checkout.stripe.com', 'https://billing.stripe.com']

/** The policy with the given script sources (a nonce, or hashes of a cached page's inline scripts). */
export function cspForScripts(dev: boolean, formTargets: string[] = []) {
  const before = `default-src 'self'; script-src 'self' `
  const after =
    `; img-src 'self' data:; form-action ${['\'self\'', ...formTargets].join(' ')}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'` +
    (dev ? `; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:` : '')
  return (sources: string) => before + sources + after
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
