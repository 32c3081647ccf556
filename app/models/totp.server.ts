/**
 * The authenticator app of an organiser (ADR 019 §7): one row per organiser in organizer_totp,
 * the secret sealed under the data key (ADR 017). A row without confirmed_at is a set-up in
 * progress; confirming it needs a code the app made. `last_time_step` is the replay guard: a
 * code is accepted only by a conditional update that moves it forward, so the same code (or
 * an older one) cannot pass twice, even by two requests at once, on either engine.
 *
 * otplib runs outside every transaction: verify first, then write with a compare-and-set.
 */
import { and, eq, isNull, lt, or } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { organizerRecoveryCodes, organizerTotp, type SecondFactorMethod } from '#db/schema.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { serializeOn } from '#db/locks.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { dataCrypto } from '~/utils/data-crypto.server.ts'
import { checkTotp, newTotpSecret } from '~/utils/totp.server.ts'
import { recordAudit } from './audit.server.ts'
import { newRecoveryCodes, replaceRecoveryCodes } from './recovery-codes.server.ts'
import { factorLockKey, factorRequiredFor, getSecondFactorStatus } from './second-factors.server.ts'
import { owePendingSetups } from './sessions.server.ts'

/** The envelope is bound to its organiser: moved to another row, it does not open. */
export function totpPurpose(organizerId: number) {
  return { table: 'organizer_totp', column: 'sealed', row: organizerId }
}

/**
 * A set-up in progress is bound to the session that started it as well: another session of
 * the same organiser (someone else who has the password) can neither see its secret nor
 * confirm it. Confirming seals the secret again under totpPurpose.
 */
function pendingPurpose(organizerId: number, sessionIdHash: string) {
  return { table: 'organizer_totp', column: 'sealed', row: `${organizerId}:set-up:${sessionIdHash}` }
}

function sealSecret(secret: string, purpose: ReturnType<typeof totpPurpose> | ReturnType<typeof pendingPurpose>) {
  const crypto = dataCrypto()
  return { sealed: crypto.seal(secret, purpose), dataKeyId: crypto.keyIds[0]! }
}

/**
 * A new secret, sealed for this session, replacing a set-up in progress (this session's or
 * another's); refused when the organiser has a confirmed app already (remove it first).
 */
export async function startTotpSetup(db: Handle, { organizerId, sessionIdHash }: { organizerId: number; sessionIdHash: string }): Promise<{ secret: string } | { alreadyConfirmed: true }> {
  const secret = newTotpSecret()
  const sealed = sealSecret(secret, pendingPurpose(organizerId, sessionIdHash))
  const { changes } = await execute(db
    .insert(organizerTotp)
    .values({ organizerId, ...sealed })
    .onConflictDoUpdate({
      target: organizerTotp.organizerId,
      set: { ...sealed, lastTimeStep: null, createdAt: Date.now() },
      setWhere: isNull(organizerTotp.confirmedAt),
    }))
  return changes === 1 ? { secret } : { alreadyConfirmed: true }
}

/** This session's set-up in progress: its sealed secret and the secret; null for none, or another session's. */
async function pendingSetup(db: Handle, organizerId: number, sessionIdHash: string) {
  const row = await firstRow(db
    .select({ sealed: organizerTotp.sealed })
    .from(organizerTotp)
    .where(and(eq(organizerTotp.organizerId, organizerId), isNull(organizerTotp.confirmedAt))))
  if (!row) return null
  try {
    return { sealed: row.sealed, secret: dataCrypto().open(row.sealed, pendingPurpose(organizerId, sessionIdHash)) }
  } catch {
    // Started by another session (or under a key no longer loaded): not this session's to see.
    return null
  }
}

/** The secret of this session's set-up in progress (to show as a QR code and a key), or null. */
export async function getPendingTotpSecret(db: Handle, { organizerId, sessionIdHash }: { organizerId: number; sessionIdHash: string }): Promise<string | null> {
  return (await pendingSetup(db, organizerId, sessionIdHash))?.secret ?? null
}

/**
 * Confirms this session's set-up with a code from the app: audited as organizer.totp_add. New
 * recovery codes come with it when the app is the organiser's first factor (or none are left);
 * they are returned to be shown once, and only their hashes are kept. The organiser's other
 * sessions still at 'setup' now owe this factor (ADR 019 §5): someone else with the password
 * cannot finish their own set-up on the back of this one.
 */
