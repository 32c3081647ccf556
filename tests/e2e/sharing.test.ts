/**
 * Sharing in Chromium at phone width: after confirming a signature the thanks page offers the
 * share links; the Mastodon server typed once is remembered in the browser (JavaScript on) and
 * the same form works through the server's redirect without JavaScript. Requests to Mastodon
 * are answered locally: the test never leaves the machine. Screenshots of the share block.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, SCREENSHOTS } from '../helpers/browser.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const PHONE = { width: 390, height: 844 }
let server: RunningServer
let db: Database.Database
let withJs: Awaited<ReturnType<typeof launchBrowser>>
let withoutJs: Awaited<ReturnType<typeof launchBrowser>>
const mastodonRequests: string[] = []

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' } })
  db = new Database(server.databasePath)
  ;[withJs, withoutJs] = await Promise.all([launchBrowser({ viewport: PHONE }), launchBrowser({ viewport: PHONE, javaScriptEnabled: false })])
  for (const browser of [withJs, withoutJs]) await answerMastodonLocally(browser.context)
}, 60_000)

afterAll(async () => {
  db?.close()
  await withJs?.close()
  await withoutJs?.close()
  await server?.stop()
})

/** Any Mastodon server the test sends people to answers here, and the address is kept. */
async function answerMastodonLocally(context: BrowserContext) {
  await context.route(/^https:\/\/(mastodon\.social|chaos\.social)\//, (route) => {
    mastodonRequests.push(route.request().url())
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>share</title><p>stand-in</p>' })
  })
}

/** Sign over HTTP, then open the confirmation link in the browser and confirm: the thanks page. */
async function confirmInBrowser(page: Page) {
  const client = petitionClient(server)
  const cookie = await client.login()
  const person = client.person()
  expect((await client.sign(person)).status).toBe(303)
  const [email] = await client.waitForEmails(person.email)
  const [confirmUrl] = await client.linksOf(email!.id, cookie)
  await page.goto(confirmUrl!)
  await page.click('button[name=intent][value=confirm]')
  await page.waitForURL(/\/thanks\/free-andry/)
}

async function newTabFrom(page: Page, action: () => Promise<void>) {
  const [popup] = await Promise.all([page.context().waitForEvent('page'), action()])
  // Without JavaScript the tab passes through /share/mastodon first (it moves on by itself).
  await popup.waitForURL(/^https:\/\/[a-z.]+\/share\?/)
  const url = popup.url()
  await popup.close()
  return url
}

describe('share links in the browser', () => {
  it('shows the share links after confirming, and remembers the Mastodon server (JavaScript on)', async () => {
    const page = await withJs.context.newPage()
    await confirmInBrowser(page)
    await page.waitForFunction(() => '__remixRouter' in window)
    const share = page.getByTestId('share')
    for (const name of ['WhatsApp', 'Telegram', 'Bluesky', 'X', 'Facebook', 'LinkedIn', 'Email']) {
      await expect.poll(() => share.getByRole('link', { name, exact: false }).first().isVisible()).toBe(true)
    }
    // The copy buttons exist once JavaScript runs (Signal has no share URL).
    await share.getByRole('button', { name: 'Signal (copy link)' }).waitFor()
    await share.getByRole('button', { name: 'Copy link', exact: true }).waitFor()
    const wa = await share.getByRole('link', { name: /WhatsApp/ }).getAttribute('href')
    expect(new URL(wa!).searchParams.get('text')).toMatch(/\/c\/free-andry\?s=wa$/)

    // A server name that is not one: said at once, nothing opened.
    await page.fill('#share-mastodon', 'javascript:alert(1)')
    await page.click('button.share__link--masto')
    await page.locator('#share-mastodon-error').waitFor()

    const opened = await newTabFrom(page, async () => {
      await page.fill('#share-mastodon', 'https://Mastodon.Social/')
      await page.click('button.share__link--masto')
    })
    expect(opened.startsWith('https://mastodon.social/share?text=')).toBe(true)
    expect(new URL(opened).searchParams.get('text')).toMatch(/\/c\/free-andry\?s=masto$/)
    await share.screenshot({ path: path.join(SCREENSHOTS, 'share-thanks-390.png') })

    // Typed once: the next page that shares has it filled in (kept in this browser only).
    await page.goto(`${server.url}/c/free-andry?lng=de`)
    await page.waitForFunction(() => '__remixRouter' in window)
    await expect.poll(() => page.inputValue('#share-mastodon')).toBe('mastodon.social')
    expect(await page.evaluate(() => localStorage.getItem('vigil.mastodon-instance'))).toBe('mastodon.social')
    await page.getByTestId('share').screenshot({ path: path.join(SCREENSHOTS, 'share-campaign-de-390.png') })
    await page.close()
  })

  it('works without JavaScript: plain links, the link to copy, and Mastodon through the server', async () => {
    const page = await withoutJs.context.newPage()
    await page.goto(`${server.url}/c/free-andry?lng=es`)
    const share = page.getByTestId('share')
    await share.getByRole('link', { name: /WhatsApp/ }).waitFor()
    // Copy and Web Share need JavaScript: they are not offered without it.
    expect(await share.getByRole('button', { name: /Signal|Copiar/ }).count()).toBe(0)
    expect(await page.inputValue('#share-link')).toBe(`${server.url}/c/free-andry?s=copy`)
    const before = mastodonRequests.length
    const opened = await newTabFrom(page, async () => {
      await page.fill('#share-mastodon', 'chaos.social')
      await page.click('button.share__link--masto')
    })
    expect(opened.startsWith('https://chaos.social/share?text=')).toBe(true)
    expect(new URL(opened).searchParams.get('text')).toMatch(/^Firma la petición «.+» y pásala\. .+\/c\/free-andry\?s=masto$/)
    expect(mastodonRequests.length).toBe(before + 1)
    await share.screenshot({ path: path.join(SCREENSHOTS, 'share-campaign-es-nojs-390.png') })
    await page.close()
  })
})
