import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAMPAIGN_SLUG, startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { nameWordHashesOf, openSignature } from '~/models/personal-data.server.ts'

// At-risk mode (issue 16), over real HTTP against the production build with the Stripe stand-in:
// an organiser ticks "supporters may be at risk", and from then on no signer's or donor's name
// reaches the campaign page, count.json, a CSV export (unless an owner asks, audited), a receipt
// (unless the donor asks) or Stripe (which sees what the stand-in recorded).

let stack: DonationStack
let petition: ReturnType<typeof petitionClient>
let owner: string
let manager: string

// Names nobody else uses, so finding one anywhere is a leak, not a coincidence.
const SHOWN = { firstName: 'Quirinella', lastName: 'Vandersloot' }
const AT_RISK = { firstName: 'Ottoline', lastName: 'Brackwasser' }
const DONOR = { publicName: 'Philippa Wandersee', receiptName: 'Rosamund Kettleby' }
const NAMES = [SHOWN.firstName, SHOWN.lastName, AT_RISK.firstName, AT_RISK.lastName, DONOR.publicName, DONOR.receiptName]
const CAMPAIGN_ID = 1

beforeAll(async () => {
  stack = await startDonationStack()
  petition = petitionClient(stack.server, stack.db)
  owner = await petition.login()
  await createOrganiser(stack.server, { email: 'mira@example.org', name: 'Mira', password: 'a long enough password', campaignRoles: [{ slug: CAMPAIGN_SLUG, role: 'manager' }] })
  manager = await petition.login('mira@example.org', 'a long enough password')
})

afterAll(async () => {
  await petition?.close()
  await stack?.close()
})

function get(path: string, { cookie, lang = 'en' }: { cookie?: string; lang?: string } = {}) {
  return fetch(stack.server.url + path, { redirect: 'manual', headers: { ...(cookie ? { Cookie: cookie } : {}), 'Accept-Language': lang } }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }))
}

function post(path: string, fields: Record<string, string>, { cookie = owner, lang = 'en' }: { cookie?: string; lang?: string } = {}) {
  return fetch(stack.server.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookie, Origin: stack.server.url, 'Accept-Language': lang },
    body: new URLSearchParams(fields),
  }).then(async (r) => ({ status: r.status, location: r.headers.get('location'), body: await r.text() }))
}

async function settingsOf(campaignId: number) {
  return (await stack.db.get<{ slug: string; status: string; currency: string; signature_goal: number | null; target: string; retention_days: number; at_risk: number | boolean; confirmation_reminder: number | boolean }>(
    `select slug, status, currency, signature_goal, target, retention_days, at_risk, confirmation_reminder from campaigns where id = ?`,
    campaignId,
  ))!
}

async function settingsForm(campaignId: number, overrides: Record<string, string>) {
  const row = await settingsOf(campaignId)
  return {
    slug: row.slug,
    status: row.status,
    defaultLocale: 'en',
    currency: row.currency,
    signatureGoal: row.signature_goal === null ? '' : String(row.signature_goal),
    target: row.target,
    retentionDays: String(row.retention_days),
    ...(row.confirmation_reminder ? { confirmationReminder: 'on' } : {}),
    ...(row.at_risk ? { atRisk: 'on' } : {}),
    ...overrides,
  }
}

/** The items of one list on the campaign page (recent signers or messages), as text. */
function listItems(html: string, className: string) {
  const list = new RegExp(`<div class="${className}">([\\s\\S]*?)</div>\\s*(?:<div class="support-messages">|</section>)`).exec(html)?.[1] ?? ''
  return [...list.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => textOf(m[1]!))
}

async function lastAudit(action: string) {
  return await stack.db.get<{ organizer_id: number; details: string }>(`select organizer_id, details from audit_log where action = ? order by id desc limit 1`, action)
}

async function signAndConfirm(form: Record<string, string>) {
  await petition.signAndConfirm(petition.person(form), owner)
}

async function approveMessages() {
  await stack.db.run(`update signatures set message_status = 'approved' where campaign_id = ? and message_status = 'pending'`, CAMPAIGN_ID)
}

