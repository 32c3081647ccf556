/**
 * An owner under the default policy, in Chromium with JavaScript off (issue 18, ADR 019): led
 * to set-up at the first sign-in, they read the key off the page (the QR code is an image that
 * needs no script), confirm with the app's code, see ten recovery codes and continue into the
 * back office; then sign in again with a code, and once more with a recovery code. Codes are
 * computed by otplib from the key the page shows.
 */
import path from 'node:path'
import { generate } from 'otplib'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import { launchBrowser, SCREENSHOTS } from '../helpers/browser.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const OWNER = { email: 'nadia.nojs@totp.example', name: 'Nadia NoJS', password: 'a long owner passphrase without js', role: 'owner' as const }
const PERIOD_MS = 30_000

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
  expect((await createOrganiser(server, { ...OWNER, secondFactorPolicy: null })).status).toBe(302)
})

afterAll(async () => {
  await server?.stop()
})

async function signIn(page: Page) {
  await page.goto(`${server.url}/admin/login`)
  await page.fill('input[name=email]', OWNER.email)
  await page.fill('input[name=password]', OWNER.password)
  await page.click('main button[type=submit]')
}

async function signOut(page: Page) {
  await page.click('form[action="/admin/logout"] button')
  await page.waitForURL(`${server.url}/admin/login`)
}

describe('two factors without JavaScript', () => {
  it('sets up an app at the first sign-in, then signs in with a code and with a recovery code', async () => {
    const browser = await launchBrowser({ javaScriptEnabled: false })
    try {
      const page = await browser.context.newPage()
      await signIn(page)
      await page.waitForURL(`${server.url}/admin/two-factor-setup`)
      expect(await page.locator('h1').textContent()).toBe(en.twoFactor.setupTitle)

      await page.click(`button:has-text("${en.twoFactor.appStart}")`)
      const qr = page.locator('img[alt="QR code for your authenticator app"]')
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/)
      const box = await qr.boundingBox()
      expect(box?.width).toBe(240)
      const secret = (await page.locator('[data-testid=totp-key]').textContent())!.replace(/\s/g, '')
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)
      await page.screenshot({ path: path.join(SCREENSHOTS, 'two-factor-setup-en.png'), fullPage: true })

      // Start well inside a step, so the code is still the current one when it arrives.
      if (Date.now() % PERIOD_MS > PERIOD_MS - 6_000) await page.waitForTimeout(PERIOD_MS - (Date.now() % PERIOD_MS) + 200)
      const setupAt = Date.now()
      await page.fill('input[name=code]', await generate({ secret, epoch: Math.floor(setupAt / 1000) }))
      await page.click(`button:has-text("${en.twoFactor.confirm}")`)
      const codes = (await page.locator('[data-testid=recovery-codes] code').allTextContents()).map((c) => c.trim())
      expect(codes).toHaveLength(10)
      await page.click(`button:has-text("${en.twoFactor.continue}")`)
      await page.waitForURL(`${server.url}/admin`)
      await signOut(page)

      // A code, on the German page: the set-up's step is spent, so the next one (at most one ahead).
      await signIn(page)
      await page.waitForURL(`${server.url}/admin/two-factor`)
      await page.goto(`${server.url}/admin/two-factor?lng=de`)
      expect(await page.locator('h1').textContent()).toBe(de.twoFactor.title)
      await page.fill('input[name=code]', '000000')
      await page.click(`button:has-text("${de.twoFactor.verify}")`)
      expect(await page.locator('.field__errors').first().textContent()).toBe(de.twoFactor.wrongCode)
      await page.screenshot({ path: path.join(SCREENSHOTS, 'two-factor-de.png'), fullPage: true })
      const step = Math.max(Math.floor(setupAt / PERIOD_MS) + 1, Math.floor(Date.now() / PERIOD_MS))
      await page.fill('input[name=code]', await generate({ secret, epoch: step * 30 }))
      await page.click(`button:has-text("${de.twoFactor.verify}")`)
      await page.waitForURL(`${server.url}/admin`)
      await signOut(page)

      // A recovery code, typed as printed.
      await signIn(page)
      await page.waitForURL(/\/admin\/two-factor/)
      await page.fill('input[name=recoveryCode]', codes[0]!)
      // The language chosen above sticks (a cookie).
      await page.click(`button:has-text("${de.twoFactor.useRecoveryCode}")`)
      await page.waitForURL(/\/admin$/)
    } finally {
      await browser.close()
    }
  }, 90_000)
})
