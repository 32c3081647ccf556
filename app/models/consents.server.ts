import { and, desc, eq, inArray, isNotNull, max, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { serializeOn } from '#db/locks.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { campaigns, campaignTranslations, consents, supporters } from '#db/schema.ts'
import { maskEmail } from '~/utils/email.ts'
import { openSupporter } from './personal-data.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { pickTranslation } from '~/utils/translations.ts'
import type { Localized } from './campaigns.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

/**
 * A supporter's answer to "may we email you updates about this campaign?".
 *
 * Consents are append-only: every change is a new row (granted or withdrawn, with its source
 * and time) and the latest row per (supporter, purpose, campaign) is the answer. Writing only
 * when the answer changes keeps a repeated click, a mail program's one-click POST arriving
 * after the page's button, or a double submit from adding rows that say nothing new. Every
 * consent row is written here.
 */

const PURPOSE = 'campaign_updates'

/** Where an answer was given: links and pages that change it, and the forms that first ask. */
export type ConsentSource = 'unsubscribe_link' | 'one_click' | 'unsubscribe_undo' | 'preferences_page' | 'my_data'
export type ConsentOrigin = ConsentSource | 'petition_form' | 'not_me_link' | 'donation_form'

const p = sql.placeholder

// Every confirmation reads and may write here: prepared once per connection.
const statements = preparedPerConnection((db) => ({
  latest: db
    .select({ granted: consents.granted })
    .from(consents)
    .where(and(eq(consents.supporterId, p('supporterId')), eq(consents.purpose, PURPOSE), eq(consents.campaignId, p('campaignId'))))
    .orderBy(desc(consents.id))
    .limit(1)
    .prepare(),
  append: db
    .insert(consents)
    .values({ supporterId: p('supporterId'), purpose: PURPOSE, campaignId: p('campaignId'), granted: p('granted'), source: p('source'), createdAt: p('now') })
    .prepare(),
}))

async function latestGranted(db: Handle, supporterId: number, campaignId: number): Promise<boolean | null> {
  const row = await firstRow(statements(db).latest, { supporterId, campaignId })
  return row ? row.granted : null
}

/**
 * The latest answer, for a transaction that appends a row depending on it: another server's
 * append for the same supporter and campaign waits until this transaction ends, so two
 * clicks at once cannot both read "on" and both write "off".
 */
async function latestGrantedToChange(tx: Tx, supporterId: number, campaignId: number) {
  await serializeOn(tx, [`consent:${supporterId}:${campaignId}`])
  return latestGranted(tx, supporterId, campaignId)
}

export type ConsentAnswer = { supporterId: number; campaignId: number; granted: boolean; source: ConsentOrigin; now: number }

/** Record an answer as given, whatever the answer before (the donation form's "yes", the "this wasn't me" link's "no"). */
export async function appendConsent(tx: Tx, { supporterId, campaignId, granted, source, now }: ConsentAnswer) {
  await execute(statements(tx).append, { supporterId, campaignId, granted, source, now })
}

/** Updates on, unless they already are (a signer who confirms again after saying yes adds nothing). */
export async function grantUpdatesUnlessGranted(tx: Tx, { supporterId, campaignId, source, now }: Omit<ConsentAnswer, 'granted'>) {
  if ((await latestGrantedToChange(tx, supporterId, campaignId)) === true) return
  await appendConsent(tx, { supporterId, campaignId, granted: true, source, now })
}

/** Stop updates about one campaign. Idempotent: writes a row only when updates were on. */
export async function withdrawUpdates(db: Handle, { supporterId, campaignId, source, now = Date.now() }: { supporterId: number; campaignId: number; source: ConsentSource; now?: number }) {
  return transaction(db, async (tx) => {
    if ((await latestGrantedToChange(tx, supporterId, campaignId)) !== true) return { changed: false }
    await appendConsent(tx, { supporterId, campaignId, granted: false, source, now })
    return { changed: true }
  })
}

/**
 * Turn updates about one campaign back on. Only for a campaign the supporter once answered
 * for (a consent row exists): a link in an email can undo an unsubscribe, but it cannot sign
 * anyone up for news they never asked for. Idempotent like withdrawUpdates.
 */
export async function grantUpdates(db: Handle, { supporterId, campaignId, source, now = Date.now() }: { supporterId: number; campaignId: number; source: ConsentSource; now?: number }) {
  return transaction(db, async (tx) => {
    if ((await latestGrantedToChange(tx, supporterId, campaignId)) !== false) return { changed: false }
    await appendConsent(tx, { supporterId, campaignId, granted: true, source, now })
    return { changed: true }
  })
}

/** Campaign titles by the language rule; a campaign whose titles are all empty keeps its first (empty) one. */
async function titlesOf(db: Handle, campaignIds: number[], lang: Language) {
  const titles = new Map<number, Localized>()
  if (campaignIds.length === 0) return titles
  const rows = await allRows(db
    .select({ campaignId: campaignTranslations.campaignId, locale: campaignTranslations.locale, title: campaignTranslations.title, defaultLocale: campaigns.defaultLocale })
    .from(campaignTranslations)
    .innerJoin(campaigns, eq(campaigns.id, campaignTranslations.campaignId))
    .where(inArray(campaignTranslations.campaignId, campaignIds)))
  for (const id of campaignIds) {
    const ofCampaign = rows.filter((r) => r.campaignId === id)
    const best = (ofCampaign[0] && pickTranslation(ofCampaign, lang, ofCampaign[0].defaultLocale, (r) => r.title !== '')) ?? ofCampaign[0]
    titles.set(id, best ? { value: best.title, lang: best.locale } : { value: '', lang })
  }
  return titles
}

/** What an unsubscribe link is about: null when the supporter or the campaign no longer exists. */
export async function getCampaignConsent(db: Handle, { supporterId, campaignId, lang }: { supporterId: number; campaignId: number; lang: Language }) {
  const known =
    await firstRow(db.select({ id: supporters.id }).from(supporters).where(eq(supporters.id, supporterId))) &&
    await firstRow(db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, campaignId)))
  if (!known) return null
  return {
    title: (await titlesOf(db, [campaignId], lang)).get(campaignId)!,
    updatesOn: (await latestGranted(db, supporterId, campaignId)) === true,
  }
}

