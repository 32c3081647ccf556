import crypto from 'node:crypto'
import { hmac } from './crypto.server.ts'
import { getEnv } from './config.server.ts'

/** The confirmation link's token for a seed: needs the server secret, which the database never holds. */
export function signatureToken(seed: string) {
  return hmac(getEnv().sessionSecret, `signature:${seed}`)
}

/**
 * The set-password link's token in an organiser's invitation email, for the seed the outbox row
 * keeps: the row alone (a backup, a leaked database) cannot set anyone's password.
 */
export function organizerInviteToken(seed: string) {
  return hmac(getEnv().sessionSecret, `organizer-invite:${seed}`)
}

/**
 * The token in a monthly donor's "manage your gift" link: derived from the first
 * donation's id and the server secret, so nothing is stored and ids cannot be guessed.
 */
export function donationManageToken(donationId: number) {
  return `${donationId}.${hmac(getEnv().sessionSecret, `donation-manage:${donationId}`)}`
}

/**
 * Whether a token from a URL is the one we derived, in constant time. timingSafeEqual needs
 * equal byte lengths (and throws otherwise, on "é" as on any other multi-byte text), so both
 * sides are hashed to 32 bytes first: the lengths always match and reveal nothing.
 */
function sameToken(expected: string, given: string) {
  const digest = (value: string) => crypto.createHash('sha256').update(value).digest()
  return crypto.timingSafeEqual(digest(expected), digest(given))
}

/** The donation id a manage token stands for, or null when the token is not one of ours. */
export function donationFromManageToken(token: string): number | null {
  const id = Number(token.split('.', 1)[0])
  if (!Number.isSafeInteger(id) || id <= 0) return null
  const expected = donationManageToken(id)
  return sameToken(expected, token) ? id : null
}

function signed(kind: string, parts: number[]) {
  return `${parts.join('.')}.${hmac(getEnv().sessionSecret, `${kind}:${parts.join(':')}`)}`
}

function verified(kind: string, token: string, count: number): number[] | null {
  const pieces = token.split('.')
  if (pieces.length !== count + 1) return null
  const parts = pieces.slice(0, count).map(Number)
  if (parts.some((n) => !Number.isSafeInteger(n) || n <= 0)) return null
  const expected = signed(kind, parts)
  return sameToken(expected, token) ? parts : null
}

/** The unsubscribe link's token: one supporter, one campaign. Derived, never stored. */
export function unsubscribeToken(supporterId: number, campaignId: number) {
  return signed('unsubscribe', [supporterId, campaignId])
}

export function fromUnsubscribeToken(token: string): { supporterId: number; campaignId: number } | null {
  const parts = verified('unsubscribe', token, 2)
  return parts ? { supporterId: parts[0]!, campaignId: parts[1]! } : null
}

/** The email-preferences link's token: every campaign of one supporter. */
export function preferencesToken(supporterId: number) {
  return signed('preferences', [supporterId])
}

export function fromPreferencesToken(token: string): number | null {
  return verified('preferences', token, 1)?.[0] ?? null
}

/** The "My data" link's token for a seed its queued email keeps: a copy of the database alone opens nothing. */
export function myDataLinkToken(seed: string) {
  return hmac(getEnv().sessionSecret, `my-data:${seed}`)
}

/**
 * The delivery packet's link for the petition's target (their milestone email): one campaign.
 * Derived, never stored; whoever holds it reads what the petition delivers, nothing more.
 */
export function packetToken(campaignId: number): string {
  return signed('packet', [campaignId])
}

export function campaignFromPacketToken(token: string): number | null {
  return verified('packet', token, 1)?.[0] ?? null
}
