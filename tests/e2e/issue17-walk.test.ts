/**
 * Issue 17 walked in Chromium against the production build, as a team and its supporters would:
 * the organiser adds a target with an address and sets a milestone two signatures ahead with
 * "email the targets" ticked; two supporters sign on the campaign page and confirm from their
 * emails (read in the demo outbox); the outbox then holds the target's email, once, with the
 * packet link; the packet opens and prints to A4 with the count log's verification code; the
 * organiser records the target's answer, and the campaign page shows it above the timeline in
 * en, de and es. Screenshots: tests/e2e/screenshots/issue17-*.png.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import adminEn from '../../app/locales/en/admin.json'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import es from '../../app/locales/es/common.json'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const SLUG = 'free-andry'
const CATALOGS = { en, de, es } as const
type Lng = keyof typeof CATALOGS
const TARGET_EMAIL = 'petitions-office.walk17@targets.example'
const SIGNERS = [
  { firstName: 'Nadia', lastName: 'Rahman', email: 'nadia.walk17@example.org', country: 'FR' },
  { firstName: 'Tomás', lastName: 'Ibarra', email: 'tomas.walk17@example.org', country: 'AR' },
]
const ANSWER: Record<Lng, { title: string; body: string }> = {
  en: { title: 'The Department replied to the petition', body: 'The Secretary’s office says the case is **under review** and promises a decision within 30 days.' },
  de: { title: 'Das Ministerium hat auf die Petition geantwortet', body: 'Das Büro des Ministers schreibt, der Fall werde **geprüft**, eine Entscheidung folge binnen 30 Tagen.' },
  es: { title: 'El Departamento respondió a la petición', body: 'La oficina del Secretario dice que el caso está **en revisión** y promete una decisión en 30 días.' },
}
const RESPONDER = 'Office of the Secretary of Homeland Security'

// PDF points (1/72 in) of A4, and A4 in CSS pixels (1/96 in) for the first page's screenshot.
const A4 = [595.28, 841.89] as const
const MM = 96 / 25.4
const A4_PX = { width: Math.round(210 * MM), height: Math.round(297 * MM) }

let server: RunningServer
let db: ServerSql
let organiser: Awaited<ReturnType<typeof launchBrowser>>
let visitor: Awaited<ReturnType<typeof launchBrowser>>
let campaignId = 0
let threshold = 0

beforeAll(async () => {
  // No page cache, so every view of the campaign page is fresh; signing limits above this file's few signatures.
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000' } })
  db = openServerSql(server)
  campaignId = (await db.get<{ id: number }>(`SELECT id FROM campaigns WHERE slug = ?`, SLUG))!.id
  ;[organiser, visitor] = await Promise.all([launchBrowser(), launchBrowser()])
  const page = await organiser.context.newPage()
  await logInAsOrganiser(page, server.url)
  await page.close()
}, 120_000)

afterAll(async () => {
  await visitor?.close()
  await organiser?.close()
  await db?.close()
  await server?.stop()
})

/** A full-page screenshot for a person to look at; once more if Chromium, on a busy machine, could not capture it. */
async function shot(page: Page, name: string) {
  const take = () => page.screenshot({ path: path.join(SCREENSHOTS, `issue17-${name}.png`), fullPage: true })
  await take().catch(async (error: Error) => {
    if (!/Unable to capture screenshot/.test(error.message)) throw error
    await page.waitForTimeout(500)
    await take()
  })
}

/** Open a page and wait until React has hydrated it (Conform validates and submits the forms then). */
async function open(page: Page, url: string) {
  const response = await page.goto(`${server.url}${url}`)
  expect(response?.status(), url).toBe(200)
  await page.waitForFunction(() => (window as { __remixRouter?: { state: { initialized: boolean } } }).__remixRouter?.state.initialized)
}

/** The confirmed count the back office shows on the milestones page ("Confirmed signatures now: 1,234."). */
async function countOnMilestonesPage(page: Page) {
  const text = (await page.locator('.admin-section > p', { hasText: adminEn.admin.milestones.count.split('{{')[0]! }).textContent()) ?? ''
  return Number(/([\d,]+)\.$/.exec(text)![1]!.replaceAll(',', ''))
}

/** The campaign's confirmed signatures, counted from the rows. */
async function confirmedRows() {
  return Number((await db.get<{ n: number }>(`SELECT count(*) AS n FROM signatures WHERE campaign_id = ? AND status = 'confirmed'`, campaignId))!.n)
}

