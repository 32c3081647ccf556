/**
 * Signing the petition in Chromium against the production build: with and without
 * JavaScript, in each language, through the confirmation email (read in the demo outbox)
 * to the count on the campaign page, and what the form says about bad input.
 */
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import de from '../../app/locales/de/common.json'
import en from '../../app/locales/en/common.json'
import es from '../../app/locales/es/common.json'
import { launchBrowser, SCREENSHOTS, logInAsOrganiser } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const CATALOGS = { en, de, es } as const
type Lng = keyof typeof CATALOGS
const CAMPAIGN = '/c/free-andry'

let server: RunningServer
let visitor: Awaited<ReturnType<typeof launchBrowser>>
let organiser: Awaited<ReturnType<typeof launchBrowser>>

beforeAll(async () => {
  server = await startServer({
    // No page cache, so the count is fresh on every view; limits high enough for this file's signatures.
    env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000' },
  })
  ;[visitor, organiser] = await Promise.all([launchBrowser(), launchBrowser()])
  // The organiser reads the outbox in their own browser, logged in once.
  const page = await organiser.context.newPage()
  await logInAsOrganiser(page, server.url)
  await page.close()
})

afterAll(async () => {
  await visitor?.close()
  await organiser?.close()
  await server?.stop()
})

const shot = (page: Page, name: string) => page.locator('#petition').screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) })

type Signer = { firstName: string; lastName: string; email: string; country: string; showName?: boolean; message?: string }

/** Open the campaign in `lng` and wait until React has hydrated the form (it then adds the _js field). */
async function openCampaign(page: Page, lng: Lng) {
  await page.goto(`${server.url}${CAMPAIGN}?lng=${lng}`)
  await page.waitForFunction(() => '__remixRouter' in window)
  await page.locator('#sign-form input[name=_js]').waitFor({ state: 'attached' })
}

async function fillForm(page: Page, signer: Partial<Signer>) {
  if (signer.firstName !== undefined) await page.fill('#sign-form input[name=firstName]', signer.firstName)
  if (signer.lastName !== undefined) await page.fill('#sign-form input[name=lastName]', signer.lastName)
  if (signer.email !== undefined) await page.fill('#sign-form input[name=email]', signer.email)
  if (signer.country !== undefined) await page.selectOption('#sign-form select[name=country]', signer.country)
  if (signer.message !== undefined) await page.fill('#sign-form textarea[name=message]', signer.message)
  if (signer.showName) await page.check('#sign-form input[name=showName]')
}

/** Errors listed under the field named `name`. */
function fieldErrors(page: Page, name: string) {
  return page.locator(`#sign-form .field:has([name=${name}]) .field__errors li`).allTextContents()
}

/** The public count, read from the progress bar (its value is the confirmed count) and checked against the text. */
async function confirmedCount(page: Page, lng: Lng) {
  await page.goto(`${server.url}${CAMPAIGN}?lng=${lng}&view=${Date.now()}`)
  const value = await page.locator('progress.petition-progress').evaluate((p: HTMLProgressElement) => p.value)
  const text = await page.locator('.petition-count strong').textContent()
  expect(text).toContain(new Intl.NumberFormat(lng).format(value))
  return value
}

