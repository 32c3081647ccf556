import { hash, verify } from '@node-rs/argon2'
import { and, asc, eq, gt, isNotNull, isNull } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import {
  campaignMemberships,
  campaigns,
  organizations,
  organizers,
  organizerTokens,
  sessions,
  type CampaignRole,
  type Locale,
  type Organizer,
  type OrganizerRole,
} from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { randomToken, sha256 } from '~/utils/crypto.server.ts'
import { organizerInviteToken } from '~/utils/tokens.server.ts'
import { SESSION_TTL_MS } from '~/utils/session-cookie.ts'
import { recordAudit } from './audit.server.ts'
import { queueEmail } from './outbox.server.ts'
import { applySecondFactorPolicy } from './site-settings.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

export { SESSION_TTL_MS }
export const PASSWORD_TOKEN_TTL_MS = 48 * 60 * 60 * 1000

export type SessionOrganizer = Pick<Organizer, 'id' | 'name' | 'email' | 'role' | 'organizationId'>

export function normalizeOrganizerEmail(email: string) {
  return email.trim().toLowerCase()
}

export async function hashPassword(password: string) {
  // @node-rs/argon2 defaults to argon2id; parameters are OWASP's minimum-memory recommendation and up.
  return hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 })
}

// Verifying against a real hash for unknown accounts keeps timing from telling who exists.
const dummyHash = hashPassword(randomToken())

export async function verifyOrganizerLogin(db: Handle, {
  email,
  password,
}: {
  email: string
  password: string
}): Promise<SessionOrganizer | null> {
  const organizer = await firstRow(db
    .select()
    .from(organizers)
    .where(eq(organizers.email, normalizeOrganizerEmail(email))))
  const stored = organizer?.passwordHash ?? (await dummyHash)
  const ok = await verify(stored, password).catch(() => false)
  if (!ok || !organizer || !organizer.passwordHash || organizer.disabledAt) return null
  return pick(organizer)
}

function pick(o: Organizer): SessionOrganizer {
  return { id: o.id, name: o.name, email: o.email, role: o.role, organizationId: o.organizationId }
}

export class OrganizerExistsError extends Error {}

/** Create an organiser without a password and return a one-time link token to set one. */
export async function createOrganizer(db: Handle, {
  email,
  name,
  role,
  actorId,
  organizationId,
  invite,
}: {
  email: string
  name: string
  role: OrganizerRole
  actorId: number | null
  organizationId?: number
  /** Also email the set-password link, through the outbox, in this language (the back office; the CLI prints it). */
  invite?: { locale: Locale; invitedBy: string }
}) {
  // An emailed link's token is derived from a seed the outbox row keeps (and the server secret it does not).
  const seed = randomToken()
  const token = invite ? organizerInviteToken(seed) : randomToken()
  return transaction(db, async (tx) => {
    const orgId =
      organizationId ?? (await firstRow(tx.select({ id: organizations.id }).from(organizations).orderBy(asc(organizations.id))))?.id
    if (orgId === undefined) throw new Error('No organisation exists yet: run the seed or create one first')
    const normalized = normalizeOrganizerEmail(email)
    if (await firstRow(tx.select({ id: organizers.id }).from(organizers).where(eq(organizers.email, normalized)))) {
      throw new OrganizerExistsError(normalized)
    }
    const organizer = await firstRow(tx
      .insert(organizers)
      .values({ organizationId: orgId, email: normalized, name: name.trim(), role })
      .returning())
    await execute(tx.insert(organizerTokens)
      .values({
        organizerId: organizer.id,
        tokenHash: sha256(token),
        purpose: 'set_password',
        expiresAt: Date.now() + PASSWORD_TOKEN_TTL_MS,
      }))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'organizer.create',
      subjectType: 'organizer',
      subjectId: organizer.id,
      details: { name: organizer.name, role, ...(invite ? { emailed: true } : {}) },
    })
    if (invite) {
      const organizationName = (await firstRow(tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId))))?.name ?? ''
      await queueEmail(tx, {
        template: 'organizer-invite',
        to: organizer.email,
        locale: invite.locale,
        idempotencyKey: `organizer:${organizer.id}:invite`,
        props: { tokenSeed: seed, name: organizer.name, invitedBy: invite.invitedBy, organizationName },
      })
    }
    return { organizer: pick(organizer), token }
  })
}

