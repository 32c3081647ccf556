import { and, eq, gt, lt } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { webauthnChallenges, type WebauthnCeremony } from '#db/schema.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'

/** A ceremony has five minutes, as long as the vigil_webauthn cookie that names it lives. */
export const CHALLENGE_TTL_MS = 5 * 60_000

/**
 * Keeps a challenge for one ceremony. The browser gets only `ceremonyId` (in the signed
 * vigil_webauthn cookie); the row is found by its SHA-256. For 'register' and 'second_factor'
 * the session that asked is written with it, so the answer counts only in that session.
 */
export async function saveChallenge(db: Handle, c: {
  ceremony: WebauthnCeremony
  challenge: string
  organizerId: number | null
  sessionIdHash: string | null
}, now = Date.now()): Promise<{ ceremonyId: string }> {
  const ceremonyId = randomToken()
  // Expired ones go on the way (the index on expires_at keeps this cheap).
  await execute(db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now)))
  await execute(db.insert(webauthnChallenges).values({
    idHash: sha256(ceremonyId),
    ceremony: c.ceremony,
    challenge: c.challenge,
    organizerId: c.organizerId,
    sessionIdHash: c.sessionIdHash,
    expiresAt: now + CHALLENGE_TTL_MS,
    createdAt: now,
  }))
  return { ceremonyId }
}

/**
 * Spends the challenge: one DELETE … RETURNING, so two answers posted at once cannot both get
 * it. Null when it is unknown, expired, for another ceremony or asked by another session; a
 * challenge presented with the wrong session is spent all the same (it was seen elsewhere).
 */
export async function takeChallenge(db: Handle, { ceremonyId, ceremony, sessionIdHash }: {
  ceremonyId: string
  ceremony: WebauthnCeremony
  sessionIdHash: string | null
}, now = Date.now()): Promise<{ challenge: string; organizerId: number | null } | null> {
  const row = await firstRow(db
    .delete(webauthnChallenges)
    .where(and(eq(webauthnChallenges.idHash, sha256(ceremonyId)), gt(webauthnChallenges.expiresAt, now)))
    .returning())
  if (!row || row.ceremony !== ceremony || row.sessionIdHash !== sessionIdHash) return null
  return { challenge: row.challenge, organizerId: row.organizerId }
}