/** As the organiser: find the newest outbox email, check it is to `email` and captured, and return its confirm link. */
async function confirmLinkFromOutbox(email: string, lng: Lng) {
  const page = await organiser.context.newPage()
  await page.goto(`${server.url}/admin/outbox`)
  const newest = page.locator('table tbody tr').first()
  // The sender captures queued mail within a second or so; reload until it has.
  await expect
    .poll(
      async () => {
        await page.reload()
        return [await newest.locator('td').nth(1).textContent(), await newest.locator('.status').getAttribute('class')]
      },
      { timeout: 15_000 },
    )
    .toEqual([email, 'status status--captured'])
  expect(await newest.locator('td').nth(2).textContent()).toBe(`Confirm your signature — ${lng}`)
  await newest.locator('a').first().click()
  await page.waitForURL(/\/admin\/outbox\/\d+$/)
  // The URL changes before the client-side navigation has rendered the message.
  await page.locator('ul.outbox-links').waitFor()
  const links = await page.locator('ul.outbox-links a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))
  await page.close()
  const confirm = links.filter((href) => /\/confirm\/[^/?]+$/.test(href))
  expect(confirm, `links in the email: ${links.join(', ')}`).toHaveLength(1)
  expect(links.some((href) => href.endsWith('?not-me'))).toBe(true)
  return confirm[0]!
}

/** Follow the link from the email, press the button, land on the thanks page. */
async function confirmThroughEmail(page: Page, signer: Signer, lng: Lng) {
  const link = await confirmLinkFromOutbox(signer.email, lng)
  expect(link.startsWith(`${server.url}/confirm/`)).toBe(true)
  await page.goto(link)
  const button = page.locator('button[name=intent][value=confirm]')
  expect(await button.textContent()).toBe(CATALOGS[lng].confirm.button)
  await button.click()
  // Nothing of the signer in the URL: the thanks page reads the name from a short-lived signed cookie.
  await page.waitForURL(new RegExp(`/thanks/free-andry\\?lng=${lng}$`))
  await expect.poll(() => page.locator('h1').textContent()).toBe(CATALOGS[lng].confirm.thanksTitle.replace('{{firstName}}', signer.firstName))
}

describe('signing with JavaScript', () => {
  const signers: Record<Lng, Signer> = {
    en: { firstName: 'Amelia', lastName: 'Hart', email: 'amelia.hart@example.org', country: 'GB' },
    de: { firstName: 'Jürgen', lastName: 'Groß', email: 'juergen.gross@example.de', country: 'DE' },
    es: { firstName: 'Begoña', lastName: 'Núñez', email: 'begona.nunez@example.es', country: 'ES' },
  }

  for (const lng of ['en', 'de', 'es'] as const) {
    it(`signs in ${lng} without leaving the page, then confirms from the email and is counted`, async () => {
      const signer = signers[lng]
      const t = CATALOGS[lng].petition
      const page = await visitor.context.newPage()
      const before = await confirmedCount(page, lng)

      await openCampaign(page, lng)
      const url = page.url()
      await page.evaluate(() => {
        ;(window as unknown as { signMarker: string }).signMarker = 'same document'
      })
      await fillForm(page, signer)
      // Hold the answer back a little so the pending state can be seen; the real server still answers.
      const campaignRequests = (u: URL) => u.pathname.startsWith(CAMPAIGN)
      const reloads: string[] = []
      await page.route(campaignRequests, async (route) => {
        if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1000))
        else reloads.push(route.request().url())
        await route.continue()
      })
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('#sign-form button[type=submit]')
      const submit = page.locator('#sign-form button[type=submit]')
      await expect.poll(() => submit.textContent()).toBe(t.submitting)
      expect(await submit.isDisabled()).toBe(true)
      expect((await posted).status()).toBe(200)
      await expect.poll(() => page.locator('#petition .notice--success').textContent()).toBe(t.checkInbox)
      expect(await page.locator('#sign-form').count()).toBe(0)
      // Same document, same address: the fetcher did the work.
      expect(await page.evaluate(() => (window as unknown as { signMarker?: string }).signMarker)).toBe('same document')
      expect(page.url()).toBe(url)
      // Signing changes nothing the page shows, so its loader is not fetched again.
      await page.waitForTimeout(300)
      expect(reloads, reloads.join(" ")).toEqual([])
      await page.unroute(campaignRequests)

      // Signing alone does not count.
      expect(await confirmedCount(page, lng)).toBe(before)
      await confirmThroughEmail(page, signer, lng)
      expect(await confirmedCount(page, lng)).toBe(before + 1)
      // Not ticked "show my name": not listed.
      expect((await page.locator('.recent-signers li').allTextContents()).join('\n')).not.toContain(signer.firstName)
      await page.close()
    })
  }
})

