/**
 * The demo's own rows in a database: the demo organiser (its password is printed in the
 * README) and the demo campaign, as scripts/seed/ makes them. Live mode must not carry the demo
 * organiser: start-up refuses it (app/workflows/demo-guard.server.ts) and `npm run demo:remove`
 * takes the demo out.
 */
import { and, eq, inArray } from 'drizzle-orm'
import type { Handle } from '#db/client.server.ts'
import { campaigns, consents, donations, emailMessages, fundDonors, funds, organizations, organizers, signatures, supporters } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { DEMO_CAMPAIGN_SLUG, DEMO_CLOSED_CAMPAIGN_SLUG, DEMO_ORGANIZER } from '~/utils/demo-identity.ts'
import { recordAudit } from './audit.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

export const DEMO_ORGANIZER_EMAIL = DEMO_ORGANIZER.email
export { DEMO_CAMPAIGN_SLUG }

/** The demo campaigns are the seed's: their slugs in the seed's organisation (an organiser's own campaign of that name stays). */
async function demoCampaignIds(db: Handle) {
  const rows = await allRows(db
    .select({ id: campaigns.id })
    .from(campaigns)
    .innerJoin(organizations, eq(organizations.id, campaigns.organizationId))
    .where(and(inArray(campaigns.slug, [DEMO_CAMPAIGN_SLUG, DEMO_CLOSED_CAMPAIGN_SLUG]), eq(organizations.slug, 'demo'))))
  return rows.map((c) => c.id)
}

export async function findDemoData(db: Handle) {
  const organizer = await firstRow(db.select({ id: organizers.id }).from(organizers).where(eq(organizers.email, DEMO_ORGANIZER_EMAIL)))
  return { organizer: organizer !== undefined, campaign: (await demoCampaignIds(db)).length > 0 }
}

/**
 * Remove the demo organiser and the demo campaign with everything collected for it (its
 * signatures, gifts, captured emails), and the supporters left with nothing else. One
 * transaction: all of it or none.
 */
export async function removeDemoData(db: Handle) {
  return transaction(db, async (tx) => {
    const removed = { organizer: false, campaign: false, supportersDeleted: 0 }
    // Sessions and links go with the organiser; audit entries, replies and updates keep their rows without the name.
    removed.organizer = (await execute(tx.delete(organizers).where(eq(organizers.email, DEMO_ORGANIZER_EMAIL)))).changes > 0
    // The demo campaign and, from the living demo (npm run db:seed), the closed one.
    for (const campaignId of await demoCampaignIds(tx)) {
      const ofCampaign = (rows: { id: number | null }[]) => rows.flatMap((r) => (r.id === null ? [] : [r.id]))
      const supporterIds = new Set([
        ...ofCampaign(await allRows(tx.select({ id: signatures.supporterId }).from(signatures).where(eq(signatures.campaignId, campaignId)))),
        ...ofCampaign(await allRows(tx.select({ id: donations.supporterId }).from(donations).where(eq(donations.campaignId, campaignId)))),
        ...ofCampaign(await allRows(tx.select({ id: consents.supporterId }).from(consents).where(eq(consents.campaignId, campaignId)))),
        ...ofCampaign(
          await allRows(tx
            .select({ id: fundDonors.supporterId })
            .from(fundDonors)
            .innerJoin(funds, eq(funds.id, fundDonors.fundId))
            .where(eq(funds.campaignId, campaignId))),
        ),
      ])
      // The campaign's emails hold live links and addresses; without this they would only lose their campaign.
      await execute(tx.delete(emailMessages).where(eq(emailMessages.campaignId, campaignId)))
      // Translations, timeline, signatures, counters, funds, gifts and sends go with it (ON DELETE CASCADE).
      removed.campaign = (await execute(tx.delete(campaigns).where(eq(campaigns.id, campaignId)))).changes > 0 || removed.campaign
      const stillNeeded = async (id: number) =>
        (await firstRow(tx.select({ id: signatures.id }).from(signatures).where(eq(signatures.supporterId, id)))) ??
        (await firstRow(tx.select({ id: donations.id }).from(donations).where(eq(donations.supporterId, id)))) ??
        (await firstRow(tx.select({ id: fundDonors.supporterId }).from(fundDonors).where(eq(fundDonors.supporterId, id))))
      for (const id of supporterIds) {
        if (await stillNeeded(id)) continue
        // Mail already sent elsewhere keeps its row, without the address (as retention does); consents go with the supporter.
        await execute(tx.update(emailMessages).set({ toEmail: '', supporterId: null }).where(eq(emailMessages.supporterId, id)))
        removed.supportersDeleted += (await execute(tx.delete(supporters).where(eq(supporters.id, id)))).changes
      }
    }
    if (removed.organizer || removed.campaign) {
      await recordAudit(tx, { organizerId: null, action: 'demo.remove', subjectType: 'instance', subjectId: null, details: removed })
    }
    return removed
  })
}