/** The address a preferences link belongs to, masked (see maskEmail); null for an unknown supporter. */
export async function getSupporterEmailHint(db: Handle, { supporterId }: { supporterId: number }) {
  const row = await firstRow(db.select({ sealed: supporters.sealed }).from(supporters).where(eq(supporters.id, supporterId)))
  // A row without an envelope (plain, not yet sealed at start-up) has no address to hint at.
  return row?.sealed ? maskEmail(openSupporter(row.sealed).email) : null
}

/** Every campaign the supporter has answered "updates?" for, with its title in `lang` and whether updates are on now. */
export async function listSupporterConsents(db: Handle, { supporterId, lang }: { supporterId: number; lang: Language }) {
  const latestIds = db
    .select({ id: max(consents.id) })
    .from(consents)
    .where(and(eq(consents.supporterId, supporterId), eq(consents.purpose, PURPOSE), isNotNull(consents.campaignId)))
    .groupBy(consents.campaignId)
  const latest = (await allRows(db
    .select({ campaignId: consents.campaignId, granted: consents.granted })
    .from(consents)
    .where(inArray(consents.id, latestIds))
    .orderBy(consents.campaignId)))
    .flatMap((r) => (r.campaignId === null ? [] : [{ campaignId: r.campaignId, granted: r.granted }]))
  const titles = await titlesOf(
    db,
    latest.map((r) => r.campaignId),
    lang,
  )
  return latest.map((r) => ({ campaignId: r.campaignId, title: titles.get(r.campaignId)!, updatesOn: r.granted }))
}

/**
 * Save the preferences page: for each campaign that was on the page (`shown`), updates are on
 * exactly when it is in `on`. Campaigns the supporter never answered for are left alone, so a
 * crafted form cannot add consents. One transaction; returns how many answers changed.
 */
export async function savePreferences(db: Handle, { supporterId, shown, on, now = Date.now() }: { supporterId: number; shown: number[]; on: number[]; now?: number }) {
  const wanted = new Set(on)
  return transaction(db, async (tx) => {
    let changed = 0
    for (const campaignId of new Set(shown)) {
      const current = await latestGrantedToChange(tx, supporterId, campaignId)
      if (current === null) continue
      const want = wanted.has(campaignId)
      if (want === current) continue
      await appendConsent(tx, { supporterId, campaignId, granted: want, source: 'preferences_page', now })
      changed++
    }
    return { changed }
  })
}