describe('signing without JavaScript', () => {
  it('posts the form, is redirected to ?signed=1, sees the check-your-inbox message, and confirms with plain forms too', async () => {
    const noJs = await launchBrowser({ javaScriptEnabled: false })
    try {
      const page = await noJs.context.newPage()
      const before = await confirmedCount(page, 'de')
      await page.goto(`${server.url}${CAMPAIGN}?lng=de`)
      expect(await page.locator('#sign-form input[name=_js]').count()).toBe(0)
      await fillForm(page, { firstName: 'Heike', lastName: 'Ohne-Skript', email: 'heike@example.de', country: 'AT' })
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('#sign-form button[type=submit]')
      const response = await posted
      expect(response.status()).toBe(303)
      expect(response.headers().location).toBe(`${CAMPAIGN}?signed=1#petition`)
      await page.waitForURL(/\?signed=1#petition$/)
      expect(await page.locator('#petition .notice--success').textContent()).toBe(de.petition.checkInbox)
      expect(await page.locator('#sign-form').count()).toBe(0)

      await confirmThroughEmail(page, { firstName: 'Heike', lastName: 'Ohne-Skript', email: 'heike@example.de', country: 'AT' }, 'de')
      expect(await confirmedCount(page, 'de')).toBe(before + 1)
    } finally {
      await noJs.close()
    }
  })
})

describe('bad input', () => {
  for (const lng of ['de', 'es'] as const) {
    it(`shows each field's message in ${lng} in the browser and keeps what was typed`, async () => {
      const forms = CATALOGS[lng].forms
      const page = await visitor.context.newPage()
      await openCampaign(page, lng)
      await fillForm(page, { firstName: 'Ana', lastName: '', email: 'not-an-email', country: '', message: 'Typed before the mistake' })
      await page.click('#sign-form button[type=submit]')
      await expect.poll(() => fieldErrors(page, 'lastName')).toEqual([forms.required])
      expect(await fieldErrors(page, 'firstName')).toEqual([])
      expect(await fieldErrors(page, 'email')).toEqual([forms.email])
      expect(await fieldErrors(page, 'country')).toEqual([forms.choose])
      expect(await page.getAttribute('#sign-form input[name=lastName]', 'aria-invalid')).toBe('true')
      expect(await page.inputValue('#sign-form input[name=firstName]')).toBe('Ana')
      expect(await page.inputValue('#sign-form input[name=email]')).toBe('not-an-email')
      expect(await page.inputValue('#sign-form textarea[name=message]')).toBe('Typed before the mistake')
      if (lng === 'de') await shot(page, 'petition-errors-de')

      // Fixing a field clears its message as the visitor types.
      await page.fill('#sign-form input[name=lastName]', 'Pérez')
      await expect.poll(() => fieldErrors(page, 'lastName')).toEqual([])
      await page.close()
    })
  }

  it('shows an error only the server can know (a throwaway inbox) under the email field, in the visitor language', async () => {
    const page = await visitor.context.newPage()
    await openCampaign(page, 'es')
    await fillForm(page, { firstName: 'Luz', lastName: 'Temporal', email: 'luz@mailinator.com', country: 'MX' })
    const posted = page.waitForResponse((r) => r.request().method() === 'POST')
    await page.click('#sign-form button[type=submit]')
    expect((await posted).status()).toBe(400)
    await expect.poll(() => fieldErrors(page, 'email')).toEqual([es.petition.disposable])
    expect(await page.inputValue('#sign-form input[name=firstName]')).toBe('Luz')
    expect(await page.inputValue('#sign-form input[name=email]')).toBe('luz@mailinator.com')
    await page.close()
  })

  it('without JavaScript, gets a 400 page with the messages and the typed values', async () => {
    const noJs = await launchBrowser({ javaScriptEnabled: false })
    try {
      const page = await noJs.context.newPage()
      await page.goto(`${server.url}${CAMPAIGN}?lng=es`)
      await fillForm(page, { firstName: 'Ramón', lastName: '', email: 'ramon@@example', country: 'AR', message: 'Ánimo, Andry' })
      const posted = page.waitForResponse((r) => r.request().method() === 'POST')
      await page.click('#sign-form button[type=submit]')
      expect((await posted).status()).toBe(400)
      await page.waitForLoadState()
      expect(await fieldErrors(page, 'lastName')).toEqual([es.forms.required])
      expect(await fieldErrors(page, 'email')).toEqual([es.forms.email])
      expect(await fieldErrors(page, 'firstName')).toEqual([])
      expect(await page.inputValue('#sign-form input[name=firstName]')).toBe('Ramón')
      expect(await page.inputValue('#sign-form input[name=email]')).toBe('ramon@@example')
      expect(await page.inputValue('#sign-form select[name=country]')).toBe('AR')
      expect(await page.inputValue('#sign-form textarea[name=message]')).toBe('Ánimo, Andry')
    } finally {
      await noJs.close()
    }
  })
})

describe('recent signers', () => {
  it('lists a signer who asked to be shown as "First L." with their country, never their email', async () => {
    const signer: Signer = { firstName: 'Zoë', lastName: 'Ørsted', email: 'zoe.orsted@example.no', country: 'NO', showName: true }
    const page = await visitor.context.newPage()
    await openCampaign(page, 'en')
    await fillForm(page, signer)
    await page.click('#sign-form button[type=submit]')
    await expect.poll(() => page.locator('#petition .notice--success').textContent()).toBe(en.petition.checkInbox)
    await shot(page, 'petition-signed-en')
    // Pending signatures are not listed.
    await page.goto(`${server.url}${CAMPAIGN}?lng=en&view=pending`)
    expect(await page.locator('.recent-signers li').allTextContents()).not.toContain('Zoë Ø., Norway')

    await confirmThroughEmail(page, signer, 'en')
    await page.goto(`${server.url}${CAMPAIGN}?lng=en&view=confirmed`)
    expect(await page.locator('.recent-signers li').first().textContent()).toBe('Zoë Ø., Norway')
    await page.goto(`${server.url}${CAMPAIGN}?lng=de&view=confirmed`)
    expect(await page.locator('.recent-signers li').first().textContent()).toBe('Zoë Ø., Norwegen')
    const html = await page.content()
    expect(html).not.toContain('zoe.orsted')
    expect(html).not.toContain('Ørsted')
    // The signers from the language tests did not tick the box.
    const listed = (await page.locator('.recent-signers li').allTextContents()).join('\n')
    for (const name of ['Amelia', 'Jürgen', 'Begoña']) expect(listed).not.toContain(name)

    await page.goto(`${server.url}${CAMPAIGN}?lng=en&view=shot`)
    await page.locator('#petition').scrollIntoViewIfNeeded()
    await shot(page, 'petition-panel-desktop')
    await page.setViewportSize({ width: 390, height: 844 })
    await shot(page, 'petition-panel-phone')
    await page.close()
  })
})
