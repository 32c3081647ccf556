/**
 * The delivery packet as Chromium prints it: an organiser opens it from the back office, it prints
 * to an A4 PDF of several pages (the cover alone on the first), it makes no request of its own,
 * and a screenshot of its first page goes to tests/e2e/screenshots/packet-first-page-en.png.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { countryName } from '~/utils/countries.ts'
import { renderPacketHtml, type PacketData } from '~/workflows/packet.server.ts'

// PDF points (1/72 in): A4 is 210 × 297 mm.
const A4 = [595.28, 841.89] as const
// CSS pixels (1/96 in) of A4 and of its printable area inside the packet's @page margins (16/14/18 mm).
const MM = 96 / 25.4
const A4_PX = { width: Math.round(210 * MM), height: Math.round(297 * MM) }
const PRINTABLE_PX = { width: (210 - 28) * MM, height: (297 - 34) * MM }

/** Pages and their MediaBoxes, read from the PDF's bytes (Chromium writes page objects uncompressed). */
function pdfPages(pdf: Buffer) {
  const text = pdf.toString('latin1')
  const pages = text.match(/\/Type\s*\/Page(?!s)/g)?.length ?? 0
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[3]) - Number(m[1]), Number(m[4]) - Number(m[2])])
  return { pages, boxes }
}

let server: RunningServer
let db: ServerSql
let browser: Awaited<ReturnType<typeof launchBrowser>>
const foreign: string[] = []
let campaignId = 0

const SIGNERS: Record<string, string>[] = [
  { firstName: 'Amara', lastName: 'Okafor', country: 'NG', message: 'From Lagos: nobody should vanish into a prison abroad.' },
  { firstName: 'Jonas', lastName: 'Keller', country: 'DE', message: 'Ein Rechtsstaat prüft, bevor er abschiebt.' },
  { firstName: 'Lucía', lastName: 'Arias', country: 'ES' },
  { firstName: 'Mei', lastName: 'Tanaka', country: 'JP' },
  { firstName: 'Owen', lastName: 'Price', country: 'GB' },
  { firstName: 'Sofía', lastName: 'Beltrán', country: 'VE', message: 'Por Andry y por todos los que siguen allí.' },
]

