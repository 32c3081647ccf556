import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { organizerPasskeys, organizers, type OrganizerPasskey } from '#db/schema.ts'
import { serializeOn } from '#db/locks.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { randomToken } from '~/utils/crypto.server.ts'
import { recordAudit } from './audit.server.ts'
import { factorLockKey, factorRequiredFor, getSecondFactorStatus } from './second-factors.server.ts'

export async function listPasskeys(db: Handle, { organizerId }: { organizerId: number }): Promise<{ id: number; name: string; createdAt: number; lastUsedAt: number | null; backedUp: boolean }[]> {
  return allRows(db
    .select({
      id: organizerPasskeys.id,
      name: organizerPasskeys.name,
      createdAt: organizerPasskeys.createdAt,
      lastUsedAt: organizerPasskeys.lastUsedAt,
      backedUp: organizerPasskeys.backedUp,
    })
    .from(organizerPasskeys)
    .where(eq(organizerPasskeys.organizerId, organizerId))
    .orderBy(asc(organizerPasskeys.createdAt), asc(organizerPasskeys.id)))
}

/** What the authenticator and the browser may be told to leave out or offer: ids and transports only. */
export async function listPasskeyDescriptors(db: Handle, { organizerId }: { organizerId: number }): Promise<{ id: string; transports: string[] }[]> {
  const rows = await allRows(db
    .select({ id: organizerPasskeys.credentialId, transports: organizerPasskeys.transports })
    .from(organizerPasskeys)
    .where(eq(organizerPasskeys.organizerId, organizerId)))
  return rows.map((r) => ({ id: r.id, transports: r.transports ?? [] }))
}

/** The passkey with this credential id (base64url), whether its organiser is disabled, and their WebAuthn user handle. */
export async function findPasskey(db: Handle, { credentialId }: { credentialId: string }): Promise<(OrganizerPasskey & { disabled: boolean; userHandle: string | null }) | null> {
  const row = await firstRow(db
    .select({ passkey: organizerPasskeys, disabledAt: organizers.disabledAt, userHandle: organizers.webauthnUserId })
    .from(organizerPasskeys)
    .innerJoin(organizers, eq(organizers.id, organizerPasskeys.organizerId))
    .where(eq(organizerPasskeys.credentialId, credentialId)))
  return row ? { ...row.passkey, disabled: row.disabledAt !== null, userHandle: row.userHandle } : null
}

/**
 * The organiser's WebAuthn user handle: random, the same for all their passkeys, never their id
 * or email (an authenticator may show it to anyone holding it). Made at the first registration.
 */
export async function ensureWebauthnUserId(db: Handle, { organizerId }: { organizerId: number }): Promise<string> {
  // A conditional write: two first registrations at once agree on one handle.
  await execute(db.update(organizers).set({ webauthnUserId: randomToken(32) }).where(and(eq(organizers.id, organizerId), isNull(organizers.webauthnUserId))))
  const row = await firstRow(db.select({ userId: organizers.webauthnUserId }).from(organizers).where(eq(organizers.id, organizerId)))
  if (!row?.userId) throw new Error('organiser not found')
  return row.userId
}

/** A verified registration; audited as organizer.passkey_add. The credential id is unique: the same authenticator twice fails here. */
export async function addPasskey(tx: Tx, input: {
  organizerId: number
  credentialId: string
  publicKey: string
  counter: number
  transports: string[]
  backedUp: boolean
  name: string
}): Promise<number> {
  await serializeOn(tx, [factorLockKey(input.organizerId)])
  const row = await firstRow(tx.insert(organizerPasskeys).values(input).returning({ id: organizerPasskeys.id }))
  await recordAudit(tx, {
    organizerId: input.organizerId,
    action: 'organizer.passkey_add',
    subjectType: 'organizer',
    subjectId: input.organizerId,
    details: { passkeyId: row.id },
  })
  return row.id
}

/**
 * A passkey was used: the counter moves from `oldCounter` to `newCounter` only if nobody moved it
 * meanwhile. False means another sign-in with the same counter got there first: a replay or a
 * cloned authenticator, refused.
 */
export async function recordPasskeyUse(db: Handle, { id, oldCounter, newCounter, now = Date.now() }: { id: number; oldCounter: number; newCounter: number; now?: number }): Promise<boolean> {
  const { changes } = await execute(db
    .update(organizerPasskeys)
    .set({ counter: newCounter, lastUsedAt: now })
    .where(and(eq(organizerPasskeys.id, id), eq(organizerPasskeys.counter, oldCounter))))
  return changes === 1
}

export async function renamePasskey(db: Handle, { organizerId, id, name }: { organizerId: number; id: number; name: string }): Promise<boolean> {
  return transaction(db, async (tx) => {
    const { changes } = await execute(tx
      .update(organizerPasskeys)
      .set({ name })
      .where(and(eq(organizerPasskeys.id, id), eq(organizerPasskeys.organizerId, organizerId))))
    if (changes !== 1) return false
    await recordAudit(tx, { organizerId, action: 'organizer.passkey_rename', subjectType: 'organizer', subjectId: organizerId, details: { passkeyId: id } })
    return true
  })
}

/**
 * Removes one of the organiser's passkeys (audited as organizer.passkey_remove), unless it is
 * their last factor (no app, no other passkey) and the policy requires one: then nothing changes.
 */
export async function removePasskey(db: Handle, { organizerId, id, actorId }: { organizerId: number; id: number; actorId: number }): Promise<'removed' | 'last-factor' | 'not-found'> {
  return transaction(db, async (tx) => {
    // Two removals at once (this passkey and the app, or two passkeys) must not both see "another is left".
    await serializeOn(tx, [factorLockKey(organizerId)])
    const mine = await firstRow(tx
      .select({ id: organizerPasskeys.id })
      .from(organizerPasskeys)
      .where(and(eq(organizerPasskeys.id, id), eq(organizerPasskeys.organizerId, organizerId))))
    if (!mine) return 'not-found'
    const status = await getSecondFactorStatus(tx, { organizerId })
    const othersLeft = (status.totp ? 1 : 0) + status.passkeys - 1
    if (othersLeft === 0 && (await factorRequiredFor(tx, { organizerId }))) return 'last-factor'
    await execute(tx.delete(organizerPasskeys).where(eq(organizerPasskeys.id, id)))
    await recordAudit(tx, { organizerId: actorId, action: 'organizer.passkey_remove', subjectType: 'organizer', subjectId: organizerId, details: { passkeyId: id } })
    return 'removed'
  })
}
