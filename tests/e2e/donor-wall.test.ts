/**
 * Donor-wall moderation in Chromium against the production build in demo mode: gifts paid on
 * the Stripe stand-in's checkout (its webhooks are real), their names and messages kept off the
 * campaign page until an organiser approves them, hidden ones never shown, and a campaign that
 * chooses to publish new entries at once.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const CAMPAIGN = '/c/free-andry'
const WALL = '/admin/campaigns/1/donor-wall'
const SPAM = 'Visit https://spam.example for cheap pills!!!'

let server: RunningServer
let db: Database.Database
let browser: Awaited<ReturnType<typeof launchBrowser>>
let gifts = 0

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  db = new Database(server.databasePath, { readonly: true })
  browser = await launchBrowser()
})

afterAll(async () => {
  db?.close()
  await browser?.close()
  await server?.stop()
})

/** A gift through the donate form and the demo checkout, as a browser without JavaScript sends them; resolves once the webhook recorded it paid. */
async function give(publicName: string, message: string) {
  gifts += 1
  const form = { fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: `wall.${gifts}@example.org`, publicName, message }
  const donated = await fetch(`${server.url}${CAMPAIGN}/donate`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(form) })
  expect(donated.status).toBe(303)
  const checkout = donated.headers.get('location')!
  const paid = await fetch(checkout, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ action: 'card' }) })
  expect(paid.status).toBe(303)
  const sessionId = /cs_\w+/.exec(checkout)![0]
  await expect
    .poll(() => (db.prepare('SELECT status FROM donations WHERE stripe_checkout_session_id = ?').get(sessionId) as { status: string } | undefined)?.status, { timeout: 15_000 })
    .toBe('succeeded')
}

async function publicWall() {
  const page = await browser.context.newPage()
  // A fresh context's cookie would be the organiser's; the public page is the same for everyone.
  await page.goto(`${server.url}${CAMPAIGN}?lng=en&view=${Date.now()}`)
  const text = (await page.locator('#donate').textContent()) ?? ''
  return { page, text }
}

describe('the donor wall', () => {
  it('shows a name and message only after an organiser approves them, never a hidden one, and records who did it', async () => {
    await give('Wall Tester', 'For the trip to Capacho, with love.')
    await give('Cheap Pills', SPAM)

    const before = await publicWall()
    expect(before.text).not.toContain('Wall Tester')
    expect(before.text).not.toContain('spam.example')
    await before.page.locator('#donate').screenshot({ path: path.join(SCREENSHOTS, 'donor-wall-before-approval.png') })
    await before.page.close()

    const admin = await browser.context.newPage()
    await logInAsOrganiser(admin, server.url)
    await admin.goto(`${server.url}${WALL}`)
    const entries = admin.locator('ul.moderation > li')
    await expect.poll(() => entries.count()).toBe(2)
    await admin.screenshot({ path: path.join(SCREENSHOTS, 'donor-wall-moderation.png'), fullPage: true })
    // Amounts and addresses are not part of an entry.
    const listed = (await admin.locator('ul.moderation').textContent()) ?? ''
    expect(listed).not.toMatch(/€|25[.,]00|@example\.org/)

    await entries.filter({ hasText: 'Wall Tester' }).getByRole('button', { name: 'Approve' }).click()
    await expect.poll(() => entries.count()).toBe(1)
    await entries.filter({ hasText: 'Cheap Pills' }).getByRole('button', { name: 'Hide' }).click()
    await expect.poll(() => entries.count()).toBe(0)
    await admin.getByRole('link', { name: 'Hidden' }).click()
    await expect.poll(() => admin.locator('ul.moderation').textContent()).toContain('Cheap Pills')

    const after = await publicWall()
    expect(after.text).toContain('Wall Tester')
    expect(after.text).toContain('For the trip to Capacho, with love.')
    expect(after.text).not.toContain('Cheap Pills')
    expect(after.text).not.toContain('spam.example')
    await after.page.locator('#donate').screenshot({ path: path.join(SCREENSHOTS, 'donor-wall-after-approval.png') })
    await after.page.close()

    const audit = db.prepare(`SELECT action, subject_type AS subjectType FROM audit_log WHERE action LIKE 'donor_wall.%' ORDER BY id`).all()
    expect(audit).toEqual([
      { action: 'donor_wall.approve', subjectType: 'donation' },
      { action: 'donor_wall.hide', subjectType: 'donation' },
    ])
    await admin.close()
  })

  it('lets the campaign publish new entries at once; they can still be hidden', async () => {
    const admin = await browser.context.newPage()
    await admin.goto(`${server.url}${WALL}`)
    const needsApproval = admin.getByLabel('New entries wait for approval before they appear')
    expect(await needsApproval.isChecked()).toBe(true)
    await needsApproval.uncheck()
    await admin.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => admin.getByRole('status').textContent()).toContain('Saved.')

    await give('Published At Once', 'No waiting.')
    const wall = await publicWall()
    expect(wall.text).toContain('Published At Once')
    await wall.page.close()

    await admin.goto(`${server.url}${WALL}?status=approved`)
    await admin.locator('ul.moderation > li', { hasText: 'Published At Once' }).getByRole('button', { name: 'Hide' }).click()
    await expect.poll(() => admin.locator('ul.moderation').textContent()).not.toContain('Published At Once')
    const hidden = await publicWall()
    expect(hidden.text).not.toContain('Published At Once')
    await hidden.page.close()
    expect(db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'donor_wall.setting'`).get()).toEqual({ n: 1 })
    await admin.close()
  })
})
