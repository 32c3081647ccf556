import fs from 'node:fs'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { campaignCounters, campaigns, organizers, type CampaignStatus } from '#db/schema.ts'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { getCampaignForAdmin, saveCampaignTranslation, setCampaignImage, updateCampaignSettings } from '~/models/campaigns.server.ts'
import { getShareCardMeta } from '~/workflows/share-card-meta.server.ts'
import { ShareCardBusyError, ShareCardCache } from '~/workflows/share-card-cache.server.ts'
import { execute, firstRow } from '#db/query.server.ts'

const slug = demoCampaign.slug
let campaignId: number

async function setConfirmed(confirmed: number) {
  await execute(getDb()
    .insert(campaignCounters)
    .values({ campaignId, confirmed, pending: 0 })
    .onConflictDoUpdate({ target: campaignCounters.campaignId, set: { confirmed } }))
}

/** The campaign's status as the settings form changes it (its other settings as they are). */
async function setStatus(status: CampaignStatus) {
  const actorId = (await firstRow(getDb().select({ id: organizers.id }).from(organizers)))!.id
  const c = (await getCampaignForAdmin(getDb(), { id: campaignId }))!
  const { slug, defaultLocale, currency, signatureGoal, target, retentionDays, confirmationReminder, atRisk } = c
  await updateCampaignSettings(getDb(), { actorId, campaignId, settings: { slug, status, defaultLocale, currency, signatureGoal, target, retentionDays, confirmationReminder, atRisk } })
}

const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) })

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: true })
  campaignId = (await firstRow(getDb().select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, slug))))!.id
})

