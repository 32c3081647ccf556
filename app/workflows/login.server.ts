import type { Handle } from '#db/client.server.ts'
import { normalizeOrganizerEmail, verifyOrganizerLogin, type SessionOrganizer } from '~/models/organizers.server.ts'
import { forgiveAttempt, reserveAttempt } from '~/models/rate-limits.server.ts'
import { LOGIN_PER_ACCOUNT_AND_IP, LOGIN_PER_IP, rateLimitKey } from './rate-limit.server.ts'

export type LoginResult =
  | { status: 'ok'; organizer: SessionOrganizer }
  | { status: 'failed' }
  | { status: 'wait'; retryAfterMs: number }

/**
 * An organiser's login, throttled by failures (see LOGIN_PER_ACCOUNT_AND_IP): the attempt is
 * counted before the password is checked, so parallel guesses wait too, and taken back when
 * the password was right. Each step is its own unit of work on `db`: the password check
 * (argon2) must not run inside a transaction.
 */
export async function logInOrganizer(db: Handle, { email, password, clientIp }: { email: string; password: string; clientIp: string }): Promise<LoginResult> {
  const account = normalizeOrganizerEmail(email)
  const attempt = await reserveAttempt(db, {
    backoff: { ...LOGIN_PER_ACCOUNT_AND_IP, keyHash: rateLimitKey(`login:${account}\n${clientIp}`) },
    limits: [{ ...LOGIN_PER_IP, keyHash: rateLimitKey(clientIp) }],
  })
  if (!attempt.allowed) return { status: 'wait', retryAfterMs: attempt.retryAfterMs }
  const organizer = await verifyOrganizerLogin(db, { email: account, password })
  if (!organizer) return { status: 'failed' }
  await forgiveAttempt(db, attempt.reservation)
  return { status: 'ok', organizer }
}
