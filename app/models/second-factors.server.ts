import { and, count, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import {
  campaignMemberships,
  instanceSettings,
  organizerPasskeys,
  organizerRecoveryCodes,
  organizerTotp,
  type SecondFactorPolicy,
} from '#db/schema.ts'
import { firstRow } from '#db/query.server.ts'

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
