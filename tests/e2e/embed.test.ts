/**
 * The petition embedded on another site, in Chromium: a page served by a second local server
 * (another origin, and another site: localhost, not 127.0.0.1) frames the embed with the
 * snippet the back office gives; a signer signs inside the frame with JavaScript on and, in
 * another browser, off; the captured email confirms the signature and the count moves in the
 * frame. A page on an origin nobody allowed cannot frame it.
 */
import http from 'node:http'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Frame, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import { embedSnippet, resizeListener } from '../../app/utils/embed.ts'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { petitionClient } from '../helpers/petition.ts'
import { freePort, startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let db: Database.Database
let client: ReturnType<typeof petitionClient>
let ownerCookie: string
const sites: http.Server[] = []
let allowedSite: string
let otherSite: string

/** A magazine's article page with the snippet in it, on its own origin. */
async function startSite(lang: 'en' | 'de' = 'en') {
  const port = await freePort()
  const site = http.createServer((req, res) => {
    const language = new URL(req.url ?? '/', 'http://x').searchParams.get('lng') === 'de' ? 'de' : lang
    const frame = embedSnippet({ publicUrl: server.url, slug: 'free-andry', lang: language, panel: 'petition', title: 'Sign the petition' })
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Magazine</title></head>
<body style="margin:0;font-family:serif"><article style="max-width:720px;margin:0 auto;padding:0 8px"><h1>Our reporting</h1><p>An article about the case.</p>${frame}<p>More text after the petition.</p></article>${resizeListener(server.url)}</body></html>`)
  })
  await new Promise<void>((resolve) => site.listen(port, '127.0.0.1', resolve))
  sites.push(site)
  return `http://localhost:${port}`
}

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000' } })
  db = new Database(server.databasePath)
  client = petitionClient(server)
  ownerCookie = await client.login()
  ;[allowedSite, otherSite] = await Promise.all([startSite(), startSite()])
  // The organiser allows the magazine's origin in the back office.
  const campaignId = (db.prepare(`SELECT id FROM campaigns WHERE slug = 'free-andry'`).get() as { id: number }).id
  const saved = await fetch(`${server.url}/admin/campaigns/${campaignId}/embed`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, Cookie: ownerCookie },
    body: new URLSearchParams({ origins: allowedSite }),
  })
  expect(saved.status).toBe(302)
})

afterAll(async () => {
  await Promise.all(sites.map((site) => new Promise((resolve) => site.close(resolve))))
  db?.close()
  await server?.stop()
})

async function embedFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('iframe')
  const frame = await handle.contentFrame()
  if (!frame) throw new Error('no frame')
  await frame.waitForSelector('#petition')
  return frame
}

const countIn = (frame: Frame) => frame.locator('progress.petition-progress').evaluate((p: HTMLProgressElement) => p.value)

async function fill(frame: Frame, email: string) {
  await frame.fill('#sign-form input[name=firstName]', 'Rosa')
  await frame.fill('#sign-form input[name=lastName]', 'Embed')
  await frame.fill('#sign-form input[name=email]', email)
  await frame.selectOption('#sign-form select[name=country]', 'SV')
}