function expectNoName(text: string, where: string) {
  for (const name of NAMES) expect(text, `${where} names ${name}`).not.toContain(name)
}

describe('the setting', () => {
  it('makes a new campaign at risk when its organiser ticks the box, with 30 days’ retention unless they chose another', async () => {
    const base = { title: 'A case for people at risk', summary: '', status: 'draft', defaultLocale: 'en', currency: 'EUR' }
    const form = await get('/admin/campaigns/new', { cookie: owner })
    expect(form.body).toMatch(/<input[^>]*name="atRisk"/)
    expect(textOf(form.body)).toContain('Supporters may be at risk')

    const cases: { slug: string; fields: Record<string, string>; atRisk: boolean; days: number }[] = [
      { slug: 'at-risk-default', fields: { atRisk: 'on' }, atRisk: true, days: 30 },
      { slug: 'at-risk-chosen', fields: { atRisk: 'on', retentionDays: '90' }, atRisk: true, days: 90 },
      { slug: 'ordinary-default', fields: {}, atRisk: false, days: 180 },
    ]
    for (const { slug, fields, atRisk, days } of cases) {
      const created = await post('/admin/campaigns/new', { ...base, slug, retentionDays: '', ...fields })
      expect(created.status, created.body.slice(0, 300)).toBe(302)
      const row = await stack.db.get<{ at_risk: number | boolean; retention_days: number }>(`select at_risk, retention_days from campaigns where slug = ?`, slug)
      expect({ slug, atRisk: Boolean(row!.at_risk), days: row!.retention_days }).toEqual({ slug, atRisk, days })
    }
  })

  it('is off for existing campaigns, and turning it on in the settings shortens a retention still at the default, audited', async () => {
    expect(Boolean((await settingsOf(CAMPAIGN_ID)).at_risk)).toBe(false)
    const settings = await get(`/admin/campaigns/${CAMPAIGN_ID}`, { cookie: owner })
    expect(settings.body).toMatch(/<input[^>]*name="atRisk"/)

    // Before: an ordinary campaign shows a signer who asked to be named, and their message with their name.
    await signAndConfirm({ ...SHOWN, showName: 'on', postalCode: '10115', message: 'Stay strong, Andry.' })
    await approveMessages()
    const ordinary = await get(`/c/${CAMPAIGN_SLUG}`)
    expect(listItems(ordinary.body, 'recent-signers')).toEqual([`${SHOWN.firstName} V., Germany`])
    expect(textOf(ordinary.body)).toContain(`— ${SHOWN.firstName} V., Germany`)

    const saved = await post(`/admin/campaigns/${CAMPAIGN_ID}?index`, await settingsForm(CAMPAIGN_ID, { atRisk: 'on' }))
    expect(saved.status, [...saved.body.matchAll(/class="field__errors">(.*?)<\/ul>/g)].map((m) => m[1]).join(' | ')).toBe(302)
    expect(await settingsOf(CAMPAIGN_ID)).toMatchObject({ retention_days: 30 })
    expect(Boolean((await settingsOf(CAMPAIGN_ID)).at_risk)).toBe(true)
    expect(JSON.parse((await lastAudit('campaign.update'))!.details)).toEqual({ retentionDays: [180, 30], atRisk: [false, true] })
  })
})

