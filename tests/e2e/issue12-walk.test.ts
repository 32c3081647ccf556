/**
 * Issue 12 walked again on the living demo (`scripts/seed/seed.ts --history`), in Chromium
 * against the production build: the leftovers found on the way (the update's audience form
 * without JavaScript, an unknown confirm link, monthly gifts in the demo), then every public
 * and back-office page in three languages, at 390 and 1280 px, with JavaScript on and off,
 * without sideways scroll, each screenshot kept for a person to look at.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import adminDe from '../../app/locales/de/admin.json'
import de from '../../app/locales/de/common.json'
import adminEn from '../../app/locales/en/admin.json'
import en from '../../app/locales/en/common.json'
import es from '../../app/locales/es/common.json'
import { openDonation } from '~/models/personal-data.server.ts'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { makeDataDir, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql } from '../helpers/sql.ts'
import { DEMO_MONTHLY_GIFTS } from '../../scripts/seed/monthly-gifts.ts'

const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 900 }

let server: RunningServer

beforeAll(async () => {
  const dir = makeDataDir()
  const seeded = await runScript('scripts/seed/seed.ts', ['--history'], {
    NODE_ENV: 'production',
    DATABASE_PATH: path.join(dir, 'vigil.db'),
    UPLOADS_PATH: path.join(dir, 'uploads'),
    STRIPE_SECRET_KEY: '',
    RESEND_API_KEY: '',
  })
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`)
  server = await startServer({ seed: false, dir, env: { PAGE_CACHE_TTL_MS: '0' } })
})

afterAll(async () => {
  await server?.stop()
})

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `issue12-${name}.png`), fullPage: true })

async function withBrowser<T>(options: Parameters<typeof launchBrowser>[0], work: (page: Page) => Promise<T>) {
  const browser = await launchBrowser(options)
  try {
    return await work(await browser.context.newPage())
  } finally {
    await browser.close()
  }
}

/** Add a published timeline entry through the back office without JavaScript; returns its send page. */
async function newUpdate(page: Page, campaignId: number, title: string) {
  await page.goto(`${server.url}/admin/campaigns/${campaignId}/timeline?lng=en`)
  await page.click('summary:has-text("Add an entry")')
  const form = page.locator(`#timeline-new-${campaignId}`)
  await form.locator('input[name=happenedOn]').fill('2026-12-01')
  await form.locator('input[name=title]').fill(title)
  await form.locator('textarea[name=bodyMd]').fill('Andry’s hearing is set for next week.')
  await form.locator('button[type=submit]').click()
  await page.waitForURL(/\/timeline\?saved=\d+$/)
  const updateId = Number(/saved=(\d+)/.exec(page.url())![1])
  return `${server.url}/admin/campaigns/${campaignId}/updates/${updateId}/send`
}

const campaignIdOf = async (slug: string) => {
  const db = openServerSql(server)
  try {
    return Number((await db.get<{ id: number }>(`SELECT id FROM campaigns WHERE slug = ?`, slug))!.id)
  } finally {
    await db.close()
  }
}

