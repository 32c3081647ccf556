/**
 * The living demo: weeks of activity on the demo campaign (confirmed signatures from many
 * countries, approved messages in three languages with the team's replies, paid gifts to both
 * funds with their receipts, one update sent to supporters), the Spanish story and a second
 * campaign, closed a while ago. `npm run db:seed` adds it; the tests' plain seed does not.
 *
 * Deterministic: a seeded generator picks everything, and times are placed back from `now`
 * (so a demo seeded today looks alive today). Rows are written in the order they happened, so
 * ids grow with time as they would. Money goes through the app's own webhook path
 * (createDonation, applyPaymentEvent), so fund totals, donors, receipts and their numbers are
 * the app's; signature counters are recomputed by the app's recount.
 */
import { and, eq, inArray, sql } from 'drizzle-orm'
import { appendConsent } from '../../app/models/consents.server.ts'
import { createDonation, applyPaymentEvent } from '../../app/models/donations.server.ts'
import { recountSignatures } from '../../app/models/counters.server.ts'
import { emailHashes, sealReply, sealSignature } from '../../app/models/personal-data.server.ts'
import { writeNameWords } from '../../app/models/signatures.server.ts'
import { newSupporterRow } from '../../app/models/supporters.server.ts'
import { startUpdateSend } from '../../app/models/update-sends.server.ts'
import { DEMO_CAMPAIGN_SLUG } from '../../app/utils/demo-identity.ts'
import { getDb, type DB, type Tx } from '../../db/client.server.ts'
import { transaction } from '../../db/transaction.server.ts'
import {
  auditLog,
  campaigns,
  campaignTranslations,
  donations,
  emailBatches,
  emailMessages,
  funds,
  replies,
  signatures,
  stripeEvents,
  supporters,
  updates,
  updateSends,
  updateTranslations,
} from '../../db/schema.ts'
import { demoStoryEs, type SeedLocale } from './content.ts'
import { demoClosedCampaign, demoCountries, demoDonorNotes, demoMessages, demoNames, demoPendingMessages, demoSentUpdate } from './history-content.ts'
import { allRows, execute, firstRow } from '../../db/query.server.ts'

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const LOCALES: SeedLocale[] = ['en', 'de', 'es']

/** How much history: the demo campaign's signatures and gifts, the closed campaign's signatures. */
export const HISTORY_SIZE = { signatures: 340, donations: 64, closedSignatures: 48 }
const SIGNING_DAYS = 42
const SEND_DAYS_AGO = 13

/** mulberry32: small, fast and the same on every machine. */
function generator(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
    weighted: <T extends { weight: number }>(items: readonly T[]) => {
      let roll = next() * items.reduce((sum, i) => sum + i.weight, 0)
      for (const item of items) if ((roll -= item.weight) < 0) return item
      return items[items.length - 1]!
    },
  }
}
type Random = ReturnType<typeof generator>

type Signer = { first: string; last: string; email: string; country: string; locale: SeedLocale }

/** An invented person: a name from the lists, an address at example.org or example.net. */
function inventSigner(random: Random, n: number): Signer {
  const { code, locale } = random.weighted(demoCountries)
  const first = random.pick(demoNames[locale].first)
  const last = random.pick(demoNames[locale].last)
  const ascii = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
  const domain = n % 3 === 0 ? 'example.net' : 'example.org'
  return { first, last, email: `${ascii(first)}.${ascii(last)}.${n}@${domain}`, country: code, locale }
}

/**
 * Signing days back from now: a steady trickle, a surge about a month ago (the campaign was
 * shared widely) and a smaller one after the update went out; a few today.
 */