/** A fresh set-password link for an existing organiser (older unused links stop working). */
export async function issuePasswordToken(db: Handle, { organizerId, actorId }: { organizerId: number; actorId: number | null }) {
  const token = randomToken()
  await transaction(db, async (tx) => {
    // A form can name any id: no organiser, no link (rather than a foreign-key failure).
    if (!(await firstRow(tx.select({ id: organizers.id }).from(organizers).where(eq(organizers.id, organizerId))))) {
      throw new Response('Organiser not found', { status: 404 })
    }
    await execute(tx.delete(organizerTokens).where(eq(organizerTokens.organizerId, organizerId)))
    await execute(tx.insert(organizerTokens)
      .values({
        organizerId,
        tokenHash: sha256(token),
        purpose: 'set_password',
        expiresAt: Date.now() + PASSWORD_TOKEN_TTL_MS,
      }))
    await recordAudit(tx, { organizerId: actorId, action: 'organizer.password_link', subjectType: 'organizer', subjectId: organizerId })
  })
  return token
}

export async function getPasswordToken(db: Handle, { token }: { token: string }) {
  return (
    (await firstRow(db
      .select({ organizerId: organizerTokens.organizerId, name: organizers.name })
      .from(organizerTokens)
      .innerJoin(organizers, eq(organizers.id, organizerTokens.organizerId))
      .where(
        and(
          eq(organizerTokens.tokenHash, sha256(token)),
          isNull(organizerTokens.usedAt),
          gt(organizerTokens.expiresAt, Date.now()),
        ),
      ))) ?? null
  )
}

/** Use a one-time link: set the password, spend the token, end other sessions. */
export async function setPasswordWithToken(db: Handle, { token, password }: { token: string; password: string }) {
  const found = await getPasswordToken(db, { token })
  if (!found) return null
  // Hashed before the transaction: argon2 must not run while it is open.
  const passwordHash = await hashPassword(password)
  return transaction(db, async (tx) => {
    const spent = await execute(tx
      .update(organizerTokens)
      .set({ usedAt: Date.now() })
      .where(and(eq(organizerTokens.tokenHash, sha256(token)), isNull(organizerTokens.usedAt))))
    // Two tabs racing on one link: only the first wins.
    if (spent.changes !== 1) return null
    await execute(tx.update(organizers).set({ passwordHash }).where(eq(organizers.id, found.organizerId)))
    await execute(tx.delete(sessions).where(eq(sessions.organizerId, found.organizerId)))
    await recordAudit(tx, {
      organizerId: found.organizerId,
      action: 'organizer.set_password',
      subjectType: 'organizer',
      subjectId: found.organizerId,
    })
    return found.organizerId
  })
}

export async function listOrganizers(db: Handle) {
  const rows = await allRows(db
    .select({
      id: organizers.id,
      name: organizers.name,
      email: organizers.email,
      role: organizers.role,
      disabledAt: organizers.disabledAt,
      hasPassword: organizers.passwordHash,
      createdAt: organizers.createdAt,
    })
    .from(organizers)
    .orderBy(asc(organizers.name)))
  return rows.map((o) => ({ ...o, hasPassword: o.hasPassword !== null }))
}

export class LastOwnerError extends Error {}

/** An owner who can actually log in (not disabled, password set) must remain. */
async function assertAnotherActiveOwner(tx: Tx, organizerId: number) {
  const owners = await allRows(tx
    .select({ id: organizers.id })
    .from(organizers)
    .where(and(eq(organizers.role, 'owner'), isNull(organizers.disabledAt), isNotNull(organizers.passwordHash))))
  if (!owners.some((o) => o.id !== organizerId)) throw new LastOwnerError()
}

