import { hitRateLimit } from '~/models/rate-limits.server.ts'
import { hmac } from './crypto.server.ts'
import { getEnv } from './env.server.ts'

export type RateLimitPolicy = { bucket: string; limit: number; windowMs: number }

export const LOGIN_PER_ACCOUNT: RateLimitPolicy = { bucket: 'login:account', limit: 5, windowMs: 15 * 60_000 }
export const LOGIN_PER_IP: RateLimitPolicy = { bucket: 'login:ip', limit: 20, windowMs: 15 * 60_000 }

/** Keys are HMACs with the session secret, so the table never holds an address or email. */
export function rateLimitKey(value: string) {
  return hmac(getEnv().sessionSecret, value)
}

export class RateLimitedError extends Error {
  constructor(public retryAfterMs: number) {
    super('rate limited')
  }
}

/** Count one attempt against every policy; throws RateLimitedError when any is exhausted. */
export async function consumeRateLimits(checks: { policy: RateLimitPolicy; value: string }[]) {
  let retryAfterMs = 0
  for (const { policy, value } of checks) {
    const result = await hitRateLimit({ ...policy, keyHash: rateLimitKey(value) })
    if (!result.allowed) retryAfterMs = Math.max(retryAfterMs, result.retryAfterMs)
  }
  if (retryAfterMs > 0) throw new RateLimitedError(retryAfterMs)
}