async function confirm(email: string, locale: string) {
  const [message] = await client.waitForEmails(email)
  expect(message!.template).toBe('confirm-signature')
  expect(message!.locale).toBe(locale)
  const [confirmUrl] = await client.linksOf(message!.id, ownerCookie)
  const confirmed = await fetch(confirmUrl!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
  expect(confirmed.status).toBe(303)
}

describe('the petition embedded on another site', () => {
  it('signs inside the frame with JavaScript on: the message in place, the frame sized by its content, the email confirms, the count moves', async () => {
    const browser = await launchBrowser({ viewport: { width: 360, height: 800 } })
    try {
      const page = await browser.context.newPage()
      await page.goto(`${allowedSite}/?lng=de`)
      const frame = await embedFrame(page)
      await frame.locator('#sign-form input[name=_js]').waitFor({ state: 'attached' })
      expect(await frame.locator('html').getAttribute('lang')).toBe('de')
      // The listener took the frame's own height instead of the snippet's 980 px.
      await page.waitForFunction(() => document.querySelector('iframe')!.style.height !== '980px')
      const frameHeight = await page.locator('iframe').evaluate((f: HTMLIFrameElement) => f.getBoundingClientRect().height)
      const contentHeight = await frame.evaluate(() => document.documentElement.getBoundingClientRect().height)
      expect(Math.abs(frameHeight - contentHeight)).toBeLessThanOrEqual(1)
      // Tall enough to hold the whole frame: an element screenshot does not paint what lies beyond the viewport.
      await page.setViewportSize({ width: 360, height: Math.ceil(frameHeight) + 400 })
      await page.locator('iframe').screenshot({ path: path.join(SCREENSHOTS, 'embed-360.png') })
      const before = await countIn(frame)
      await fill(frame, 'rosa.js@example.org')
      // Chromium blocks this third-party frame's storage: Remix must not fail on it (STORAGE_FALLBACK in embed-frame.tsx).
      await frame.click('#sign-form button[type=submit]')
      await expect.poll(() => frame.locator('#sign-done').textContent()).toContain(de.petition.checkInbox.slice(0, 30))
      expect(frame.url()).toBe(`${server.url}/embed/c/free-andry?lng=de`)
      await confirm('rosa.js@example.org', 'de')
      await page.reload()
      expect(await countIn(await embedFrame(page))).toBe(before + 1)
    } finally {
      await browser.close()
    }
  })

  it('signs inside the frame with JavaScript off: post, redirect back into the frame with the message', async () => {
    const browser = await launchBrowser({ javaScriptEnabled: false, viewport: { width: 600, height: 1400 } })
    try {
      const page = await browser.context.newPage()
      await page.goto(allowedSite)
      const frame = await embedFrame(page)
      const before = await countIn(frame)
      await fill(frame, 'rosa.nojs@example.org')
      await Promise.all([frame.waitForURL(/signed=1/), frame.click('#sign-form button[type=submit]')])
      expect(frame.url()).toBe(`${server.url}/embed/c/free-andry?lng=en&signed=1`)
      expect(await frame.locator('#sign-done').textContent()).toContain(en.petition.checkInbox.slice(0, 30))
      // Still the bare embed, not the site's page.
      expect(await frame.locator('.site-header').count()).toBe(0)
      await confirm('rosa.nojs@example.org', 'en')
      await page.reload()
      expect(await countIn(await embedFrame(page))).toBe(before + 1)
    } finally {
      await browser.close()
    }
  })

  it('cannot be framed by an origin nobody allowed', async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      const refusals: string[] = []
      page.on('console', (message) => {
        if (/frame-ancestors/.test(message.text())) refusals.push(message.text())
      })
      await page.goto(otherSite)
      const handle = await page.waitForSelector('iframe')
      await expect.poll(() => refusals.length).toBeGreaterThan(0)
      const frame = await handle.contentFrame()
      // The navigation was blocked: the frame holds Chromium's error page, not the embed.
      expect(frame?.url()).not.toContain('/embed/c/free-andry')
      expect(await frame?.locator('#petition').count()).toBe(0)
      expect(refusals[0]).toContain(`frame-ancestors 'self' ${allowedSite}`)
    } finally {
      await browser.close()
    }
  })

  it('shows the organiser the snippet and a live preview in the back office', async () => {
    const browser = await launchBrowser({ viewport: { width: 1100, height: 1400 } })
    try {
      const page = await browser.context.newPage()
      await logInAsOrganiser(page, server.url)
      await page.goto(`${server.url}/admin/campaigns/1/embed`)
      expect(await page.locator('#origins').inputValue()).toBe(allowedSite)
      expect(await page.locator('[data-snippet=petition-de]').inputValue()).toContain(`${server.url}/embed/c/free-andry?lng=de`)
      const preview = await (await page.waitForSelector('iframe.embed-admin__preview')).contentFrame()
      await preview!.waitForSelector('#sign-form')
      await page.screenshot({ path: path.join(SCREENSHOTS, 'embed-admin.png'), fullPage: true })
      // The compact donate panel at phone width.
      await page.setViewportSize({ width: 360, height: 800 })
      await page.goto(`${server.url}/embed/c/free-andry/donate?lng=en`)
      expect(await page.locator('#embed-donate-form').getAttribute('target')).toBe('_blank')
      await page.screenshot({ path: path.join(SCREENSHOTS, 'embed-donate-360.png'), fullPage: true })
    } finally {
      await browser.close()
    }
  })
})
