/**
 * "My data" (/me, issue 16) in Chromium against the production build, in Spanish, with
 * JavaScript off, on a 390 px wide phone: a supporter who signed and gave asks for the link, opens
 * it from the captured email, sees the signature and the donation, downloads the JSON, withdraws
 * the signature (the campaign page's count drops by one), has Vigil forget them and reads what was
 * deleted and kept; asking again for the address then changes nothing anyone could see.
 */
import fs from 'node:fs'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import es from '../../app/locales/es/common.json'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { emailsTo as sealedEmailsTo } from '../helpers/sealed.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql } from '../helpers/sql.ts'

const CAMPAIGN = '/c/free-andry'
const SUPPORTER = { firstName: 'Remedios', lastName: 'Villaclara', email: 'remedios.villaclara@example.es', country: 'ES', message: 'Libertad para Andry.' }
const PHONE = { width: 390, height: 844 }

let server: RunningServer
let supporter: Awaited<ReturnType<typeof launchBrowser>>
let organiser: Awaited<ReturnType<typeof launchBrowser>>
let axeBrowser: Awaited<ReturnType<typeof launchBrowser>>
let page: Page
let countBefore = 0

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  ;[supporter, organiser, axeBrowser] = await Promise.all([
    launchBrowser({ javaScriptEnabled: false, locale: 'es-ES', viewport: PHONE }),
    launchBrowser({ javaScriptEnabled: false, locale: 'es-ES' }),
    launchBrowser({ locale: 'es-ES', viewport: PHONE }),
  ])
  const admin = await organiser.context.newPage()
  await logInAsOrganiser(admin, server.url)
  await admin.close()
  page = await supporter.context.newPage()
})

afterAll(async () => {
  await supporter?.close()
  await organiser?.close()
  await axeBrowser?.close()
  await server?.stop()
})

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

/** On the phone: nothing wider than the screen. */
async function expectNoSidewaysScroll(where: string) {
  const { scrollWidth, innerWidth, wide } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    // The elements that stick out, to say what to fix.
    wide: [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent?.slice(0, 40)}`),
  }))
  expect(scrollWidth, `${where}: ${scrollWidth} > ${innerWidth} (${wide.join(' | ')})`).toBeLessThanOrEqual(innerWidth)
}

/**
 * axe in Chromium, as page-checks runs it on the public pages: 0 violations. axe runs in the
 * page, so in a browser with JavaScript on that carries the supporter's cookies (the /me session).
 */
async function expectAxeClean(url: string) {
  await axeBrowser.context.clearCookies()
  await axeBrowser.context.addCookies(await supporter.context.cookies())
  const view = await axeBrowser.context.newPage()
  try {
    await view.goto(`${server.url}${url}`, { waitUntil: 'networkidle' })
    const results = await new AxeBuilder({ page: view }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze()
    expect(results.violations.map((v) => `${url}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([])
  } finally {
    await view.close()
  }
}

/** The campaign page's public count (its progress bar holds the confirmed count). */
async function publicCount() {
  const view = await organiser.context.newPage()
  await view.goto(`${server.url}${CAMPAIGN}?lng=es&view=${Date.now()}`)
  const value = await view.locator('progress.petition-progress').evaluate((p: HTMLProgressElement) => p.value)
  expect(await view.locator('.petition-count strong').textContent()).toContain(new Intl.NumberFormat('es').format(value))
  await view.close()
  return value
}

