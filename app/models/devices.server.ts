import { and, eq, gt, like, lt, ne } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { emailMessages, organizations, organizerDevices, organizers, type Locale } from '#db/schema.ts'
import { serializeOn } from '#db/locks.server.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { recordAudit } from './audit.server.ts'
import { queueEmail } from './outbox.server.ts'

/** As long as the vigil_device cookie lives: a browser not seen for this long is forgotten. */
export const DEVICE_TTL_MS = 400 * 24 * 60 * 60_000
export const NEW_DEVICE_EMAIL_GAP_MS = 10 * 60_000

export type NotedDevice = 'known' | 'first' | 'new'

/**
 * Notes that an organiser passed a sign-in check from this browser (the SHA-256 of its
 * vigil_device cookie). A browser never seen before, when the organiser has signed in from
 * another before, queues the new-device email (once: its idempotency key names the device) and
 * is audited as organizer.new_device. The very first browser queues nothing: there is nothing
 * to compare it with (the first sign-in ever, or the first after the upgrade).
 */
export async function noteDevice(db: Handle, {
  organizerId,
  deviceHash,
  device,
  locale,
  now = Date.now(),
}: {
  organizerId: number
  deviceHash: string
  /** "Firefox on Linux" (describeUserAgent), for the email; never the header, never an address. */
  device: string
  locale: Locale
  now?: number
}): Promise<NotedDevice> {
  return transaction(db, async (tx) => {
    // Two sign-ins at once from two new browsers must not both count as the first (Postgres).
    await serializeOn(tx, [`organizer-devices:${organizerId}`])
    await execute(tx.delete(organizerDevices).where(and(eq(organizerDevices.organizerId, organizerId), lt(organizerDevices.lastSeenAt, now - DEVICE_TTL_MS))))
    const inserted = await execute(tx
      .insert(organizerDevices)
      .values({ organizerId, deviceHash, createdAt: now, lastSeenAt: now })
      .onConflictDoNothing())
    if (inserted.changes === 0) {
      await execute(tx
        .update(organizerDevices)
        .set({ lastSeenAt: now })
        .where(and(eq(organizerDevices.organizerId, organizerId), eq(organizerDevices.deviceHash, deviceHash))))
      return 'known'
    }
    const other = await firstRow(tx
      .select({ deviceHash: organizerDevices.deviceHash })
      .from(organizerDevices)
      .where(and(eq(organizerDevices.organizerId, organizerId), ne(organizerDevices.deviceHash, deviceHash)))
      .limit(1))
    if (!other) return 'first'
    const organizer = await firstRow(tx
      .select({ name: organizers.name, email: organizers.email, organizationName: organizations.name })
      .from(organizers)
      .innerJoin(organizations, eq(organizations.id, organizers.organizationId))
      .where(eq(organizers.id, organizerId)))
    if (!organizer) return 'known'
    // At most one such email per organiser in NEW_DEVICE_EMAIL_GAP_MS: a thief signing in again and
    // again (no cookies) cannot bury the first alert or spend the sending quota. Each is audited.
    const recent = await firstRow(tx
      .select({ id: emailMessages.id })
      .from(emailMessages)
      .where(and(gt(emailMessages.createdAt, now - NEW_DEVICE_EMAIL_GAP_MS), like(emailMessages.idempotencyKey, `organizer:${organizerId}:device:%`)))
      .limit(1))
    await recordAudit(tx, { organizerId, action: 'organizer.new_device', subjectType: 'organizer', subjectId: organizerId, details: { device } })
    if (recent) return 'new'
    await queueEmail(tx, {
      template: 'organizer-new-device',
      to: organizer.email,
      locale,
      idempotencyKey: `organizer:${organizerId}:device:${deviceHash.slice(0, 32)}`,
      props: { name: organizer.name, device, at: now, organizationName: organizer.organizationName },
    })
    return 'new'
  })
}

/** Whether the organiser had used this browser before `before` (an earlier sign-in noted it). */
export async function deviceKnownBefore(db: Handle, { organizerId, deviceHash, before }: { organizerId: number; deviceHash: string; before: number }) {
  const row = await firstRow(db
    .select({ createdAt: organizerDevices.createdAt })
    .from(organizerDevices)
    .where(and(eq(organizerDevices.organizerId, organizerId), eq(organizerDevices.deviceHash, deviceHash), lt(organizerDevices.createdAt, before))))
  return row !== undefined
}
