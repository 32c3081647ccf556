/**
 * An organiser writes an update in two languages, previews its email, sends a test to
 * themself, sends it to the campaign's supporters and watches it go out, in Chromium
 * against the production build. The web server runs without its in-process sender, and
 * the test starts `scripts/worker.ts` when it wants mail to move: so the progress view
 * is seen at 0 % before it is seen at 100 %.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, SCREENSHOTS, DEMO_ORGANISER, logInAsOrganiser } from '../helpers/browser.ts'
import { emailHash, insertUpdateReader } from '../helpers/sealed.ts'
import { entryArgs, captureForLogAudit, ROOT, startServer, type RunningServer } from '../helpers/server.ts'

const ORGANISER = DEMO_ORGANISER
const TITLE = { en: 'Andry is home', de: 'Andry ist zu Hause' }
const AUDIENCE = [
  ['ana.e2e@example.org', 'en'],
  ['ben.e2e@example.org', 'en'],
  ['clara.e2e@example.de', 'de'],
  ['dieter.e2e@example.de', 'de'],
  ['elena.e2e@example.es', 'es'],
] as const

let server: RunningServer
let browser: Awaited<ReturnType<typeof launchBrowser>>
let page: Page
let worker: ChildProcess | undefined
let workerOutput = ''
let campaignId: number
let updateId: number

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })

/** Confirmed signers who asked for news, one per address, in their language. */
function seedAudience() {
  const db = new Database(server.databasePath, { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    campaignId = (db.prepare(`select id from campaigns where slug = 'free-andry'`).get() as { id: number }).id
    for (const [email, locale] of AUDIENCE) {
      insertUpdateReader(db, { campaignId, email, firstName: 'E2E', lastName: 'Supporter', locale })
    }
  } finally {
    db.close()
  }
}

/** `npm run worker`, on the server's data folder. */
function startWorker() {
  worker = spawn(process.execPath, entryArgs('scripts/worker.ts'), {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_PATH: server.databasePath,
      UPLOADS_PATH: path.join(server.dir, 'uploads'),
      PUBLIC_URL: server.url,
      STRIPE_SECRET_KEY: '',
      RESEND_API_KEY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  worker.stdout!.on('data', (d: Buffer) => (workerOutput += d.toString()))
  worker.stderr!.on('data', (d: Buffer) => (workerOutput += d.toString()))
  captureForLogAudit(worker, 'worker')
}

async function stopWorker() {
  if (!worker || worker.exitCode !== null) return
  const exited = new Promise((resolve) => worker!.once('exit', resolve))
  worker.kill('SIGTERM')
  await exited
}

beforeAll(async () => {
  server = await startServer({ env: { VIGIL_SENDER: 'off' } })
  seedAudience()
  browser = await launchBrowser()
  page = await browser.context.newPage()
  await logInAsOrganiser(page, server.url)
})

afterAll(async () => {
  await stopWorker()
  await browser?.close()
  await server?.stop()
})

/** Newest outbox rows as [to, "template (locale)", status class, href]. */
async function outboxRows(limit: number) {
  await page.goto(`${server.url}/admin/outbox`)
  return page.locator('table tbody tr').evaluateAll(
    (rows, max) =>
      rows.slice(0, max).map((row) => {
        const cells = row.querySelectorAll('td')
        return [cells[1]?.textContent, cells[2]?.textContent, row.querySelector('.status')?.className, row.querySelector('a')?.getAttribute('href')]
      }),
    limit,
  )
}

describe('an organiser emails an update', () => {
  it('writes the update in English and German', async () => {
    await page.goto(`${server.url}/admin/campaigns/${campaignId}/timeline`)
    await page.click('summary:has-text("Add an entry")')
    const form = page.locator(`#timeline-new-${campaignId}`)
    await form.locator('input[name=happenedOn]').fill('2026-11-22')
    await form.locator('input[name=title]').fill(TITLE.en)
    await form.locator('textarea[name=bodyMd]').fill('After **eight months**, Andry landed in Caracas this morning.')
    expect(await form.locator('select[name=publish]').inputValue()).toBe('now')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/\/timeline\?saved=\d+$/)
    await page.click(`a:has-text("${TITLE.en}")`)
    await page.waitForURL(/\/timeline\/\d+$/)
    updateId = Number(/\/timeline\/(\d+)$/.exec(page.url())![1])

    await page.click('nav.tabs a:has-text("Deutsch")')
    await page.waitForURL(/locale=de/)
    const de = page.locator(`#timeline-${updateId}-de`)
    await de.locator('input[name=title]').fill(TITLE.de)
    await de.locator('textarea[name=bodyMd]').fill('Nach **acht Monaten** ist Andry heute Morgen in Caracas gelandet.')
    await de.locator('button[type=submit]').click()
    await page.waitForURL(/locale=de&saved=1/)
    await shot('update-editor-de')
  })

  it('sees who would receive it, by language, recounted as the choice changes', async () => {
    await page.click('a:has-text("Email this update")')
    await page.waitForURL(new RegExp(`/updates/${updateId}/send$`))
    await page.waitForFunction(() => '__remixRouter' in window)
    const total = page.locator('[data-testid=audience-total]')
    await expect.poll(() => total.textContent()).toBe('5 people will receive this update.')
    const counts = () => page.locator('.audience-table tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-locale'), r.querySelector('.audience-count')?.textContent]))
    expect(await counts()).toEqual([
      ['en', '2'],
      ['de', '2'],
      ['es', '1'],
    ])
    // Without signers and donors there is nobody: the page says so at once, without a button press.
    await page.uncheck('input[name=signers]')
    await expect.poll(() => page.locator('.field--checkbox .field__errors').textContent()).toContain('Choose who receives the update')
    await expect.poll(() => total.count()).toBe(0)
    await page.check('input[name=signers]')
    await expect.poll(() => total.textContent()).toBe('5 people will receive this update.')
    await page.selectOption('select[name=donors]', 'campaign')
    await expect.poll(() => page.url()).toContain('donors=campaign')
    await expect.poll(() => total.textContent()).toBe('5 people will receive this update.')
    await page.selectOption('select[name=donors]', 'none')
    await expect.poll(() => page.url()).toContain('donors=none')
  })

  it('recounts without JavaScript through the Count button (a GET form)', async () => {
    const noJs = await launchBrowser({ javaScriptEnabled: false })
    try {
      const plain = await noJs.context.newPage()
      await logInAsOrganiser(plain, server.url)
      await plain.goto(`${server.url}/admin/campaigns/${campaignId}/updates/${updateId}/send`)
      await plain.uncheck('input[name=signers]')
      await plain.selectOption('select[name=donors]', 'campaign')
      await plain.click('button:has-text("Count recipients")')
      await plain.waitForURL(/donors=campaign/)
      // Nobody has given yet: no one to send to, and the Send button says so.
      expect(await plain.locator('[data-testid=audience-total]').textContent()).toBe('0 people will receive this update.')
      expect(await plain.locator('button[value=send]').isDisabled()).toBe(true)
      await plain.check('input[name=signers]')
      await plain.click('button:has-text("Count recipients")')
      await plain.waitForURL(/signers=on/)
      expect(await plain.locator('[data-testid=audience-total]').textContent()).toBe('5 people will receive this update.')
    } finally {
      await noJs.close()
    }
  })

  it('previews the email in each language at desktop and phone width', async () => {
    const frames = page.locator('iframe.email-frame')
    expect(await frames.count()).toBe(2)
    const heading = (i: number) => page.frameLocator('iframe.email-frame').nth(i).locator('h1')
    await expect.poll(() => heading(0).textContent()).toBe(TITLE.en)
    await page.click('nav.tabs a:has-text("Deutsch")')
    await expect.poll(() => frames.first().getAttribute('src')).toMatch(/preview\.html\?lang=de$/)
    await expect.poll(() => heading(0).textContent()).toBe(TITLE.de)
    await expect.poll(() => heading(1).textContent()).toBe(TITLE.de)
    const phone = await page.locator('iframe.email-frame--phone').boundingBox()
    expect(phone?.width).toBeLessThanOrEqual(376)
    const desktop = await frames.first().boundingBox()
    expect(desktop?.width).toBeGreaterThan(550)
    await page.click('nav.tabs a:has-text("Español")')
    await expect.poll(() => heading(0).textContent()).toBe(TITLE.en)
    expect(await page.locator('text=the English text (no translation yet)').count()).toBeGreaterThan(0)
    await page.click('nav.tabs a:has-text("Deutsch")')
    await expect.poll(() => heading(0).textContent()).toBe(TITLE.de)
    await shot('update-send-preview')
  })

  it('sends a test to themself and finds it in the outbox', async () => {
    await page.selectOption(`#update-test-${updateId}-locale`, 'de')
    await page.click('button:has-text("Send a test to myself")')
    await expect.poll(() => page.locator('.notice--success').textContent()).toContain(`A test in Deutsch is on its way to ${ORGANISER.email}`)
    const [newest] = await outboxRows(1)
    expect(newest?.slice(0, 2)).toEqual([ORGANISER.email, 'Campaign update — de'])
    await page.goto(`${server.url}${newest![3]}`)
    await expect.poll(() => page.locator('h1').textContent()).toBe(`[Test] ${TITLE.de}`)
    await expect.poll(() => page.frameLocator('iframe.email-frame').locator('h1').textContent()).toBe(TITLE.de)
  })

  it('sends it to the audience and watches the progress bar reach 100 %', async () => {
    await page.goto(`${server.url}/admin/campaigns/${campaignId}/updates/${updateId}/send`)
    await page.waitForFunction(() => '__remixRouter' in window)
    const reloads: string[] = []
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith(`/updates/${updateId}/send.data`)) reloads.push(request.url())
    })
    await page.click('button:has-text("Send to 5 people")')
    // Sending cannot be undone: the page asks first, naming how many, with focus on the question.
    const question = page.locator('[data-testid=confirm-send]')
    await question.waitFor()
    expect(await question.textContent()).toContain('Send to 5 supporters? This cannot be undone.')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-send-title')
    await shot('update-send-confirm')
    await page.click('button:has-text("Yes, send to 5 supporters")')
    const bar = page.locator('progress.send-progress')
    await bar.waitFor()
    await page.evaluate(() => {
      ;(window as unknown as { marker: string }).marker = 'same document'
    })
    // Nothing sends yet (the sender is stopped): 0 %, five remaining, and the page keeps asking.
    expect(await page.locator('[data-testid=progress-remaining]').textContent()).toBe('5')
    expect(await page.locator('[data-testid=send-percent]').textContent()).toBe('0%')
    const seen = reloads.length
    await expect.poll(() => reloads.length, { timeout: 5000 }).toBeGreaterThan(seen + 1)
    await shot('update-send-progress-0')

    startWorker()
    await expect.poll(() => page.locator('[data-testid=send-percent]').textContent(), { timeout: 20_000 }).toBe('100%')
    expect(await bar.evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([5, 5])
    expect(await page.locator('[data-testid=progress-sent]').textContent()).toBe('5')
    expect(await page.locator('[data-testid=progress-failed]').textContent()).toBe('0')
    expect(await page.locator('[data-testid=progress-remaining]').textContent()).toBe('0')
    expect(await page.locator('h3#progress-title').textContent()).toBe('Sent')
    // The same document all along: useRevalidator refreshed the data, not a reload.
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same document')
    // Done: it stops asking.
    const settled = reloads.length
    await page.waitForTimeout(2500)
    expect(reloads.length).toBe(settled)
    // The previews stay beside the progress view, loaded.
    for (const n of [0, 1]) await expect.poll(() => page.frameLocator('iframe.email-frame').nth(n).locator('h1').textContent()).toBe(TITLE.en)
    // Chromium paints a frame below the fold only once it has been in view: a full-page shot would show it blank.
    await page.locator('iframe.email-frame').first().scrollIntoViewIfNeeded()
    await shot('update-send-progress-100')
    expect(await page.locator('button:has-text("Send to")').count()).toBe(0)

    await page.goto(`${server.url}/admin/campaigns/${campaignId}/timeline`)
    expect(await page.locator(`a[href$="/updates/${updateId}/send"]`).textContent()).toBe('Sent to 5 people')
  }, 45_000)

  it('finds a captured update email with its own unsubscribe link and List-Unsubscribe headers', async () => {
    const rows = await outboxRows(10)
    const clara = rows.find((r) => r[0] === 'clara.e2e@example.de')
    expect(clara?.slice(1, 3)).toEqual(['Campaign update — de', 'status status--captured'])
    expect(rows.filter((r) => r[1]?.startsWith('Campaign update') && r[2] === 'status status--captured')).toHaveLength(6)
    await page.goto(`${server.url}${clara![3]}`)
    await expect.poll(() => page.locator('h1').textContent()).toBe(TITLE.de)
    const links = await page.locator('ul.outbox-links a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))
    const unsubscribe = links.find((href) => /\/unsubscribe\/[\w.-]+$/.test(href))
    expect(unsubscribe, links.join(', ')).toBeDefined()
    expect(unsubscribe!.startsWith(`${server.url}/unsubscribe/`)).toBe(true)
    expect(unsubscribe!.endsWith('/unsubscribe/test')).toBe(false)
    const headers = await page.locator('dl.email-headers div').evaluateAll((items) => items.map((d) => [d.querySelector('dt')?.textContent, d.querySelector('dd')?.textContent]))
    expect(headers).toEqual([
      ['List-Unsubscribe', `<${unsubscribe}>`],
      ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
    ])
    // The HTML the supporter reads carries the same link.
    expect(await page.frameLocator('iframe.email-frame').locator(`a[href="${unsubscribe}"]`).count()).toBe(1)

    // Following it changes nothing until the button is pressed (mail scanners open links).
    await page.goto(unsubscribe!)
    const withdrawn = () => {
      const db = new Database(server.databasePath, { readonly: true, fileMustExist: true })
      try {
        return db
          .prepare(`select count(*) as n from consents c join supporters s on s.id = c.supporter_id where s.email_hash = ? and c.granted = 0`)
          .get(emailHash('clara.e2e@example.de')) as { n: number }
      } finally {
        db.close()
      }
    }
    expect(withdrawn().n).toBe(0)
    await page.locator('button[name=intent][value=unsubscribe]').click()
    await expect.poll(() => withdrawn().n).toBe(1)
    await page.goto(`${server.url}/admin/campaigns/${campaignId}/updates/${updateId}/send`)
    expect(await page.locator('[data-testid=result-unsubscribed]').textContent()).toBe('1')
  })
})

describe('the worker', () => {
  it('ran without errors', () => {
    expect(workerOutput).toContain('vigil worker: sending (demo mode)')
    expect(workerOutput).not.toMatch(/error/i)
  })
})
