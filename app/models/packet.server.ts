import { and, asc, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { Handle, Tx } from '#db/client.server.ts'
import { campaigns, campaignTranslations, organizations, packetMessages, signatures, type CampaignTranslation } from '#db/schema.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { recordAudit } from './audit.server.ts'
import { openSignature } from './personal-data.server.ts'

/**
 * What the delivery packet (issue 17, ADR 018) reads: the campaign and its texts, the messages of
 * support the team chose, the signers who asked to be shown, and when signatures were confirmed.
 * Names are sealed (ADR 017) and opened here; a signer's email or postal code is never read.
 */

/** A public name as signers agreed to it ("Show my first name and initial publicly"). */
export function shownName(firstName: string, lastName: string) {
  return `${firstName} ${Array.from(lastName)[0] ?? ''}.`
}

/** The campaign as the packet needs it, with every language's texts; null when there is none. */
export async function getPacketCampaign(db: Handle, { campaignId }: { campaignId: number }) {
  const row = await firstRow(db
    .select({
      id: campaigns.id,
      slug: campaigns.slug,
      status: campaigns.status,
      atRisk: campaigns.atRisk,
      target: campaigns.target,
      defaultLocale: campaigns.defaultLocale,
      closedAt: campaigns.closedAt,
      organizationName: organizations.name,
    })
    .from(campaigns)
    .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
    .where(eq(campaigns.id, campaignId)))
  if (!row) return null
  const texts: Pick<CampaignTranslation, 'locale' | 'title' | 'petitionText'>[] = await allRows(db
    .select({ locale: campaignTranslations.locale, title: campaignTranslations.title, petitionText: campaignTranslations.petitionText })
    .from(campaignTranslations)
    .where(eq(campaignTranslations.campaignId, campaignId)))
  return { ...row, texts }
}

/** An approved message of a confirmed signer: what the packet may print. */
const approvedMessage = (campaignId: number) =>
  and(eq(signatures.campaignId, campaignId), eq(signatures.messageStatus, 'approved'), eq(signatures.status, 'confirmed'), isNotNull(signatures.sealed))

/**
 * The messages the team may put in the packet: approved ones of confirmed signers, the chosen
 * ones first (in their order), then the newest, at most `limit` in all.
 */
export async function listPacketMessageChoices(db: Handle, { campaignId, limit = 300 }: { campaignId: number; limit?: number }) {
  const rows = await allRows(db
    .select({ id: signatures.id, sealed: signatures.sealed, country: signatures.country, showName: signatures.showName, position: packetMessages.position })
    .from(signatures)
    .leftJoin(packetMessages, and(eq(packetMessages.signatureId, signatures.id), eq(packetMessages.campaignId, campaignId)))
    .where(approvedMessage(campaignId))
    .orderBy(sql`case when ${packetMessages.position} is null then 1 else 0 end`, asc(packetMessages.position), desc(signatures.id))
    .limit(limit))
  return rows.map((r) => {
    const opened = openSignature(r.sealed)
    return {
      id: r.id,
      // As the packet would print it: the team picks what will be read, not whom.
      name: opened ? shownName(opened.firstName, opened.lastName) : '',
      showName: r.showName,
      country: r.country,
      message: opened?.message ?? '',
      chosen: r.position !== null,
    }
  })
}

/**
 * The team's choice, replacing the one before, in the order given. Only approved messages of
 * confirmed signers of this campaign are kept: another campaign's id or a pending message is
 * dropped rather than trusted. Returns how many were chosen.
 */
export async function setPacketMessages(tx: Tx, { campaignId, signatureIds }: { campaignId: number; signatureIds: number[] }) {
  const wanted = [...new Set(signatureIds)]
  const allowed = wanted.length
    ? new Set((await allRows(tx.select({ id: signatures.id }).from(signatures).where(and(approvedMessage(campaignId), inArray(signatures.id, wanted))))).map((r) => r.id))
    : new Set<number>()
  await execute(tx.delete(packetMessages).where(eq(packetMessages.campaignId, campaignId)))
  const kept = wanted.filter((id) => allowed.has(id))
  if (kept.length) await execute(tx.insert(packetMessages).values(kept.map((signatureId, position) => ({ campaignId, signatureId, position }))))
  return kept.length
}

/**
 * The chosen messages as the packet prints them: still approved, still confirmed, not anonymised
 * (an anonymised signature has no message left). The name only where the signer asked to be shown.
 */
export async function listPacketMessages(db: Handle, { campaignId }: { campaignId: number }) {
  const rows = await allRows(db
    .select({ id: signatures.id, sealed: signatures.sealed, country: signatures.country, showName: signatures.showName })
    .from(packetMessages)
    .innerJoin(signatures, eq(signatures.id, packetMessages.signatureId))
    .where(and(eq(packetMessages.campaignId, campaignId), approvedMessage(campaignId)))
    .orderBy(asc(packetMessages.position), asc(signatures.id)))
  return rows.flatMap((r) => {
    const opened = openSignature(r.sealed)
    if (!opened?.message) return []
    return [{ id: r.id, name: r.showName ? shownName(opened.firstName, opened.lastName) : null, country: r.country, message: opened.message }]
  })
}

/**
 * Confirmed signers who asked to be shown, in confirmation order, a thousand at a time (like the
 * signatures export): "First L." and the country, nothing else.
 */
export async function listPacketSigners(db: Handle, { campaignId, after = 0, limit = 1000 }: { campaignId: number; after?: number; limit?: number }) {
  const rows = await allRows(db
    .select({ id: signatures.id, sealed: signatures.sealed, country: signatures.country, confirmedAt: signatures.confirmedAt })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'confirmed'), eq(signatures.showName, true), isNotNull(signatures.sealed), sql`${signatures.id} > ${after}`))
    .orderBy(asc(signatures.id))
    .limit(limit))
  const signers = rows.flatMap((r) => {
    const opened = openSignature(r.sealed)
    return opened ? [{ name: shownName(opened.firstName, opened.lastName), country: r.country, confirmedAt: r.confirmedAt }] : []
  })
  // The next batch starts after the last row read, whether or not it could be opened.
  return { signers, next: rows.length === limit ? rows[rows.length - 1]!.id : null }
}