describe('signing a campaign at risk', () => {
  it('asks no postal code and offers no public name', async () => {
    const page = await get(`/c/${CAMPAIGN_SLUG}`)
    expect(page.body).toMatch(/<form[^>]*id="sign-form"/)
    expect(page.body).not.toMatch(/name="postalCode"/)
    expect(page.body).not.toMatch(/name="showName"/)
    expect(textOf(page.body)).toContain('this campaign never shows who signed')
  })

  it('refuses a postal code posted all the same, in the signer’s language, storing nothing', async () => {
    const before = await stack.db.get<{ n: number }>(`select count(*) as n from signatures`)
    for (const { lang, message } of [
      { lang: 'en', message: 'This campaign does not collect postal codes, to protect its supporters. Please leave this field empty.' },
      { lang: 'de', message: 'Diese Kampagne erhebt zum Schutz ihrer Unterstützenden keine Postleitzahlen. Bitte lassen Sie dieses Feld leer.' },
      { lang: 'es', message: 'Esta campaña no recoge códigos postales, para proteger a quienes la apoyan. Deja este campo vacío.' },
    ]) {
      const refused = await petition.sign(petition.person({ postalCode: '10115' }), { lang })
      expect(refused.status).toBe(400)
      const html = await refused.text()
      expect(html).toMatch(new RegExp(`<html[^>]*lang="${lang}"`))
      expect(textOf(html)).toContain(message)
    }
    expect(await stack.db.get(`select count(*) as n from signatures`)).toEqual(before)
  })

  it('stores no wish to be named, and the page shows signers and messages by country only', async () => {
    await signAndConfirm({ ...AT_RISK, country: 'FR', showName: 'on', message: 'We are with you.' })
    // Found by a whole name word's keyed hash: the names themselves are sealed (ADR 017).
    const row = await stack.db.get<{ show_name: number | boolean; sealed: string | null }>(
      `select s.show_name, s.sealed from signatures s join signature_name_words w on w.signature_id = s.id where w.word_hash = ?`,
      nameWordHashesOf(AT_RISK.firstName)[0],
    )
    expect({ showName: Boolean(row!.show_name), postalCode: openSignature(row!.sealed)?.postalCode ?? '' }).toEqual({ showName: false, postalCode: '' })
    await approveMessages()

    for (const { lang, recent, supporter } of [
      { lang: 'en', recent: ['A supporter, France', 'A supporter, Germany'], supporter: '— A supporter, France' },
      { lang: 'de', recent: ['Eine Unterstützerin oder ein Unterstützer, Frankreich', 'Eine Unterstützerin oder ein Unterstützer, Deutschland'], supporter: '— Eine Unterstützerin oder ein Unterstützer, Frankreich' },
    ]) {
      const page = await get(`/c/${CAMPAIGN_SLUG}?lng=${lang}`)
      expect(page.status).toBe(200)
      expect(listItems(page.body, 'recent-signers')).toEqual(recent)
      expect(textOf(page.body)).toContain(supporter)
      expect(textOf(page.body)).toContain('We are with you.')
      // Neither the signer named before the switch nor the one after, anywhere in the page (its data included).
      expectNoName(page.body, `the ${lang} campaign page`)
    }
  })

  it('puts no name in count.json', async () => {
    const feed = await get(`/c/${CAMPAIGN_SLUG}/count.json`)
    expect(feed.status).toBe(200)
    expect(JSON.parse(feed.body)).toMatchObject({ confirmed: 2 })
    expectNoName(feed.body, 'count.json')
  })
})

