import crypto from 'node:crypto'
import { hmac } from './crypto.server.ts'
import { getEnv } from './env.server.ts'

/** The confirmation link's token for a seed: needs the server secret, which the database never holds. */
export function signatureToken(seed: string) {
  return hmac(getEnv().sessionSecret, `signature:${seed}`)
}

/**
 * The token in a monthly donor's "manage your gift" link: derived from the first
 * donation's id and the server secret, so nothing is stored and ids cannot be guessed.
 */
export function donationManageToken(donationId: number) {
  return `${donationId}.${hmac(getEnv().sessionSecret, `donation-manage:${donationId}`)}`
}

/** The donation id a manage token stands for, or null when the token is not one of ours. */
export function donationFromManageToken(token: string): number | null {
  const id = Number(token.split('.', 1)[0])
  if (!Number.isSafeInteger(id) || id <= 0) return null
  const expected = donationManageToken(id)
  return expected.length === token.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(token)) ? id : null
}