/** Outbox rows as the organiser reads them: address, email kind (its data-template), state, link. */
async function outboxRows(page: Page) {
  await open(page, '/admin/outbox?lng=en')
  return page.locator('table tbody tr').evaluateAll((rows) =>
    rows.map((row) => {
      const cells = row.querySelectorAll('td')
      return {
        to: cells[1]?.textContent ?? '',
        template: cells[2]?.getAttribute('data-template') ?? '',
        label: cells[2]?.textContent ?? '',
        status: cells[3]?.querySelector('.status')?.className ?? '',
        href: (cells[0]?.querySelector('a') as HTMLAnchorElement | null)?.href ?? '',
      }
    }),
  )
}

/** The links of one outbox email, as its page lists them. */
async function linksOfEmail(page: Page, href: string) {
  await page.goto(href)
  await page.locator('ul.outbox-links').waitFor()
  return page.locator('ul.outbox-links a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))
}

/** A supporter signs on the campaign page (JavaScript on), then confirms from the email the organiser finds in the outbox. */
async function signAndConfirm(signer: (typeof SIGNERS)[number]) {
  const page = await visitor.context.newPage()
  await open(page, `/c/${SLUG}?lng=en`)
  await page.locator('#sign-form input[name=_js]').waitFor({ state: 'attached' })
  await page.fill('#sign-form input[name=firstName]', signer.firstName)
  await page.fill('#sign-form input[name=lastName]', signer.lastName)
  await page.fill('#sign-form input[name=email]', signer.email)
  await page.selectOption('#sign-form select[name=country]', signer.country)
  await page.click('#sign-form button[type=submit]')
  await expect.poll(() => page.locator('#petition .notice--success').textContent()).toBe(en.petition.checkInbox)

  const outbox = await organiser.context.newPage()
  let email: Awaited<ReturnType<typeof outboxRows>>[number] | undefined
  await expect
    .poll(
      async () => {
        email = (await outboxRows(outbox)).find((r) => r.to === signer.email && r.template === 'confirm-signature')
        return email?.status
      },
      { timeout: 20_000 },
    )
    .toBe('status status--captured')
  const confirm = (await linksOfEmail(outbox, email!.href)).filter((href) => /\/confirm\/[^/?]+$/.test(href))
  await outbox.close()
  expect(confirm).toHaveLength(1)
  await page.goto(confirm[0]!)
  await page.locator('button[name=intent][value=confirm]').click()
  await page.waitForURL(new RegExp(`/thanks/${SLUG}`))
  await page.close()
}

describe('issue 17: from a milestone to the target’s answer on the campaign page', () => {
  it('the organiser adds a target with an address and sets a milestone two signatures ahead that emails the targets', async () => {
    const page = await organiser.context.newPage()
    await open(page, `/admin/campaigns/${campaignId}/targets?lng=en`)
    const before = await page.locator('table tbody tr').count()
    await page.click(`summary:has-text("${adminEn.admin.targets.add}")`)
    const form = page.locator(`#target-new-${campaignId}`)
    await form.locator('input[name=email]').fill(TARGET_EMAIL)
    await form.locator('select[name=locale]').selectOption('de')
    await form.locator('input[name="texts.en.name"]').fill('Petitions Office of Homeland Security')
    await form.locator('input[name="texts.en.role"]').fill('Correspondence unit')
    await form.locator('input[name="texts.de.name"]').fill('Petitionsstelle des Heimatschutzministeriums')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\/targets\?saved=\d+$/)
    await expect.poll(() => page.locator('table tbody tr').count()).toBe(before + 1)
    // The new target, with its address and the language Vigil writes to it in.
    const row = page.locator('table tbody tr', { hasText: 'Petitions Office of Homeland Security' })
    expect(await row.locator('td').nth(4).textContent()).toBe(`${TARGET_EMAIL} (German)`)
    await shot(page, 'targets')

    await open(page, `/admin/campaigns/${campaignId}/milestones?lng=en`)
    const confirmed = await countOnMilestonesPage(page)
    expect(confirmed).toBe(await confirmedRows())
    threshold = confirmed + 2
    const details = page.locator('details', { has: page.locator('#milestone-new') })
    if (!(await details.evaluate((d: HTMLDetailsElement) => d.open))) await details.locator('summary').click()
    const milestone = page.locator('#milestone-new')
    await milestone.locator('input[name=threshold]').fill(String(threshold))
    await milestone.locator('input[name="texts.en.happens"]').fill('we deliver the petition to the Department of Homeland Security')
    await milestone.locator('input[name="texts.de.happens"]').fill('übergeben wir die Petition dem Heimatschutzministerium')
    await milestone.locator('input[name="texts.es.happens"]').fill('entregamos la petición al Departamento de Seguridad Nacional')
    await milestone.locator('input[name=emailTarget]').check()
    await milestone.locator('button[type=submit]').click()
    await page.waitForURL(/\/milestones\?done=saved$/)
    const set = page.locator('table tbody tr', { hasText: new Intl.NumberFormat('en').format(threshold) })
    await expect.poll(() => set.locator('td').nth(3).textContent()).toBe(adminEn.admin.milestones.states.upcoming)
    expect(await set.locator('td').nth(2).textContent()).toBe(adminEn.admin.milestones.yes)
    await shot(page, 'milestone-set')
    await page.close()

    // The campaign page tells supporters what happens there.
    const pub = await visitor.context.newPage()
    await open(pub, `/c/${SLUG}?lng=en`)
    const next = await pub.locator('.milestones__next').textContent()
    expect(next).toContain(en.milestones.at.replace('{{n}}', new Intl.NumberFormat('en').format(threshold)))
    expect(next).toContain('we deliver the petition to the Department of Homeland Security')
    await pub.close()
  })

  it('two supporters sign and confirm; the milestone is reached and the target is emailed once, with the packet link', async () => {
    expect(threshold).toBeGreaterThan(0)
    // Nothing for the targets before the count gets there.
    const page = await organiser.context.newPage()
    expect((await outboxRows(page)).filter((r) => r.template === 'milestone-target')).toEqual([])
    await signAndConfirm(SIGNERS[0]!)
    expect((await outboxRows(page)).filter((r) => r.template === 'milestone-target')).toEqual([])
    await signAndConfirm(SIGNERS[1]!)

    // Every target with an address gets one email, in its own language: ours in German.
    const withAddress = await db.column<string>(`SELECT email FROM campaign_targets WHERE campaign_id = ? AND email IS NOT NULL ORDER BY id`, campaignId)
    expect(withAddress).toContain(TARGET_EMAIL)
    let targetEmails: Awaited<ReturnType<typeof outboxRows>> = []
    await expect
      .poll(
        async () => {
          targetEmails = (await outboxRows(page)).filter((r) => r.template === 'milestone-target')
          return targetEmails.filter((r) => r.status === 'status status--captured').length
        },
        { timeout: 20_000 },
      )
      .toBe(withAddress.length)
    expect(targetEmails.map((r) => r.to).sort()).toEqual([...withAddress].sort())
    const ours = targetEmails.filter((r) => r.to === TARGET_EMAIL)
    expect(ours).toHaveLength(1)
    expect(ours[0]!.label).toBe(`${adminEn.admin.outbox.templates['milestone-target']} — de`)
    // The team hears of it too (the demo organiser is its owner).
    expect((await outboxRows(page)).filter((r) => r.template === 'milestone-team').map((r) => r.to)).toEqual(['demo@vigil.example'])
    await shot(page, 'outbox')

    // The email carries the packet link, which opens the packet for the target without logging in.
    const links = await linksOfEmail(page, ours[0]!.href)
    const packetLinks = links.filter((href) => href.startsWith(`${server.url}/c/${SLUG}/packet/`))
    expect(packetLinks.length, links.join(', ')).toBeGreaterThan(0)
    await shot(page, 'outbox-target-email')
    const anonymous = await visitor.context.newPage()
    const packet = await anonymous.goto(packetLinks[0]!)
    expect(packet?.status()).toBe(200)
    expect(await anonymous.locator('.count strong').textContent()).toBe(new Intl.NumberFormat('de').format(threshold))
    await anonymous.close()

    // The milestone is reached, at its count.
    await open(page, `/admin/campaigns/${campaignId}/milestones?lng=en`)
    expect(await countOnMilestonesPage(page)).toBe(threshold)
    const row = page.locator('table tbody tr', { hasText: new Intl.NumberFormat('en').format(threshold) })
    const state = (await row.locator('td').nth(3).textContent()) ?? ''
    expect(state).toMatch(/^Reached on /)
    expect(state).toContain(`at ${new Intl.NumberFormat('en').format(threshold)} signatures`)
    // A timeline entry is drafted for the team to publish.
    expect(await row.locator('a', { hasText: adminEn.admin.milestones.draftLink }).count()).toBe(1)
    await shot(page, 'milestone-reached')
    await page.close()

    // Once: a third confirmation sends nothing more to the targets.
    await signAndConfirm({ firstName: 'Ilse', lastName: 'Brandt', email: 'ilse.walk17@example.org', country: 'AT' })
    const again = await organiser.context.newPage()
    expect((await outboxRows(again)).filter((r) => r.template === 'milestone-target')).toHaveLength(withAddress.length)
    await again.close()
  })

  it('the packet opens, prints to an A4 PDF of two or more pages, and states the count log’s code', async () => {
    const page = await organiser.context.newPage()
    await page.setViewportSize(A4_PX)
    const response = await page.goto(`${server.url}/admin/campaigns/${campaignId}/packet.html?locale=en`)
    expect(response?.status()).toBe(200)
    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('h1').textContent()).toContain('Justice for Andry')
    expect(await page.locator('.cover .targets').textContent()).toContain('Petitions Office of Homeland Security')
    const count = await confirmedRows()
    expect(await page.locator('.count strong').textContent()).toBe(new Intl.NumberFormat('en').format(count))

    // The milestone wrote an entry to the public count log; the packet prints its head's code.
    const log = (await (await fetch(`${server.url}/c/${SLUG}/count-log.json`)).json()) as {
      head: { code: string; hash: string } | null
      entries: { reason: string; milestone: number | null }[]
    }
    expect(log.entries.some((e) => e.reason === 'milestone' && e.milestone === threshold)).toBe(true)
    expect(log.head).not.toBeNull()
    expect(await page.locator('.cover .code').textContent()).toBe(log.head!.code)

    const pdf = await page.pdf({ format: 'A4' })
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const text = pdf.toString('latin1')
    expect(text.match(/\/Type\s*\/Page(?!s)/g)?.length ?? 0).toBeGreaterThanOrEqual(2)
    for (const m of text.matchAll(/\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)) {
      expect(Math.abs(Number(m[3]) - Number(m[1]) - A4[0])).toBeLessThan(2)
      expect(Math.abs(Number(m[4]) - Number(m[2]) - A4[1])).toBeLessThan(2)
    }
    // The first page as it prints: the @page margins, the cover, and none of the sections that start page 2.
    await page.evaluate(() => {
      document.body.style.padding = '16mm 14mm 18mm'
      for (const section of document.querySelectorAll('section')) section.style.display = 'none'
    })
    const png = await page.screenshot({ path: path.join(SCREENSHOTS, 'issue17-packet-first-page.png'), clip: { x: 0, y: 0, ...A4_PX } })
    expect(png.length).toBeGreaterThan(10_000)
    await page.close()
  })

  it('the organiser records the answer, and the campaign page shows it above the timeline in en, de and es', async () => {
    const page = await organiser.context.newPage()
    await open(page, `/admin/campaigns/${campaignId}/responses?lng=en`)
    const form = page.locator(`#response-new-${campaignId}`)
    await form.locator('input[name=responder]').fill(RESPONDER)
    await form.locator('input[name=respondedOn]').fill('2026-12-04')
    for (const lng of ['en', 'de', 'es'] as const) {
      await form.locator(`input[name="texts.${lng}.title"]`).fill(ANSWER[lng].title)
      await form.locator(`textarea[name="texts.${lng}.bodyMd"]`).fill(ANSWER[lng].body)
    }
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\/responses\?saved=\d+$/)
    await expect.poll(() => page.locator('[role=status]', { hasText: adminEn.admin.responses.savedNext }).count()).toBe(1)
    expect(await page.locator('table tbody tr td').nth(1).textContent()).toBe(RESPONDER)
    await shot(page, 'response-recorded')
    await page.close()

    for (const lng of ['en', 'de', 'es'] as const) {
      const pub = await visitor.context.newPage()
      await open(pub, `/c/${SLUG}?lng=${lng}`)
      const panel = pub.locator('#response .response-panel')
      expect(await panel.locator('h2').textContent()).toBe(CATALOGS[lng].responses.heading_one)
      const answer = panel.locator('article')
      expect(await answer.getAttribute('lang')).toBe(lng)
      expect(await answer.locator('h3').textContent()).toBe(ANSWER[lng].title)
      expect(await answer.locator('.prose strong').textContent()).toBe(/\*\*(.+)\*\*/.exec(ANSWER[lng].body)![1])
      expect(await answer.locator('.response-panel__by').textContent()).toContain(RESPONDER)
      // Above the timeline: before it in the document and on the screen.
      const timeline = pub.locator('section[aria-labelledby=timeline-title]')
      expect(await pub.locator('#response').evaluate((r, t) => Boolean(r.compareDocumentPosition(t!) & Node.DOCUMENT_POSITION_FOLLOWING), await timeline.elementHandle())).toBe(true)
      const [answerBox, timelineBox] = [await panel.boundingBox(), await timeline.boundingBox()]
      expect(answerBox!.y + answerBox!.height).toBeLessThanOrEqual(timelineBox!.y)
      // The answer and the timeline's start, as a reader scrolls to them (the whole page is 7,000 px tall).
      await pub.locator('#response').evaluate((r) => r.scrollIntoView({ block: 'start' }))
      await pub.screenshot({ path: path.join(SCREENSHOTS, `issue17-response-${lng}.png`) })
      await pub.close()
    }
  })
})
