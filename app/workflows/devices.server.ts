import type { Handle } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import { deviceKnownBefore, noteDevice } from '~/models/devices.server.ts'
import { findSessionOrganizer } from '~/models/sessions.server.ts'
import { deviceCookie, readCookieValue } from '~/utils/auth-cookies.server.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'
import { DEMO_ORGANIZER } from '~/utils/demo-identity.ts'

/**
 * Called by startSession once the password or a passkey passed (ADR 019 §12): a browser
 * without a (validly signed) vigil_device cookie gets a new random one; its SHA-256 is noted
 * for the organiser, and a browser new to an organiser who has used another queues the
 * new-device email in `lang` (the language of the sign-in page: organisers have no language
 * of their own). The cookie is set again each time, so it lives 400 days from the last sign-in.
 * The demo organiser is left out: its password is published, every visitor is a new device.
 */
export async function noteSignInDevice(
  db: Handle,
  { organizerId, request, lang, device, now = Date.now() }: { organizerId: number; request: Request; lang: Locale; device: string; now?: number },
): Promise<{ setCookie: string | null }> {
  const organizer = await findSessionOrganizer(db, { organizerId })
  if (!organizer || organizer.email === DEMO_ORGANIZER.email) return { setCookie: null }
  const cookie = deviceCookie()
  const id = (await readCookieValue(cookie, request)) ?? randomToken()
  await noteDevice(db, { organizerId, deviceHash: sha256(id), device, locale: lang, now })
  return { setCookie: await cookie.serialize(id) }
}

/**
 * Whether this browser signed the organiser in before the session it presents a second factor
 * in began: the organiser's own browser, not one a password thief signed in with just now
 * (ADR 019 §14: the per-account ceiling on wrong codes does not hold such a browser).
 */
export async function isOrganizersOwnBrowser(db: Handle, request: Request, { organizerId, sessionCreatedAt }: { organizerId: number; sessionCreatedAt: number }) {
  const id = await readCookieValue(deviceCookie(), request)
  return id ? deviceKnownBefore(db, { organizerId, deviceHash: sha256(id), before: sessionCreatedAt }) : false
}
