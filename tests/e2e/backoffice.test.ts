/**
 * The back office as an organiser uses it, in Chromium against the production build: the
 * timeline's add form closing and emptying after "Saved", the entry form loading each
 * language's own text, the send confirmation without JavaScript, email frames as tall as
 * their email, and every admin page at 390 px without sideways scrolling.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { petitionClient } from '../helpers/petition.ts'
import { insertUpdateReader } from '../helpers/sealed.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let db: Database.Database
let browser: Awaited<ReturnType<typeof launchBrowser>>
let page: Page
let campaignId: number
let entryId: number
let messageId: number

const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
const url = (p: string) => `${server.url}${p}`

/** Confirmed signers who asked for news: the audience of an update. */
function seedAudience(n: number) {
  const write = new Database(server.databasePath, { fileMustExist: true })
  try {
    write.pragma('busy_timeout = 5000')
    for (let i = 0; i < n; i++) {
      const email = `audience.${i}@backoffice.example`
      insertUpdateReader(write, { campaignId, email, firstName: 'Ana', lastName: 'Audience' })
    }
  } finally {
    write.close()
  }
}

beforeAll(async () => {
  server = await startServer()
  db = new Database(server.databasePath, { readonly: true, fileMustExist: true })
  campaignId = (db.prepare(`select id from campaigns where slug = 'free-andry'`).get() as { id: number }).id
  seedAudience(3)
  // A real email in the outbox, through the signing form.
  const petition = petitionClient(server)
  const signer = petition.person({ email: 'a.very.long.address.for.wrapping@an-organisation-with-a-long-name.example.org' })
  expect((await petition.sign(signer)).status).toBe(303)
  messageId = (await petition.waitForEmails(signer.email))[0]!.id
  browser = await launchBrowser()
  page = await browser.context.newPage()
  await logInAsOrganiser(page, server.url)
})

afterAll(async () => {
  db?.close()
  await browser?.close()
  await server?.stop()
})

describe('the timeline', () => {
  it('closes and empties the add form after "Saved"', async () => {
    await page.goto(url(`/admin/campaigns/${campaignId}/timeline`))
    await page.waitForFunction(() => '__remixRouter' in window)
    await page.click('summary:has-text("Add an entry")')
    const form = page.locator(`#timeline-new-${campaignId}`)
    await form.locator('input[name=happenedOn]').fill('2026-11-30')
    await form.locator('input[name=title]').fill('The court hears the appeal')
    await form.locator('textarea[name=bodyMd]').fill('The hearing lasted four hours.')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\/timeline\?saved=\d+$/)
    await page.locator('.notice--success').waitFor()
    entryId = Number(/saved=(\d+)/.exec(page.url())![1])
    expect(await page.locator('details.panel').evaluate((d: HTMLDetailsElement) => d.open)).toBe(false)
    await shot(page, 'backoffice-timeline-saved')
    await page.click('summary:has-text("Add an entry")')
    expect(await form.locator('input[name=title]').inputValue()).toBe('')
    expect(await form.locator('textarea[name=bodyMd]').inputValue()).toBe('')
    expect(await page.locator('table a', { hasText: 'The court hears the appeal' }).count()).toBe(1)
  })

  it('loads each language’s own text when the language is switched, and saving keeps the others', async () => {
    await page.goto(url(`/admin/campaigns/${campaignId}/timeline/${entryId}`))
    await page.waitForFunction(() => '__remixRouter' in window)
    expect(await page.locator(`#timeline-${entryId}-en input[name=title]`).inputValue()).toBe('The court hears the appeal')
    await page.click('nav.tabs a:has-text("Deutsch")')
    await page.waitForURL(/locale=de/)
    const de = page.locator(`#timeline-${entryId}-de`)
    // No German text yet: an empty form, not the English one to save over.
    expect(await de.locator('input[name=title]').inputValue()).toBe('')
    expect(await de.textContent()).toContain('You are editing the Deutsch text.')
    await de.locator('input[name=title]').fill('Das Gericht verhandelt die Berufung')
    await de.locator('textarea[name=bodyMd]').fill('Die Anhörung dauerte vier Stunden.')
    await de.locator('button[type=submit]').click()
    await page.waitForURL(/locale=de&saved=1/)
    await shot(page, 'backoffice-entry-de')
    await page.click('nav.tabs a:has-text("English")')
    await page.waitForURL(/locale=en/)
    expect(await page.locator(`#timeline-${entryId}-en input[name=title]`).inputValue()).toBe('The court hears the appeal')
    const rows = db.prepare(`select locale, title from update_translations where update_id = ? order by locale`).all(entryId)
    expect(rows).toEqual([
      { locale: 'de', title: 'Das Gericht verhandelt die Berufung' },
      { locale: 'en', title: 'The court hears the appeal' },
    ])
  })
})

