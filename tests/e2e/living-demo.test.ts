import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoMessages } from '../../scripts/seed/history-content.ts'
import { HISTORY_SIZE } from '../../scripts/seed/history.ts'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS } from '../helpers/browser.ts'
import { makeDataDir, runScript, startServer, type RunningServer } from '../helpers/server.ts'

// The demo as `npm run demo` seeds it (`scripts/seed/seed.ts --history`), seen by a visitor and an organiser.
let server: RunningServer
let browser: Awaited<ReturnType<typeof launchBrowser>>

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
  server = await startServer({ seed: false, dir })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

describe('the living demo', () => {
  it('shows the demo campaign with its count and messages of support in three languages, some answered', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/c/free-andry`)
    expect(await page.locator('.petition-count').textContent()).toContain(HISTORY_SIZE.signatures.toLocaleString('en-US'))
    const shown = await page.locator('.support-message').allTextContents()
    for (const locale of ['en', 'de', 'es'] as const) {
      expect(shown.some((text) => demoMessages[locale].some((m) => m.text === text)), `a message in ${locale}`).toBe(true)
    }
    expect(await page.locator('.support-messages .reply').count()).toBeGreaterThan(0)
    expect(await page.locator('.recent-signers li').count()).toBeGreaterThan(0)
    await shot(page, 'living-demo-en')
    await page.close()
  })

  it('tells the whole story in Spanish, with no note about English parts', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/c/free-andry?lng=es`)
    expect(await page.locator('.campaign__fallback').count()).toBe(0)
    const story = page.locator('section[aria-labelledby="story-title"] .prose')
    expect(await story.getAttribute('lang')).toBe('es')
    expect(await story.locator('h2').allTextContents()).toEqual([
      'Una petición de protección',
      'Expulsado con una ley de 1798',
      'En casa, pero la historia no termina aquí',
      'Lo que hicimos y lo que pedimos',
    ])
    expect(await story.textContent()).toContain('Con tu firma les dices')
    await shot(page, 'living-demo-es')
    await page.close()
  })

  it('shows the closed campaign as closed, and its retention date to the organiser', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/c/publish-the-criteria`)
    expect(await page.locator('#petition .notice').textContent()).toBeTruthy()
    expect(await page.locator('.sign-form').count()).toBe(0)
    await shot(page, 'living-demo-closed')
    await logInAsOrganiser(page, server.url)
    await page.goto(`${server.url}/admin/campaigns/2?lng=en`)
    await expect.poll(() => page.locator('body').textContent()).toMatch(/Closed on .+: its signatures will be anonymised on .+\./)
    await shot(page, 'living-demo-closed-admin')
    await page.close()
  })
})
