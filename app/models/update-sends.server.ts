import { and, eq, sql } from 'drizzle-orm'
import { getDb, legacyPreparedPerConnection } from '#db/client.server.ts'
import { MAIL_PRIORITIES, updateSends, updates, type Locale } from '#db/schema.ts'
import { recordAudit } from './audit.server.ts'
import { BATCH_SIZE } from './outbox.server.ts'
import { campaignTitleFor } from './campaigns.server.ts'

/**
 * Sending an update to supporters. Pressing Send snapshots the audience — supporters
 * whose latest `campaign_updates` consent for the campaign is granted, who are confirmed
 * signers and/or paying donors, and whose address is not suppressed — into one message
 * each and batches of at most BATCH_SIZE, in one transaction. The batch sender then
 * claims whole batches (claimNextWork in app/models/outbox.server.ts).
 */
export type Audience = { signers: boolean; donors: 'none' | 'campaign' | 'fund'; fundId?: number | null }

/** The audience as SQL: one row per supporter (id, email, locale). */
function audienceQuery(campaignId: number, audience: Audience) {
  const parts = []
  if (audience.signers) {
    parts.push(sql`select supporter_id as id from signatures where campaign_id = ${campaignId} and status = 'confirmed'`)
  }
  if (audience.donors === 'campaign') {
    parts.push(sql`select supporter_id as id from donations where campaign_id = ${campaignId} and paid_at is not null and supporter_id is not null`)
  } else if (audience.donors === 'fund' && audience.fundId) {
    parts.push(
      sql`select supporter_id as id from donations where campaign_id = ${campaignId} and fund_id = ${audience.fundId} and paid_at is not null and supporter_id is not null`,
    )
  }
  if (parts.length === 0) return null
  const union = sql.join(parts, sql` union `)
  // The latest consent row decides: consents are append-only (granted, then maybe withdrawn).
  return sql`
    select s.id as id, s.email as email, s.locale as locale
    from (${union}) as wanted
    join supporters s on s.id = wanted.id
    where (
      select c.granted from consents c
      where c.supporter_id = s.id and c.purpose = 'campaign_updates' and c.campaign_id = ${campaignId}
      order by c.id desc limit 1
    ) = 1
    and not exists (select 1 from suppressions x where x.email_normalized = s.email_normalized)`
}

/** How many supporters a send would reach now, in all and per language. */
export async function countAudience({ campaignId, audience }: { campaignId: number; audience: Audience }) {
  const query = audienceQuery(campaignId, audience)
  const byLocale: Record<Locale, number> = { en: 0, de: 0, es: 0 }
  if (!query) return { total: 0, byLocale }
  const rows = getDb().all<{ locale: Locale; n: number }>(sql`select locale, count(*) as n from (${query}) group by locale`)
  for (const row of rows) byLocale[row.locale] = row.n
  return { total: rows.reduce((sum, r) => sum + r.n, 0), byLocale }
}

export type StartSendResult = { status: 'started'; sendId: number; recipients: number } | { status: 'already-sent' | 'empty' | 'unpublished' }

/**
 * Snapshot the audience into messages and batches, in one transaction. An update is
 * sent at most once (a unique index on update_sends.update_id), so a second press of
 * Send, or two organisers pressing it at once, sends nothing more.
 */
export async function startUpdateSend({
  updateId,
  campaignId,
  audience,
  organizerId,
}: {
  updateId: number
  campaignId: number
  audience: Audience
  organizerId: number | null
}): Promise<StartSendResult> {
  const query = audienceQuery(campaignId, audience)
  if (!query) return { status: 'empty' }
  const db = getDb()
  return db.transaction(
    (tx): StartSendResult => {
      const update = tx.select({ id: updates.id, publishedAt: updates.publishedAt }).from(updates).where(and(eq(updates.id, updateId), eq(updates.campaignId, campaignId))).get()
      if (tx.select({ id: updateSends.id }).from(updateSends).where(eq(updateSends.updateId, updateId)).get()) return { status: 'already-sent' }
      // Drafts and scheduled updates are not on the campaign page yet, where the email leads.
      if (!update || update.publishedAt === null || update.publishedAt > Date.now()) return { status: 'unpublished' }
      // A bound JS number arrives as REAL ("10.0" in text): the id goes into keys as an integer.
      const id = sql.raw(String(Math.trunc(updateId)))
      const send = tx.insert(updateSends).values({ updateId, campaignId, audience, recipients: 0, createdBy: organizerId }).returning({ id: updateSends.id }).get()
      // Ordered by language so a batch mostly shares one rendering.
      const inserted = tx.run(sql`
        insert into email_messages (template, to_email, locale, props, idempotency_key, campaign_id, supporter_id, status, priority)
        select 'campaign-update', a.email, a.locale, json_object('updateId', ${id}, 'supporterId', a.id),
               'update:' || ${id} || ':' || a.id, ${campaignId}, a.id, 'batched', ${MAIL_PRIORITIES.bulk}
        from (${query}) as a
        order by a.locale, a.id`)
      const recipients = inserted.changes
      if (recipients === 0) {
        tx.delete(updateSends).where(eq(updateSends.id, send.id)).run()
        return { status: 'empty' }
      }
      const lastMessage = Number(inserted.lastInsertRowid)
      const firstMessage = lastMessage - recipients + 1
      const batchCount = Math.ceil(recipients / BATCH_SIZE)
      const batches = tx.run(sql`
        with recursive seq(i) as (select 0 union all select i + 1 from seq where i + 1 < ${batchCount})
        insert into email_batches (send_id, idempotency_key, size)
        select ${send.id}, 'update:' || ${id} || ':batch:' || i,
               min(${BATCH_SIZE}, ${recipients} - i * ${BATCH_SIZE})
        from seq`)
      const firstBatch = Number(batches.lastInsertRowid) - batchCount + 1
      // Messages were numbered consecutively in this transaction: batch k holds the k-th hundred.
      // (Integer division: bound JS numbers arrive as REAL, so the arithmetic is cast.)
      tx.run(sql`
        update email_messages set batch_id = cast(${firstBatch} as integer) + (id - cast(${firstMessage} as integer)) / ${sql.raw(String(BATCH_SIZE))}
        where id between ${firstMessage} and ${lastMessage}`)
      tx.update(updateSends).set({ recipients }).where(eq(updateSends.id, send.id)).run()
      recordAudit(tx, { organizerId, action: 'update.send', subjectType: 'update', subjectId: updateId, details: { campaignId, audience, recipients } })
      return { status: 'started', sendId: send.id, recipients }
    },
    { behavior: 'immediate' },
  )
}