describe('the share card cache', () => {
  it('renders a campaign’s card once and serves it from memory', async () => {
    await setConfirmed(37)
    const cards = new ShareCardCache()
    const first = await cards.get(getDb(), { slug, lang: 'de', now: 0 })
    const again = await cards.get(getDb(), { slug, lang: 'de', now: 500 })
    expect(first).not.toBeNull()
    expect(pngSize(first!.png)).toEqual({ width: 1200, height: 630 })
    expect(again).toBe(first)
    expect(cards.renders).toBe(1)
  }, 30_000)

  it('redraws when the count crosses a visible step, at most once a minute, and not within a step', async () => {
    const t0 = 1_000_000
    const cards = new ShareCardCache()
    await setConfirmed(1_234_567)
    const first = (await cards.get(getDb(), { slug, lang: 'en', now: t0 }))!
    expect(cards.renders).toBe(1)

    await setConfirmed(1_234_599) // the same step: the card shows 1,234,000+ either way
    expect((await cards.get(getDb(), { slug, lang: 'en', now: t0 + 61_000 }))!.etag).toBe(first.etag)
    expect(cards.renders).toBe(1)

    await setConfirmed(1_235_000) // a new step, more than a minute after the first render: drawn again
    const t1 = t0 + 61_000
    const crossed = (await cards.get(getDb(), { slug, lang: 'en', now: t1 + 3_000 }))!
    expect(cards.renders).toBe(2)
    expect(crossed.etag).not.toBe(first.etag)

    await setConfirmed(1_236_000) // another step within the minute: the card waits
    expect((await cards.get(getDb(), { slug, lang: 'en', now: t1 + 30_000 }))!.etag).toBe(crossed.etag)
    expect(cards.renders).toBe(2)
    const later = (await cards.get(getDb(), { slug, lang: 'en', now: t1 + 3_000 + 60_000 }))!
    expect(cards.renders).toBe(3)
    expect(later.etag).not.toBe(crossed.etag)
  }, 30_000)

  it('lets concurrent requests for a stale card share one render', async () => {
    const cards = new ShareCardCache()
    await setConfirmed(40)
    await cards.get(getDb(), { slug, lang: 'es', now: 0 })
    await setConfirmed(41)
    const all = await Promise.all(Array.from({ length: 8 }, () => cards.get(getDb(), { slug, lang: 'es', now: 120_000 })))
    expect(cards.renders).toBe(2)
    expect(new Set(all.map((c) => c!.etag)).size).toBe(1)
  }, 30_000)

  it('redraws at once when the title changes', async () => {
    const cards = new ShareCardCache()
    const before = (await cards.get(getDb(), { slug, lang: 'de', now: 0 }))!
    const actorId = (await firstRow(getDb().select({ id: organizers.id }).from(organizers)))!.id
    const de = demoCampaign.translations.de!
    await saveCampaignTranslation(getDb(), { actorId, campaignId, locale: 'de', text: { title: 'Freiheit für Andry', summary: de.summary, storyMd: de.storyMd, petitionText: de.petitionText, imageAlt: '' } })
    const after = (await cards.get(getDb(), { slug, lang: 'de', now: 5_000 }))!
    expect(cards.renders).toBe(2)
    expect(after.etag).not.toBe(before.etag)
    await saveCampaignTranslation(getDb(), { actorId, campaignId, locale: 'de', text: { title: de.title, summary: de.summary, storyMd: de.storyMd, petitionText: de.petitionText, imageAlt: '' } })
  }, 30_000)

  it('draws an uploaded hero, and a typographic card at once when the image is removed', async () => {
    const cards = new ShareCardCache()
    const actorId = (await firstRow(getDb().select({ id: organizers.id }).from(organizers)))!.id
    const seeded = (await cards.get(getDb(), { slug, lang: 'en', now: 0 }))!
    const uploads = process.env.UPLOADS_PATH!
    fs.mkdirSync(uploads, { recursive: true })
    const name = `campaign-${campaignId}-cardtest.jpg`
    const red = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#c01010' } }).jpeg().toBuffer()
    fs.writeFileSync(path.join(uploads, name), red)
    await setCampaignImage(getDb(), { actorId, campaignId, imagePath: `/media/${name}` })
    const uploaded = (await cards.get(getDb(), { slug, lang: 'en', now: 5_000 }))!
    expect(uploaded.etag).not.toBe(seeded.etag)
    // The hero fills the left column: its middle pixel is the upload's red.
    const { data, info } = await sharp(uploaded.png).raw().toBuffer({ resolveWithObject: true })
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3))
    expect(at(50, 600)[0]).toBeGreaterThan(170)
    expect(at(50, 600)[1]).toBeLessThan(60)
    await setCampaignImage(getDb(), { actorId, campaignId, imagePath: null })
    const removed = (await cards.get(getDb(), { slug, lang: 'en', now: 10_000 }))!
    expect(cards.renders).toBe(3)
    expect(removed.etag).not.toBe(uploaded.etag)
    const plain = await sharp(removed.png).raw().toBuffer({ resolveWithObject: true })
    const px = (x: number, y: number) => Array.from(plain.data.subarray((y * plain.info.width + x) * plain.info.channels, (y * plain.info.width + x) * plain.info.channels + 3))
    expect(px(50, 600)[1]).toBeGreaterThan(230) // the paper, not a picture
  }, 30_000)

  it('redraws at once when the campaign is closed or won, and again when it reopens', async () => {
    await setConfirmed(340)
    const cards = new ShareCardCache()
    const live = (await cards.get(getDb(), { slug, lang: 'de', now: 0 }))!
    try {
      await setStatus('closed')
      const closed = (await cards.get(getDb(), { slug, lang: 'de', now: 3_000 }))!
      expect(cards.renders).toBe(2)
      expect(closed.etag).not.toBe(live.etag)
      await setStatus('won')
      const won = (await cards.get(getDb(), { slug, lang: 'de', now: 6_000 }))!
      expect(cards.renders).toBe(3)
      expect(won.etag).not.toBe(closed.etag)
    } finally {
      await setStatus('live')
    }
    const reopened = (await cards.get(getDb(), { slug, lang: 'de', now: 9_000 }))!
    expect(cards.renders).toBe(4)
    expect(reopened.png.equals(live.png)).toBe(true)
  }, 30_000)

  it('never stores unknown slugs or languages, and stays within its bounds', async () => {
    const cards = new ShareCardCache({ maxEntries: 2 })
    expect(await cards.get(getDb(), { slug: 'no-such-campaign', lang: 'en' })).toBeNull()
    expect(await cards.get(getDb(), { slug, lang: 'fr' })).toBeNull()
    expect(cards.size).toBe(0)
    for (const lang of ['en', 'de', 'es']) await cards.get(getDb(), { slug, lang })
    expect(cards.size).toBe(2)
    expect(cards.renders).toBe(3)
  }, 30_000)
})

