/**
 * What a person sees of the public forms in Chromium: after signing with JavaScript the
 * "check your inbox" message is in view and focused; without JavaScript a form with errors
 * lands on an error summary that links to each field; and text fields stop at the
 * server's limit.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import { DEMO_ORGANISER, launchBrowser, SCREENSHOTS } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const CAMPAIGN = '/c/free-andry'
const PHONE = { width: 390, height: 844 }

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000' } })
})

afterAll(async () => {
  await server?.stop()
})

/** Whether the element is entirely inside the viewport. */
function inView(page: Page, selector: string) {
  return page.locator(selector).evaluate((el) => {
    const box = el.getBoundingClientRect()
    // (a pixel of slack for sub-pixel layout)
    return box.height > 0 && box.top >= -1 && box.bottom <= window.innerHeight + 1
  })
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '')

describe('after signing with JavaScript', () => {
  it('scrolls the "check your inbox" message into view and focuses it, on a phone', async () => {
    const browser = await launchBrowser({ viewport: PHONE })
    try {
      const page = await browser.context.newPage()
      await page.goto(`${server.url}${CAMPAIGN}?lng=en`)
      await page.locator('#sign-form input[name=_js]').waitFor({ state: 'attached' })
      await page.fill('#sign-form input[name=firstName]', 'Inés')
      await page.fill('#sign-form input[name=lastName]', 'Focus')
      await page.fill('#sign-form input[name=email]', 'ines.focus@example.org')
      await page.selectOption('#sign-form select[name=country]', 'ES')
      await page.click('#sign-form button[type=submit]')
      const notice = page.locator('#petition .notice--success')
      await expect.poll(() => notice.textContent()).toBe(en.petition.checkInbox)
      await expect.poll(() => focusedId(page)).toBe('sign-done')
      await expect.poll(() => inView(page, '#sign-done')).toBe(true)
      await page.screenshot({ path: path.join(SCREENSHOTS, 'forms-signed-in-view-phone.png') })
    } finally {
      await browser.close()
    }
  })
})

describe('without JavaScript', () => {
  it('lands on an error summary that links to each invalid field of the signing form', async () => {
    const browser = await launchBrowser({ javaScriptEnabled: false, viewport: PHONE })
    try {
      const page = await browser.context.newPage()
      await page.goto(`${server.url}${CAMPAIGN}?lng=de`)
      await page.fill('#sign-form input[name=firstName]', 'Ohne')
      await page.fill('#sign-form input[name=email]', 'ohne@@example')
      await page.selectOption('#sign-form select[name=country]', 'DE')
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('#sign-form button[type=submit]')
      expect((await posted).status()).toBe(400)
      await page.waitForLoadState()
      const summary = page.locator('#sign-form-error-summary')
      expect(await summary.getAttribute('role')).toBe('alert')
      expect(await summary.locator('h2').textContent()).toBe(de.forms.errorSummary)
      const links = await summary.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]))
      expect(links).toEqual([
        ['#sign-form-lastName', `${de.petition.lastName}: ${de.forms.required}`],
        ['#sign-form-email', `${de.petition.email}: ${de.forms.email}`],
      ])
      // The page lands on the summary: in view and focused.
      expect(await inView(page, '#sign-form-error-summary')).toBe(true)
      expect(await focusedId(page)).toBe('sign-form-error-summary')
      await page.screenshot({ path: path.join(SCREENSHOTS, 'forms-error-summary-nojs-phone.png') })
      // Each link leads to its field.
      await summary.locator('a[href="#sign-form-email"]').click()
      await expect.poll(() => new URL(page.url()).hash).toBe('#sign-form-email')
      expect(await inView(page, '#sign-form-email')).toBe(true)
    } finally {
      await browser.close()
    }
  })

  it('lists every invalid field of the donate form in its summary', async () => {
    const browser = await launchBrowser({ javaScriptEnabled: false })
    try {
      const page = await browser.context.newPage()
      await page.goto(`${server.url}${CAMPAIGN}/donate?lng=en`)
      await page.check('#donate-form input[name=amount][value=custom]')
      await page.fill('#donate-form input[name=customAmount]', '0.20')
      await page.fill('#donate-form input[name=email]', 'nobody@')
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('#donate-form button[type=submit]')
      expect((await posted).status()).toBe(400)
      await page.waitForLoadState()
      const hrefs = await page.locator('#donate-form-error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      expect(hrefs).toEqual(['#donate-form-customAmount', '#donate-form-email'])
      expect(await inView(page, '#donate-form-error-summary')).toBe(true)
      expect(await focusedId(page)).toBe('donate-form-error-summary')
      await page.screenshot({ path: path.join(SCREENSHOTS, 'forms-donate-summary-nojs.png') })
    } finally {
      await browser.close()
    }
  })
})