/** Where a send stands, for the organiser's progress view. */
export async function getSendProgress({ updateId }: { updateId: number }) {
  const db = getDb()
  const send = db.select().from(updateSends).where(eq(updateSends.updateId, updateId)).get()
  if (!send) return null
  const messages = db.all<{ status: string; delivery: string | null; n: number }>(sql`
    select m.status as status, m.delivery_status as delivery, count(*) as n
    from email_messages m join email_batches b on b.id = m.batch_id
    where b.send_id = ${send.id}
    group by m.status, m.delivery_status`)
  const count = (predicate: (row: { status: string; delivery: string | null }) => boolean) => messages.filter(predicate).reduce((sum, r) => sum + r.n, 0)
  const sent = count((r) => r.status === 'sent' || r.status === 'captured')
  const failed = count((r) => r.status === 'failed')
  const unsubscribed =
    db.get<{ n: number }>(sql`
      select count(distinct c.supporter_id) as n from consents c
      join email_messages m on m.supporter_id = c.supporter_id
      join email_batches b on b.id = m.batch_id and b.send_id = ${send.id}
      where c.purpose = 'campaign_updates' and c.campaign_id = ${send.campaignId} and c.granted = 0 and c.created_at >= ${send.createdAt}`)?.n ?? 0
  return {
    sendId: send.id,
    startedAt: send.createdAt,
    audience: send.audience,
    recipients: send.recipients,
    sent,
    failed,
    remaining: send.recipients - sent - failed,
    delivered: count((r) => r.delivery === 'delivered'),
    bounced: count((r) => r.delivery === 'bounced'),
    complained: count((r) => r.delivery === 'complained'),
    unsubscribed,
  }
}

// ——— The batch sender's side ———

// Prepared once per connection: a 100,000-recipient send runs it 1,000 times.
const blockedStatement = legacyPreparedPerConnection((db) =>
  db.$client.prepare(`
    select m.id as id from email_messages m
    left join supporters s on s.id = m.supporter_id
    where m.id in (select value from json_each(@ids))
    and (
      exists (select 1 from suppressions x where x.email_normalized = s.email_normalized)
      or coalesce((
        select c.granted from consents c
        where c.supporter_id = m.supporter_id and c.purpose = 'campaign_updates' and c.campaign_id = @campaignId
        order by c.id desc limit 1
      ), 0) = 0
    )`),
)

/** Messages of a claimed batch that must not go out now: suppressed since, or consent withdrawn since. */
export async function blockedRecipients({ messageIds, campaignId }: { messageIds: number[]; campaignId: number }) {
  if (messageIds.length === 0) return new Set<number>()
  const rows = blockedStatement().all({ ids: JSON.stringify(messageIds), campaignId }) as { id: number }[]
  return new Set(rows.map((r) => r.id))
}

/** An update's texts for its email in `locale` (else the campaign's default language), with the campaign's. */
export async function getUpdateForEmail({ updateId, locale }: { updateId: number; locale: Locale }) {
  const db = getDb()
  const update = db.get<{
    title: string
    bodyMd: string
    lang: Locale
    imagePath: string | null
    imageAlt: string
    campaignId: number
    campaignSlug: string
    organizationName: string
  }>(sql`
      select ut.title as title, ut.body_md as bodyMd, ut.locale as lang, u.image_path as imagePath, ut.image_alt as imageAlt,
             c.id as campaignId, c.slug as campaignSlug, o.name as organizationName
      from updates u
      join campaigns c on c.id = u.campaign_id
      join organizations o on o.id = c.organization_id
      join update_translations ut on ut.update_id = u.id
      where u.id = ${updateId}
      order by ut.locale = ${locale} desc, ut.locale = c.default_locale desc
      limit 1`)
  return update ? { ...update, campaignTitle: campaignTitleFor(db, update.campaignId, locale) } : null
}