function signingTimes(random: Random, count: number, now: number) {
  const weights = Array.from({ length: SIGNING_DAYS }, (_, daysAgo) => ({
    daysAgo,
    weight: 2 + 14 * Math.exp(-((daysAgo - 31) ** 2) / 8) + 6 * Math.exp(-((daysAgo - (SEND_DAYS_AGO - 1)) ** 2) / 4) + (daysAgo < 3 ? 2 : 0),
  }))
  // "Today" is the UTC day the dashboard counts: its share lies between midnight and a few minutes
  // ago (or the day's first half so far, when it is younger than that), however early the seed runs.
  const midnight = now - (now % DAY)
  const latestToday = now - Math.min(5 * 60_000, Math.floor((now - midnight) / 2))
  const times = Array.from({ length: count }, () => {
    const { daysAgo } = random.weighted(weights)
    const within = random.next()
    if (daysAgo === 0) return midnight + Math.floor(within * (latestToday - midnight))
    return now - daysAgo * DAY - Math.floor(within * (DAY - HOUR)) - 5 * 60_000
  })
  return times.sort((a, b) => a - b)
}

type SeedEvent = { at: number; kind: 'signature'; n: number } | { at: number; kind: 'donation'; n: number } | { at: number; kind: 'send' }

export async function seedHistory(db: DB, { now, organizerId, created }: { now: number; organizerId: number | null; created: string[] }) {
  // The app's models write through the process-wide connection: the seed must use the same one.
  if (db !== getDb()) throw new Error('seedHistory: pass the process-wide connection (getDb())')
  const demo = await firstRow(db.select({ id: campaigns.id, organizationId: campaigns.organizationId }).from(campaigns).where(eq(campaigns.slug, DEMO_CAMPAIGN_SLUG)))
  if (!demo) return
  // One transaction for all of it: the app's own transactions inside become savepoints.
  await transaction(db, async (tx) => {
    await addSpanishStory(tx, demo.id, created)
    await addClosedCampaign(tx, demo.organizationId, now, created)
    const untouched =
      !await firstRow(tx.select({ id: signatures.id }).from(signatures).where(eq(signatures.campaignId, demo.id))) &&
      !await firstRow(tx.select({ id: donations.id }).from(donations).where(eq(donations.campaignId, demo.id)))
    if (untouched) await addActivity(tx, demo.id, now, organizerId, created)
    await recountSignatures(tx)
  })
}

/** The full Spanish story, unless an organiser has written one. */
async function addSpanishStory(db: DB, campaignId: number, created: string[]) {
  const changed = (await execute(db
    .update(campaignTranslations)
    .set({ storyMd: demoStoryEs })
    .where(and(eq(campaignTranslations.campaignId, campaignId), eq(campaignTranslations.locale, 'es'), eq(campaignTranslations.storyMd, ''))))).changes
  if (changed) created.push('the Spanish story')
}

async function addClosedCampaign(db: Tx, organizationId: number, now: number, created: string[]) {
  const c = demoClosedCampaign
  if (await firstRow(db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, c.slug)))) return
  const random = generator(0xc105ed)
  const published = now - 160 * DAY
  const closed = now - 45 * DAY
  const campaign = await firstRow(db
    .insert(campaigns)
    .values({
      organizationId,
      slug: c.slug,
      status: 'closed',
      defaultLocale: 'en',
      currency: 'EUR',
      target: c.target,
      imagePath: '/images/free-andry-vigil.png',
      publishedAt: published,
      closedAt: closed,
      retentionDays: 180,
      createdAt: published - 2 * DAY,
      updatedAt: closed,
    })
    .returning({ id: campaigns.id }))
  for (const locale of LOCALES) {
    await execute(db.insert(campaignTranslations).values({ campaignId: campaign.id, locale, ...c.translations[locale], imageAlt: c.imageAlt[locale], updatedAt: published }))
  }
  for (const entry of c.timeline) {
    const stamp = entry.when === 'opened' ? published : closed
    const update = await firstRow(db
      .insert(updates)
      .values({ campaignId: campaign.id, happenedOn: new Date(stamp).toISOString().slice(0, 10), publishedAt: stamp, createdAt: stamp, updatedAt: stamp })
      .returning({ id: updates.id }))
    for (const locale of LOCALES) await execute(db.insert(updateTranslations).values({ updateId: update.id, locale, ...entry.translations[locale] }))
  }
  const span = closed - published - DAY
  const times = Array.from({ length: HISTORY_SIZE.closedSignatures }, () => published + Math.floor(random.next() * span)).sort((a, b) => a - b)
  for (const [i, at] of times.entries()) {
    const signer = inventSigner(random, 5000 + i)
    await insertSignature(db, { campaignId: campaign.id, signer, at, showName: random.chance(0.5), updates: false, message: null })
  }
  await execute(db.insert(auditLog)
    .values({ organizerId: null, action: 'campaign.update', subjectType: 'campaign', subjectId: String(campaign.id), details: { status: ['live', 'closed'] }, createdAt: closed }))
  created.push(`closed campaign /c/${c.slug} with ${times.length} signatures`)
}

