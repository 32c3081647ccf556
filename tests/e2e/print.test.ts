/**
 * Print, as Chromium prints it: the German poster and the Spanish flyer each print to
 * exactly one page of A4 / A5 (the PDF's own page count and MediaBox), without the site's header,
 * footer or Print button, and their QR code, read from a screenshot with jsqr, opens the campaign
 * with ?s=poster / ?s=flyer. Then the back office's Print & QR page.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import jsQR from 'jsqr'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { logInAsOrganiser, SCREENSHOTS, serverAndBrowser } from '../helpers/browser.ts'

const e2e = serverAndBrowser()

// PDF points (1/72 in): A4 is 210 × 297 mm, A5 148 × 210 mm.
const SIZES = { a4: [595.28, 841.89], a5: [419.53, 595.28] } as const

/** Pages and their MediaBoxes, read from the PDF's bytes (Chromium writes page objects uncompressed). */
function pdfPages(pdf: Buffer) {
  const text = pdf.toString('latin1')
  const pages = text.match(/\/Type\s*\/Page(?!s)/g)?.length ?? 0
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[3]) - Number(m[1]), Number(m[4]) - Number(m[2])])
  return { pages, boxes }
}

async function decodeQr(png: Buffer) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height)?.data ?? null
}

const PRINT_TAG = { a4: 'poster', a5: 'flyer' } as const

function setGermanText({ title, summary }: { title: string; summary: string }) {
  const db = new Database(e2e.server.databasePath)
  try {
    db.pragma('busy_timeout = 5000')
    db.prepare(
      `update campaign_translations set title = ?, summary = ? where locale = 'de' and campaign_id = (select id from campaigns where slug = ?)`,
    ).run(title, summary, demoCampaign.slug)
  } finally {
    db.close()
  }
}

