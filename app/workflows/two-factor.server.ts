/**
 * Presenting a second factor after the password (ADR 019 §3, §14): every try is counted per
 * account and address before it is checked (reserveSecondFactorAttempt), taken back when it
 * passed, and a pass raises the session to 'full' under a new token. A miss is audited
 * (organizer.second_factor_failed { method }), never with what was typed.
 */
import crypto from 'node:crypto'
import type { Handle } from '#db/client.server.ts'
import { forgiveAttempt } from '~/models/rate-limits.server.ts'
import { useRecoveryCode as spendRecoveryCode } from '~/models/recovery-codes.server.ts'
import { getPendingTotpSecret, recordSecondFactorFailure, verifyTotpCode } from '~/models/totp.server.ts'
import { getSiteSettings } from '~/models/site-settings.server.ts'
import type { SessionOrganizer } from '~/models/organizers.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { hmac } from '~/utils/crypto.server.ts'
import { groupKey, totpQrDataUri, totpUri } from '~/utils/totp.server.ts'
import { isOrganizersOwnBrowser } from './devices.server.ts'
import { reserveSecondFactorAttempt } from './rate-limit.server.ts'
import { raiseSession } from './session.server.ts'

export type SecondFactorAnswer =
  | { status: 'ok'; setCookie: string; recoveryCodesLeft: number | null }
  | { status: 'wrong' | 'replayed' }
  | { status: 'wait'; retryAfterMs: number }

export async function presentSecondFactor(db: Handle, request: Request, { organizerId, sessionCreatedAt, clientIp, method, code }: {
  organizerId: number
  sessionCreatedAt: number
  clientIp: string
  method: 'totp' | 'recovery_code'
  code: string
}): Promise<SecondFactorAnswer> {
  const ownBrowser = await isOrganizersOwnBrowser(db, request, { organizerId, sessionCreatedAt })
  const attempt = await reserveSecondFactorAttempt(db, { organizerId, clientIp, ownBrowser })
  if (!attempt.allowed) return { status: 'wait', retryAfterMs: attempt.retryAfterMs }
  let verdict: 'ok' | 'wrong' | 'replayed'
  let recoveryCodesLeft: number | null = null
  if (method === 'totp') {
    verdict = await verifyTotpCode(db, { organizerId, code })
  } else {
    const used = await spendRecoveryCode(db, { organizerId, code })
    verdict = used.ok ? 'ok' : 'wrong'
    recoveryCodesLeft = used.left
  }
  if (verdict !== 'ok') {
    await recordSecondFactorFailure(db, { organizerId, method })
    return { status: verdict }
  }
  await forgiveAttempt(db, attempt.reservation)
  const { setCookie } = await raiseSession(db, request, { method })
  return { status: 'ok', setCookie, recoveryCodesLeft }
}

/**
 * The set-up page raises its session only for the session that confirmed the factor: the
 * confirmation hands this ticket (bound to the session's id hash) to the "Continue" form.
 * Another half session of the same organiser (a stolen password, signed in elsewhere) never
 * gets one, so it cannot ride on a set-up it did not do.
 */
export function setupTicket(idHash: string) {
  return hmac(getEnv().sessionSecret, `vigil two-factor set-up done\n${idHash}`)
}

export function validSetupTicket(idHash: string, ticket: unknown) {
  if (typeof ticket !== 'string') return false
  const want = Buffer.from(setupTicket(idHash))
  const got = Buffer.from(ticket)
  return got.length === want.length && crypto.timingSafeEqual(got, want)
}

/**
 * What the page shows for this session's set-up in progress: the QR code of the otpauth:// address (issuer:
 * the team's name) and the key in groups of four; null when none is in progress.
 */
export async function totpSetupFor(db: Handle, organizer: Pick<SessionOrganizer, 'id' | 'email'>, sessionIdHash: string): Promise<{ qr: string; key: string } | null> {
  const secret = await getPendingTotpSecret(db, { organizerId: organizer.id, sessionIdHash })
  if (!secret) return null
  const settings = await getSiteSettings(db)
  const uri = totpUri({ secret, account: organizer.email, issuer: settings.teamName || settings.organizationName || 'Vigil' })
  return { qr: await totpQrDataUri(uri), key: groupKey(secret) }
}
