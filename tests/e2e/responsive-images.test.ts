/**
 * Images on a phone: at 390 px the campaign hero is an AVIF no wider than 800 px
 * (not the 295 kB PNG), fetched at high priority, and its late arrival shifts nothing; the
 * rendered widths are the ones the `sizes` attributes promise.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, SCREENSHOTS } from '../helpers/browser.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

let server: RunningServer
let browser: Awaited<ReturnType<typeof launchBrowser>>

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  // A timeline entry with an image (the demo's, whose variants are committed), to measure the timeline's column.
  const db = new Database(server.databasePath)
  try {
    db.prepare(`UPDATE updates SET image_path = '/images/free-andry-vigil.png' WHERE id = (SELECT min(id) FROM updates)`).run()
  } finally {
    db.close()
  }
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function open(url: string, viewport: { width: number; height: number }, { slowImages = false } = {}) {
  const page = await browser.context.newPage()
  await page.setViewportSize(viewport)
  const images: string[] = []
  page.on('request', (request) => {
    if (request.resourceType() === 'image') images.push(new URL(request.url()).pathname)
  })
  // The images arrive well after the text is painted, as on a slow network: any shift they cause shows.
  if (slowImages) await page.route(/\.(avif|webp|png|jpg)$/, async (route) => setTimeout(() => void route.continue(), 700))
  // Layout shifts from the start, before any of the page's own scripts run.
  await page.addInitScript(() => {
    const w = window as unknown as { __shifts: number }
    w.__shifts = 0
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[]) if (!entry.hadRecentInput) w.__shifts += entry.value
    }).observe({ type: 'layout-shift', buffered: true })
  })
  await page.goto(`${server.url}${url}`)
  return { page, images }
}

const widthOf = (page: Page, selector: string) => page.locator(selector).first().evaluate((el) => el.getBoundingClientRect().width)

describe('the campaign hero', () => {
  it('at 390 px is an AVIF of at most 800 px, fetched first, and moves nothing when it arrives', async () => {
    const { page, images } = await open('/c/free-andry', PHONE, { slowImages: true })
    const hero = page.locator('img.campaign__image')
    await expect.poll(() => hero.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 }).toBe(true)
    const shown = await hero.evaluate((img: HTMLImageElement) => ({ src: img.currentSrc, natural: img.naturalWidth, fetchPriority: img.getAttribute('fetchpriority') }))
    expect(shown.src).toMatch(/\/images\/free-andry-vigil\.w(\d+)\.avif$/)
    expect(shown.natural).toBeLessThanOrEqual(800)
    expect(shown.fetchPriority).toBe('high')
    // Only the variant is downloaded, never the PNG fallback.
    expect(images.filter((p) => p.startsWith('/images/'))).toEqual([new URL(shown.src).pathname])
    expect(await page.evaluate(() => (window as unknown as { __shifts: number }).__shifts)).toBe(0)
    expect(await widthOf(page, 'img.campaign__image')).toBe(390) // sizes="100vw"
    await page.screenshot({ path: path.join(SCREENSHOTS, 'images-campaign-390.png') })
    await page.close()
  })

  it('at 1280 px spans the page, and the larger variant is chosen', async () => {
    const { page } = await open('/c/free-andry', DESKTOP)
    const hero = page.locator('img.campaign__image')
    await expect.poll(() => hero.evaluate((img: HTMLImageElement) => img.currentSrc), { timeout: 10_000 }).toMatch(/\.w1200\.avif$/)
    expect(await widthOf(page, 'img.campaign__image')).toBe(1280)
    expect(await page.evaluate(() => (window as unknown as { __shifts: number }).__shifts)).toBe(0)
    await page.close()
  })
})

describe('a timeline image', () => {
  it('is as wide as its sizes say at 390 px (320 px) and 1280 px (706 px), lazy, and shifts nothing', async () => {
    for (const [viewport, expected] of [
      [PHONE, 320],
      [DESKTOP, 706],
    ] as const) {
      const { page } = await open('/c/free-andry', viewport, { slowImages: true })
      const image = page.locator('img.timeline__image').first()
      expect(await image.getAttribute('loading')).toBe('lazy')
      await image.scrollIntoViewIfNeeded()
      await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 }).toBe(true)
      expect(await widthOf(page, 'img.timeline__image')).toBe(expected)
      expect(await page.evaluate(() => (window as unknown as { __shifts: number }).__shifts)).toBe(0)
      await page.close()
    }
  })
})

describe('the home page’s cards', () => {
  it('are as wide as their sizes say at 390 px (348 px) and 1280 px (about 353 px), and shift nothing', async () => {
    for (const [viewport, expected] of [
      [PHONE, 348],
      [DESKTOP, 352.67],
    ] as const) {
      const { page } = await open('/', viewport, { slowImages: true })
      const card = page.locator('.campaign-card img').first()
      await expect.poll(() => card.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 }).toBe(true)
      expect(Math.abs((await widthOf(page, '.campaign-card img')) - expected)).toBeLessThan(1)
      expect(await card.evaluate((img: HTMLImageElement) => img.currentSrc)).toMatch(/\.w480\.avif$/)
      expect(await page.evaluate(() => (window as unknown as { __shifts: number }).__shifts)).toBe(0)
      await page.close()
    }
  })
})