describe('the back office without JavaScript', () => {
  it('lands on the error summary of the login form and of the new-campaign form', async () => {
    const browser = await launchBrowser({ javaScriptEnabled: false })
    try {
      const page = await browser.context.newPage()
      await page.goto(`${server.url}/admin/login?lng=en`)
      await page.fill('#login-form input[name=email]', DEMO_ORGANISER.email)
      await page.fill('#login-form input[name=password]', 'not the password')
      await page.click('#login-form button[type=submit]')
      await page.waitForLoadState()
      expect(await page.locator('#login-form-error-summary').textContent()).toContain(en.login.failed)
      expect(await focusedId(page)).toBe('login-form-error-summary')

      await page.fill('#login-form input[name=password]', DEMO_ORGANISER.password)
      await page.click('#login-form button[type=submit]')
      await page.waitForURL(`${server.url}/admin`)
      await page.goto(`${server.url}/admin/campaigns/new`)
      await page.fill('#new-campaign-form input[name=slug]', 'Not A Slug!')
      await page.click('#new-campaign-form button[type=submit]')
      await page.waitForLoadState()
      const hrefs = await page.locator('#new-campaign-form-error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      expect(hrefs).toEqual(['#new-campaign-form-title', '#new-campaign-form-slug'])
      expect(await focusedId(page)).toBe('new-campaign-form-error-summary')
      expect(await inView(page, '#new-campaign-form-error-summary')).toBe(true)
      expect(await page.getAttribute('#new-campaign-form input[name=title]', 'maxlength')).toBe('160')
      await page.screenshot({ path: path.join(SCREENSHOTS, 'forms-admin-summary-nojs.png') })
    } finally {
      await browser.close()
    }
  })
})

describe('with JavaScript', () => {
  it('focuses the error summary when the server answers with errors only it can know (the smallest gift)', async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      await page.goto(`${server.url}${CAMPAIGN}/donate?lng=de`)
      await page.waitForFunction(() => '__remixRouter' in window)
      await page.check('#donate-form input[name=amount][value=custom]')
      await page.fill('#donate-form input[name=customAmount]', '0,20')
      await page.fill('#donate-form input[name=email]', 'mit-skript@example.de')
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('#donate-form button[type=submit]')
      expect((await posted).status()).toBe(400)
      await expect.poll(() => focusedId(page)).toBe('donate-form-error-summary')
      expect(await inView(page, '#donate-form-error-summary')).toBe(true)
      expect(await page.locator('#donate-form-error-summary a').getAttribute('href')).toBe('#donate-form-customAmount')
      // Typing a correction revalidates the form but leaves the focus where the typist is.
      await page.fill('#donate-form input[name=customAmount]', '0,30')
      await page.keyboard.type('0')
      expect(await focusedId(page)).toBe('donate-form-customAmount')
    } finally {
      await browser.close()
    }
  })
})

describe('text fields stop at the server limit', () => {
  it('keeps a 10,000-character name to the 80 characters the server takes, and sets maxlength on every text field', async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      await page.goto(`${server.url}${CAMPAIGN}?lng=en`)
      await page.locator('#sign-form input[name=_js]').waitFor({ state: 'attached' })
      await page.fill('#sign-form input[name=firstName]', 'A'.repeat(10_000))
      expect((await page.inputValue('#sign-form input[name=firstName]')).length).toBe(80)
      const limits = (form: string) =>
        page.locator(`${form} input[type=text], ${form} input[type=email], ${form} textarea`).evaluateAll((els) =>
          Object.fromEntries(els.filter((el) => el.getAttribute('name') !== 'website').map((el) => [el.getAttribute('name'), el.getAttribute('maxlength')])),
        )
      expect(await limits('#sign-form')).toEqual({ firstName: '80', lastName: '80', email: '254', postalCode: '16', message: '500' })
      await page.goto(`${server.url}${CAMPAIGN}/donate?lng=en`)
      expect(await limits('#donate-form')).toEqual({ customAmount: '20', email: '254', publicName: '80', message: '500', receiptName: '120' })
    } finally {
      await browser.close()
    }
  })
})
