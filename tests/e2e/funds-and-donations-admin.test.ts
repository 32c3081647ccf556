/**
 * The funds form and the donations page in a real browser: validation in the browser
 * (the same Zod schema as the server), nested per-language fields, the currency lock,
 * the chart with its table, and paging. Donations are written into the database the way
 * the payment webhook leaves them.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealDonation } from '~/models/personal-data.server.ts'
import { launchBrowser, SCREENSHOTS, logInAsOrganiser } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let browser: Awaited<ReturnType<typeof launchBrowser>>
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
  page = await browser.context.newPage()
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await logInAsOrganiser(page, server.url)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
const errorsOf = (name: string) => page.locator(`.field:has([name="${name}"]) .field__errors`)

describe('an organiser managing funds', () => {
  it('is told what is wrong before anything is sent, then creates a fund', async () => {
    await page.goto(`${server.url}/admin/campaigns/1/funds`)
    await page.waitForFunction(() => '__remixRouter' in window)
    const posts: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.url())
    })
    // The demo campaign has funds already, so the "add a fund" form starts folded.
    const add = page.locator('details.panel')
    if ((await add.getAttribute('open')) === null) await add.locator('summary').click()
    await page.fill('input[name=slug]', 'Bad Slug')
    await page.fill('input[name=goal]', '4,500')
    await page.click('button:has-text("Create fund")')
    await expect.poll(() => errorsOf('goal').textContent()).toMatch(/without thousands separators/)
    expect(await errorsOf('slug').textContent()).toMatch(/lower-case letters/)
    expect(await errorsOf('texts.en.title').textContent()).toMatch(/title in at least one language/)
    expect(page.url()).toBe(`${server.url}/admin/campaigns/1/funds`)
    expect(posts).toEqual([])
    await shot('admin-funds-errors')

    await page.fill('input[name=slug]', 'trip-to-san-salvador')
    await page.fill('input[name=goal]', '4500.50')
    await page.fill('input[name="texts.en.title"]', 'Trip to San Salvador')
    await page.fill('textarea[name="texts.en.description"]', 'Two reporters, ten days.')
    await page.fill('input[name="texts.es.title"]', 'Viaje a San Salvador')
    await page.click('button:has-text("Create fund")')
    await page.waitForURL(/funds\?saved=1/)
    await expect.poll(() => page.locator('table').textContent()).toMatch(/Trip to San Salvador.*€4,500\.50/)
  })

  it('cannot change the currency of a fund that has raised money', async () => {
    const db = new Database(server.databasePath)
    const fund = db.prepare(`SELECT id FROM funds WHERE slug = 'trip-to-san-salvador'`).get() as { id: number }
    const insert = db.prepare(
      `INSERT INTO donations (campaign_id, fund_id, parent_id, interval, gift_minor, amount_minor, currency, status, paid_at, refunded_minor,
         dispute_status, disputed_minor, counted_minor, sealed, data_key_id, locale, created_at)
       VALUES (1, ?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?)`,
    )
    const now = Date.now()
    db.transaction(() => {
      for (let i = 0; i < 70; i++) {
        const created = now - i * 5 * 86_400_000
        const status = i % 11 === 0 ? 'refunded' : i % 13 === 0 ? 'disputed' : 'succeeded'
        const amount = 1000 + (i % 7) * 500
        // Sealed as the webhook leaves them (ADR 017).
        const sealed = sealDonation({ email: `donor${i}@example.org`, publicName: i % 3 ? `Donor ${i}` : null, message: null, receiptName: null })
        insert.run(fund.id, i % 5 === 1 && i > 1 ? 2 : null, i % 5 === 1 ? 'monthly' : 'one_time', amount, amount, status, created + 60_000,
          status === 'refunded' ? amount : 0, status === 'disputed' ? 'open' : null, status === 'disputed' ? amount : 0,
          status === 'succeeded' ? amount : 0, sealed.sealed, sealed.dataKeyId, created)
      }
    })()
    db.exec(`INSERT INTO fund_counters (fund_id, raised_minor, donations, donors)
      SELECT fund_id, sum(counted_minor), sum(counted_minor > 0), count(*) FROM donations GROUP BY fund_id`)
    db.close()

    await page.goto(`${server.url}/admin/campaigns/1/funds/${fund.id}`)
    await page.waitForFunction(() => '__remixRouter' in window)
    await page.selectOption('select[name=currency]', 'USD')
    await page.click('button:has-text("Save")')
    await expect.poll(() => errorsOf('currency').textContent()).toMatch(/already received money in EUR/)
    expect(await page.inputValue('select[name=currency]')).toBe('USD')
    await shot('admin-fund-currency-locked')
  })
})

describe('an organiser reading donations', () => {
  it('sees totals, a monthly chart with its table, and pages through the donations in German', async () => {
    await page.goto(`${server.url}/admin/campaigns/1/donations?lng=de`)
    await page.waitForFunction(() => '__remixRouter' in window)
    expect(await page.locator('.chart__raised').count()).toBe(12)
    expect(await page.locator('.chart table').isVisible()).toBe(false)
    await page.click('summary:has-text("Als Tabelle anzeigen")')
    expect(await page.locator('.chart table tbody tr').count()).toBe(12)
    expect(await page.locator('.donations-table tbody tr').count()).toBe(50)
    expect(await page.locator('.donations-table').textContent()).toContain('Folgezahlung zu #2')
    await shot('admin-donations-de')

    await page.selectOption('select[name=status]', 'refunded')
    await page.click('button:has-text("Filtern")')
    await page.waitForURL(/status=refunded/)
    await expect.poll(() => page.locator('.donations-table tbody tr').count()).toBe(7)

    await page.goto(`${server.url}/admin/campaigns/1/donations`)
    await page.click('a[rel=next]')
    await page.waitForURL(/before=/)
    await expect.poll(() => page.locator('.donations-table tbody tr').count()).toBe(20)
    expect(pageErrors).toEqual([])
  })
})