describe('the update audience form without JavaScript', () => {
  it('lands on an error summary linking to the field when Send is pressed with nobody chosen, in the organiser language', async () => {
    await withBrowser({ javaScriptEnabled: false, viewport: PHONE }, async (page) => {
      await logInAsOrganiser(page, server.url)
      const send = await newUpdate(page, await campaignIdOf('free-andry'), 'Hearing set')
      await page.goto(`${send}?lng=de`)
      const formId = await page.locator('form[id^=update-audience-]').getAttribute('id')
      // The count was made for signers; the organiser then unticks them and presses Send without recounting.
      await page.uncheck('input[name=signers]')
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('button[value=send]')
      expect((await posted).status()).toBe(400)
      await page.waitForLoadState()
      const summary = page.locator(`#${formId}-error-summary`)
      expect(await summary.getAttribute('role')).toBe('alert')
      expect(await summary.locator('h2').textContent()).toBe(de.forms.errorSummary)
      const links = await summary.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]))
      expect(links).toEqual([[`#${formId}-signers`, `${adminDe.admin.updates.audience.signers}: ${adminDe.admin.updates.errors.noAudience}`]])
      // The page lands on the summary, and its link leads to a field that is there.
      expect(await page.evaluate(() => document.activeElement?.className)).toBe('error-summary')
      expect(await page.locator(`#${formId}-signers`).count()).toBe(1)
      // The form as re-rendered from the POST: Signers unticked, so no count and no Send (not the default audience's).
      expect(await page.locator('input[name=signers]').isChecked()).toBe(false)
      expect(await page.locator('[data-testid=audience-total]').count()).toBe(0)
      expect(await page.locator('button[value=send]').isDisabled()).toBe(true)
      await shot(page, 'audience-error-summary-nojs-de-390')
    })
  })

  it('shows the summary too when Count recipients finds nobody chosen', async () => {
    await withBrowser({ javaScriptEnabled: false }, async (page) => {
      await logInAsOrganiser(page, server.url)
      const send = await newUpdate(page, await campaignIdOf('free-andry'), 'Hearing moved')
      await page.goto(`${send}?lng=en`)
      await page.uncheck('input[name=signers]')
      await page.click(`button:has-text("${adminEn.admin.updates.audience.recount}")`)
      await page.waitForURL(/donors=none/)
      const summary = page.locator('.error-summary')
      expect(await summary.locator('a').allTextContents()).toEqual([`${adminEn.admin.updates.audience.signers}: ${adminEn.admin.updates.errors.noAudience}`])
      expect(await page.locator('button[value=send]').isDisabled()).toBe(true)
    })
  })
})

describe('an unknown confirm link', () => {
  it('is a 404 page that says why in the visitor language, with JavaScript on and off', async () => {
    for (const [javaScriptEnabled, lang, texts] of [[false, 'es', es], [true, 'de', de], [true, 'en', en]] as const) {
      await withBrowser({ javaScriptEnabled, viewport: PHONE }, async (page) => {
        const response = await page.goto(`${server.url}/confirm/no-such-token-${lang}-0000000000000000?lng=${lang}`)
        expect(response?.status()).toBe(404)
        expect(await page.locator('h1').textContent()).toBe(texts.confirm.title)
        expect(await page.locator('.notice--error').textContent()).toBe(texts.confirm.invalid)
        await shot(page, `confirm-unknown-${lang}-${javaScriptEnabled ? 'js' : 'nojs'}`)
      })
    }
  })
})