/** A supporter and their confirmed signature, as signing and confirming would have left them (sealed, with name words). */
async function insertSignature(
  db: Tx,
  { campaignId, signer, at, showName, updates, message }: { campaignId: number; signer: Signer; at: number; showName: boolean; updates: boolean; message: { text: string; status: 'approved' | 'pending' } | null },
) {
  const signedAt = at - 3 * 60_000
  const supporter = await firstRow(db
    .insert(supporters)
    .values({ ...newSupporterRow({ email: signer.email, firstName: signer.first, lastName: signer.last, country: signer.country, locale: signer.locale }), createdAt: signedAt, updatedAt: at })
    .returning({ id: supporters.id }))
  const signature = await firstRow(db
    .insert(signatures)
    .values({
      campaignId,
      supporterId: supporter.id,
      status: 'confirmed',
      ...sealSignature({ firstName: signer.first, lastName: signer.last, postalCode: null, message: message?.text ?? null }),
      country: signer.country,
      locale: signer.locale,
      showName,
      messageStatus: message?.status ?? null,
      confirmationsSent: 1,
      createdAt: signedAt,
      confirmedAt: at,
      updatesRequested: updates,
    })
    .returning({ id: signatures.id }))
  await writeNameWords(db, { campaignId, signatureId: signature.id, firstName: signer.first, lastName: signer.last })
  return { supporterId: supporter.id, signatureId: signature.id, updates }
}

