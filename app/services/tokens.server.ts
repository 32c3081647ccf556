import { hmac } from './crypto.server.ts'
import { getEnv } from './env.server.ts'

/** The confirmation link's token for a seed: needs the server secret, which the database never holds. */
export function signatureToken(seed: string) {
  return hmac(getEnv().sessionSecret, `signature:${seed}`)
}