export async function changeOrganizer(db: Handle, {
  actorId,
  organizerId,
  role,
  disabled,
}: {
  actorId: number
  organizerId: number
  role?: OrganizerRole
  disabled?: boolean
}) {
  await transaction(db, async (tx) => {
    const current = await firstRow(tx.select().from(organizers).where(eq(organizers.id, organizerId)))
    if (!current) return
    const demotes = role !== undefined && role !== 'owner' && current.role === 'owner'
    const disables = disabled === true && current.role === 'owner'
    if (demotes || disables) await assertAnotherActiveOwner(tx, organizerId)
    await execute(tx.update(organizers)
      .set({
        ...(role ? { role } : {}),
        ...(disabled === undefined ? {} : { disabledAt: disabled ? Date.now() : null }),
      })
      .where(eq(organizers.id, organizerId)))
    if (disabled) await execute(tx.delete(sessions).where(eq(sessions.organizerId, organizerId)))
    // A new role may bring them under the second-factor policy, or out of it (ADR 019 §5).
    else if (role) await applySecondFactorPolicy(tx, { organizerId })
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'organizer.update',
      subjectType: 'organizer',
      subjectId: organizerId,
      details: { ...(role ? { role: [current.role, role] } : {}), ...(disabled === undefined ? {} : { disabled }) },
    })
  })
}

// ——— Campaign memberships (ADR 011) ———

/** The organiser's role on one campaign, or null if they have none (instance owners need none). */
export async function getCampaignRole(db: Handle, { organizerId, campaignId }: { organizerId: number; campaignId: number }): Promise<CampaignRole | null> {
  const membership = await firstRow(db
    .select({ role: campaignMemberships.role })
    .from(campaignMemberships)
    .where(and(eq(campaignMemberships.organizerId, organizerId), eq(campaignMemberships.campaignId, campaignId))))
  return membership?.role ?? null
}

/** Every campaign the organiser has a role on, with that role. */
export async function listCampaignRoles(db: Handle, { organizerId }: { organizerId: number }) {
  return await allRows(db
    .select({ campaignId: campaignMemberships.campaignId, role: campaignMemberships.role })
    .from(campaignMemberships)
    .where(eq(campaignMemberships.organizerId, organizerId)))
}

/** Every membership, for the owners' Organisers page. */
export async function listMemberships(db: Handle) {
  return await allRows(db
    .select({ organizerId: campaignMemberships.organizerId, campaignId: campaignMemberships.campaignId, role: campaignMemberships.role })
    .from(campaignMemberships))
}

/**
 * An organiser's roles on several campaigns, saved as one change (the Team page's form).
 * Campaigns that do not exist are left out, as setCampaignRole does.
 */
export async function setCampaignRoles(
  db: Handle,
  { actorId, organizerId, roles }: { actorId: number; organizerId: number; roles: { campaignId: number; role: CampaignRole | null }[] },
) {
  await transaction(db, async (tx) => {
    for (const { campaignId, role } of roles) await setCampaignRole(tx, { actorId, organizerId, campaignId, role })
  })
}

/** Give an organiser a role on a campaign, change it, or (role null) take it away. Owners only. */
export async function setCampaignRole(db: Handle, {
  actorId,
  organizerId,
  campaignId,
  role,
}: {
  actorId: number
  organizerId: number
  campaignId: number
  role: CampaignRole | null
}) {
  return transaction(db, async (tx) => {
    const organizer = await firstRow(tx.select({ id: organizers.id }).from(organizers).where(eq(organizers.id, organizerId)))
    const campaign = await firstRow(tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, campaignId)))
    if (!organizer || !campaign) return false
    const where = and(eq(campaignMemberships.organizerId, organizerId), eq(campaignMemberships.campaignId, campaignId))
    const before = (await firstRow(tx.select({ role: campaignMemberships.role }).from(campaignMemberships).where(where)))?.role ?? null
    if (before === role) return true
    if (role === null) await execute(tx.delete(campaignMemberships).where(where))
    else
      await execute(tx
        .insert(campaignMemberships)
        .values({ organizerId, campaignId, role })
        .onConflictDoUpdate({ target: [campaignMemberships.organizerId, campaignMemberships.campaignId], set: { role } }))
    await recordAudit(tx, {
      organizerId: actorId,
      action: 'organizer.campaign_role',
      subjectType: 'organizer',
      subjectId: organizerId,
      details: { campaignId, role: [before, role] },
    })
    await applySecondFactorPolicy(tx, { organizerId })
    return true
  })
}
