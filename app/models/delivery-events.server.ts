import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { emailMessages, resendEvents, suppressedAddresses } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { emailHashes, suppressionRowsUnderEveryKey } from './personal-data.server.ts'

/**
 * What the mail provider tells us about the emails we sent (Resend's webhook). Each event is
 * recorded once, by its Svix message id, in the transaction that applies it: the message's
 * delivery status only moves up (delivered < bounced < complained), and a hard bounce or a
 * complaint suppresses the address: a row of `suppressed_addresses` keyed by the address's keyed
 * hash, the address itself sealed beside it (ADR 017).
 */

export type DeliveryEventType = 'delivered' | 'bounced' | 'complained'

const RANK: Record<DeliveryEventType, number> = { delivered: 1, bounced: 2, complained: 3 }

/** The bare address of `Name <a@b>` or `a@b`. */
function addressOf(recipient: string) {
  const angle = /<([^>]+)>\s*$/.exec(recipient)
  return (angle ? angle[1]! : recipient).trim()
}

/**
 * Apply one delivery event, once. `bounceType` is Resend's `data.bounce.type`: only
 * 'Permanent' bounces suppress the address (Transient ones, a full mailbox, may well succeed
 * next time; Undetermined ones are recorded but not acted on). Complaints always suppress.
 * Returns 'duplicate' when the event id was seen before (nothing changes).
 */
export async function recordDeliveryEvent(
  db: Handle,
  {
    eventId,
    type,
    providerId,
    emails,
    at,
    bounceType = null,
  }: {
    eventId: string
    type: DeliveryEventType
    providerId: string
    /** The recipients the event is about (`data.to`). */
    emails: string[]
    at: number
    bounceType?: string | null
  },
): Promise<'recorded' | 'duplicate'> {
  return transaction(db, async (tx) => {
    const fresh = (await execute(tx.insert(resendEvents).values({ id: eventId, type: `email.${type}` }).onConflictDoNothing())).changes
    if (!fresh) return 'duplicate'
    // Events can arrive in any order: a late 'delivered' never hides a bounce or complaint.
    const rank = sql`case ${emailMessages.deliveryStatus} when 'complained' then 3 when 'bounced' then 2 when 'delivered' then 1 else 0 end`
    await execute(tx.update(emailMessages)
      .set({ deliveryStatus: type, deliveryAt: at })
      .where(and(eq(emailMessages.providerId, providerId), sql`${rank} < ${RANK[type]}`)))
    const reason = type === 'complained' ? 'complaint' : type === 'bounced' && bounceType === 'Permanent' ? 'bounce' : null
    if (reason) {
      for (const email of new Set(emails.map((e) => normalizeEmail(addressOf(e))).filter((e) => e.includes('@')))) {
        // Already suppressed under any loaded key (a rotation under way re-hashes it): nothing to add.
        if (await firstRow(tx.select({ one: sql<number>`1` }).from(suppressedAddresses).where(inArray(suppressedAddresses.emailHash, emailHashes(email))))) continue
        // Under every loaded key's hash: mid-rotation, the supporter may still be hashed under an older key.
        for (const row of suppressionRowsUnderEveryKey(email)) await execute(tx.insert(suppressedAddresses).values({ ...row, reason }).onConflictDoNothing())
      }
    }
    return 'recorded'
  })
}
