/**
 * Every public page of the production build validates (the Nu HTML checker, 0
 * errors) and passes axe in Chromium (0 violations: WCAG 2.x A/AA and best practices).
 * Pages are fetched as a browser gets them (streamed, with the single-fetch scripts), once
 * through the anonymous page cache and the rest rendered for the request.
 * Add a page to PAGES to check it too.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import de from '../../app/locales/de/admin.json'
import en from '../../app/locales/en/admin.json'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from '../helpers/browser.ts'
import { CAMPAIGN_SLUG, startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { petitionClient } from '../helpers/petition.ts'
import { ROOT } from '../helpers/server.ts'

type PageToCheck = { name: string; path: string | ((stack: DonationStack) => Promise<string>); status?: number }

const PAGES: PageToCheck[] = [
  { name: 'home', path: '/' },
  { name: 'campaign', path: `/c/${CAMPAIGN_SLUG}` },
  { name: 'campaign (de)', path: `/c/${CAMPAIGN_SLUG}?lng=de` },
  { name: 'donate', path: `/c/${CAMPAIGN_SLUG}/donate` },
  { name: 'donate-thanks', path: donateThanksPath },
  { name: 'thanks', path: `/thanks/${CAMPAIGN_SLUG}` },
  { name: 'embed', path: `/embed/c/${CAMPAIGN_SLUG}?lng=de` },
  { name: 'embed donate', path: `/embed/c/${CAMPAIGN_SLUG}/donate` },
  { name: 'privacy', path: '/privacy' },
  { name: 'imprint', path: '/imprint' },
  { name: 'contact', path: '/contact' },
  { name: 'error page', path: '/c/no-such-campaign', status: 404 },
  { name: 'unknown path', path: '/no-such-page', status: 404 },
]

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36'

/** A paid one-time gift, so the donor's page shows its final state (the processing one reloads itself). */
async function donateThanksPath(stack: DonationStack) {
  const gift = await stack.donate()
  const mark = stack.standIn.events().length
  stack.standIn.complete(gift.sessionId, { method: 'card' })
  for (const event of stack.eventsSince(mark)) expect((await stack.deliver(event)).status).toBe(200)
  return `/c/${CAMPAIGN_SLUG}/donate/thanks?session_id=${gift.sessionId}`
}

let stack: DonationStack
let browser: Awaited<ReturnType<typeof launchBrowser>>
const resolved: { name: string; path: string; status: number }[] = []
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pages-'))

beforeAll(async () => {
  stack = await startDonationStack()
  // Confirmed signatures from two countries, so the campaign page carries its map and country table (issue 17).
  // The confirm link comes from the outbox page: this process holds no data key to open the sealed email.
  const client = petitionClient(stack.server, stack.db)
  const owner = await client.login()
  for (const country of ['DE', 'BA']) {
    const last = (await stack.db.get<{ id: number | null }>('SELECT max(id) AS id FROM email_messages'))?.id ?? 0
    expect((await client.sign(client.person({ country }))).status).toBe(303)
    let sent: { id: number } | undefined
    for (let i = 0; i < 100 && !sent; i++) {
      sent = await stack.db.get<{ id: number }>(`SELECT id FROM email_messages WHERE id > ? AND status = 'captured'`, last)
      if (!sent) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const { id } = sent!
    const [confirm] = (await client.linksOf(id, owner)).filter((href) => href.includes('/confirm/'))
    expect((await fetch(confirm!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })).status).toBe(303)
  }
  const campaign = await (await fetch(`${stack.server.url}/c/${CAMPAIGN_SLUG}`)).text()
  expect(campaign).toContain('/map.svg?v=2')
  expect(campaign).toContain('class="targets-list"')
  for (const page of PAGES) {
    resolved.push({ name: page.name, path: typeof page.path === 'string' ? page.path : await page.path(stack), status: page.status ?? 200 })
  }
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await stack?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function runVnu(files: string[]) {
  return new Promise<{ url: string; type: string; message: string; extract?: string }[]>((resolve, reject) => {
    const jar = path.join(ROOT, 'node_modules/vnu-jar/build/dist/vnu.jar')
    const child = spawn('java', ['-jar', jar, '--format', 'json', '--stdout', ...files])
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', () => {
      try {
        resolve((JSON.parse(out) as { messages: { url: string; type: string; message: string; extract?: string }[] }).messages)
      } catch (error) {
        reject(new Error(`vnu gave no JSON: ${out.slice(0, 500)} (${String(error)})`))
      }
    })
  })
}

