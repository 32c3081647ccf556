import { and, desc, eq, gt, isNull, lt, ne } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { organizers, sessions, type SecondFactorMethod, type SessionLevel } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'
import { recordAudit } from './audit.server.ts'
import { SESSION_TTL_MS, type SessionOrganizer } from './organizers.server.ts'

/** last_seen_at is written at most this often, so a page view is not a write. */
export const SESSION_TOUCH_MS = 10 * 60_000

export type FoundSession = {
  organizer: SessionOrganizer
  idHash: string
  level: SessionLevel
  secondFactor: SecondFactorMethod | null
  device: string
  createdAt: number
  lastSeenAt: number
}

/**
 * A new session row (expired rows are purged on the way) and its `organizer.login` audit entry,
 * whose details say the level it starts at and what was checked: the password or a passkey.
 */
export async function createSession(db: Handle, {
  organizerId,
  level,
  secondFactor,
  device,
  method = 'password',
  now = Date.now(),
}: {
  organizerId: number
  level: SessionLevel
  secondFactor: SecondFactorMethod | null
  device: string
  method?: 'password' | 'passkey'
  now?: number
}) {
  const token = randomToken()
  const idHash = sha256(token)
  await transaction(db, async (tx) => {
    await execute(tx.delete(sessions).where(lt(sessions.expiresAt, now)))
    await execute(tx.insert(sessions).values({ idHash, organizerId, expiresAt: now + SESSION_TTL_MS, createdAt: now, level, secondFactor, device, lastSeenAt: now }))
    await recordAudit(tx, { organizerId, action: 'organizer.login', subjectType: 'organizer', subjectId: organizerId, details: { level, method } })
  })
  return { token, idHash, expiresAt: now + SESSION_TTL_MS }
}

/** The live session a cookie's token names (not expired, organiser not disabled), any level. */
export async function findSession(db: Handle, { token, now = Date.now() }: { token: string; now?: number }): Promise<FoundSession | null> {
  const row = await firstRow(db
    .select({
      id: organizers.id,
      name: organizers.name,
      email: organizers.email,
      role: organizers.role,
      organizationId: organizers.organizationId,
      idHash: sessions.idHash,
      level: sessions.level,
      secondFactor: sessions.secondFactor,
      device: sessions.device,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(organizers, eq(organizers.id, sessions.organizerId))
    .where(and(eq(sessions.idHash, sha256(token)), gt(sessions.expiresAt, now), isNull(organizers.disabledAt))))
  if (!row) return null
  const { id, name, email, role, organizationId, ...session } = row
  return { organizer: { id, name, email, role, organizationId }, ...session }
}

/** Notes that the session was used; a no-op when it was noted less than SESSION_TOUCH_MS ago. */
export async function touchSession(db: Handle, { idHash, now = Date.now() }: { idHash: string; now?: number }) {
  await execute(db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.idHash, idHash), lt(sessions.lastSeenAt, now - SESSION_TOUCH_MS))))
}

/**
 * Raises a session: a new token and row at `level`, the old row deleted, audited as
 * `organizer.second_factor { method }` when a method completed it. Null when the old row is
 * gone already (logged out, ended, or raised by a parallel request): nothing is written then.
 */
export async function replaceSession(db: Handle, {
  oldIdHash,
  level,
  secondFactor,
  now = Date.now(),
}: {
  oldIdHash: string
  level: SessionLevel
  secondFactor: SecondFactorMethod | null
  now?: number
}): Promise<{ token: string; idHash: string } | null> {
  const token = randomToken()
  const idHash = sha256(token)
  return transaction(db, async (tx) => {
    const old = await firstRow(tx.select().from(sessions).where(and(eq(sessions.idHash, oldIdHash), gt(sessions.expiresAt, now))))
    if (!old) return null
    const gone = await execute(tx.delete(sessions).where(eq(sessions.idHash, oldIdHash)))
    if (gone.changes !== 1) return null
    await execute(tx.insert(sessions).values({
      idHash,
      organizerId: old.organizerId,
      expiresAt: now + SESSION_TTL_MS,
      createdAt: now,
      level,
      secondFactor,
      device: old.device,
      lastSeenAt: now,
    }))
    if (secondFactor) {
      await recordAudit(tx, {
        organizerId: old.organizerId,
        action: 'organizer.second_factor',
        subjectType: 'organizer',
        subjectId: old.organizerId,
        details: { method: secondFactor },
      })
    }
    return { token, idHash }
  })
}

