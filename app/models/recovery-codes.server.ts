import { and, count, eq, isNull } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { organizerRecoveryCodes } from '#db/schema.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { randomBytes, sha256 } from '~/utils/crypto.server.ts'
import { recordAudit } from './audit.server.ts'

export const RECOVERY_CODE_COUNT = 10
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567' // RFC 4648 base32, lower case

/** Ten codes of 80 random bits, as 'xxxx-xxxx-xxxx-xxxx' (16 base32 characters). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10)
    let bits = 0n
    for (const b of bytes) bits = (bits << 8n) | BigInt(b)
    let chars = ''
    for (let i = 15; i >= 0; i--) chars += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)]
    return chars.match(/.{4}/g)!.join('-')
  })
}

/** As typed: any case, with or without spaces and dashes. */
export function normaliseRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]+/g, '')
}

function codeHash(code: string) {
  return sha256(normaliseRecoveryCode(code))
}

/** Replaces every code of the organiser (used or not) with `codes`; audits organizer.recovery_codes. */
export async function replaceRecoveryCodes(tx: Tx, { organizerId, codes, actorId }: { organizerId: number; codes: string[]; actorId: number | null }): Promise<void> {
  await execute(tx.delete(organizerRecoveryCodes).where(eq(organizerRecoveryCodes.organizerId, organizerId)))
  await execute(tx.insert(organizerRecoveryCodes).values(codes.map((code) => ({ organizerId, codeHash: codeHash(code) }))))
  await recordAudit(tx, {
    organizerId: actorId,
    action: 'organizer.recovery_codes',
    subjectType: 'organizer',
    subjectId: organizerId,
    details: { count: codes.length },
  })
}

/** Spends one code: a conditional update, so two requests with the same code cannot both pass. */
export async function useRecoveryCode(db: Handle, { organizerId, code, now = Date.now() }: { organizerId: number; code: string; now?: number }): Promise<{ ok: boolean; left: number }> {
  const normalised = normaliseRecoveryCode(code)
  let ok = false
  if (/^[a-z2-7]{16}$/.test(normalised)) {
    const spent = await execute(db
      .update(organizerRecoveryCodes)
      .set({ usedAt: now })
      .where(and(
        eq(organizerRecoveryCodes.organizerId, organizerId),
        eq(organizerRecoveryCodes.codeHash, sha256(normalised)),
        isNull(organizerRecoveryCodes.usedAt),
      )))
    ok = spent.changes === 1
  }
  const left = await firstRow(db
    .select({ n: count() })
    .from(organizerRecoveryCodes)
    .where(and(eq(organizerRecoveryCodes.organizerId, organizerId), isNull(organizerRecoveryCodes.usedAt))))
  return { ok, left: Number(left?.n ?? 0) }
}