async function addActivity(db: Tx, campaignId: number, now: number, organizerId: number | null, created: string[]) {
  const random = generator(0xa11ce)
  const fundRows = await allRows(db.select({ id: funds.id, slug: funds.slug }).from(funds).where(eq(funds.campaignId, campaignId)).orderBy(funds.position))
  const signingAt = signingTimes(random, HISTORY_SIZE.signatures, now)
  const signers = signingAt.map((_, n) => inventSigner(random, n + 1))

  // Messages: spread over the weeks, languages interleaved so the latest show all three.
  const messageOf = new Map<number, { text: string; status: 'approved' | 'pending'; reply?: string }>()
  const place = (locale: SeedLocale, from: number, message: { text: string; status: 'approved' | 'pending'; reply?: string }) => {
    for (let n = Math.max(0, from); n < signers.length; n++) {
      if (signers[n]!.locale === locale && !messageOf.has(n)) return void messageOf.set(n, message)
    }
    for (let n = Math.min(from, signers.length - 1); n >= 0; n--) {
      if (signers[n]!.locale === locale && !messageOf.has(n)) return void messageOf.set(n, message)
    }
  }
  const perLocale = demoMessages.en.length
  const approvedCount = perLocale * LOCALES.length
  for (let k = 0; k < perLocale; k++) {
    LOCALES.forEach((locale, j) => {
      const index = k * LOCALES.length + j
      const { text, reply } = demoMessages[locale][k]!
      place(locale, Math.floor(((index + 1) * (signers.length - 12)) / (approvedCount + 1)), { text, reply, status: 'approved' })
    })
  }
  demoPendingMessages.forEach(({ locale, text }, i) => place(locale, signers.length - 6 + i * 3, { text, status: 'pending' }))

  // Gifts: two in five from people who had signed, the rest from new donors.
  const donationAt = Array.from({ length: HISTORY_SIZE.donations }, () => now - Math.floor(random.next() * (SIGNING_DAYS - 2) * DAY) - HOUR).sort((a, b) => a - b)
  const sendAt = now - SEND_DAYS_AGO * DAY + 10 * HOUR

  const events: SeedEvent[] = [
    ...signingAt.map((at, n) => ({ at, kind: 'signature' as const, n })),
    ...donationAt.map((at, n) => ({ at, kind: 'donation' as const, n })),
    { at: sendAt, kind: 'send' as const },
  ].sort((a, b) => a.at - b.at)

  const signed: { supporterId: number; signer: Signer }[] = []
  let replyCount = 0
  let recipients = 0
  for (const event of events) {
    if (event.kind === 'signature') {
      const signer = signers[event.n]!
      const message = messageOf.get(event.n) ?? null
      const ids = await insertSignature(db, {
        campaignId,
        signer,
        at: event.at,
        showName: message ? random.chance(0.8) : random.chance(0.55),
        updates: random.chance(0.6),
        message,
      })
      // Confirming with "send me news" leaves this consent; every consent row is written by the consents model.
      if (ids.updates) await appendConsent(db, { supporterId: ids.supporterId, campaignId, granted: true, source: 'petition_form', now: event.at })
      signed.push({ supporterId: ids.supporterId, signer })
      if (message?.reply) {
        // A few hours later, but never ahead of the clock nor before the message itself.
        const answeredAt = Math.max(event.at, Math.min(event.at + 5 * HOUR, now - 10 * 60_000))
        await execute(db.insert(replies).values({ signatureId: ids.signatureId, organizerId, ...sealReply({ body: message.reply }), createdAt: answeredAt }))
        await execute(db.insert(auditLog)
          .values({ organizerId, action: 'message.reply', subjectType: 'signature', subjectId: String(ids.signatureId), details: { campaignId }, createdAt: answeredAt }))
        replyCount++
      }
    } else if (event.kind === 'donation') {
      await addDonation(db, random, { campaignId, funds: fundRows, at: event.at, n: event.n, signed })
    } else {
      recipients = await sendUpdate(db, { campaignId, sendAt, organizerId })
    }
  }
  created.push(
    `${signers.length} confirmed signatures from ${new Set(signers.map((s) => s.country)).size} countries`,
    `${messageOf.size} messages of support (${replyCount} answered)`,
    `${donationAt.length} paid gifts`,
    `an update sent to ${recipients} supporters`,
  )
}

const AMOUNTS = [1000, 1000, 2500, 2500, 2500, 5000, 5000, 10000, 1500, 3000, 7500, 20000]

