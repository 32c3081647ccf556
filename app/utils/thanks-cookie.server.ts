import { createCookie } from '@remix-run/node'
import { z } from 'zod'
import { hmac } from './crypto.server.ts'
import { getEnv } from './config.server.ts'

/**
 * What the thanks page after a confirmation needs (the signer's first name) goes there in a
 * signed cookie that lives a few minutes, not in the URL: a URL ends up in proxy logs and the
 * browser's history, and a page that shows text from its URL can be made to say anything.
 * Scoped to /thanks (which also covers the page's data requests, /thanks/<slug>.data); the
 * campaign and an expiry time are inside the signed value, so it greets only on that
 * campaign's page and only for as long as it says, whatever the browser does with Max-Age.
 */
export const THANKS_TTL_MS = 10 * 60 * 1000
const NAME = 'vigil_thanks'

declare global {
  var __vigilThanksCookie: { secret: string; cookie: ReturnType<typeof createCookie> } | undefined
}

const thanksValue = z.object({ slug: z.string(), firstName: z.string().max(200), expiresAt: z.number() })

function cookie() {
  const env = getEnv()
  // A key of its own: a value signed for this cookie means nothing to the session cookie, and back.
  const secret = hmac(env.sessionSecret, 'vigil thanks cookie')
  if (globalThis.__vigilThanksCookie?.secret !== secret) {
    globalThis.__vigilThanksCookie = {
      secret,
      cookie: createCookie(NAME, {
        httpOnly: true,
        sameSite: 'lax',
        secure: env.publicUrl.startsWith('https:'),
        path: '/thanks',
        maxAge: THANKS_TTL_MS / 1000,
        secrets: [secret],
      }),
    }
  }
  return globalThis.__vigilThanksCookie.cookie
}

/** The Set-Cookie header for the redirect from a confirmation to its thanks page. */
export async function thanksCookie({ slug, firstName, now = Date.now() }: { slug: string; firstName: string; now?: number }) {
  return cookie().serialize({ slug, firstName, expiresAt: now + THANKS_TTL_MS } satisfies z.infer<typeof thanksValue>)
}

/** The first name to greet on this campaign's thanks page, or null (no cookie, another campaign, expired, altered). */
export async function readThanksName({ request, slug, now = Date.now() }: { request: Request; slug: string; now?: number }) {
  const value: unknown = await cookie()
    .parse(request.headers.get('Cookie'))
    .catch(() => null)
  const parsed = thanksValue.safeParse(value)
  if (!parsed.success || parsed.data.slug !== slug || parsed.data.expiresAt <= now) return null
  return parsed.data.firstName.trim() || null
}
