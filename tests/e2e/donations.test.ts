/**
 * Giving in Chromium against the production build in demo mode: the campaign page's
 * donation form, the local Stripe stand-in's checkout page (marked as a demo), the
 * webhook it sends back, the fund bar moving, and the receipt in the organiser's outbox.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import { launchBrowser, SCREENSHOTS, logInAsOrganiser } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const CAMPAIGN = '/c/free-andry'

let server: RunningServer
let donor: Awaited<ReturnType<typeof launchBrowser>>
let organiser: Awaited<ReturnType<typeof launchBrowser>>

beforeAll(async () => {
  // No page cache: the fund bar must be read fresh; SEPA settles quickly in the stand-in.
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', STRIPE_DEMO_ASYNC_DELAY_MS: '1500' } })
  ;[donor, organiser] = await Promise.all([launchBrowser(), launchBrowser()])
  const page = await organiser.context.newPage()
  await logInAsOrganiser(page, server.url)
  await page.close()
})

afterAll(async () => {
  await donor?.close()
  await organiser?.close()
  await server?.stop()
})

/** What the first fund's bar says: [raised (its value, in cents), donors text]. */
async function firstFund(page: Page, lng = 'en') {
  await page.goto(`${server.url}${CAMPAIGN}?lng=${lng}&view=${Date.now()}`)
  const fund = page.locator('#donate .fund').first()
  const raised = await fund.locator('progress').evaluate((p: HTMLProgressElement) => p.value)
  return { raised, figures: (await fund.locator('.fund__figures').textContent()) ?? '' }
}

async function openForm(page: Page) {
  await page.goto(`${server.url}${CAMPAIGN}?lng=en`)
  await page.waitForFunction(() => '__remixRouter' in window)
}