describe('sending an update', () => {
  it('asks "Send to N supporters?" before sending, without JavaScript too', async () => {
    const plain = await launchBrowser({ javaScriptEnabled: false })
    try {
      const noJs = await plain.context.newPage()
      await logInAsOrganiser(noJs, server.url)
      await noJs.goto(url(`/admin/campaigns/${campaignId}/updates/${entryId}/send`))
      const total = Number((await noJs.locator('[data-testid=audience-total]').textContent())!.replace(/\D/g, ''))
      expect(total).toBeGreaterThanOrEqual(3)
      await noJs.click('button[value=send]')
      const question = noJs.locator('[data-testid=confirm-send]')
      await question.waitFor()
      expect(await question.textContent()).toContain(`Send to ${total} supporters? This cannot be undone.`)
      expect(db.prepare(`select count(*) as n from update_sends where update_id = ?`).get(entryId)).toEqual({ n: 0 })
      await shot(noJs, 'backoffice-send-confirm-nojs')
      await noJs.click(`button:has-text("Yes, send to ${total} supporters")`)
      await noJs.locator('progress.send-progress').waitFor()
      expect(db.prepare(`select recipients from update_sends where update_id = ?`).get(entryId)).toEqual({ recipients: total })
    } finally {
      await plain.close()
    }
  })
})

describe('email frames', () => {
  it('are as tall as the email they show, at desktop and phone width', async () => {
    const fits = (p: Page) =>
      p.locator('iframe[data-fits-content]').evaluateAll((frames: HTMLIFrameElement[]) =>
        frames.map((f) => ({ inner: f.contentDocument!.documentElement.scrollHeight, outer: f.clientHeight })),
      )
    await page.goto(url(`/admin/outbox/${messageId}`))
    await page.waitForFunction(() => '__remixRouter' in window)
    await expect.poll(async () => (await fits(page)).every((f) => f.inner > 100 && f.inner <= f.outer)).toBe(true)
    await shot(page, 'backoffice-outbox-message')
    await page.goto(url(`/admin/campaigns/${campaignId}/updates/${entryId}/send`))
    await page.waitForFunction(() => '__remixRouter' in window)
    await expect.poll(async () => (await fits(page)).length === 2 && (await fits(page)).every((f) => f.inner > 100 && f.inner <= f.outer)).toBe(true)
    await shot(page, 'backoffice-send-previews')
  })
})

describe('at 390 px', () => {
  it('collapses the navigation behind a menu, and no admin page scrolls sideways', async () => {
    const phone = await launchBrowser({ viewport: { width: 390, height: 844 } })
    try {
      const p = await phone.context.newPage()
      await logInAsOrganiser(p, server.url)
      const fundId = (db.prepare(`select id from funds where campaign_id = ? order by id limit 1`).get(campaignId) as { id: number }).id
      const base = `/admin/campaigns/${campaignId}`
      const pages = [
        '/admin',
        '/admin/outbox',
        `/admin/outbox/${messageId}`,
        '/admin/organizers',
        '/admin/audit',
        '/admin/payment-events',
        '/admin/campaigns/new',
        base,
        `${base}/text/en`,
        `${base}/image`,
        `${base}/timeline`,
        `${base}/timeline/${entryId}`,
        `${base}/preview`,
        `${base}/signatures`,
        `${base}/messages`,
        `${base}/funds`,
        `${base}/funds/${fundId}`,
        `${base}/donations`,
        `${base}/updates/${entryId}/send`,
        `${base}/sharing`,
        `${base}/embed`,
        `${base}/print`,
      ]
      const wide: string[] = []
      for (const path of pages) {
        await p.goto(url(path))
        await p.waitForLoadState('load')
        const { scrollWidth, innerWidth } = await p.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
        if (scrollWidth > innerWidth) wide.push(`${path}: ${scrollWidth} > ${innerWidth}`)
        await shot(p, `backoffice-390${path.replaceAll('/', '-')}`)
      }
      expect(wide).toEqual([])

      // The links wait behind "Menu", which opens them and closes again after a page change.
      await p.goto(url('/admin'))
      await p.waitForFunction(() => '__remixRouter' in window)
      expect(await p.locator('.admin-nav__wide').isVisible()).toBe(false)
      const menu = p.locator('.admin-nav__menu')
      expect(await menu.locator('a:has-text("Outbox")').isVisible()).toBe(false)
      await menu.locator('summary').click()
      await shot(p, 'backoffice-390-menu-open')
      await menu.locator('a:has-text("Outbox")').click()
      await p.waitForURL(/\/admin\/outbox$/)
      await expect.poll(() => p.locator('.admin-nav__menu').evaluate((d: HTMLDetailsElement) => d.open)).toBe(false)
    } finally {
      await phone.close()
    }
  })
})
