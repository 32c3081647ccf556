import { and, eq, inArray, sql } from 'drizzle-orm'
import { preparedPerConnection, type DB, type Handle } from '#db/client.server.ts'
import { campaignCounters, campaigns, campaignTranslations } from '#db/schema.ts'
import { signatureGoal } from '~/utils/goal.ts'
import type { CardStatus } from '~/utils/share-card.ts'
import type { Language } from '~/utils/i18n.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { PUBLIC_STATUSES } from './campaigns.server.ts'
import { getSiteSettings } from './site-settings.server.ts'
import { allRows, firstRow } from '#db/query.server.ts'

// Read on every card request whose entry is due a look (a few a second at most per campaign).
const queries = preparedPerConnection((db: DB) => ({
  campaign: db
    .select({
      id: campaigns.id,
      defaultLocale: campaigns.defaultLocale,
      signatureGoal: campaigns.signatureGoal,
      imagePath: campaigns.imagePath,
      status: campaigns.status,
      updatedAt: campaigns.updatedAt,
      confirmed: campaignCounters.confirmed,
    })
    .from(campaigns)
    .leftJoin(campaignCounters, eq(campaignCounters.campaignId, campaigns.id))
    .where(and(eq(campaigns.slug, sql.placeholder('slug')), inArray(campaigns.status, PUBLIC_STATUSES)))
    .prepare(),
  titles: db
    .select({ locale: campaignTranslations.locale, title: campaignTranslations.title })
    .from(campaignTranslations)
    .where(eq(campaignTranslations.campaignId, sql.placeholder('campaignId')))
    .prepare(),
}))

export type ShareCardSource = NonNullable<Awaited<ReturnType<typeof getShareCardSource>>>

/**
 * What a public campaign's share card in `lang` shows, or null for unknown slugs and drafts.
 * `contentVersion` moves with every change to the campaign (texts, image, goal, status: they
 * all touch its updatedAt) and to the site's branding: a card keyed on it is drawn again.
 */
export async function getShareCardSource(db: Handle, { slug, lang }: { slug: string; lang: Language }) {
  const q = queries(db)
  const row = await firstRow(q.campaign, { slug })
  if (!row) return null
  const titles = await allRows(q.titles, { campaignId: row.id })
  const title = pickTranslation(titles, lang, row.defaultLocale, (t) => Boolean(t.title))?.title ?? slug
  const settings = await getSiteSettings(db)
  const confirmed = row.confirmed ?? 0
  const status: CardStatus = row.status === 'closed' || row.status === 'won' ? row.status : 'live'
  return {
    slug,
    title,
    imagePath: row.imagePath,
    status,
    confirmed,
    goal: signatureGoal(confirmed, row.signatureGoal),
    teamName: settings.teamName ?? settings.organizationName,
    accent: settings.accentColor,
    contentVersion: `${row.updatedAt}.${settings.version}`,
  }
}