async function addDonation(
  db: DB,
  random: Random,
  { campaignId, funds: fundRows, at, n, signed }: { campaignId: number; funds: { id: number }[]; at: number; n: number; signed: { supporterId: number; signer: Signer }[] },
) {
  const fund = n % 5 < 3 ? fundRows[0]! : fundRows[1]!
  const fromSigner = signed.length > 0 && random.chance(0.4) ? random.pick(signed).signer : null
  const donor = fromSigner ?? inventSigner(random, 9000 + n)
  const giftMinor = random.pick(AMOUNTS)
  // "Cover the fees" as the donate form estimates them (1.5 % + 25 cents by default).
  const amountMinor = random.chance(0.3) ? giftMinor + Math.round(giftMinor * 0.015) + 25 : giftMinor
  const note = n % 9 === 4 ? demoDonorNotes[Math.floor(n / 9) % demoDonorNotes.length]! : null
  const donationId = await createDonation(db, {
    campaignId,
    fundId: fund.id,
    interval: 'one_time',
    giftMinor,
    amountMinor,
    currency: 'EUR',
    email: donor.email,
    publicName: note?.name ?? null,
    message: note?.message ?? null,
    wantsUpdates: random.chance(0.5),
    locale: donor.locale,
    receiptName: null,
  })
  // What Stripe's webhook would say when the payment succeeds: applied by the app's own path.
  const applied = await applyPaymentEvent(db, {
    eventId: `evt_demo_${donationId}`,
    type: 'checkout.session.completed',
    created: Math.floor(at / 1000),
    facts: [
      {
        kind: 'checkout',
        donationId,
        sessionId: `cs_demo_${donationId}`,
        mode: 'payment',
        paymentIntentId: `pi_demo_${donationId}`,
        subscriptionId: null,
        customerId: null,
        invoiceId: null,
        amountMinor,
        currency: 'eur',
        delayed: false,
        outcome: 'paid',
        at,
        campaignId,
        fundId: fund.id,
      },
    ],
  })
  if (applied.result !== 'applied') throw new Error(`seed: the demo gift ${donationId} was not applied: ${applied.failure}`)
  // Back to when it happened: the checkout a few minutes before, the receipt captured just after.
  // The team approved the donor wall's entries long ago (new entries wait for approval).
  await execute(db.update(donations)
    .set({ createdAt: at - 4 * 60_000, updatedAt: at, ...(note ? { wallStatus: 'approved' as const } : {}) })
    .where(eq(donations.id, donationId)))
  await execute(db.update(stripeEvents).set({ receivedAt: at + 2000 }).where(eq(stripeEvents.id, `evt_demo_${donationId}`)))
  await execute(db.update(emailMessages)
    .set({ status: 'captured', attempts: 1, createdAt: at + 2000, sentAt: at + 5000 })
    .where(eq(emailMessages.idempotencyKey, `donation:${donationId}:receipt`)))
  if (!fromSigner) await execute(db.update(supporters).set({ createdAt: at - 4 * 60_000, updatedAt: at }).where(inArray(supporters.emailHash, emailHashes(donor.email))))
}

/** A timeline entry sent by email to everyone who asked for news then, through the app's send. */
async function sendUpdate(db: DB, { campaignId, sendAt, organizerId }: { campaignId: number; sendAt: number; organizerId: number | null }) {
  const happenedOn = new Date(sendAt).toISOString().slice(0, 10)
  const update = await firstRow(db
    .insert(updates)
    .values({ campaignId, happenedOn, authorId: organizerId, publishedAt: sendAt - HOUR, createdAt: sendAt - 3 * HOUR, updatedAt: sendAt - HOUR })
    .returning({ id: updates.id }))
  for (const locale of LOCALES) await execute(db.insert(updateTranslations).values({ updateId: update.id, locale, ...demoSentUpdate[locale] }))
  const started = await startUpdateSend(db, { updateId: update.id, campaignId, audience: { signers: true, donors: 'campaign' }, organizerId })
  if (started.status !== 'started') throw new Error(`seed: the demo update was not sent (${started.status})`)
  // The sender's work, done back then: every batch submitted, every message captured and delivered.
  await execute(db.update(updateSends).set({ createdAt: sendAt }).where(eq(updateSends.id, started.sendId)))
  await execute(db.update(emailBatches).set({ status: 'submitted', attempts: 1, submittedAt: sendAt + 20_000 }).where(eq(emailBatches.sendId, started.sendId)))
  await execute(db.update(emailMessages)
    .set({ status: 'captured', attempts: 1, createdAt: sendAt, sentAt: sendAt + 20_000, deliveryStatus: 'delivered', deliveryAt: sendAt + 90_000 })
    .where(sql`${emailMessages.batchId} in (select id from email_batches where send_id = ${started.sendId})`))
  await execute(db.update(auditLog).set({ createdAt: sendAt }).where(and(eq(auditLog.action, 'update.send'), eq(auditLog.subjectId, String(update.id)))))
  return started.recipients
}