/** The newest captured email in the outbox, opened: its template, recipient and text. */
async function newestEmail(to: string) {
  const page = await organiser.context.newPage()
  await page.goto(`${server.url}/admin/outbox`)
  const newest = page.locator('table tbody tr').first()
  await expect
    .poll(
      async () => {
        await page.reload()
        return [await newest.locator('td').nth(1).textContent(), await newest.locator('.status').getAttribute('class')]
      },
      { timeout: 15_000 },
    )
    .toEqual([to, 'status status--captured'])
  const template = await newest.locator('td').nth(2).textContent()
  await newest.locator('a').first().click()
  await page.waitForURL(/\/admin\/outbox\/\d+$/)
  // The URL changes before the client-side navigation has rendered the message.
  await page.locator('ul.outbox-links').waitFor()
  const body = (await page.locator('main').textContent()) ?? ''
  const links = await page.locator('ul.outbox-links a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))
  await page.close()
  return { template, body, links }
}

describe('giving once by card', () => {
  it('chooses a fund and an amount, covers the fees, pays on the demo checkout, and sees the fund bar move and the receipt', async () => {
    const page = await donor.context.newPage()
    const before = await firstFund(page)
    await openForm(page)
    const form = page.locator('#donate-panel-form')
    await form.locator('input[name=amount][value="2500"]').check()
    // The exact fee is shown before paying: (25.00 + 0.25) / (1 − 1.5 %) − 25.00 = 0.64.
    await expect.poll(() => form.locator('.field--checkbox').first().textContent()).toContain('€0.64')
    await form.locator('input[name=coverFees]').check()
    await form.locator('input[name=email]').fill('ana.donor@example.org')
    await form.locator('input[name=publicName]').fill('Ana from Valencia')
    await form.locator('textarea[name=message]').fill('For the trip to Capacho.')
    await page.locator('#donate').screenshot({ path: path.join(SCREENSHOTS, 'donate-panel-en.png') })
    await form.locator('button[type=submit]').click()

    // The stand-in's checkout page: unmistakably a demo, with the amount charged.
    await page.waitForURL(/\/c\/pay\/cs_/)
    const checkout = (await page.locator('body').textContent()) ?? ''
    expect(checkout).toContain('Demo — no money moves')
    expect(checkout).toContain('25.64')
    await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-checkout.png') })
    await page.locator('button[value=card]').click()

    await page.waitForURL(new RegExp(`${CAMPAIGN}/donate/thanks\\?session_id=cs_`))
    await expect.poll(() => page.locator('[role=status][data-state]').getAttribute('data-state'), { timeout: 15_000 }).toBe('succeeded')
    expect(await page.locator('h1').textContent()).toBe(en.donate.thanks.succeeded.title)

    const after = await firstFund(page)
    expect(after.raised).toBe(before.raised + 2564)
    // The wall entry waits for an organiser's approval (tests/e2e/donor-wall.test.ts).
    expect(await page.locator('#donate').textContent()).not.toContain('Ana from Valencia')

    const receipt = await newestEmail('ana.donor@example.org')
    expect(receipt.template).toBe('Donation receipt — en')
    expect(receipt.body, receipt.body.slice(0, 600)).toContain('€25.64')
    expect(receipt.links.some((href) => href.endsWith(CAMPAIGN))).toBe(true)
    expect(receipt.links.some((href) => href.includes('/donations/manage/'))).toBe(false)
    await page.close()
  })
})

describe('giving monthly', () => {
  it('sets up a monthly gift, gets a receipt with a working manage link, and reaches the demo portal', async () => {
    const page = await donor.context.newPage()
    await openForm(page)
    const form = page.locator('#donate-panel-form')
    await form.locator('input[name=interval][value=monthly]').check()
    await form.locator('input[name=amount][value=custom]').check()
    await form.locator('input[name=customAmount]').fill('12.50')
    await form.locator('input[name=email]').fill('bo.monthly@example.org')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\/c\/pay\/cs_/)
    await page.locator('button[value=card]').click()
    await page.waitForURL(/\/donate\/thanks\?session_id=cs_/)
    await expect.poll(() => page.locator('[role=status][data-state]').getAttribute('data-state'), { timeout: 15_000 }).toBe('succeeded')
    expect(await page.locator('main').textContent()).toContain(en.donate.thanks.monthly)

    const receipt = await newestEmail('bo.monthly@example.org')
    const manage = receipt.links.find((href) => href.includes('/donations/manage/'))
    expect(manage, receipt.links.join(', ')).toBeDefined()
    expect(receipt.body).toContain('€12.50')

    // Opening the link changes nothing; the button leads to the (demo) customer portal.
    await page.goto(manage!)
    expect(await page.locator('h1').textContent()).toBe(en.donate.manage.title)
    await page.locator('main button[type=submit]').click()
    await page.waitForURL(/\/p\/session\//)
    expect(await page.locator('body').textContent()).toContain('Demo — no money moves')
    await page.close()
  })
})

describe('a delayed bank payment', () => {
  it('shows "processing" until the stand-in settles the SEPA debit, then "arrived", without JavaScript', async () => {
    const noJs = await launchBrowser({ javaScriptEnabled: false })
    const page = await noJs.context.newPage()
    await page.goto(`${server.url}${CAMPAIGN}/donate?lng=de&fund=cecot-reporting`)
    const form = page.locator('#donate-form')
    await form.locator('input[name=amount][value="5000"]').check()
    await form.locator('input[name=email]').fill('clara@example.de')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\/c\/pay\/cs_/)
    await page.locator('button[value=sepa]').click()
    await page.waitForURL(/\/donate\/thanks\?session_id=cs_/)
    expect(await page.locator('[role=status][data-state]').getAttribute('data-state')).toBe('processing')
    expect(await page.locator('h1').textContent()).toBe(de.donate.thanks.processing.title)
    // No timed refresh (WCAG 2.2.1: a page must not reload under a reader): a link looks again.
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(0)
    const checkAgain = page.getByRole('link', { name: de.donate.thanks.checkAgain })
    await expect
      .poll(
        async () => {
          const state = await page.locator('[role=status][data-state]').getAttribute('data-state')
          if (state === 'processing') await checkAgain.click()
          return state
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe('succeeded')
    await page.close()
    await noJs.close()
  })
})

describe('bad input', () => {
  it('refuses an amount below the minimum with a clear message in the visitor language, keeping what was typed', async () => {
    const page = await donor.context.newPage()
    await page.goto(`${server.url}${CAMPAIGN}/donate?lng=de`)
    await page.waitForFunction(() => '__remixRouter' in window)
    const form = page.locator('#donate-form')
    await form.locator('input[name=amount][value=custom]').check()
    await form.locator('input[name=customAmount]').fill('0,50')
    await form.locator('input[name=email]').fill('dora@example.de')
    const response = page.waitForResponse((r) => r.request().method() === 'POST')
    await form.locator('button[type=submit]').click()
    expect((await response).status()).toBe(400)
    const errors = form.locator('.field:has([name=customAmount]) .field__errors li')
    await expect.poll(() => errors.allTextContents()).toEqual([de.donate.tooSmall.replace('{{min}}', '1,00\u00a0€')])
    expect(await form.locator('input[name=customAmount]').inputValue()).toBe('0,50')
    expect(await form.locator('input[name=email]').inputValue()).toBe('dora@example.de')
    expect(page.url()).toContain('/donate')
    await page.close()
  })
})