describe('monthly gifts in the living demo', () => {
  it('holds monthly gifts paid through the webhook, counted without drift, whose receipts open the demo portal', async () => {
    const db = openServerSql(server)
    let monthly: { id: number; email: string; status: string; customer: string | null; receipt: number | null }[]
    let receipts: { id: number; key: string }[]
    try {
      // The donor's address is sealed (ADR 017): opened with the server's key.
      const rows = await db.all<{ id: number; sealed: string | null; status: string; customer: string | null; receipt: number | null }>(
        `SELECT id, sealed, status, stripe_customer_id AS customer, receipt_number AS receipt FROM donations WHERE interval = 'monthly' ORDER BY id`,
      )
      monthly = rows.map(({ sealed, ...row }) => ({ ...row, email: openDonation(sealed)?.email ?? '' }))
      receipts = await db.all(`SELECT id, idempotency_key AS key FROM email_messages WHERE template = 'donation-receipt' ORDER BY id`)
    } finally {
      await db.close()
    }
    expect(monthly.map((g) => g.email)).toEqual(DEMO_MONTHLY_GIFTS.map((g) => g.email))
    expect(monthly.every((g) => g.status === 'succeeded' && g.customer?.startsWith('cus_') && g.receipt !== null)).toBe(true)
    const recount = await runScript('scripts/recount.ts', [], { NODE_ENV: 'production', DATABASE_PATH: server.databasePath, STRIPE_SECRET_KEY: '', RESEND_API_KEY: '' })
    expect(recount.code, recount.stderr).toBe(0)
    expect(recount.stdout).not.toMatch(/repair|drift|fixed/i)

    // The last donor's receipt, as the organiser reads it in the outbox, and its manage link.
    const last = monthly.at(-1)!
    const receipt = receipts.find((r) => r.key === `donation:${last.id}:receipt`)!
    const manage = await withBrowser({ javaScriptEnabled: false }, async (page) => {
      await logInAsOrganiser(page, server.url)
      await page.goto(`${server.url}/admin/outbox/${receipt.id}?lng=en`)
      return page.locator('ul.outbox-links a[href*="/donations/manage/"]').getAttribute('href')
    })
    expect(manage).toBeTruthy()
    // The donor (a German browser) follows it, and the button leads to the stand-in's portal.
    await withBrowser({ javaScriptEnabled: false, viewport: PHONE, locale: 'de-DE' }, async (page) => {
      await page.goto(manage!)
      expect(await page.locator('h1').textContent()).toBe(de.donate.manage.title)
      await shot(page, 'demo-monthly-manage-de-390')
      await page.locator('main button[type=submit]').click()
      await page.waitForURL(/\/p\/session\//)
      expect(await page.locator('body').textContent()).toMatch(/Demo/)
      await shot(page, 'demo-monthly-portal-de-390')
    })
  })
})

describe('every page, in three languages, at two widths, with JavaScript on and off', () => {
  const LANGS = ['en', 'de', 'es'] as const
  const PUBLIC = ['/', '/c/free-andry', '/c/free-andry/donate', '/c/publish-the-criteria', '/privacy', '/imprint', '/contact']

  /** Visit each path, check it answers 200 without sideways scroll, and keep a screenshot. */
  async function walk(page: Page, paths: string[], tag: string, viewport: { width: number }) {
    const problems: string[] = []
    for (const lang of LANGS) {
      for (const p of paths) {
        const response = await page.goto(`${server.url}${p}${p.includes('?') ? '&' : '?'}lng=${lang}`)
        if (response?.status() !== 200) problems.push(`${p} ${lang}: ${response?.status()}`)
        expect(await page.locator('html').getAttribute('lang')).toBe(lang)
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        if (wide > 0) problems.push(`${p} ${lang} at ${viewport.width} px scrolls sideways by ${wide} px`)
        await shot(page, `walk-${tag}-${viewport.width}-${lang}-${p.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'home'}`)
      }
    }
    return problems
  }

  // One test per width (and JavaScript on or off): 21 pages with a full-page screenshot each
  // took over a minute together on a slow machine.
  for (const viewport of [PHONE, DESKTOP]) {
    for (const javaScriptEnabled of [true, false]) {
      it(`shows the public pages to a signer and a donor, ${viewport.width} px wide, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
        await withBrowser({ javaScriptEnabled, viewport }, async (page) => {
          expect(await walk(page, PUBLIC, javaScriptEnabled ? 'js' : 'nojs', viewport)).toEqual([])
        })
      })
    }
  }

  for (const viewport of [PHONE, DESKTOP]) {
    it(`shows the back office to an organiser, ${viewport.width} px wide`, async () => {
      const id = await campaignIdOf('free-andry')
      const ADMIN = ['/admin', `/admin/campaigns/${id}/donations`, `/admin/campaigns/${id}/signatures`, '/admin/outbox', '/admin/audit', '/admin/branding']
      await withBrowser({ viewport }, async (page) => {
        await logInAsOrganiser(page, server.url)
        expect(await walk(page, ADMIN, 'admin', viewport)).toEqual([])
      })
    })
  }
})