describe('the share card meta', () => {
  it('names the card by an absolute URL whose version moves with the visible step only', async () => {
    await setConfirmed(1_234_567)
    const a = (await getShareCardMeta(getDb(), { slug, lang: 'de', publicUrl: 'https://campaigns.example.org' }))!
    await setConfirmed(1_234_599)
    const b = (await getShareCardMeta(getDb(), { slug, lang: 'de', publicUrl: 'https://campaigns.example.org' }))!
    await setConfirmed(1_235_000)
    const c = (await getShareCardMeta(getDb(), { slug, lang: 'de', publicUrl: 'https://campaigns.example.org' }))!
    expect(a.url).toMatch(/^https:\/\/campaigns\.example\.org\/c\/free-andry\/card-de\.png\?v=[\w-]{10}$/)
    expect(b.url).toBe(a.url)
    expect(c.url).not.toBe(a.url)
    expect([a.width, a.height]).toEqual([1200, 630])
    expect(a.alt).toContain(demoCampaign.translations.de!.title)
    expect(a.alt).toContain('1.234.000+')
    expect(await getShareCardMeta(getDb(), { slug: 'no-such-campaign', lang: 'de', publicUrl: 'https://x.example' })).toBeNull()
  })

  it('writes the alt text in each language', async () => {
    await setConfirmed(37)
    const alt = async (lang: 'en' | 'de' | 'es') => (await getShareCardMeta(getDb(), { slug, lang, publicUrl: 'https://x.example' }))!.alt
    expect(await alt('en')).toMatch(/37 people have signed/)
    expect(await alt('de')).toMatch(/37 Menschen unterschrieben/)
    expect(await alt('es')).toMatch(/han firmado 37 personas/)
  })
})

describe('the share card meta of an ended campaign', () => {
  it('says in the alt text, in each language, that the campaign is closed or won and how many signed in the end', async () => {
    await setConfirmed(1_234_567)
    const meta = async (lang: 'en' | 'de' | 'es') => (await getShareCardMeta(getDb(), { slug, lang, publicUrl: 'https://x.example' }))!
    const liveUrl = (await meta('en')).url
    try {
      await setStatus('closed')
      const closed = await meta('en')
      expect(closed.url).not.toBe(liveUrl)
      expect(closed.alt).toBe(`Share image for “${demoCampaign.translations.en!.title}”: the petition is closed; 1,234,567 people signed.`)
      expect((await meta('de')).alt).toMatch(/Die Petition ist beendet; 1\.234\.567 Menschen haben unterschrieben\.$/)
      expect((await meta('es')).alt).toMatch(/la petición está cerrada; firmaron 1\.234\.567 personas\.$/)
      await setStatus('won')
      expect((await meta('en')).alt).toMatch(/: the campaign was won; 1,234,567 people signed\.$/)
      expect((await meta('de')).alt).toMatch(/Die Kampagne wurde gewonnen; 1\.234\.567 Menschen haben unterschrieben\.$/)
      expect((await meta('es')).alt).toMatch(/la campaña se ganó; firmaron 1\.234\.567 personas\.$/)
    } finally {
      await setStatus('live')
    }
    expect((await meta('en')).alt).toMatch(/1,234,000\+ people have signed so far, towards a goal of/)
  })
})

describe('the share card cache under a flood of different cards', () => {
  it('draws at most two cards at a time and makes the rest wait their turn, so a script cycling through campaigns and languages cannot take every core', async () => {
    let drawing = 0
    let most = 0
    const cards = new ShareCardCache({
      render: async () => {
        drawing++
        most = Math.max(most, drawing)
        await new Promise((resolve) => setTimeout(resolve, 60))
        drawing--
        return Buffer.from('not really a png')
      },
    })
    const all = await Promise.all((['en', 'de', 'es', 'en', 'de', 'es'] as const).map((lang, i) => cards.get(getDb(), { slug, lang, now: i })))
    expect(all.every((card) => card !== null)).toBe(true)
    expect(cards.renders).toBe(3) // one per language: the same card's requests share one drawing
    expect(most).toBe(2)
  })

  it('refuses to queue more than it can draw soon: the caller answers 503 and the crawler comes back', async () => {
    const cards = new ShareCardCache({ maxQueued: 0, render: () => new Promise((resolve) => setTimeout(() => resolve(Buffer.from('x')), 80)) })
    const results = await Promise.allSettled((['en', 'de', 'es'] as const).map((lang) => cards.get(getDb(), { slug, lang })))
    // Two draw at once and none may wait: the third to arrive is refused, not queued without bound.
    // (Which one arrives third is the database's to say: on Postgres the three reads finish in any order.)
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected'])
    expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toBeInstanceOf(ShareCardBusyError)
  })
})
