import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAMPAIGN_SLUG, startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { petitionClient } from '../helpers/petition.ts'
import { nameWordHashesOf, openSignature } from '~/models/personal-data.server.ts'

/**
 * At-risk mode as someone hunting for names meets it: a campaign that collected named signers,
 * named messages and a named donor-wall entry, then was switched to at risk. Every public way in
 * (the page and its single-fetch data, the donate pages, embeds, oEmbed, print, sitemap, the home
 * page) must carry none of those names. Over real HTTP against the production build, both engines.
 */

let stack: DonationStack
let petition: ReturnType<typeof petitionClient>
let owner: string

const SIGNER = { firstName: 'Eudoxia', lastName: 'Pfefferkorn' }
const DONOR = 'Theodolinde Stachelbeer'
const NAMES = [SIGNER.firstName, SIGNER.lastName, DONOR, 'Theodolinde', 'Stachelbeer']
const CAMPAIGN_ID = 1

beforeAll(async () => {
  stack = await startDonationStack()
  petition = petitionClient(stack.server, stack.db)
  owner = await petition.login()

  // Before the switch: a signer who asked to be named, with a message; a donor on the wall.
  await petition.signAndConfirm(petition.person({ ...SIGNER, email: 'eudoxia@example.org', showName: 'on', message: 'Solidarity-marker: free him.' }), owner)
  await stack.db.run(`update signatures set message_status = 'approved' where campaign_id = ? and message_status = 'pending'`, CAMPAIGN_ID)
  const gift = await stack.donate({ email: 'theodolinde@example.org', publicName: DONOR, message: 'Theodolinde-gift' })
  const mark = stack.standIn.events().length
  stack.standIn.complete(gift.sessionId)
  for (const event of stack.eventsSince(mark)) expect((await stack.deliver(event)).status).toBe(200)
  await stack.db.run(`update donations set wall_status = 'approved' where id = ?`, gift.donationId)

  const row = (await stack.db.get<Record<string, string | number | null>>(
    `select slug, status, currency, signature_goal, target, retention_days, confirmation_reminder from campaigns where id = ?`,
    CAMPAIGN_ID,
  ))!
  const form = {
    slug: String(row.slug),
    status: String(row.status),
    defaultLocale: 'en',
    currency: String(row.currency),
    signatureGoal: row.signature_goal === null ? '' : String(row.signature_goal),
    target: String(row.target),
    retentionDays: String(row.retention_days),
    ...(row.confirmation_reminder ? { confirmationReminder: 'on' } : {}),
    atRisk: 'on',
  }
  const saved = await fetch(`${stack.server.url}/admin/campaigns/${CAMPAIGN_ID}?index`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: owner, Origin: stack.server.url },
    body: new URLSearchParams(form),
  })
  expect(saved.status).toBe(302)
}, 60_000)

afterAll(async () => {
  await petition?.close()
  await stack?.close()
})

async function text(path: string, lang = 'en') {
  const response = await fetch(stack.server.url + path, { redirect: 'manual', headers: { 'Accept-Language': lang } })
  return { status: response.status, body: await response.text() }
}

describe('a campaign switched to at risk', () => {
  it('names no one who signed or gave before the switch, on any public page or its data', async () => {
    const campaignUrl = encodeURIComponent(`${stack.server.url}/c/${CAMPAIGN_SLUG}`)
    const paths = [
      `/c/${CAMPAIGN_SLUG}`,
      `/c/${CAMPAIGN_SLUG}?lng=de`,
      `/c/${CAMPAIGN_SLUG}.data`,
      `/c/${CAMPAIGN_SLUG}/donate`,
      `/c/${CAMPAIGN_SLUG}/donate.data`,
      `/embed/c/${CAMPAIGN_SLUG}`,
      `/embed/c/${CAMPAIGN_SLUG}.data`,
      `/embed/c/${CAMPAIGN_SLUG}/donate`,
      `/c/${CAMPAIGN_SLUG}/count.json`,
      `/c/${CAMPAIGN_SLUG}/print/a4`,
      `/oembed?url=${campaignUrl}`,
      `/sitemap.xml`,
      `/`,
      `/.data`,
    ]
    for (const path of paths) {
      const { status, body } = await text(path)
      // Each way in answers with content (a 404 would prove nothing), the oEmbed of a local URL aside.
      expect(status, path).toBe(path.startsWith('/oembed') ? status : 200)
      for (const name of NAMES) expect(body, `${path} names ${name}`).not.toContain(name)
    }
  })

  it('still holds the names for the team: the test would see a leak', async () => {
    const gifts = await stack.db.all<{ id: number; wall_status: string; status: string }>(`select id, wall_status, status from donations`)
    const named = []
    for (const gift of gifts) if ((await stack.donationData(gift.id))?.publicName === DONOR) named.push({ wall_status: gift.wall_status, status: gift.status })
    expect(named).toEqual([{ wall_status: 'approved', status: 'succeeded' }])
    const signer = await stack.db.get<{ sealed: string | null }>(
      `select s.sealed from signatures s join signature_name_words w on w.signature_id = s.id where w.word_hash = ?`,
      nameWordHashesOf(SIGNER.lastName)[0],
    )
    expect(openSignature(signer?.sealed ?? null)?.firstName).toBe(SIGNER.firstName)
  })

  it('still shows the message, by country only', async () => {
    const { body } = await text(`/c/${CAMPAIGN_SLUG}`)
    expect(body).toContain('Solidarity-marker: free him.')
  })
})
