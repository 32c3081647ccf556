/**
 * An owner gives the site the team's identity in the browser: name, logo and accent colour in
 * the header and on buttons, and the footer's links to the legal pages on every public page.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { logInAsOrganiser, SCREENSHOTS, serverAndBrowser } from '../helpers/browser.ts'
import { makeDataDir } from '../helpers/server.ts'

const e2e = serverAndBrowser()

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

/** A small logo as a designer would export it: a blue disc with a white bar, transparent around. */
async function logoFile() {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><circle cx="60" cy="60" r="56" fill="#1a5fb4"/><rect x="30" y="52" width="60" height="16" fill="#fff"/></svg>`
  const file = path.join(makeDataDir(), 'logo.png')
  await sharp(Buffer.from(svg)).png().toFile(file)
  return file
}

describe('an owner sets the team’s identity', () => {
  it('refuses a pale accent, then shows the team name, logo and accent on the public pages', async () => {
    const page = await e2e.browser.context.newPage()
    await logInAsOrganiser(page, e2e.server.url)
    await page.click('nav[aria-label="Back office"] >> text=Branding')
    await page.waitForURL(`${e2e.server.url}/admin/branding`)

    await page.fill('input[name=teamName]', 'Reporters Watch')
    await page.fill('input[name=accentColor]', '#ffcc00')
    await page.fill('input[name=headline_en]', 'Reporters Watch stands with Andry')
    await page.click('form:has(input[name=teamName]) button[type=submit]')
    await expect.poll(() => page.locator('#branding-accentColor-error, [id$="accentColor-error"]').textContent()).toContain('too light to read')
    await shot(page, 'branding-contrast-refused')

    await page.fill('input[name=accentColor]', '#1a5fb4')
    await page.click('form:has(input[name=teamName]) button[type=submit]')
    await page.waitForURL(/saved=1/)
    await page.setInputFiles('input[name=logo]', await logoFile())
    await page.click('form:has(input[name=logo]) button[type=submit]:not([name])')
    await expect.poll(() => page.locator('.admin-image-preview').count()).toBe(1)
    await shot(page, 'branding-admin')

    // A visitor's page, in a fresh context: no session, so what everyone sees.
    const visitor = await e2e.browser.context.browser()?.newContext()
    const home = visitor ? await visitor.newPage() : await e2e.browser.context.newPage()
    await home.goto(`${e2e.server.url}/?lng=en`)
    const brand = home.locator('header .brand')
    expect((await brand.textContent())?.trim()).toBe('Reporters Watch')
    const logo = brand.locator('img.brand__logo')
    await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
    expect(await logo.getAttribute('src')).toMatch(/^\/media\/logo-1-[\w-]+\.png$/)
    expect(await home.locator('h1').textContent()).toBe('Reporters Watch stands with Andry')
    await shot(home, 'branding-home')

    await home.goto(`${e2e.server.url}/c/free-andry?lng=en`)
    const accent = await home.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim())
    expect(accent).toBe('#1a5fb4')
    const footerLinks = home.locator('footer.site-footer nav a')
    expect(await footerLinks.allTextContents()).toEqual(['Privacy policy', 'Imprint', 'Contact', 'My data'])
    await home.locator('footer.site-footer').scrollIntoViewIfNeeded()
    await home.screenshot({ path: path.join(SCREENSHOTS, 'branding-campaign-top.png') })
    await shot(home, 'branding-campaign-full')

    await footerLinks.filter({ hasText: 'Privacy policy' }).click()
    await home.waitForURL(`${e2e.server.url}/privacy`)
    await expect.poll(() => home.locator('h1').textContent()).toBe('Privacy policy')
    expect(await home.locator('.prose').textContent()).toContain('Reporters Watch runs this website')
    await shot(home, 'branding-privacy')
    await home.locator('footer.site-footer nav a', { hasText: 'Imprint' }).click()
    await home.waitForURL(`${e2e.server.url}/imprint`)
    await expect.poll(() => home.locator('h1').textContent()).toBe('Imprint')
    await visitor?.close()

    // The owner reviews the German privacy policy: the editor starts from the generated draft.
    await page.goto(`${e2e.server.url}/admin/legal?lng=de`)
    await page.click('a[href="/admin/legal/privacy/de"]')
    await page.waitForURL(`${e2e.server.url}/admin/legal/privacy/de`)
    await expect.poll(() => page.locator('textarea[name=body]').inputValue()).toContain('180 Tage nach ihrem Ende')
    await shot(page, 'legal-editor-draft')
    await page.click('form:has(textarea[name=body]) button[type=submit]')
    await page.waitForURL(/saved=1/)
    await expect.poll(() => page.locator('a[href="/admin/legal/privacy/de"]').textContent()).toBe('Geprüft – bearbeiten')
    expect(e2e.foreignRequests).toEqual([])
  })
})