export async function confirmTotpSetup(db: Handle, { organizerId, sessionIdHash, code, actorId, now = Date.now() }: { organizerId: number; sessionIdHash: string; code: string; actorId: number; now?: number }): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false }> {
  const pending = await pendingSetup(db, organizerId, sessionIdHash)
  if (!pending) return { ok: false }
  const checked = await checkTotp({ secret: pending.secret, code, now })
  if (!checked) return { ok: false }
  const confirmedSeal = sealSecret(pending.secret, totpPurpose(organizerId))
  return transaction(db, async (tx) => {
    await serializeOn(tx, [factorLockKey(organizerId)])
    // Only the set-up that was checked: a new one started meanwhile has another secret.
    const { changes } = await execute(tx
      .update(organizerTotp)
      .set({ ...confirmedSeal, confirmedAt: now, lastTimeStep: checked.step })
      .where(and(eq(organizerTotp.organizerId, organizerId), isNull(organizerTotp.confirmedAt), eq(organizerTotp.sealed, pending.sealed))))
    if (changes !== 1) return { ok: false as const }
    await recordAudit(tx, { organizerId: actorId, action: 'organizer.totp_add', subjectType: 'organizer', subjectId: organizerId })
    await owePendingSetups(tx, { organizerId, keepIdHash: sessionIdHash })
    const status = await getSecondFactorStatus(tx, { organizerId })
    let recoveryCodes: string[] = []
    if (status.passkeys === 0 || status.recoveryCodesLeft === 0) {
      recoveryCodes = newRecoveryCodes()
      await replaceRecoveryCodes(tx, { organizerId, codes: recoveryCodes, actorId })
    }
    return { ok: true as const, recoveryCodes }
  })
}

/**
 * A code at sign-in: 'ok' moves the last accepted step forward (one request wins a race);
 * 'replayed' is a right code for a step already used; anything else is 'wrong'.
 */
export async function verifyTotpCode(db: Handle, { organizerId, code, now = Date.now() }: { organizerId: number; code: string; now?: number }): Promise<'ok' | 'wrong' | 'replayed'> {
  const row = await firstRow(db
    .select({ sealed: organizerTotp.sealed, lastTimeStep: organizerTotp.lastTimeStep, confirmedAt: organizerTotp.confirmedAt })
    .from(organizerTotp)
    .where(eq(organizerTotp.organizerId, organizerId)))
  if (!row || row.confirmedAt === null) return 'wrong'
  const secret = dataCrypto().open(row.sealed, totpPurpose(organizerId))
  const checked = await checkTotp({ secret, code, now })
  if (!checked) return 'wrong'
  if (row.lastTimeStep !== null && checked.step <= row.lastTimeStep) return 'replayed'
  const { changes } = await execute(db
    .update(organizerTotp)
    .set({ lastTimeStep: checked.step })
    .where(and(
      eq(organizerTotp.organizerId, organizerId),
      or(isNull(organizerTotp.lastTimeStep), lt(organizerTotp.lastTimeStep, checked.step)),
    )))
  return changes === 1 ? 'ok' : 'replayed'
}

/**
 * Removes the app (or a set-up in progress), audited as organizer.totp_remove; refused when it
 * is the last factor and the policy requires one. With no factor left, the recovery codes go too.
 */
export async function removeTotp(db: Handle, { organizerId, actorId }: { organizerId: number; actorId: number }): Promise<'removed' | 'last-factor'> {
  return transaction(db, async (tx) => {
    // As removePasskey: removing the app and the last passkey at once must not both see "another is left".
    await serializeOn(tx, [factorLockKey(organizerId)])
    const required = await factorRequiredFor(tx, { organizerId })
    const status = await getSecondFactorStatus(tx, { organizerId })
    if (status.totp && status.passkeys === 0 && required) return 'last-factor'
    const { changes } = await execute(tx.delete(organizerTotp).where(eq(organizerTotp.organizerId, organizerId)))
    if (status.passkeys === 0) await execute(tx.delete(organizerRecoveryCodes).where(eq(organizerRecoveryCodes.organizerId, organizerId)))
    if (changes > 0 && status.totp) {
      await recordAudit(tx, { organizerId: actorId, action: 'organizer.totp_remove', subjectType: 'organizer', subjectId: organizerId })
    }
    return 'removed'
  })
}

/** New recovery codes (the old ones stop working), shown once; null when the organiser has no factor to recover. */
export async function regenerateRecoveryCodes(db: Handle, { organizerId, actorId }: { organizerId: number; actorId: number }): Promise<string[] | null> {
  return transaction(db, async (tx) => {
    const status = await getSecondFactorStatus(tx, { organizerId })
    if (!status.totp && status.passkeys === 0) return null
    const codes = newRecoveryCodes()
    await replaceRecoveryCodes(tx, { organizerId, codes, actorId })
    return codes
  })
}

/** A code, recovery code or passkey that did not pass: audited, never with what was typed. */
export async function recordSecondFactorFailure(db: Handle, { organizerId, method }: { organizerId: number; method: SecondFactorMethod }) {
  await transaction(db, (tx) =>
    recordAudit(tx, { organizerId, action: 'organizer.second_factor_failed', subjectType: 'organizer', subjectId: organizerId, details: { method } }))
}
