import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { ROOT, startServer, type RunningServer } from './server.ts'

export const SCREENSHOTS = path.join(ROOT, 'tests/e2e/screenshots')

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// One Chromium per test file, and a fresh context (its own cookies, storage and cache, like a
// throwaway profile) for each launchBrowser: starting Chromium cost about a second each time,
// and some files start a dozen.
let chromiumProcess: Promise<Browser> | null = null

function sharedChromium() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`)
  chromiumProcess ??= chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // These keep it off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return chromiumProcess
}

afterAll(async () => {
  const running = chromiumProcess
  chromiumProcess = null
  await (await running)?.close()
})

/** A fresh browser context (no cookies, storage or cache of any other) in Debian's Chromium. */
export async function launchBrowser(options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number }; locale?: string } = {}) {
  const context: BrowserContext = await (await sharedChromium()).newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    locale: options.locale ?? 'en-US',
  })
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  return { context, close: () => context.close() }
}

/** The demo organiser (seeded in demo mode). */
export const DEMO_ORGANISER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

/** Log in through the form as the demo organiser; the session cookie stays in the page's context. */
export async function logInAsOrganiser(page: Page, baseUrl: string, who: { email: string; password: string } = DEMO_ORGANISER) {
  await page.goto(`${baseUrl}/admin/login`)
  await page.fill('input[name=email]', who.email)
  await page.fill('input[name=password]', who.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${baseUrl}/admin`)
}

/**
 * A built server (seeded, demo mode) and a browser for one test file: started before its tests,
 * stopped after. `foreignRequests` collects every request to another host (there must be none).
 */
export function serverAndBrowser() {
  const e2e = {
    server: undefined as unknown as RunningServer,
    browser: undefined as unknown as Awaited<ReturnType<typeof launchBrowser>>,
    foreignRequests: [] as string[],
  }
  beforeAll(async () => {
    e2e.server = await startServer()
    e2e.browser = await launchBrowser()
    e2e.browser.context.on('request', (request) => {
      if (!request.url().startsWith(e2e.server.url) && !request.url().startsWith('data:')) e2e.foreignRequests.push(request.url())
    })
  })
  afterAll(async () => {
    await e2e.browser?.close()
    await e2e.server?.stop()
  })
  return e2e
}
