import type { Handle } from '#db/client.server.ts'
import { hitRateLimits, reserveAttempt, type BackoffPolicy } from '~/models/rate-limits.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { dataCrypto } from '~/utils/data-crypto.server.ts'

export type RateLimitPolicy = { bucket: string; limit: number; windowMs: number }

/**
 * Login failures only, never successes. One address guessing one account gets five tries, then
 * waits a minute, two, four… an hour at most (a success clears it): nobody elsewhere can lock
 * the organiser out. One address failing across accounts is stopped after 20 in 15 minutes.
 */
export const LOGIN_PER_ACCOUNT_AND_IP: BackoffPolicy = {
  bucket: 'login:account-ip',
  free: 5,
  baseMs: 60_000,
  capMs: 60 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
}
export const LOGIN_PER_IP: RateLimitPolicy = { bucket: 'login:ip', limit: 20, windowMs: 15 * 60_000 }

/**
 * Keys are keyed hashes under the data key (ADR 017), so the table never holds an address or
 * email, and rotating SESSION_SECRET (which logs organisers out) does not reset the limits.
 */
export function rateLimitKey(value: string) {
  return dataCrypto().lookupHash(value, 'rate-limit')
}

export class RateLimitedError extends Error {
  constructor(public retryAfterMs: number) {
    super('rate limited')
  }
}

/**
 * Count one attempt against every policy; throws RateLimitedError when any is exhausted.
 * A value may come with its key already derived (`keyHash`), to spare a second HMAC.
 */
export async function consumeRateLimits(db: Handle, checks: { policy: RateLimitPolicy; value: string; keyHash?: string }[]) {
  const result = await hitRateLimits(db, checks.map(({ policy, value, keyHash }) => ({ ...policy, keyHash: keyHash ?? rateLimitKey(value) })))
  if (!result.allowed) throw new RateLimitedError(result.retryAfterMs)
}

/**
 * Signing from one address: a family or an office behind one router can all sign,
 * a script cannot. SIGN_LIMIT_PER_10_MIN / SIGN_LIMIT_PER_DAY override the defaults.
 */
let signing: RateLimitPolicy[] | undefined
export function signingPolicies(): RateLimitPolicy[] {
  return (signing ??= [
    { bucket: 'sign:ip:10min', limit: getEnv().signLimits.per10Min, windowMs: 10 * 60_000 },
    { bucket: 'sign:ip:day', limit: getEnv().signLimits.perDay, windowMs: 24 * 60 * 60_000 },
  ])
}

/**
 * The second factor (code, recovery code, passkey after a password): the login's numbers, per
 * account and address, plus the shared login:ip window. Nothing is keyed on the account
 * alone, so nobody elsewhere can lock an organiser out (ADR 019).
 */
export const SECOND_FACTOR_PER_ACCOUNT_AND_IP: BackoffPolicy = {
  bucket: '2fa:account-ip',
  free: 5,
  baseMs: 60_000,
  capMs: 60 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
}
/**
 * Wrong second factors for one account from browsers new to it, all addresses together. Only
 * someone who has the password gets this far (the second-factor page needs a session that passed
 * it); it bounds what a thief with the password and many addresses can guess (20 an hour of a
 * million codes) while the new-device email tells the organiser to change it. The organiser's
 * own browser is not held by it (ADR 019 §14).
 */
export const SECOND_FACTOR_PER_ACCOUNT: RateLimitPolicy = { bucket: '2fa:account', limit: 20, windowMs: 60 * 60_000 }
/** Passwordless passkey sign-ins (options and answers) from one address. */
export const PASSKEY_SIGN_IN_PER_IP: RateLimitPolicy = { bucket: 'passkey:ip', limit: 30, windowMs: 15 * 60_000 }

/**
 * Reserve one second-factor attempt; `forgiveAttempt(db, reservation)` when it succeeded. The
 * per-account ceiling counts and holds only browsers new to the organiser (`ownBrowser` false):
 * a thief who has the password cannot lock the organiser's own browser out.
 */
export async function reserveSecondFactorAttempt(db: Handle, { organizerId, clientIp, ownBrowser }: { organizerId: number; clientIp: string; ownBrowser: boolean }) {
  const account = { ...SECOND_FACTOR_PER_ACCOUNT, keyHash: rateLimitKey(`2fa:${organizerId}`) }
  return reserveAttempt(db, {
    backoff: { ...SECOND_FACTOR_PER_ACCOUNT_AND_IP, keyHash: rateLimitKey(`2fa:${organizerId}\n${clientIp}`) },
    limits: [{ ...LOGIN_PER_IP, keyHash: rateLimitKey(clientIp) }, ...(ownBrowser ? [] : [account])],
  })
}
