/**
 * One-time codes from an authenticator app (RFC 6238; ADR 019 §7), through otplib: SHA-1,
 * 6 digits, 30-second steps, one step of clock drift either way. Replays are refused by the
 * caller's compare-and-set on the last accepted step; `afterStep` here is only a first filter.
 */
import { generateSecret, generateURI, verify } from 'otplib'
import QRCode from 'qrcode'

export const TOTP_PERIOD_S = 30
const DIGITS = 6

/** 20 random bytes (160 bits, RFC 4226's recommendation), base32 as apps expect it. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

/** The otpauth:// address an app scans: it names the issuer (the team) and the organiser's account. */
export function totpUri({ secret, account, issuer }: { secret: string; account: string; issuer: string }): string {
  return generateURI({ issuer, label: account, secret, algorithm: 'sha1', digits: DIGITS, period: TOTP_PERIOD_S })
}

/** The time step a code belongs to (epoch seconds / 30). */
export function totpStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_S)
}

/**
 * The step `code` was made for, when it is the current one or one step either side and later
 * than `afterStep`; null otherwise (also for anything that is not six digits).
 */
export async function checkTotp({ secret, code, afterStep = null, now = Date.now() }: { secret: string; code: string; afterStep?: number | null; now?: number }): Promise<{ step: number } | null> {
  if (!/^\d{6}$/.test(code)) return null
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: TOTP_PERIOD_S,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  })
  // A TOTP answer always carries its step (the union type also covers HOTP's).
  return result.valid && 'timeStep' in result ? { step: result.timeStep } : null
}

/**
 * The set-up QR code as a data: image (the CSP allows img-src data:). Never through
 * renderQrCode: its memory cache would keep the secret.
 */
export async function totpQrDataUri(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 })
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
}

/** The key as people copy it by hand: groups of four. */
export function groupKey(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret
}
