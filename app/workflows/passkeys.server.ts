/**
 * Passkeys (WebAuthn; ADR 019 §10-11): the ceremonies behind POST /admin/webauthn. Each
 * ceremony is two requests: `*-options` makes a challenge, keeps it server-side (single use, five
 * minutes, found through the signed vigil_webauthn cookie, bound to the session for 'register'
 * and 'second_factor'), and answers the options for the browser; the second request takes the
 * challenge, verifies the authenticator's answer with @simplewebauthn/server, and only then
 * writes: the passkey, or the counter by compare-and-set, then the session. Every answer is
 * JSON, errors as `{ error }` in the visitor's language; nothing here logs an answer, a
 * challenge or a key.
 */
import type * as WebauthnServer from '@simplewebauthn/server'
import type { VerifiedAuthenticationResponse, verifyAuthenticationResponse } from '@simplewebauthn/server'
import type * as WebauthnHelpers from '@simplewebauthn/server/helpers'
import type { TFunction } from 'i18next'
import type { Handle } from '#db/client.server.ts'
import { serializeOn } from '#db/locks.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { constraintViolation } from '#db/errors.server.ts'
import type { Locale, WebauthnCeremony } from '#db/schema.ts'
import { recordAudit } from '~/models/audit.server.ts'
import {
  addPasskey,
  ensureWebauthnUserId,
  findPasskey,
  listPasskeyDescriptors,
  recordPasskeyUse,
} from '~/models/passkeys.server.ts'
import { forgiveAttempt } from '~/models/rate-limits.server.ts'
import { factorLockKey, getSecondFactorStatus } from '~/models/second-factors.server.ts'
import { owePendingSetups } from '~/models/sessions.server.ts'
import { newRecoveryCodes, replaceRecoveryCodes } from '~/models/recovery-codes.server.ts'
import { saveChallenge, takeChallenge } from '~/models/webauthn-challenges.server.ts'
import { ceremonyCookie, readCookieValue } from '~/utils/auth-cookies.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import {
  authenticationResponseSchema,
  isWebauthnIntent,
  parsePasskeyResponse,
  passkeyNameSchema,
  registrationResponseSchema,
} from '~/utils/passkey-schemas.ts'
import {
  consumeRateLimits,
  PASSKEY_SIGN_IN_PER_IP,
  RateLimitedError,
  reserveSecondFactorAttempt,
} from './rate-limit.server.ts'
import { isOrganizersOwnBrowser } from './devices.server.ts'
import {
  raiseSession,
  requireFactorEnrolment,
  requirePendingSession,
  safeRedirect,
  startSession,
  type SessionState,
} from './session.server.ts'

// Loaded at the first ceremony, not at start: with its certificate parsers it takes a fifth of a
// second to load, which every process start would pay (ADR 020).
let loading: Promise<[typeof WebauthnServer, typeof WebauthnHelpers]> | undefined
const webauthn = async () => {
  const [server, helpers] = await (loading ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]))
  return { ...server, isoBase64URL: helpers.isoBase64URL }
}

/** Who the browser and authenticator talk to: PUBLIC_URL's host and origin (WebAuthn refuses IP addresses and plain http other than localhost). */
export function relyingParty(): { rpID: string; origin: string; rpName: string } {
  const url = new URL(getEnv().publicUrl)
  return { rpID: url.hostname, origin: url.origin, rpName: 'Vigil' }
}

type Ctx = { lang: Locale; clientIp: string }

class PasskeyError extends Error {
  constructor(public status: number, message: string, public headers: HeadersInit = {}) {
    super(message)
  }
}

function json(body: unknown, { status = 200, headers = new Headers() }: { status?: number; headers?: Headers } = {}) {
  headers.set('Cache-Control', 'no-store')
  return Response.json(body, { status, headers })
}

/**
 * The whole intent switch of ADR 019 §4b. A guard's thrown redirect (signed out, or a half
 * session sent to its page) becomes a JSON 401 with that `location`, and its 403 a JSON 403,
 * so the browser's script can always read the answer.
 */
