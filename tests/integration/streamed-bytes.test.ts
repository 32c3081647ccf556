// sqlite-only: React's streaming renderer splitting multi-byte characters; the titles come from the database the same on either engine (public-pages reads them on both).
/**
 * React 18's streaming renderer encodes text into 2 kB buffers and, when a multi-byte
 * character does not fit at the end of one, sends the whole buffer anyway: up to three
 * NUL bytes land in the page (facebook/react#26228, fixed only in React 19). Browsers
 * show nothing, but crawlers, link previews and validators stop or fail there. A page
 * full of short non-ASCII strings (German, Spanish, typographic quotes) hits it for sure.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
const titles: string[] = []

beforeAll(async () => {
  server = await startServer()
  const db = openServerSql(server)
  try {
    const org = (await db.get<{ id: number }>('SELECT id FROM organizations WHERE slug = ?', 'demo'))!.id
    // Titles of every length made of two- and three-byte characters, so that some of them cross a 2 kB boundary.
    for (let i = 0; i < 60; i++) {
      const title = `„Gerechtigkeit für Müller ${i}“ — ${'äöü€'.repeat(1 + (i % 7))}`
      titles.push(title)
      const { id } = (await db.get<{ id: number }>(
        "INSERT INTO campaigns (organization_id, slug, status, default_locale, published_at) VALUES (?, ?, 'live', 'en', ?) RETURNING id",
        org,
        `umlaute-${i}`,
        Date.now() - i * 1000,
      ))!
      await db.run("INSERT INTO campaign_translations (campaign_id, locale, title, summary) VALUES (?, 'en', ?, ?)", id, title, `Über ${'ß'.repeat(i % 5)} señal ${i}`)
    }
  } finally {
    await db.close()
  }
})

afterAll(async () => {
  await server?.stop()
})

it.each([
  ['a browser (streamed as it renders)', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0'],
  ['a crawler (the whole document at once)', 'Googlebot/2.1 (+http://www.google.com/bot.html)'],
])('pages carry no NUL bytes, for %s', async (_who, userAgent) => {
  const res = await fetch(`${server.url}/?lng=de`, { headers: { 'user-agent': userAgent, 'accept-encoding': 'identity' } })
  expect(res.status).toBe(200)
  const bytes = Buffer.from(await res.arrayBuffer())
  expect(bytes.indexOf(0), 'offset of the first NUL byte').toBe(-1)
  const html = bytes.toString('utf8')
  expect(html).not.toContain('\uFFFD')
  for (const title of titles) expect(html).toContain(title)
})