export async function deleteSession(db: Handle, { token }: { token: string }) {
  await transaction(db, async (tx) => {
    await execute(tx.delete(sessions).where(eq(sessions.idHash, sha256(token))))
  })
}

/** Ends every session of an organiser, inside the caller's transaction; returns how many. */
export async function endSessionsOf(tx: Tx, { organizerId }: { organizerId: number }): Promise<number> {
  const { changes } = await execute(tx.delete(sessions).where(eq(sessions.organizerId, organizerId)))
  return changes
}

/** The organiser a sign-in is for, as sessions carry it (null when gone or disabled). */
export async function findSessionOrganizer(db: Handle, { organizerId }: { organizerId: number }): Promise<SessionOrganizer | null> {
  const row = await firstRow(db
    .select({ id: organizers.id, name: organizers.name, email: organizers.email, role: organizers.role, organizationId: organizers.organizationId })
    .from(organizers)
    .where(and(eq(organizers.id, organizerId), isNull(organizers.disabledAt))))
  return row ?? null
}

// ——— What an organiser sees of their sessions, and ending them (ADR 019 §13) ———

export type ListedSession = {
  idHash: string
  level: SessionLevel
  device: string
  createdAt: number
  lastSeenAt: number
  secondFactor: SecondFactorMethod | null
}

/** The organiser's live sessions, the most recently used first: no address, only the device summary and coarse times. */
export async function listSessions(db: Handle, { organizerId, now = Date.now() }: { organizerId: number; now?: number }): Promise<ListedSession[]> {
  return allRows(db
    .select({
      idHash: sessions.idHash,
      level: sessions.level,
      device: sessions.device,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      secondFactor: sessions.secondFactor,
    })
    .from(sessions)
    .where(and(eq(sessions.organizerId, organizerId), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastSeenAt), desc(sessions.createdAt)))
}

/**
 * Ends one of the organiser's own sessions (another organiser's id_hash changes nothing);
 * audited as organizer.session_end { count: 1, others }. False when there was none to end.
 */
export async function endSession(db: Handle, { organizerId, idHash, actorId, others = true }: { organizerId: number; idHash: string; actorId: number; others?: boolean }): Promise<boolean> {
  return transaction(db, async (tx) => {
    const { changes } = await execute(tx.delete(sessions).where(and(eq(sessions.idHash, idHash), eq(sessions.organizerId, organizerId))))
    if (changes === 0) return false
    await recordAudit(tx, { organizerId: actorId, action: 'organizer.session_end', subjectType: 'organizer', subjectId: organizerId, details: { count: changes, others } })
    return true
  })
}

/** "End all other sessions": every session of the organiser but `keepIdHash`; audited when it ended any. */
export async function endOtherSessions(db: Handle, { organizerId, keepIdHash, actorId }: { organizerId: number; keepIdHash: string; actorId: number }): Promise<number> {
  return transaction(db, async (tx) => {
    const { changes } = await execute(tx.delete(sessions).where(and(eq(sessions.organizerId, organizerId), ne(sessions.idHash, keepIdHash))))
    if (changes > 0) {
      await recordAudit(tx, { organizerId: actorId, action: 'organizer.session_end', subjectType: 'organizer', subjectId: organizerId, details: { count: changes, others: true } })
    }
    return changes
  })
}

/**
 * An owner ends every session of another organiser (organizer.sessions_end { count }); null
 * when there is no such organiser. The count may be 0: the entry still says the owner acted.
 */
export async function endAllSessions(db: Handle, { organizerId, actorId }: { organizerId: number; actorId: number }): Promise<number | null> {
  return transaction(db, async (tx) => {
    if (!(await firstRow(tx.select({ id: organizers.id }).from(organizers).where(eq(organizers.id, organizerId))))) return null
    const count = await endSessionsOf(tx, { organizerId })
    await recordAudit(tx, { organizerId: actorId, action: 'organizer.sessions_end', subjectType: 'organizer', subjectId: organizerId, details: { count } })
    return count
  })
}

/**
 * A factor was added by one session (`keepIdHash`): the organiser's other sessions still at
 * 'setup' owe it from now on ('password'), so a second sign-in with the same password cannot
 * finish a set-up of its own, or ride on this one (ADR 019 §5).
 */
export async function owePendingSetups(tx: Tx, { organizerId, keepIdHash }: { organizerId: number; keepIdHash: string }) {
  await execute(tx
    .update(sessions)
    .set({ level: 'password' })
    .where(and(eq(sessions.organizerId, organizerId), eq(sessions.level, 'setup'), ne(sessions.idHash, keepIdHash))))
}