export async function passkeyRoute(db: Handle, request: Request, ctx: Ctx): Promise<Response> {
  const t = getT(ctx.lang)
  try {
    const form = await request.formData().catch(() => null)
    if (!form) throw new PasskeyError(400, t('passkeys.errors.invalid'))
    const intent = form.get('intent')
    if (!isWebauthnIntent(intent)) throw new PasskeyError(400, t('passkeys.errors.unknown'))
    switch (intent) {
      case 'register-options':
        return await registerOptions(db, request)
      case 'register':
        return await register(db, request, form, t)
      case 'second-factor-options':
        return await secondFactorOptions(db, request, t)
      case 'second-factor':
        return await secondFactor(db, request, form, ctx, t)
      case 'sign-in-options':
        return await signInOptions(db, ctx, t)
      case 'sign-in':
        return await signIn(db, request, form, ctx, t)
    }
  } catch (error) {
    if (error instanceof PasskeyError) return json({ error: error.message }, { status: error.status, headers: new Headers(error.headers) })
    if (error instanceof RateLimitedError) return tooMany(t, error.retryAfterMs)
    if (error instanceof Response) {
      const location = error.headers.get('Location')
      if (location) return json({ error: t('passkeys.errors.signedOut'), location }, { status: 401 })
      if (error.status === 403) return json({ error: t('passkeys.errors.demo') }, { status: 403 })
    }
    throw error
  }
}

function tooMany(t: TFunction, retryAfterMs: number) {
  const headers = new Headers({ 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) })
  return json({ error: t('passkeys.errors.tooMany', { count: Math.ceil(retryAfterMs / 60_000) }) }, { status: 429, headers })
}

async function withCeremonyCookie(body: unknown, ceremonyId: string) {
  const headers = new Headers({ 'Set-Cookie': await ceremonyCookie().serialize(ceremonyId) })
  return json(body, { headers })
}

/** The challenge the vigil_webauthn cookie names, spent whatever follows; an expired or foreign one is a 400. */
async function spendChallenge(db: Handle, request: Request, t: TFunction, ceremony: WebauthnCeremony, sessionIdHash: string | null) {
  const ceremonyId = await readCookieValue(ceremonyCookie(), request)
  const taken = ceremonyId ? await takeChallenge(db, { ceremonyId, ceremony, sessionIdHash }) : null
  if (!taken) throw new PasskeyError(400, t('passkeys.errors.expired'))
  return taken
}

async function clearCeremony(headers: Headers) {
  headers.append('Set-Cookie', await ceremonyCookie().serialize('', { maxAge: 0 }))
  return headers
}

// ——— Adding a passkey (a 'setup' or 'full' session; not the demo organiser) ———