/** As the organiser: the newest captured email to `to`, opened in the outbox: its text and links. */
async function newestEmail(to: string) {
  const admin = await organiser.context.newPage()
  const newest = admin.locator('table tbody tr').first()
  await expect
    .poll(
      async () => {
        await admin.goto(`${server.url}/admin/outbox`)
        return [await newest.locator('td').nth(1).textContent(), await newest.locator('.status').getAttribute('class')]
      },
      { timeout: 15_000 },
    )
    .toEqual([to, 'status status--captured'])
  await newest.locator('a').first().click()
  await admin.waitForURL(/\/admin\/outbox\/\d+$/)
  const body = (await admin.locator('main').textContent()) ?? ''
  const links = await admin.locator('ul.outbox-links a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))
  await admin.close()
  return { body, links }
}

async function askForLink(email: string) {
  await page.goto(`${server.url}/me?lng=es`)
  await page.locator('input[name=email]').fill(email)
  await page.locator('main form button[type=submit]').click()
  await page.waitForLoadState()
  return (await page.locator('main').textContent()) ?? ''
}

/** The outbox rows to `address`, opened (their recipient is sealed, ADR 017). */
async function emailsTo(address: string) {
  const db = openServerSql(server)
  try {
    return (await sealedEmailsTo(db, address)).map((row) => ({ template: row.template }))
  } finally {
    await db.close()
  }
}

/** How many My data links were ever queued, to anyone. */
async function linkEmailCount() {
  const db = openServerSql(server)
  try {
    return Number((await db.get<{ n: number }>(`SELECT count(*) AS n FROM email_messages WHERE template = 'my-data-link'`))!.n)
  } finally {
    await db.close()
  }
}

describe('My data without JavaScript, in Spanish, on a phone', () => {
  it('a supporter signs, confirms and gives', async () => {
    await page.goto(`${server.url}${CAMPAIGN}?lng=es`)
    const form = page.locator('#sign-form')
    await form.locator('input[name=firstName]').fill(SUPPORTER.firstName)
    await form.locator('input[name=lastName]').fill(SUPPORTER.lastName)
    await form.locator('input[name=email]').fill(SUPPORTER.email)
    await form.locator('select[name=country]').selectOption(SUPPORTER.country)
    await form.locator('textarea[name=message]').fill(SUPPORTER.message)
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\?signed=1#petition$/)
    const confirm = (await newestEmail(SUPPORTER.email)).links.find((href) => /\/confirm\/[^/?]+$/.test(href))
    await page.goto(confirm!)
    await page.locator('button[name=intent][value=confirm]').click()
    await page.waitForURL(/\/thanks\/free-andry/)

    await page.goto(`${server.url}${CAMPAIGN}/donate?lng=es`)
    const donate = page.locator('#donate-form')
    await donate.locator('input[name=amount][value="2500"]').check()
    await donate.locator('input[name=email]').fill(SUPPORTER.email)
    await donate.locator('button[type=submit]').click()
    await page.waitForURL(/\/c\/pay\/cs_/)
    await page.locator('button[value=card]').click()
    await page.waitForURL(/\/donate\/thanks\?session_id=cs_/)
    await expect
      .poll(
        async () => {
          const state = await page.locator('[role=status][data-state]').getAttribute('data-state')
          if (state !== 'succeeded') await page.reload()
          return state
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe('succeeded')
    countBefore = await publicCount()
  })

  it('asks for the link from the footer and gets the same answer as for any address', async () => {
    await page.goto(`${server.url}/?lng=es`)
    await page.locator('footer').getByRole('link', { name: es.me.footer }).click()
    await page.waitForURL(/\/me(\?|$)/)
    expect(await page.locator('h1').textContent()).toBe(es.me.title)
    await expectNoSidewaysScroll('/me')
    await expectAxeClean('/me?lng=es')
    await shot('my-data-request-es-390')
    const known = await askForLink(SUPPORTER.email)
    expect(known).toContain(es.me.request.sent)
    await expectNoSidewaysScroll('/me sent')
    await shot('my-data-sent-es-390')
    const unknown = await askForLink('nadie.aqui@example.es')
    expect(unknown).toBe(known)
  })

  it('opens the page from the email, which lists the signature and the donation', async () => {
    const email = await newestEmail(SUPPORTER.email)
    const link = email.links.find((href) => href.includes('/me/open/'))
    expect(link, email.links.join(', ')).toBeDefined()
    await page.goto(link!)
    await expectNoSidewaysScroll('/me/open')
    await shot('my-data-open-es-390')
    await page.getByRole('button', { name: es.me.open.button }).click()
    await page.waitForURL(/\/me$/)
    const signature = page.locator('section[aria-labelledby=me-signatures] article')
    expect(await signature.count()).toBe(1)
    expect(await signature.textContent()).toContain(SUPPORTER.message)
    expect(await signature.textContent()).toContain(es.me.status.confirmed)
    const donation = page.locator('section[aria-labelledby=me-donations] tbody tr')
    expect(await donation.count()).toBe(1)
    expect(await donation.textContent()).toMatch(/25,00\s*€/)
    expect(await page.locator('section[aria-labelledby=me-you]').textContent()).toContain(SUPPORTER.email)
    await shot('my-data-page-es-390')
    await expectNoSidewaysScroll('/me with data')
    await expectAxeClean('/me?lng=es')
    // And on a desktop screen, to look at.
    await page.setViewportSize({ width: 1280, height: 900 })
    await shot('my-data-page-es-1280')
    await page.setViewportSize(PHONE)
  })

  it('downloads everything as JSON', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: es.me.export.json }).click()])
    const file = await download.path()
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      format: string
      supporter: { email: string; firstName: string }
      signatures: { status: string; message: string | null }[]
      donations: { amount: { minor: number; currency: string }; status: string }[]
    }
    expect(data.format).toBe('vigil-my-data/1')
    expect(data.supporter).toMatchObject({ email: SUPPORTER.email, firstName: SUPPORTER.firstName })
    expect(data.signatures).toMatchObject([{ status: 'confirmed', message: SUPPORTER.message }])
    expect(data.donations).toMatchObject([{ amount: { minor: 2500, currency: 'EUR' }, status: 'succeeded' }])
  })

  it('downloads a page that reads on its own, on a phone too', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: es.me.export.html }).click()])
    const html = fs.readFileSync(await download.path(), 'utf8')
    expect(html).not.toMatch(/<script|<link /)
    const copy = await supporter.context.newPage()
    await copy.setContent(html)
    expect(await copy.locator('body').textContent()).toContain(SUPPORTER.message)
    await copy.screenshot({ path: path.join(SCREENSHOTS, 'my-data-export-es-390.png'), fullPage: true })
    const { scrollWidth, innerWidth } = await copy.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth)
    await copy.close()
  })

  it('withdraws the live signature, and the campaign page counts one less', async () => {
    await page.getByRole('button', { name: es.me.withdraw.button }).click()
    await page.waitForLoadState()
    expect(await page.locator('[role=status]').first().textContent()).toBe(es.me.withdraw.done)
    expect(await page.locator('section[aria-labelledby=me-signatures]').textContent()).toBe(`${es.me.data.signatures}${es.me.data.none}`)
    await shot('my-data-withdrawn-es-390')
    await expectNoSidewaysScroll('/me withdrawn')
    expect(await publicCount()).toBe(countBefore - 1)
  })

  it('forgets the supporter after one confirmation, and says what was deleted and kept', async () => {
    await page.getByRole('link', { name: es.me.forget.start }).click()
    await page.waitForURL(/\/me\/forget$/)
    expect(await page.locator('main').textContent()).toContain(es.me.forget.keepDonations.replace('{{years}}', '10'))
    await expectNoSidewaysScroll('/me/forget')
    await expectAxeClean('/me/forget?lng=es')
    await shot('my-data-forget-es-390')
    await page.getByRole('button', { name: es.me.forget.confirm }).click()
    await page.waitForLoadState()
    expect(await page.locator('h1').textContent()).toBe(es.me.forget.doneTitle)
    const report = (await page.locator('main').textContent()) ?? ''
    expect(report).toContain(es.me.forget.keptDonations_one.replace('{{count}}', '1').replace('{{years}}', '10'))
    expect(report).not.toContain(SUPPORTER.email)
    await expectNoSidewaysScroll('/me/forget done')
    await shot('my-data-forgotten-es-390')
    // The session is gone with the supporter.
    await page.goto(`${server.url}/me?lng=es`)
    expect(await page.locator('input[name=email]').count()).toBe(1)
  })

  it('asking again for the address changes nothing anyone can see: the same answer, no email', async () => {
    expect(await emailsTo(SUPPORTER.email)).toEqual([])
    const linksBefore = await linkEmailCount()
    const again = await askForLink(SUPPORTER.email)
    const unknown = await askForLink('tampoco.aqui@example.es')
    expect(again).toBe(unknown)
    expect(again).toContain(es.me.request.sent)
    // Give the sender time to capture anything queued: nothing was.
    await new Promise((r) => setTimeout(r, 2_000))
    expect(await emailsTo(SUPPORTER.email)).toEqual([])
    expect(await linkEmailCount()).toBe(linksBefore)
    const admin = await organiser.context.newPage()
    await admin.goto(`${server.url}/admin/outbox`)
    expect(await admin.locator('main').textContent()).not.toContain(SUPPORTER.email)
    await admin.close()
  })
})
