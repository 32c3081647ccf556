/**
 * At-risk mode (issue 16) in Chromium against the production build, in German, with JavaScript
 * off for everyone: an organiser ticks "supporters may be at risk" in the campaign's settings; a
 * supporter signs (no postal code asked, no name offered for the page), confirms from the email,
 * sees the page name nobody, gives through the Stripe stand-in's checkout and gets a receipt
 * that names nobody either.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql } from '../helpers/sql.ts'

const CAMPAIGN = '/c/free-andry'
const SIGNER = { firstName: 'Wiltrud', lastName: 'Sandkrug', email: 'wiltrud.sandkrug@example.de', country: 'AT' }
const DONOR_EMAIL = 'spende.ohne.namen@example.de'

let server: RunningServer
let supporter: Awaited<ReturnType<typeof launchBrowser>>
let organiser: Awaited<ReturnType<typeof launchBrowser>>

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  ;[supporter, organiser] = await Promise.all([
    launchBrowser({ javaScriptEnabled: false, locale: 'de-DE' }),
    launchBrowser({ javaScriptEnabled: false, locale: 'de-DE' }),
  ])
  const page = await organiser.context.newPage()
  await logInAsOrganiser(page, server.url)
  await page.close()
})

afterAll(async () => {
  await supporter?.close()
  await organiser?.close()
  await server?.stop()
})

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

/** As the organiser: the newest captured email to `to`, opened in the outbox: its text and links. */
async function newestEmail(to: string) {
  const page = await organiser.context.newPage()
  const newest = page.locator('table tbody tr').first()
  await expect
    .poll(
      async () => {
        await page.goto(`${server.url}/admin/outbox`)
        return [await newest.locator('td').nth(1).textContent(), await newest.locator('.status').getAttribute('class')]
      },
      { timeout: 15_000 },
    )
    .toEqual([to, 'status status--captured'])
  await newest.locator('a').first().click()
  await page.waitForURL(/\/admin\/outbox\/\d+$/)
  const body = (await page.locator('main').textContent()) ?? ''
  const links = await page.locator('ul.outbox-links a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))
  await page.close()
  return { body, links }
}

describe('a campaign whose supporters may be at risk, without JavaScript, in German', () => {
  it('is switched on in the settings by the organiser', async () => {
    const page = await organiser.context.newPage()
    await page.goto(`${server.url}/admin/campaigns/1?lng=de`)
    const box = page.getByLabel(de.atRisk.setting)
    expect(await box.isChecked()).toBe(false)
    await box.check()
    await page.locator('form.stack button[type=submit]').first().click()
    await page.waitForURL(/\/admin\/campaigns\/1\?saved=1$/)
    expect(await page.getByLabel(de.atRisk.setting).isChecked()).toBe(true)
    // The retention still at the general default became the at-risk one.
    expect(await page.locator('input[name=retentionDays]').inputValue()).toBe('30')
    await shot(page, 'at-risk-settings-de')
    await page.close()
  })

  it('signs without a postal code or a public name, confirms, and the page names nobody', async () => {
    const page = await supporter.context.newPage()
    await page.goto(`${server.url}${CAMPAIGN}?lng=de`)
    const form = page.locator('#sign-form')
    expect(await form.locator('[name=postalCode]').count()).toBe(0)
    expect(await form.locator('[name=showName]').count()).toBe(0)
    expect(await page.locator('#petition').textContent()).toContain(de.atRisk.signNotice)
    await page.locator('#petition').screenshot({ path: path.join(SCREENSHOTS, 'at-risk-sign-form-de.png') })
    await form.locator('input[name=firstName]').fill(SIGNER.firstName)
    await form.locator('input[name=lastName]').fill(SIGNER.lastName)
    await form.locator('input[name=email]').fill(SIGNER.email)
    await form.locator('select[name=country]').selectOption(SIGNER.country)
    await form.locator('textarea[name=message]').fill('Wir denken an Sie.')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\?signed=1#petition$/)
    expect(await page.locator('#petition .notice--success').textContent()).toBe(de.petition.checkInbox)

    const email = await newestEmail(SIGNER.email)
    const confirm = email.links.find((href) => /\/confirm\/[^/?]+$/.test(href))
    expect(confirm, email.links.join(', ')).toBeDefined()
    await page.goto(confirm!)
    await page.locator('button[name=intent][value=confirm]').click()
    await page.waitForURL(/\/thanks\/free-andry/)

    // The team approves the message; the page then shows it with the country only.
    const db = openServerSql(server)
    try {
      // The message is sealed (ADR 017): the newest pending one is this signer's.
      await db.run(`update signatures set message_status = 'approved' where id = (select max(id) from signatures where message_status = 'pending')`)
    } finally {
      await db.close()
    }
    await page.goto(`${server.url}${CAMPAIGN}?lng=de&view=${Date.now()}`)
    const recent = de.atRisk.recentSigner.replace('{{country}}', 'Österreich')
    expect(await page.locator('.recent-signers li').allTextContents()).toEqual([recent])
    expect(await page.locator('.support-messages').textContent()).toContain(`— ${de.petition.aSupporter}, Österreich`)
    const html = await page.content()
    for (const name of [SIGNER.firstName, SIGNER.lastName]) expect(html).not.toContain(name)
    await page.locator('#petition').screenshot({ path: path.join(SCREENSHOTS, 'at-risk-campaign-de.png') })
    await page.close()
  })

  it('gives without a public name, and the receipt names nobody', async () => {
    const page = await supporter.context.newPage()
    await page.goto(`${server.url}${CAMPAIGN}/donate?lng=de`)
    const form = page.locator('#donate-form')
    expect(await form.locator('[name=publicName]').count()).toBe(0)
    expect(await form.locator('[name=message]').count()).toBe(0)
    expect(await form.textContent()).toContain(de.atRisk.receiptNameHint)
    await form.locator('input[name=amount][value="2500"]').check()
    await form.locator('input[name=email]').fill(DONOR_EMAIL)
    await form.locator('button[type=submit]').click()

    // The stand-in's checkout got no address from Vigil: the payer types what the payment needs.
    await page.waitForURL(/\/c\/pay\/cs_/)
    const emailField = page.locator('input[name=email]')
    expect(await emailField.getAttribute('readonly')).toBeNull()
    expect(await emailField.inputValue()).not.toBe(DONOR_EMAIL)
    await shot(page, 'at-risk-checkout-de')
    await page.locator('button[value=card]').click()
    await page.waitForURL(/\/donate\/thanks\?session_id=cs_/)
    await expect
      .poll(
        async () => {
          const state = await page.locator('[role=status][data-state]').getAttribute('data-state')
          if (state !== 'succeeded') await page.reload()
          return state
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe('succeeded')

    const receipt = await newestEmail(DONOR_EMAIL)
    expect(receipt.body).toContain('25,00')
    for (const name of [SIGNER.firstName, SIGNER.lastName, 'Demo Supporter']) expect(receipt.body).not.toContain(name)
    await page.close()
  })
})