describe('exports of a campaign at risk', () => {
  it('carry no names, addresses or postal codes unless an owner asks, and the asking is audited', async () => {
    for (const cookie of [owner, manager]) {
      const plain = await get(`/admin/campaigns/${CAMPAIGN_ID}/export.csv`, { cookie })
      expect(plain.status).toBe(200)
      expect(plain.body.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe('country,confirmed_at,message')
      expectNoName(plain.body, 'the signatures export')
      expect(plain.body).not.toContain('@example.org')
      expect(plain.body).not.toContain('10115')
    }
    expect(JSON.parse((await lastAudit('signatures.export'))!.details)).toEqual({ kind: 'signatures', withEmails: false, withNames: false })

    const refused = await get(`/admin/campaigns/${CAMPAIGN_ID}/export.csv?names=1`, { cookie: manager, lang: 'de' })
    expect(refused.status).toBe(403)
    expect(refused.body).toBe('Nur Personen mit der Rolle Leitung dürfen die Namen der Unterstützenden dieser Kampagne exportieren.')

    const signaturesPage = await get(`/admin/campaigns/${CAMPAIGN_ID}/signatures`, { cookie: owner })
    expect(signaturesPage.body).toContain(`/admin/campaigns/${CAMPAIGN_ID}/export.csv?names=1`)
    const named = await get(`/admin/campaigns/${CAMPAIGN_ID}/export.csv?names=1`, { cookie: owner })
    expect(named.body.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe('first_name,last_name,email,country,postal_code,confirmed_at,message')
    expect(named.body).toContain(AT_RISK.lastName)
    const ownerId = (await stack.db.get<{ id: number }>(`select id from organizers where email = 'demo@vigil.example'`))!.id
    expect(await lastAudit('signatures.export')).toEqual({ organizer_id: ownerId, details: JSON.stringify({ kind: 'signatures', withEmails: true, withNames: true }) })
  })
})

describe('giving to a campaign at risk', () => {
  it('asks no public name, sends Stripe no address or name, and the receipt names nobody unless the donor asked', async () => {
    const page = await get(`/c/${CAMPAIGN_SLUG}/donate`)
    expect(page.body).not.toMatch(/name="publicName"/)
    expect(page.body).toMatch(/name="receiptName"/)

    const mark = stack.standIn.requests().length
    // An old form (or a script) posting a public name and a message: neither is kept.
    const gift = await stack.donate({ email: 'philippa@example.org', publicName: DONOR.publicName, message: 'Courage.', receiptName: '' })
    const asked = await stack.donate({ email: 'rosamund@example.org', publicName: '', message: '', receiptName: DONOR.receiptName })
    const sessionRequests = stack.standIn.requests().slice(mark).filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')
    expect(sessionRequests).toHaveLength(2)
    for (const request of sessionRequests) {
      expect(request.body).not.toHaveProperty('customer_email')
      expectNoName(request.rawBody, 'the Checkout Session request')
      expect(decodeURIComponent(request.rawBody)).not.toContain('@example.org')
    }
    expect(await stack.donationData(gift.donationId)).toMatchObject({ publicName: null, message: null })

    for (const { sessionId } of [gift, asked]) {
      const mark = stack.standIn.events().length
      // The payer types their name and address on Checkout's own page, as Stripe needs them.
      stack.standIn.complete(sessionId, { method: 'card', email: 'payer@example.net', name: 'Cardholder Name' })
      for (const event of stack.eventsSince(mark)) expect((await stack.deliver(event)).status).toBe(200)
    }
    const [plainReceipt] = await stack.receiptsOf(gift.donationId)
    expect(JSON.parse(plainReceipt!.props)).toMatchObject({ firstName: null })
    expect(JSON.parse((await stack.receiptsOf(asked.donationId))[0]!.props)).toMatchObject({ firstName: DONOR.receiptName })

    const receiptId = (await stack.db.get<{ id: number }>(`select id from email_messages where idempotency_key = ?`, `donation:${gift.donationId}:receipt`))!.id
    const rendered = await get(`/admin/outbox/${receiptId}/html`, { cookie: owner })
    expect(rendered.status).toBe(200)
    expectNoName(rendered.body, 'the receipt')
    expect(rendered.body).not.toContain('Cardholder Name')

    // No donor wall: the campaign page names no donor either.
    const campaignPage = await get(`/c/${CAMPAIGN_SLUG}`)
    expect(campaignPage.body).not.toContain('class="donor-wall"')
    expectNoName(campaignPage.body, 'the campaign page after gifts')
  })

  it('exports donations without names or addresses unless an owner asks', async () => {
    const plain = await get(`/admin/campaigns/${CAMPAIGN_ID}/donations.csv`, { cookie: owner })
    expect(plain.status).toBe(200)
    const header = plain.body.replace(/^\uFEFF/, '').split('\r\n')[0]!
    expect(header.split(',')).not.toContain('public_name')
    expect(header.split(',')).not.toContain('email')
    expect(plain.body).not.toContain('@example.org')
    expect((await get(`/admin/campaigns/${CAMPAIGN_ID}/donations.csv?names=1`, { cookie: manager })).status).toBe(403)
    const named = await get(`/admin/campaigns/${CAMPAIGN_ID}/donations.csv?names=1`, { cookie: owner })
    expect(named.body).toContain('rosamund@example.org')
    expect(JSON.parse((await lastAudit('donations.export'))!.details)).toMatchObject({ kind: 'donations', withEmails: true, withNames: true })
  })
})
