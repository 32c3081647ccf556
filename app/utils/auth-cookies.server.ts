import { createCookie } from '@remix-run/node'
import { getEnv } from '~/utils/config.server.ts'
import { SESSION_COOKIE, SESSION_TTL_MS } from '~/utils/session-cookie.ts'

/** The browser's long-lived id for new-device emails (ADR 019): only under /admin, so public pages and their cache never see it. */
export const DEVICE_COOKIE = 'vigil_device'
export const DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 60 * 60
/** Which WebAuthn ceremony this browser is in: the challenge is found by the hash of its id. */
export const CEREMONY_COOKIE = 'vigil_webauthn'
export const CEREMONY_COOKIE_MAX_AGE_S = 5 * 60

type Cookie = ReturnType<typeof createCookie>

declare global {
  var __vigilAuthCookies: Map<string, Cookie> | undefined
}

// One instance per name per process (createCookie reads the env once).
function cookie(name: string, options: { path: string; maxAge: number }): Cookie {
  const cookies = (globalThis.__vigilAuthCookies ??= new Map())
  let found = cookies.get(name)
  if (!found) {
    const env = getEnv()
    found = createCookie(name, {
      httpOnly: true,
      sameSite: 'lax',
      secure: env.publicUrl.startsWith('https:'),
      secrets: [env.sessionSecret],
      ...options,
    })
    cookies.set(name, found)
  }
  return found
}

/** `vigil_session`: a random token; the sessions table keeps its SHA-256. */
export function sessionCookie(): Cookie {
  return cookie(SESSION_COOKIE, { path: '/', maxAge: SESSION_TTL_MS / 1000 })
}

export function deviceCookie(): Cookie {
  return cookie(DEVICE_COOKIE, { path: '/admin', maxAge: DEVICE_COOKIE_MAX_AGE_S })
}

export function ceremonyCookie(): Cookie {
  return cookie(CEREMONY_COOKIE, { path: '/admin', maxAge: CEREMONY_COOKIE_MAX_AGE_S })
}

/** The string value of a signed cookie, or null (absent, unsigned, tampered). */
export async function readCookieValue(c: Cookie, request: Request): Promise<string | null> {
  const value: unknown = await c.parse(request.headers.get('Cookie'))
  return typeof value === 'string' && value.length > 0 ? value : null
}
