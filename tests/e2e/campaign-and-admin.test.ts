import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { launchBrowser, SCREENSHOTS, serverAndBrowser } from '../helpers/browser.ts'

const e2e = serverAndBrowser()

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

describe('a visitor', () => {
  const expectations = [
    { lng: 'en', heading: /Justice for Andry/, story: 'The story', date: 'July 18, 2025' },
    { lng: 'de', heading: /Andry/, story: 'Die Geschichte', date: '18. Juli 2025' },
    { lng: 'es', heading: /Andry/, story: 'La historia', date: '18 de julio de 2025' },
  ] as const

  for (const { lng, heading, story, date } of expectations) {
    it(`reads the demo campaign in ${lng}`, async () => {
      const page = await e2e.browser.context.newPage()
      await page.goto(`${e2e.server.url}/c/free-andry?lng=${lng}`)
      expect(await page.getAttribute('html', 'lang')).toBe(lng)
      await expect.poll(() => page.locator('h1').textContent()).toMatch(heading)
      expect(await page.locator('#story-title').textContent()).toBe(story)
      expect(await page.locator('.timeline__entry time').allTextContents()).toContain(date)
      expect(await page.locator('.campaign__image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
      await shot(page, `campaign-${lng}-desktop`)
      await page.setViewportSize({ width: 390, height: 844 })
      await shot(page, `campaign-${lng}-phone`)
      await page.close()
    })
  }

  it('keeps the chosen language on the next page through the cookie', async () => {
    const page = await e2e.browser.context.newPage()
    await page.goto(`${e2e.server.url}/c/free-andry?lng=de`)
    await page.click('a.brand')
    await page.waitForURL(`${e2e.server.url}/`)
    expect(await page.getAttribute('html', 'lang')).toBe('de')
    await shot(page, 'home-de')
    await page.close()
  })

  it('gets a working, hydrated page from the cache, its scripts allowed by hash', async () => {
    await e2e.browser.context.clearCookies()
    const page = await e2e.browser.context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })
    await page.goto(`${e2e.server.url}/c/free-andry`)
    const cached = await page.goto(`${e2e.server.url}/c/free-andry`)
    expect(cached?.headers()['x-vigil-cache']).toBe('hit')
    expect(cached?.headers()['content-security-policy']).toContain("'sha256-")
    await page.waitForFunction(() => '__remixRouter' in window)
    // Client-side navigation only works once React has hydrated the page.
    await page.click('a.brand')
    await page.waitForURL(`${e2e.server.url}/`)
    expect(violations).toEqual([])
    await page.close()
  })

  it('can read the campaign with JavaScript turned off', async () => {
    const noJs = await launchBrowser({ javaScriptEnabled: false })
    const page = await noJs.context.newPage()
    await page.goto(`${e2e.server.url}/c/free-andry`)
    expect(await page.locator('.prose h2').count()).toBeGreaterThan(1)
    expect(await page.locator('.timeline__entry').count()).toBeGreaterThanOrEqual(5)
    await noJs.close()
  })

  it('sees a friendly 404 page for an unknown campaign', async () => {
    await e2e.browser.context.clearCookies()
    const page = await e2e.browser.context.newPage()
    const response = await page.goto(`${e2e.server.url}/c/no-such-campaign`)
    expect(response?.status()).toBe(404)
    expect(await page.locator('h1').textContent()).toMatch(/could not find/i)
    await page.close()
  })
})

describe('an organiser', () => {
  it('logs in, edits the campaign and sees the change on the public page', async () => {
    await e2e.browser.context.clearCookies()
    const page = await e2e.browser.context.newPage()
    await page.goto(`${e2e.server.url}/admin`)
    await page.waitForURL(/\/admin\/login/)
    await page.fill('input[name=email]', 'demo@vigil.example')
    await page.fill('input[name=password]', 'wrong password')
    await page.click('button[type=submit]')
    await expect.poll(() => page.locator('.field__errors').first().textContent()).toMatch(/do not match/)
    await page.fill('input[name=password]', 'vigil-demo-2026')
    await page.click('button[type=submit]')
    await page.waitForURL(`${e2e.server.url}/admin`)
    await shot(page, 'admin-campaigns')

    await page.click('text=Justice for Andry')
    await page.click('a:has-text("Text (EN)")')
    await page.waitForURL(/\/text\/en$/)
    // Bad input: the browser shows the field's message and keeps the rest of the form.
    await page.fill('input[name=title]', '')
    await page.fill('textarea[name=summary]', 'A summary typed by the organiser')
    await page.click('button:has-text("Save")')
    await expect.poll(() => page.locator('.field:has(input[name=title]) .field__errors').textContent()).toMatch(/fill this in/)
    expect(await page.getAttribute('input[name=title]', 'aria-invalid')).toBe('true')
    expect(await page.inputValue('textarea[name=summary]')).toBe('A summary typed by the organiser')

    await page.fill('input[name=title]', 'Justice for Andry — edited in the browser')
    await page.click('button:has-text("Save")')
    await page.waitForURL(/saved=1/)
    await expect.poll(() => page.locator('.notice--success').first().textContent()).toMatch(/Saved/)
    await shot(page, 'admin-text-en')

    await page.goto(`${e2e.server.url}/c/free-andry?lng=en`)
    expect(await page.locator('h1').textContent()).toBe('Justice for Andry — edited in the browser')
    await page.close()
  })

  it('previews a draft before publishing it', async () => {
    const page = await e2e.browser.context.newPage()
    await page.goto(`${e2e.server.url}/admin/campaigns/new`)
    await page.fill('input[name=title]', 'Bring the Guatemala families home')
    await page.fill('input[name=slug]', 'guatemala-families')
    await page.click('button:has-text("Create campaign")')
    await page.waitForURL(/\/text\/en$/)
    await page.click('a:has-text("Preview")')
    await expect.poll(() => page.locator('.preview-bar').textContent()).toMatch(/draft/)
    await shot(page, 'admin-preview-draft')
    const anonymous = await fetch(`${e2e.server.url}/c/guatemala-families`)
    expect(anonymous.status).toBe(404)
    await page.close()
  })
})

describe('privacy', () => {
  it('made no request to any other origin while browsing', () => {
    expect(e2e.foreignRequests).toEqual([])
  })
})
