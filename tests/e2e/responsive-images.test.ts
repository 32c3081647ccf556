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

async function open(url: string, viewport: { width: number; height: number }, { slowImages = false, holdScripts, canShare = false }: { slowImages?: boolean; holdScripts?: Promise<void>; canShare?: boolean } = {}) {
  const page = await browser.context.newPage()
  await page.setViewportSize(viewport)
  const images: string[] = []
  page.on('request', (request) => {
    if (request.resourceType() === 'image') images.push(new URL(request.url()).pathname)
  })
  // The images arrive well after the text is painted, as on a slow network: any shift they cause shows.
  if (slowImages) await page.route(/\.(avif|webp|png|jpg)$/, async (route) => setTimeout(() => void route.continue(), 700))
  // A browser with a share sheet (Chromium on Linux has none; phones do).
  if (canShare) await page.addInitScript(() => Object.defineProperty(navigator, 'share', { value: async () => undefined }))
  // The scripts held back, as on a slow phone: the reader scrolls before the page hydrates.
  if (holdScripts) await page.route(/\/assets\/.*\.js$/, async (route) => holdScripts.then(() => route.continue()))
  // Layout shifts from the start, before any of the page's own scripts run; each with what moved
  // and from where to where, so a failure names the element.
  await page.addInitScript(() => {
    const w = window as unknown as { __shifts: { value: number; moved: string }[] }
    w.__shifts = []
    const describe = (node: Node | null) => {
      if (!(node instanceof Element)) return node ? node.nodeName : '(gone)'
      return `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}${node.classList.length ? `.${[...node.classList].join('.')}` : ''}`
    }
    const box = (r: DOMRectReadOnly) => `${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}×${Math.round(r.height)}`
    type Shift = { value: number; hadRecentInput: boolean; sources?: { node: Node | null; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly }[] }
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as unknown as Shift[]) {
        if (entry.hadRecentInput) continue
        const moved = (entry.sources ?? []).map((s) => `${describe(s.node)} ${box(s.previousRect)} → ${box(s.currentRect)}`)
        w.__shifts.push({ value: entry.value, moved: moved.join('; ') || '(no source)' })
      }
    }).observe({ type: 'layout-shift', buffered: true })
  })
  // With the scripts held, neither DOMContentLoaded nor load comes until they are let go.
  await page.goto(`${server.url}${url}`, { waitUntil: holdScripts ? 'commit' : 'load' })
  return { page, images }
}

/**
 * The page's layout shifts so far must add up to less than 0.001: nothing a reader sees move (an
 * image arriving into no reserved room scores over 0.05; Google's "good" is under 0.1). One run
 * on a loaded machine measured 0.00005, a sub-pixel move, which this allows; the message names
 * what moved.
 */
async function expectNoVisibleShift(page: Page) {
  const shifts = await page.evaluate(() => (window as unknown as { __shifts: { value: number; moved: string }[] }).__shifts)
  const total = shifts.reduce((sum, shift) => sum + shift.value, 0)
  expect(total, shifts.map((shift) => `${shift.value.toPrecision(3)}: ${shift.moved}`).join('\n')).toBeLessThan(0.001)
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
    await expectNoVisibleShift(page)
    expect(await widthOf(page, 'img.campaign__image')).toBe(390) // sizes="100vw"
    await page.screenshot({ path: path.join(SCREENSHOTS, 'images-campaign-390.png') })
    await page.close()
  })

  it('at 1280 px spans the page, and the larger variant is chosen', async () => {
    const { page } = await open('/c/free-andry', DESKTOP)
    const hero = page.locator('img.campaign__image')
    await expect.poll(() => hero.evaluate((img: HTMLImageElement) => img.currentSrc), { timeout: 10_000 }).toMatch(/\.w1200\.avif$/)
    expect(await widthOf(page, 'img.campaign__image')).toBe(1280)
    await expectNoVisibleShift(page)
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
      await expectNoVisibleShift(page)
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
      await expectNoVisibleShift(page)
      await page.close()
    }
  })
})

describe('a phone that scrolls before the scripts have run', () => {
  // What the scripts add (the share buttons that need them) must already have its room: on a
  // loaded CI machine the page hydrated after the test had scrolled to the timeline, and the
  // share list above it grew by a row, moving everything in view down 82 px.
  it.each([false, true])('sees nothing move when the page hydrates (a share sheet: %s)', async (canShare) => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const { page } = await open('/c/free-andry', PHONE, { holdScripts: held, canShare })
    try {
      await page.locator('footer.site-footer').waitFor({ state: 'attached' })
      await page.locator('section.timeline').scrollIntoViewIfNeeded()
      await page.evaluate(() => window.scrollBy(0, 200))
      expect(await page.locator('input[name="_js"]').count(), 'not hydrated yet').toBe(0)
      // Shown with their room kept, but doing nothing yet: disabled until the app runs.
      const copyButton = page.locator('.share__link--copy')
      expect(await copyButton.isVisible()).toBe(true)
      expect(await copyButton.isDisabled()).toBe(true)
      // The page's height too: Chromium's scroll anchoring hides a growth above the reader from the
      // shift score here, but Safari has none, and it did not always hide it here either.
      const heights = () => page.evaluate(() => ({ page: document.documentElement.scrollHeight, share: document.querySelector('.share')!.getBoundingClientRect().height }))
      const before = await heights()
      release()
      // Hydrated: the petition form says it runs with JavaScript, and the copy button works.
      await expect.poll(() => page.locator('input[name="_js"]').count(), { timeout: 15_000 }).toBe(1)
      await expect.poll(() => copyButton.isEnabled()).toBe(true)
      expect(await page.locator('.share__link--native').isVisible()).toBe(canShare)
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
      expect(await heights()).toEqual(before)
      await expectNoVisibleShift(page)
    } finally {
      release()
      await page.close()
    }
  })
})
