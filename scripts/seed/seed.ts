/**
 * Demo data: one organisation, a demo owner (demo mode only) and the campaign for
 * Andry Hernández Romero with its timeline. Idempotent: rows that exist are left as
 * they are, so a second run changes nothing (and never overwrites organisers' edits).
 * With `history` (`npm run db:seed`, `npm run demo`) the demo also looks lived in: see
 * scripts/seed/history.ts. Tests seed without it unless they ask.
 */
import { pathToFileURL } from 'node:url'
import { eq } from 'drizzle-orm'
import { hashPassword } from '../../app/models/organizers.server.ts'
import { DEMO_ORGANIZER } from '../../app/utils/demo-identity.ts'
import { loadEnv } from '../../app/utils/config.server.ts'
import { closeDatabase, getDb, type DB, type Tx } from '../../db/client.server.ts'
import { migrateDatabase } from '../../db/migrate.ts'
import { transaction } from '../../db/transaction.server.ts'
import { campaigns, campaignTranslations, funds, fundTranslations, organizations, organizers, updates, updateTranslations } from '../../db/schema.ts'
import { demoCampaign, demoFunds, demoOrganization, type SeedLocale } from './content.ts'
import { seedHistory } from './history.ts'
import { seedMilestones } from './milestones.ts'
import { addMonthlyGifts } from './monthly-gifts.ts'
import { seedTargets } from './targets.ts'
import { execute, firstRow } from '../../db/query.server.ts'

export { DEMO_ORGANIZER }

const at = (iso: string) => Date.parse(iso)

export async function seedDemo(
  db: DB,
  { demoOrganizer, history = false, now = Date.now() }: { demoOrganizer: boolean; history?: boolean; now?: number },
) {
  const passwordHash = demoOrganizer ? await hashPassword(DEMO_ORGANIZER.password) : null
  const created = await seedBase(db, passwordHash)
  if (history) {
    const organizerId = (await firstRow(db.select({ id: organizers.id }).from(organizers).where(eq(organizers.email, DEMO_ORGANIZER.email))))?.id ?? null
    await seedHistory(db, { now, organizerId, created })
  }
  // After the history: milestones its count has passed are stored as passed, and their texts name the targets.
  const demo = await firstRow(db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, demoCampaign.slug)))
  if (demo) {
    for (const seed of [seedTargets, seedMilestones]) {
      const note = await seed(db, { campaignId: demo.id })
      if (note) created.push(note)
    }
  }
  return created
}

function seedBase(db: DB, passwordHash: string | null) {
  return transaction(db, async (tx) => {
    const created: string[] = []
    // Look before inserting: even a no-op INSERT … ON CONFLICT advances AUTOINCREMENT counters.
    const org =
      await firstRow(tx.select().from(organizations).where(eq(organizations.slug, 'demo'))) ??
      await firstRow(tx
        .insert(organizations)
        .values({ slug: 'demo', ...demoOrganization, createdAt: at('2025-03-01T00:00:00Z') })
        .returning())

    const hasDemoOrganizer = await firstRow(tx.select({ id: organizers.id }).from(organizers).where(eq(organizers.email, DEMO_ORGANIZER.email)))
    if (passwordHash && !hasDemoOrganizer) {
      await execute(tx.insert(organizers)
        .values({
          organizationId: org.id,
          email: DEMO_ORGANIZER.email,
          name: DEMO_ORGANIZER.name,
          role: 'owner',
          passwordHash,
          createdAt: at('2025-03-01T00:00:00Z'),
        }))
      created.push('demo organiser')
    }

    const existing = await firstRow(tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, demoCampaign.slug)))
    if (existing) {
      await seedFunds(tx, existing.id, created)
      return created
    }
    const published = at('2025-03-25T09:00:00Z')
    const campaign = await firstRow(tx
      .insert(campaigns)
      .values({
        organizationId: org.id,
        slug: demoCampaign.slug,
        status: 'live',
        defaultLocale: 'en',
        currency: 'EUR',
        target: demoCampaign.target,
        imagePath: '/images/free-andry-vigil.png',
        publishedAt: published,
        createdAt: published,
        updatedAt: published,
      })
      .returning({ id: campaigns.id }))
    for (const locale of ['en', 'de', 'es'] as const satisfies SeedLocale[]) {
      const text = demoCampaign.translations[locale]
      await execute(tx.insert(campaignTranslations)
        .values({ campaignId: campaign.id, locale, ...text, imageAlt: demoCampaign.imageAlt[locale], updatedAt: published }))
    }
    for (const entry of demoCampaign.timeline) {
      const stamp = at(`${entry.happenedOn}T12:00:00Z`)
      const update = await firstRow(tx
        .insert(updates)
        .values({ campaignId: campaign.id, happenedOn: entry.happenedOn, publishedAt: stamp, createdAt: stamp, updatedAt: stamp })
        .returning({ id: updates.id }))
      for (const [locale, text] of Object.entries(entry.translations) as [SeedLocale, { title: string; bodyMd: string }][]) {
        await execute(tx.insert(updateTranslations).values({ updateId: update.id, locale, title: text.title, bodyMd: text.bodyMd }))
      }
    }
    created.push(`campaign /c/${demoCampaign.slug}`)
    await seedFunds(tx, campaign.id, created)
    return created
  })
}

/** The demo's reporting trips, added once (also to a campaign seeded before funds existed). */
async function seedFunds(tx: Tx, campaignId: number, created: string[]) {
  if (await firstRow(tx.select({ id: funds.id }).from(funds).where(eq(funds.campaignId, campaignId)))) return
  for (const [position, fund] of demoFunds.entries()) {
    const row = await firstRow(tx.insert(funds).values({ campaignId, slug: fund.slug, goalMinor: fund.goalMinor, currency: 'EUR', position, createdAt: at('2025-03-25T09:00:00Z') }).returning({ id: funds.id }))
    for (const [locale, text] of Object.entries(fund.texts) as [SeedLocale, { title: string; description: string }][]) {
      await execute(tx.insert(fundTranslations).values({ fundId: row!.id, locale, ...text }))
    }
  }
  created.push(`${demoFunds.length} funds`)
}

// Run as a script: from source (tsx), or as its bundle (scripts/bundle-node.ts).
if (process.env.VIGIL_BUNDLED_ENTRY === 'scripts/seed/seed.ts' || import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = loadEnv()
  // The process-wide connection (DATABASE_PATH): the history goes through the app's models, which use it.
  const db = getDb()
  await migrateDatabase(db)
  const history = process.argv.includes('--history')
  const created = await seedDemo(db, { demoOrganizer: env.mode === 'demo', history })
  // After the history's transaction: these talk to the demo Stripe stand-in (scripts/seed/monthly-gifts.ts).
  const monthly = history ? await addMonthlyGifts(db) : null
  if (monthly) created.push(monthly)
  await closeDatabase(db)
  console.log(created.length ? `seed: created ${created.join(', ')}` : 'seed: demo data already present, nothing changed')
  if (env.mode === 'demo') console.log(`seed: demo organiser ${DEMO_ORGANIZER.email} / ${DEMO_ORGANIZER.password}`)
}