describe('public pages', () => {
  it('validate: the Nu HTML checker finds 0 errors', async () => {
    const files: Record<string, string> = {}
    for (const page of resolved) {
      const response = await fetch(`${stack.server.url}${page.path}`, { headers: { 'user-agent': BROWSER_UA, 'accept-language': 'en' } })
      expect(response.status, page.name).toBe(page.status)
      const html = await response.text()
      const file = path.join(dir, `${page.name.replace(/\W+/g, '-')}.html`)
      fs.writeFileSync(file, html)
      files[file] = page.name
    }
    const messages = await runVnu(Object.keys(files))
    const errors = messages
      .filter((m) => m.type === 'error' || m.type === 'non-document-error')
      .map((m) => `${files[m.url.replace(/^file:/, '')] ?? m.url}: ${m.message}${m.extract ? ` [${m.extract.trim().slice(0, 80)}]` : ''}`)
    expect(errors).toEqual([])
  }, 180_000)

  // Every page in one test, axe taking seconds a page on a slow machine: a timeout for the whole walk.
  it('hydrate without errors and pass axe in Chromium: 0 violations (WCAG 2.x A/AA and best practices)', async () => {
    const found: string[] = []
    for (const { name, path: url } of resolved) {
      const page = await browser.context.newPage()
      // The streamed scripts moved inside the body must still hydrate: no errors in the console.
      page.on('pageerror', (error) => found.push(`${name}: script error ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error' && !/status of 404/.test(message.text())) found.push(`${name}: console ${message.text()}`)
      })
      try {
        await page.goto(`${stack.server.url}${url}`, { waitUntil: 'networkidle' })
        await page.waitForFunction(() => (window as { __remixRouter?: { state: { initialized: boolean } } }).__remixRouter?.state.initialized)
        const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
        for (const v of results.violations) found.push(`${name}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
      } finally {
        await page.close()
      }
    }
    expect(found).toEqual([])
  }, 180_000)

  it('fetch none of the back office’s strings, which its own pages do fetch', async () => {
    // A string only the back office uses: its tab list's label, in each catalog.
    const marker = (lng: 'en' | 'de') => (lng === 'en' ? en : de).admin.tabs.label
    const scriptsOf = async (url: string) => {
      const page = await browser.context.newPage()
      const bodies: string[] = []
      const reads: Promise<unknown>[] = []
      page.on('response', (response) => {
        if (response.url().endsWith('.js')) reads.push(response.text().then((text) => bodies.push(text)))
      })
      await page.goto(`${stack.server.url}${url}`, { waitUntil: 'networkidle' })
      await page.waitForFunction(() => (window as { __remixRouter?: { state: { initialized: boolean } } }).__remixRouter?.state.initialized)
      await Promise.all(reads)
      await page.close()
      return bodies.join('\n')
    }
    for (const { path: url } of resolved.filter((p) => p.status === 200)) {
      const lng = url.includes('lng=de') ? 'de' : 'en'
      expect(await scriptsOf(url), url).not.toContain(marker(lng))
    }
    expect(await scriptsOf('/admin/login?lng=de')).toContain(marker('de'))
  }, 60_000)
})

describe('the back office’s security pages (issue 18)', () => {
  // The demo organiser's view (a full session under the default policy: it is exempt).
  const ADMIN_PAGES = ['/admin/security', '/admin/passkeys', '/admin/sessions', '/admin/security-policy', '/admin/sessions?lng=de', '/admin/security-policy?lng=es']

  it('validate (0 Nu errors) and pass axe in Chromium (0 violations)', async () => {
    const session = await petitionClient(stack.server, stack.db).login()
    const files: Record<string, string> = {}
    for (const url of ADMIN_PAGES) {
      const response = await fetch(`${stack.server.url}${url}`, { headers: { cookie: session, 'user-agent': BROWSER_UA } })
      expect(response.status, url).toBe(200)
      const file = path.join(dir, `admin-${url.replace(/\W+/g, '-')}.html`)
      fs.writeFileSync(file, await response.text())
      files[file] = url
    }
    const errors = (await runVnu(Object.keys(files)))
      .filter((m) => m.type === 'error' || m.type === 'non-document-error')
      .map((m) => `${files[m.url.replace(/^file:/, '')] ?? m.url}: ${m.message}`)
    expect(errors).toEqual([])

    const signedIn = await launchBrowser()
    const [name, value] = session.split('=') as [string, string]
    await signedIn.context.addCookies([{ name, value, url: stack.server.url }])
    const found: string[] = []
    try {
      for (const url of ADMIN_PAGES) {
        const page = await signedIn.context.newPage()
        page.on('pageerror', (error) => found.push(`${url}: script error ${error.message}`))
        await page.goto(`${stack.server.url}${url}`, { waitUntil: 'networkidle' })
        expect(new URL(page.url()).pathname, url).toBe(url.split('?')[0])
        await page.waitForFunction(() => (window as { __remixRouter?: { state: { initialized: boolean } } }).__remixRouter?.state.initialized)
        const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
        for (const v of results.violations) found.push(`${url}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
        await page.close()
      }
    } finally {
      await signedIn.close()
    }
    expect(found).toEqual([])
  }, 180_000)
})
