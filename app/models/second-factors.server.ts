import { and, count, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import {
  campaignMemberships,
  instanceSettings,
  organizerPasskeys,
  organizerRecoveryCodes,
  organizers,
  organizerTotp,
  webauthnChallenges,
  type SecondFactorPolicy,
} from '#db/schema.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { recordAudit } from './audit.server.ts'
import { DEMO_ORGANIZER } from '~/utils/demo-identity.ts'
import { secondFactorRequired } from '~/utils/second-factor.ts'
import { endSessionsOf } from './sessions.server.ts'

/** What an organiser can present as a second factor: a confirmed app, passkeys, unused recovery codes. */
export async function getSecondFactorStatus(db: Handle, { organizerId }: { organizerId: number }): Promise<{ totp: boolean; passkeys: number; recoveryCodesLeft: number }> {
  const totp = await firstRow(db
    .select({ organizerId: organizerTotp.organizerId })
    .from(organizerTotp)
    .where(and(eq(organizerTotp.organizerId, organizerId), isNotNull(organizerTotp.confirmedAt))))
  const passkeys = await firstRow(db.select({ n: count() }).from(organizerPasskeys).where(eq(organizerPasskeys.organizerId, organizerId)))
  const codes = await firstRow(db
    .select({ n: count() })
    .from(organizerRecoveryCodes)
    .where(and(eq(organizerRecoveryCodes.organizerId, organizerId), isNull(organizerRecoveryCodes.usedAt))))
  return { totp: totp !== undefined, passkeys: Number(passkeys?.n ?? 0), recoveryCodesLeft: Number(codes?.n ?? 0) }
}

/** Whether the organiser is `manager` on any campaign (the 'owners_managers' policy covers them). */
export async function managesACampaign(db: Handle, { organizerId }: { organizerId: number }): Promise<boolean> {
  const row = await firstRow(db
    .select({ id: campaignMemberships.campaignId })
    .from(campaignMemberships)
    .where(and(eq(campaignMemberships.organizerId, organizerId), eq(campaignMemberships.role, 'manager')))
    .limit(1))
  return row !== undefined
}

/** The instance's policy, read afresh (not the 1 s site-settings cache): sign-ins must see a change at once, in every process. */
export async function getSecondFactorPolicy(db: Handle): Promise<SecondFactorPolicy> {
  const row = await firstRow(db.select({ policy: instanceSettings.secondFactorPolicy }).from(instanceSettings).where(eq(instanceSettings.id, 1)))
  // A new instance may have no settings row yet: the column's default applies.
  return row?.policy ?? 'owners'
}

/**
 * The lock every change to an organiser's factors takes (Postgres; SQLite has one writer):
 * two removals at once (the app and the last passkey) must not both see "another is left".
 */
export function factorLockKey(organizerId: number) {
  return `organizer-factors:${organizerId}`
}

export type FactorsReset = { totp: boolean; passkeys: number; recoveryCodes: number; sessions: number }

/**
 * Recovery (ADR 019 §15): an owner on the organisers page or the operator with
 * `npm run organizer:reset-2fa` removes an organiser's authenticator app (a set-up in progress
 * too), passkeys, recovery codes and WebAuthn challenges, and ends every session, in one
 * transaction, audited as organizer.factors_reset { by, … counts } (actor null for the
 * operator). At the next sign-in the policy leads them through set-up again. `recoveryCodes`
 * counts the unused ones. Null when there is no such organiser.
 */
export async function resetSecondFactors(db: Handle, { organizerId, actorId, by }: { organizerId: number; actorId: number | null; by: 'owner' | 'operator' }): Promise<FactorsReset | null> {
  return transaction(db, async (tx) => {
    if (!(await firstRow(tx.select({ id: organizers.id }).from(organizers).where(eq(organizers.id, organizerId))))) return null
    const confirmed = await firstRow(tx
      .select({ organizerId: organizerTotp.organizerId })
      .from(organizerTotp)
      .where(and(eq(organizerTotp.organizerId, organizerId), isNotNull(organizerTotp.confirmedAt))))
    const unused = await firstRow(tx
      .select({ n: count() })
      .from(organizerRecoveryCodes)
      .where(and(eq(organizerRecoveryCodes.organizerId, organizerId), isNull(organizerRecoveryCodes.usedAt))))
    await execute(tx.delete(organizerTotp).where(eq(organizerTotp.organizerId, organizerId)))
    await execute(tx.delete(organizerRecoveryCodes).where(eq(organizerRecoveryCodes.organizerId, organizerId)))
    const passkeys = await execute(tx.delete(organizerPasskeys).where(eq(organizerPasskeys.organizerId, organizerId)))
    await execute(tx.delete(webauthnChallenges).where(eq(webauthnChallenges.organizerId, organizerId)))
    const sessions = await endSessionsOf(tx, { organizerId })
    const reset: FactorsReset = { totp: confirmed !== undefined, passkeys: passkeys.changes, recoveryCodes: Number(unused?.n ?? 0), sessions }
    await recordAudit(tx, { organizerId: actorId, action: 'organizer.factors_reset', subjectType: 'organizer', subjectId: organizerId, details: { by, ...reset } })
    return reset
  })
}

/** Whether the instance's policy requires this organiser to keep a second factor. */
export async function factorRequiredFor(db: Handle, { organizerId }: { organizerId: number }): Promise<boolean> {
  const organizer = await firstRow(db.select({ role: organizers.role, email: organizers.email }).from(organizers).where(eq(organizers.id, organizerId)))
  if (!organizer) return false
  const policy = await getSecondFactorPolicy(db)
  return secondFactorRequired({
    policy,
    role: organizer.role,
    managesACampaign: policy === 'owners_managers' ? await managesACampaign(db, { organizerId }) : false,
    isDemo: organizer.email === DEMO_ORGANIZER.email,
  })
}