/** When the first and the last of the confirmed signatures were confirmed (index signatures_campaign_confirmed_idx). */
export async function confirmedDateRange(db: Handle, { campaignId }: { campaignId: number }): Promise<{ first: number | null; last: number | null }> {
  const row = await firstRow(db
    .select({ first: sql<number | null>`min(${signatures.confirmedAt})`, last: sql<number | null>`max(${signatures.confirmedAt})` })
    .from(signatures)
    .where(and(eq(signatures.campaignId, campaignId), isNotNull(signatures.confirmedAt), eq(signatures.status, 'confirmed'))))
  return { first: row?.first == null ? null : Number(row.first), last: row?.last == null ? null : Number(row.last) }
}

/** The team's choice of messages as one unit of work, with its audit entry. */
export async function choosePacketMessages(db: Handle, { actorId, campaignId, slug, signatureIds }: { actorId: number; campaignId: number; slug: string; signatureIds: number[] }) {
  return transaction(db, async (tx) => {
    const count = await setPacketMessages(tx, { campaignId, signatureIds })
    await recordAudit(tx, { organizerId: actorId, action: 'packet.select', subjectType: 'campaign', subjectId: campaignId, details: { title: slug, count } })
    return count
  })
}

/** Who took the packet, in which language and form (the target's token link records nothing). */
export async function recordPacketExport(db: Handle, { actorId, campaignId, slug, locale, kind }: { actorId: number; campaignId: number; slug: string; locale: string; kind: string }) {
  await transaction(db, (tx) => recordAudit(tx, { organizerId: actorId, action: 'packet.export', subjectType: 'campaign', subjectId: campaignId, details: { locale, kind, title: slug } }))
}