async function registerOptions(db: Handle, request: Request) {
  const state = await requireFactorEnrolment(db, request)
  const { rpID, rpName } = relyingParty()
  const userId = await ensureWebauthnUserId(db, { organizerId: state.organizer.id })
  const { generateRegistrationOptions, isoBase64URL } = await webauthn()
  const options = await generateRegistrationOptions({
    rpName,
    rpID,
    userName: state.organizer.email,
    userDisplayName: state.organizer.name,
    userID: isoBase64URL.toBuffer(userId),
    attestationType: 'none',
    excludeCredentials: await listPasskeyDescriptors(db, { organizerId: state.organizer.id }),
    // Resident (discoverable) keys, so the same passkey also signs in without a password.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  })
  const { ceremonyId } = await saveChallenge(db, { ceremony: 'register', challenge: options.challenge, organizerId: state.organizer.id, sessionIdHash: state.idHash })
  return withCeremonyCookie({ options }, ceremonyId)
}

async function register(db: Handle, request: Request, form: FormData, t: TFunction) {
  const state = await requireFactorEnrolment(db, request)
  const name = passkeyNameSchema(t).safeParse(String(form.get('name') ?? '').trim() || defaultName(state, t))
  if (!name.success) throw new PasskeyError(400, name.error.issues[0]?.message ?? t('passkeys.errors.invalid'))
  const response = parsePasskeyResponse(registrationResponseSchema, form.get('response'))
  if (!response) throw new PasskeyError(400, t('passkeys.errors.invalid'))
  const taken = await spendChallenge(db, request, t, 'register', state.idHash)
  if (taken.organizerId !== state.organizer.id) throw new PasskeyError(400, t('passkeys.errors.expired'))
  const { rpID, origin } = relyingParty()
  const { verifyRegistrationResponse, isoBase64URL } = await webauthn()
  let verified
  try {
    verified = await verifyRegistrationResponse({ response, expectedChallenge: taken.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false })
  } catch {
    verified = null
  }
  if (!verified?.verified) throw new PasskeyError(400, t('passkeys.errors.refused'))
  const { credential, credentialBackedUp } = verified.registrationInfo
  const organizerId = state.organizer.id
  // Made before the transaction (no I/O inside it); used only if this is the first factor.
  const codes = newRecoveryCodes()
  let added: { first: boolean; recoveryCodes: string[] | null }
  try {
    added = await transaction(db, async (tx) => {
      await serializeOn(tx, [factorLockKey(organizerId)])
      const before = await getSecondFactorStatus(tx, { organizerId })
      const first = !before.totp && before.passkeys === 0
      await addPasskey(tx, {
        organizerId,
        credentialId: credential.id,
        publicKey: isoBase64URL.fromBuffer(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports ?? response.response.transports ?? [],
        backedUp: credentialBackedUp,
        name: name.data,
      })
      // The organiser's other sessions still at 'setup' owe this factor now (ADR 019 §5).
      await owePendingSetups(tx, { organizerId, keepIdHash: state.idHash })
      if (!first) return { first, recoveryCodes: null }
      await replaceRecoveryCodes(tx, { organizerId, codes, actorId: organizerId })
      return { first, recoveryCodes: codes }
    })
  } catch (error) {
    if (!constraintViolation(error)) throw error
    throw new PasskeyError(400, t('passkeys.errors.duplicate'))
  }
  const headers = await clearCeremony(new Headers())
  // Only the set-up that added the organiser's first factor completes its sign-in with it.
  if (state.level === 'setup' && added.first) headers.append('Set-Cookie', (await raiseSession(db, request, { method: 'passkey' })).setCookie)
  return json({ ok: true, recoveryCodes: added.recoveryCodes }, { headers })
}

function defaultName(state: SessionState, t: TFunction) {
  return state.device ? t('passkeys.defaultNameOn', { device: state.device }) : t('passkeys.defaultName')
}

// ——— A passkey as the second factor after a password ———

async function secondFactorOptions(db: Handle, request: Request, t: TFunction) {
  const state = await requirePendingSession(db, request, 'password')
  const allowCredentials = await listPasskeyDescriptors(db, { organizerId: state.organizer.id })
  if (allowCredentials.length === 0) throw new PasskeyError(400, t('passkeys.errors.none'))
  const { generateAuthenticationOptions } = await webauthn()
  const options = await generateAuthenticationOptions({ rpID: relyingParty().rpID, allowCredentials, userVerification: 'preferred' })
  const { ceremonyId } = await saveChallenge(db, { ceremony: 'second_factor', challenge: options.challenge, organizerId: state.organizer.id, sessionIdHash: state.idHash })
  return withCeremonyCookie({ options }, ceremonyId)
}

async function secondFactor(db: Handle, request: Request, form: FormData, ctx: Ctx, t: TFunction) {
  const state = await requirePendingSession(db, request, 'password')
  const organizerId = state.organizer.id
  const response = parsePasskeyResponse(authenticationResponseSchema, form.get('response'))
  if (!response) throw new PasskeyError(400, t('passkeys.errors.invalid'))
  const ownBrowser = await isOrganizersOwnBrowser(db, request, { organizerId, sessionCreatedAt: state.createdAt })
  const attempt = await reserveSecondFactorAttempt(db, { organizerId, clientIp: ctx.clientIp, ownBrowser })
  if (!attempt.allowed) return tooMany(t, attempt.retryAfterMs)
  const taken = await spendChallenge(db, request, t, 'second_factor', state.idHash)
  const passkey = await findPasskey(db, { credentialId: response.id })
  const ok = taken.organizerId === organizerId && passkey?.organizerId === organizerId && (await verifyAndCount(db, passkey, response, taken.challenge, false))
  if (!ok) {
    await transaction(db, (tx) => recordAudit(tx, { organizerId, action: 'organizer.second_factor_failed', subjectType: 'organizer', subjectId: organizerId, details: { method: 'passkey' } }))
    throw new PasskeyError(400, t('passkeys.errors.refused'))
  }
  await forgiveAttempt(db, attempt.reservation)
  const { setCookie } = await raiseSession(db, request, { method: 'passkey' })
  const headers = await clearCeremony(new Headers({ 'Set-Cookie': setCookie }))
  return json({ location: safeRedirect(form.get('redirectTo')) }, { headers })
}

// ——— Signing in with a passkey alone (user verification required) ———

async function signInOptions(db: Handle, ctx: Ctx, t: TFunction) {
  await limitPasskeySignIn(db, ctx, t)
  // Discoverable: no allowCredentials, so nothing here tells who has an account.
  const { generateAuthenticationOptions } = await webauthn()
  const options = await generateAuthenticationOptions({ rpID: relyingParty().rpID, userVerification: 'required' })
  const { ceremonyId } = await saveChallenge(db, { ceremony: 'sign_in', challenge: options.challenge, organizerId: null, sessionIdHash: null })
  return withCeremonyCookie({ options }, ceremonyId)
}

async function signIn(db: Handle, request: Request, form: FormData, ctx: Ctx, t: TFunction) {
  // Not limited again here: an answer needs a challenge, and every challenge cost a hit above.
  const response = parsePasskeyResponse(authenticationResponseSchema, form.get('response'))
  if (!response) throw new PasskeyError(400, t('passkeys.errors.invalid'))
  const taken = await spendChallenge(db, request, t, 'sign_in', null)
  const passkey = await findPasskey(db, { credentialId: response.id })
  if (!passkey) throw new PasskeyError(400, t('passkeys.errors.refused'))
  // A discoverable credential names its user (always, in a sign-in without a password): it must be the one the passkey was registered for.
  const sameUser = response.response.userHandle !== undefined && response.response.userHandle === passkey.userHandle
  const ok = !passkey.disabled && sameUser && (await verifyAndCount(db, passkey, response, taken.challenge, true))
  if (!ok) {
    await transaction(db, (tx) => recordAudit(tx, { organizerId: null, action: 'organizer.passkey_sign_in_failed', subjectType: 'organizer', subjectId: passkey.organizerId }))
    throw new PasskeyError(400, t('passkeys.errors.refused'))
  }
  const { headers, location } = await startSession(db, {
    organizerId: passkey.organizerId,
    request,
    lang: ctx.lang,
    redirectTo: safeRedirect(form.get('redirectTo')),
    passkey: true,
  })
  await clearCeremony(headers)
  return json({ location }, { headers })
}

/** passkey:ip counts challenges asked for: 30 passwordless sign-ins per address in 15 minutes, an office behind one router included. */
async function limitPasskeySignIn(db: Handle, ctx: Ctx, t: TFunction) {
  try {
    await consumeRateLimits(db, [{ policy: PASSKEY_SIGN_IN_PER_IP, value: ctx.clientIp }])
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error
    throw new PasskeyError(429, t('passkeys.errors.tooMany', { count: Math.ceil(error.retryAfterMs / 60_000) }), { 'Retry-After': String(Math.ceil(error.retryAfterMs / 1000)) })
  }
}

/**
 * The signature, origin, rpID, challenge and counter, then the counter's compare-and-set: the
 * library refuses a counter that did not grow (when either is above 0), and the update refuses
 * a second answer that raced this one with the same counter.
 */
async function verifyAndCount(
  db: Handle,
  passkey: NonNullable<Awaited<ReturnType<typeof findPasskey>>>,
  response: Parameters<typeof verifyAuthenticationResponse>[0]['response'],
  challenge: string,
  requireUserVerification: boolean,
): Promise<boolean> {
  const { rpID, origin } = relyingParty()
  const { verifyAuthenticationResponse, isoBase64URL } = await webauthn()
  let verified: VerifiedAuthenticationResponse
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification,
      credential: { id: passkey.credentialId, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: passkey.counter, transports: passkey.transports ?? [] },
    })
  } catch {
    return false
  }
  if (!verified.verified) return false
  return recordPasskeyUse(db, { id: passkey.id, oldCounter: passkey.counter, newCounter: verified.authenticationInfo.newCounter })
}
