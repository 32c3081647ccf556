import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import { getDb, type LegacyTx as Tx } from '#db/client.server.ts'
import { campaigns, campaignTranslations, consents, supporters } from '#db/schema.ts'
import { maskEmail } from '~/utils/email.ts'
import type { Language } from '~/utils/i18n.ts'
import type { Localized } from './campaigns.server.ts'

/**
 * A supporter's answer to "may we email you updates about this campaign?".
 *
 * Consents are append-only: every change is a new row (granted or withdrawn, with its source
 * and time) and the latest row per (supporter, purpose, campaign) is the answer. Writing only
 * when the answer changes keeps a repeated click, a mail program's one-click POST arriving
 * after the page's button, or a double submit from adding rows that say nothing new.
 */

const PURPOSE = 'campaign_updates'

export type ConsentSource = 'unsubscribe_link' | 'one_click' | 'unsubscribe_undo' | 'preferences_page'

function latestGranted(tx: Pick<Tx, 'select'>, supporterId: number, campaignId: number): boolean | null {
  const row = tx
    .select({ granted: consents.granted })
    .from(consents)
    .where(and(eq(consents.supporterId, supporterId), eq(consents.purpose, PURPOSE), eq(consents.campaignId, campaignId)))
    .orderBy(desc(consents.id))
    .limit(1)
    .get()
  return row ? row.granted : null
}

function append(tx: Tx, supporterId: number, campaignId: number, granted: boolean, source: ConsentSource, now: number) {
  tx.insert(consents).values({ supporterId, purpose: PURPOSE, campaignId, granted, source, createdAt: now }).run()
}

/** Stop updates about one campaign. Idempotent: writes a row only when updates were on. */
export async function withdrawUpdates({ supporterId, campaignId, source, now = Date.now() }: { supporterId: number; campaignId: number; source: ConsentSource; now?: number }) {
  return getDb().transaction(
    (tx) => {
      if (latestGranted(tx, supporterId, campaignId) !== true) return { changed: false }
      append(tx, supporterId, campaignId, false, source, now)
      return { changed: true }
    },
    { behavior: 'immediate' },
  )
}

/**
 * Turn updates about one campaign back on. Only for a campaign the supporter once answered
 * for (a consent row exists): a link in an email can undo an unsubscribe, but it cannot sign
 * anyone up for news they never asked for. Idempotent like withdrawUpdates.
 */
export async function grantUpdates({ supporterId, campaignId, source, now = Date.now() }: { supporterId: number; campaignId: number; source: ConsentSource; now?: number }) {
  return getDb().transaction(
    (tx) => {
      if (latestGranted(tx, supporterId, campaignId) !== false) return { changed: false }
      append(tx, supporterId, campaignId, true, source, now)
      return { changed: true }
    },
    { behavior: 'immediate' },
  )
}

/** Campaign titles in `lang`, else the campaign's default language, else any. */
function titlesOf(tx: Pick<Tx, 'select'>, campaignIds: number[], lang: Language) {
  const titles = new Map<number, Localized>()
  if (campaignIds.length === 0) return titles
  const rows = tx
    .select({ campaignId: campaignTranslations.campaignId, locale: campaignTranslations.locale, title: campaignTranslations.title, defaultLocale: campaigns.defaultLocale })
    .from(campaignTranslations)
    .innerJoin(campaigns, eq(campaigns.id, campaignTranslations.campaignId))
    .where(inArray(campaignTranslations.campaignId, campaignIds))
    .all()
  const rank = (r: (typeof rows)[number]) => (r.title === '' ? 0 : r.locale === lang ? 3 : r.locale === r.defaultLocale ? 2 : 1)
  for (const id of campaignIds) {
    const best = rows.filter((r) => r.campaignId === id).sort((a, b) => rank(b) - rank(a))[0]
    titles.set(id, best ? { value: best.title, lang: best.locale } : { value: '', lang })
  }
  return titles
}

/** What an unsubscribe link is about: null when the supporter or the campaign no longer exists. */
export async function getCampaignConsent({ supporterId, campaignId, lang }: { supporterId: number; campaignId: number; lang: Language }) {
  const db = getDb()
  const known =
    db.select({ id: supporters.id }).from(supporters).where(eq(supporters.id, supporterId)).get() &&
    db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, campaignId)).get()
  if (!known) return null
  return {
    title: titlesOf(db, [campaignId], lang).get(campaignId)!,
    updatesOn: latestGranted(db, supporterId, campaignId) === true,
  }
}

/** The address a preferences link belongs to, masked (see maskEmail); null for an unknown supporter. */
export async function getSupporterEmailHint({ supporterId }: { supporterId: number }) {
  const row = getDb().select({ email: supporters.email }).from(supporters).where(eq(supporters.id, supporterId)).get()
  return row ? maskEmail(row.email) : null
}

/** Every campaign the supporter has answered "updates?" for, with its title in `lang` and whether updates are on now. */
export async function listSupporterConsents({ supporterId, lang }: { supporterId: number; lang: Language }) {
  const db = getDb()
  const latest = db.all<{ campaignId: number; granted: number }>(sql`
    select c.campaign_id as campaignId, c.granted as granted
    from consents c
    where c.id in (
      select max(id) from consents
      where supporter_id = ${supporterId} and purpose = ${PURPOSE} and campaign_id is not null
      group by campaign_id
    )
    order by c.campaign_id`)
  const titles = titlesOf(
    db,
    latest.map((r) => r.campaignId),
    lang,
  )
  return latest.map((r) => ({ campaignId: r.campaignId, title: titles.get(r.campaignId)!, updatesOn: r.granted === 1 }))
}

/**
 * Save the preferences page: for each campaign that was on the page (`shown`), updates are on
 * exactly when it is in `on`. Campaigns the supporter never answered for are left alone, so a
 * crafted form cannot add consents. One transaction; returns how many answers changed.
 */
export async function savePreferences({ supporterId, shown, on, now = Date.now() }: { supporterId: number; shown: number[]; on: number[]; now?: number }) {
  const wanted = new Set(on)
  return getDb().transaction(
    (tx) => {
      let changed = 0
      for (const campaignId of new Set(shown)) {
        const current = latestGranted(tx, supporterId, campaignId)
        if (current === null) continue
        const want = wanted.has(campaignId)
        if (want === current) continue
        append(tx, supporterId, campaignId, want, 'preferences_page', now)
        changed++
      }
      return { changed }
    },
    { behavior: 'immediate' },
  )
}