beforeAll(async () => {
  // No count-log job: its first entry (4 s after start) would add the how-to-verify page while this
  // setup runs, or not, depending on the machine's speed; the next test covers a cover with a head.
  server = await startServer({ env: { TRUST_PROXY: '1', PAGE_CACHE_TTL_MS: '0', VIGIL_COUNT_LOG: 'off' } })
  db = openServerSql(server)
  const petition = petitionClient(server, db)
  const owner = await petition.login()
  campaignId = (await db.get<{ id: number }>(`select id from campaigns where slug = 'free-andry'`))!.id
  let n = 0
  for (const s of SIGNERS) await petition.signAndConfirm({ ...s, email: `packet.print.${++n}@example.org`, showName: 'on' }, owner)
  // Approve the messages and choose them for the packet, as the team does on the Messages and Packet pages.
  const withMessages = await db.column<number>('select id from signatures where campaign_id = ? and message_status is not null order by id', campaignId)
  expect(withMessages).toHaveLength(3)
  const send = (path: string, body: URLSearchParams) => fetch(server.url + path, { method: 'POST', redirect: 'manual', headers: { Cookie: owner, Origin: server.url }, body })
  for (const id of withMessages) expect((await send(`/admin/campaigns/${campaignId}/messages`, new URLSearchParams({ intent: 'approve', signatureId: String(id) }))).status).toBe(200)
  const choice = new URLSearchParams({ intent: 'select' })
  for (const id of withMessages) choice.append('signatureId', String(id))
  expect((await send(`/admin/campaigns/${campaignId}/packet`, choice)).status).toBe(302)
  browser = await launchBrowser({ viewport: A4_PX })
  browser.context.on('request', (request) => {
    if (!request.url().startsWith(server.url)) foreign.push(request.url())
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await db?.close()
  await server?.stop()
})

describe('the delivery packet in Chromium', () => {
  it('opens from the back office and prints to an A4 PDF whose first page is the cover alone', async () => {
    const page = await browser.context.newPage()
    await logInAsOrganiser(page, server.url)
    await page.goto(`${server.url}/admin/campaigns/${campaignId}/packet`)
    await expect.poll(() => page.getByRole('heading', { name: 'Delivery packet' }).first().isVisible()).toBe(true)
    // The three chosen messages are ticked.
    expect(await page.locator('input[name=signatureId]:checked').count()).toBe(3)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'packet-admin-en.png'), fullPage: true })
    // The English document, as its link on the packet page opens it (in a new tab there).
    const href = await page.locator('a', { hasText: 'Open' }).first().getAttribute('href')
    expect(href).toBe(`/admin/campaigns/${campaignId}/packet.html?locale=en`)
    const requests: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    const response = await page.goto(server.url + href)
    expect(response?.status()).toBe(200)
    // The document itself and nothing else: no stylesheet, font, image or script of its own.
    expect(requests).toEqual([server.url + href])
    expect(foreign).toEqual([])

    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('h1').textContent()).toContain('Justice for Andry')
    expect(await page.locator('.count strong').textContent()).toBe('6')
    expect(await page.locator('.names li').allTextContents()).toEqual(SIGNERS.map((s) => `${s.firstName} ${s.lastName![0]}. (${countryName(s.country!, 'en')})`))
    expect(await page.locator('.message').count()).toBe(3)
    expect(await page.locator('.map svg').count()).toBe(1)
    // The cover fits the first page's printable area, and each section starts a page of its own.
    const layout = await page.evaluate(() => ({
      coverHeight: document.querySelector('header.cover')!.getBoundingClientRect().height,
      breaks: [...document.querySelectorAll('section')].map((s) => getComputedStyle(s).breakBefore),
    }))
    expect(layout.coverHeight).toBeLessThan(PRINTABLE_PX.height)
    expect(layout.breaks).toEqual(['page', 'page', 'page'])

    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true })
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const { pages, boxes } = pdfPages(pdf)
    expect(pages).toBeGreaterThanOrEqual(2)
    for (const [w, h] of boxes) {
      expect(Math.abs(w! - A4[0])).toBeLessThan(2)
      expect(Math.abs(h! - A4[1])).toBeLessThan(2)
    }

    // The first page as it prints: an A4 sheet with the @page margins, the cover on it and nothing
    // after it (the sections begin on page 2; a screen has no page breaks, so they are hidden here).
    await page.evaluate(() => {
      document.body.style.padding = '16mm 14mm 18mm'
      for (const section of document.querySelectorAll('section')) section.style.display = 'none'
    })
    const png = await page.screenshot({ path: path.join(SCREENSHOTS, 'packet-first-page-en.png'), clip: { x: 0, y: 0, ...A4_PX } })
    expect(png.length).toBeGreaterThan(10_000)
    await page.close()
  })

  it('keeps a full cover (two targets with notes, a count-log head, the longest language) on the first page', async () => {
    // The document as the parts that are not merged yet will feed it: targets and a head of the count log.
    const lang = 'de'
    const data: PacketData = {
      lang,
      slug: demoCampaign.slug,
      organizationName: 'Demo Reporting Collective',
      title: { value: demoCampaign.translations.de.title, lang },
      petitionText: { value: demoCampaign.translations.de.petitionText, lang },
      targets: [
        { id: 1, name: { value: 'US-Heimatschutzministerium', lang }, role: { value: 'Büro des Ministers', lang }, note: { value: 'Zuständig für Abschiebungen nach dem Alien Enemies Act und für die Zusammenarbeit mit El Salvador.', lang } },
        { id: 2, name: { value: 'US-Kongress', lang }, role: { value: 'Justizausschüsse von Senat und Repräsentantenhaus', lang }, note: { value: 'Kann den Alien Enemies Act ändern oder aufheben.', lang } },
      ],
      legacyTarget: '',
      atRisk: false,
      confirmed: 123_456,
      range: { first: Date.parse('2025-03-25T09:00:00Z'), until: Date.parse('2026-12-05T09:00:00Z') },
      generatedAt: Date.parse('2026-12-05T09:00:00Z'),
      head: { seq: 14_999, at: '2026-12-05T09:00:00.000Z', confirmed: 123_456, invalidated: 789, reason: 'hourly', milestone: null, prev: 'ab'.repeat(32), hash: '3f9a12bc55de0a71'.repeat(4) },
      campaignUrl: `${server.url}/c/${demoCampaign.slug}`,
      countLogUrl: `${server.url}/c/${demoCampaign.slug}/count-log.json`,
      countries: [{ code: 'DE', name: 'Deutschland', confirmed: 123_456, share: 1 }],
      mapSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 470"/>',
      messages: [],
      signers: [],
    }
    const page = await browser.context.newPage()
    await page.setViewportSize(A4_PX)
    await page.setContent(renderPacketHtml(data))
    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('.cover .code').textContent()).toBe('3f9a 12bc 55de 0a71')
    expect(await page.locator('.cover .targets li').count()).toBe(2)
    const coverHeight = await page.evaluate(() => document.querySelector('header.cover')!.getBoundingClientRect().height)
    expect(coverHeight).toBeLessThan(PRINTABLE_PX.height)
    // Cover, countries, messages, signers, and how to check the count: a page each.
    expect(pdfPages(await page.pdf({ format: 'A4', preferCSSPageSize: true })).pages).toBe(5)
    await page.evaluate(() => {
      document.body.style.padding = '16mm 14mm 18mm'
      for (const section of document.querySelectorAll('section')) section.style.display = 'none'
    })
    await page.screenshot({ path: path.join(SCREENSHOTS, 'packet-first-page-de-full.png'), clip: { x: 0, y: 0, ...A4_PX } })
    await page.close()
  })
})