function campaignId() {
  const db = new Database(e2e.server.databasePath, { readonly: true })
  try {
    return (db.prepare('select id from campaigns where slug = ?').get(demoCampaign.slug) as { id: number }).id
  } finally {
    db.close()
  }
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

describe('the poster and the flyer in Chromium', () => {
  const cases = [
    { size: 'a4', lng: 'de', tag: 'poster', name: 'print-poster-a4-de' },
    { size: 'a5', lng: 'es', tag: 'flyer', name: 'print-flyer-a5-es' },
  ] as const

  for (const { size, lng, tag, name } of cases) {
    it(`prints the ${tag} (${size.toUpperCase()}, ${lng}) to one page of that size, with a QR code to ?s=${tag}`, async () => {
      const page = await e2e.browser.context.newPage()
      await page.goto(`${e2e.server.url}/c/${demoCampaign.slug}/print/${size}?lng=${lng}`)
      // On screen: a Print button and a hint; printed: neither, nor the site's header and footer.
      await expect.poll(() => page.getByRole('button', { name: lng === 'de' ? 'Drucken' : 'Imprimir' }).isVisible()).toBe(true)
      await page.emulateMedia({ media: 'print' })
      for (const selector of ['.site-header', '.site-footer', '.print-toolbar', '.language-switcher']) {
        expect(await page.locator(selector).first().isVisible(), selector).toBe(false)
      }
      // The title is not cut off: its box holds all its lines.
      const title = page.locator('.print-sheet__title')
      expect(await title.evaluate((el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1)).toBe(true)
      expect(await title.textContent()).toBe(demoCampaign.translations[lng].title)

      const png = await shot(page, name)
      expect(await decodeQr(png)).toBe(`${e2e.server.url}/c/${demoCampaign.slug}?s=${tag}&lng=${lng}`)

      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true })
      const { pages, boxes } = pdfPages(pdf)
      expect(pages).toBe(1)
      expect(boxes.length).toBeGreaterThanOrEqual(1)
      const [width, height] = SIZES[size]
      for (const [w, h] of boxes) {
        expect(Math.abs(w! - width)).toBeLessThan(2)
        expect(Math.abs(h! - height)).toBeLessThan(2)
      }
      await page.close()
    })
  }

  it('keeps the longest title and summary the forms allow on one page, the QR code whole', async () => {
    // 160 characters with a 39-letter word, and a 400-character summary: the forms' limits (app/utils/schemas.ts).
    const title = 'Menschenrechtsverletzungsuntersuchungen jetzt: Gerechtigkeit für Andry und alle, die ohne rechtsstaatliches Verfahren ins CECOT abgeschoben wurden, sofort!'.padEnd(160, '!')
    const summary = 'Andry Hernández Romero suchte in den USA Asyl und wurde ohne rechtsstaatliches Verfahren ins Megagefängnis CECOT gebracht. '.repeat(4).slice(0, 400)
    setGermanText({ title, summary })
    for (const size of ['a4', 'a5'] as const) {
      const page = await e2e.browser.context.newPage()
      await page.goto(`${e2e.server.url}/c/${demoCampaign.slug}/print/${size}?lng=de`)
      await page.emulateMedia({ media: 'print' })
      expect(await page.locator('.print-sheet__title').textContent()).toBe(title)
      const fits = await page.evaluate(() => {
        const box = (selector: string) => document.querySelector(selector)!.getBoundingClientRect()
        const titleEl = document.querySelector('.print-sheet__title')!
        return {
          titleWide: titleEl.scrollWidth <= titleEl.clientWidth + 1,
          qrInside: box('.print-sheet__qr').bottom <= box('.print-sheet').bottom,
          titleAboveQr: box('.print-sheet__summary').bottom <= box('.print-sheet__action').top + 1,
        }
      })
      expect(fits).toEqual({ titleWide: true, qrInside: true, titleAboveQr: true })
      expect(await decodeQr(await shot(page, `print-long-title-${size}`))).toBe(`${e2e.server.url}/c/${demoCampaign.slug}?s=${PRINT_TAG[size]}&lng=de`)
      expect(pdfPages(await page.pdf({ preferCSSPageSize: true, printBackground: true })).pages).toBe(1)
      await page.close()
    }
  })

  it('offers the QR code alone as a PNG that decodes to the same URL', async () => {
    const response = await e2e.browser.context.request.get(`${e2e.server.url}/c/${demoCampaign.slug}/qr.png?s=poster&lng=de`)
    expect(response.status()).toBe(200)
    expect(await decodeQr(await response.body())).toBe(`${e2e.server.url}/c/${demoCampaign.slug}?s=poster&lng=de`)
  })

  it('loads nothing from another site', () => {
    expect(e2e.foreignRequests).toEqual([])
  })
})

describe('the back office’s Print & QR page', () => {
  it('links the poster, the flyer and both downloads in every language, with a preview', async () => {
    const page = await e2e.browser.context.newPage()
    await logInAsOrganiser(page, e2e.server.url)
    // The poster and flyer above left the language cookie at Spanish.
    await page.goto(`${e2e.server.url}/admin/campaigns/${campaignId()}?lng=en`)
    await page.getByRole('link', { name: 'Print & QR' }).click()
    await page.waitForURL(/\/admin\/campaigns\/\d+\/print$/)
    await page.locator('.print-admin__preview .print-sheet').waitFor()
    for (const lng of ['en', 'de', 'es']) {
      for (const href of [
        `/c/${demoCampaign.slug}/print/a4?lng=${lng}`,
        `/c/${demoCampaign.slug}/print/a5?lng=${lng}`,
        `/c/${demoCampaign.slug}/qr.svg?s=qr&lng=${lng}`,
        `/c/${demoCampaign.slug}/qr.png?s=qr&lng=${lng}`,
      ]) {
        expect(await page.locator(`a[href="${href}"]`).count(), href).toBe(1)
      }
    }
    expect(await page.locator('.print-admin__preview .print-sheet__title').textContent()).toBe(demoCampaign.translations.en.title)
    expect(await page.locator('.print-admin__preview .print-sheet__qr img').isVisible()).toBe(true)
    await shot(page, 'print-admin')
    await page.close()
  })
})
