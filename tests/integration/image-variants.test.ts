/**
 * Image variants through the built server: the demo image's committed AVIF/WebP, an earlier
 * upload backfilled at start, a new upload's variants named in the campaign page's <picture>
 * (hero first and high priority, timeline and home cards lazy) and served by /media as
 * image/avif and image/webp, and all of them gone with the image.
 */
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawPixels } from '../helpers/hostile-images.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { makeDataDir, startServer, type RunningServer } from '../helpers/server.ts'

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const EARLIER = 'campaign-99-earlierupload.jpg'

let server: RunningServer
let db: ServerSql
let cookie: string
let campaignId: number

const uploads = () => fs.readdirSync(path.join(server.dir, 'uploads')).sort()
const stem = (imagePath: string) => path.basename(imagePath).replace(/\.\w+$/, '')
const variantsOf = (imagePath: string) => uploads().filter((n) => n.startsWith(`${stem(imagePath)}.w`))
const page = async (url: string) => (await fetch(server.url + url)).text()

function post(url: string, body: FormData) {
  return fetch(server.url + url, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: cookie }, body })
}

function upload(file: Buffer, fields: Record<string, string> = {}) {
  const data = new FormData()
  for (const [key, value] of Object.entries(fields)) data.append(key, value)
  data.append('image', new Blob([new Uint8Array(file)]), 'photo.jpg')
  return data
}

/** The <picture> (or lone <img>) around the image whose fallback is `src`. */
function pictureOf(html: string, src: string) {
  const img = html.indexOf(`src="${src}"`)
  expect(img, `${src} on the page`).toBeGreaterThan(-1)
  const start = html.lastIndexOf('<picture>', img)
  const end = html.indexOf('</picture>', img)
  expect(start).toBeGreaterThan(-1)
  expect(html.slice(start, img)).not.toContain('</picture>')
  return html.slice(start, end + '</picture>'.length)
}

const srcSet = (base: string, widths: number[], ext: string) => widths.map((w) => `${base}.w${w}.${ext} ${w}w`).join(', ')

beforeAll(async () => {
  // An upload stored by an earlier version: the JPEG alone, in the uploads folder before the server starts.
  const dir = makeDataDir()
  fs.mkdirSync(path.join(dir, 'uploads'))
  await rawPixels(1400, 700).jpeg().toFile(path.join(dir, 'uploads', EARLIER))
  server = await startServer({ dir, env: { PAGE_CACHE_TTL_MS: '0' } })
  db = openServerSql(server)
  campaignId = ((await db.get(`SELECT id FROM campaigns WHERE slug = 'free-andry'`)) as { id: number }).id
  const login = await fetch(server.url + '/admin/login', { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: new URLSearchParams(OWNER) })
  expect(login.status).toBe(302)
  cookie = /(vigil_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('image variants', () => {
  it('the demo image: the hero offers its committed AVIF and WebP, high priority, with its size', async () => {
    const html = await page('/c/free-andry')
    const picture = pictureOf(html, '/images/free-andry-vigil.png')
    expect(picture).toContain(`<source type="image/avif" srcSet="${srcSet('/images/free-andry-vigil', [480, 800, 1200], 'avif')}" sizes="100vw"/>`)
    expect(picture).toContain(`<source type="image/webp" srcSet="${srcSet('/images/free-andry-vigil', [480, 800, 1200], 'webp')}" sizes="100vw"/>`)
    expect(picture).toMatch(/<img class="campaign__image" src="\/images\/free-andry-vigil.png" alt="[^"]*" lang="\w+" width="1200" height="630" fetchpriority="high"\/>/)
    const avif = await fetch(server.url + '/images/free-andry-vigil.w800.avif')
    expect(avif.headers.get('content-type')).toBe('image/avif')
    expect((await avif.arrayBuffer()).byteLength).toBeLessThan(40_000)
  })

  it('an upload from before variants gets them from the backfill at start', async () => {
    await expect.poll(() => variantsOf(EARLIER).length, { timeout: 20_000 }).toBe(8)
    // The files land before the backfill's summary line reaches our pipe.
    await expect.poll(() => server.output(), { timeout: 5_000 }).toContain('made 8 image variants for earlier uploads')
    expect(uploads().filter((n) => n.startsWith('.'))).toEqual([])
  })

  let hero: string
  it('a new upload has its variants when the upload is answered, named in the hero and served by /media', async () => {
    const started = performance.now()
    const response = await post(`/admin/campaigns/${campaignId}/image`, upload(await rawPixels(2400, 1260).jpeg({ quality: 90 }).toBuffer()))
    const ms = performance.now() - started
    expect(response.status).toBe(302)
    console.log(`upload of a 2400 × 1260 JPEG with its variants: ${ms.toFixed(0)} ms`)
    hero = ((await db.get('SELECT image_path AS p FROM campaigns WHERE id = ?', campaignId)) as { p: string }).p
    expect(variantsOf(hero)).toHaveLength(8)

    const base = `/media/${stem(hero)}`
    const picture = pictureOf(await page('/c/free-andry'), hero)
    expect(picture).toContain(`<source type="image/avif" srcSet="${srcSet(base, [480, 800, 1200, 1600], 'avif')}" sizes="100vw"/>`)
    expect(picture).toContain(`<source type="image/webp" srcSet="${srcSet(base, [480, 800, 1200, 1600], 'webp')}" sizes="100vw"/>`)
    expect(picture).toContain(`width="2400" height="1260" fetchpriority="high"/>`)
    expect(picture).not.toContain('loading=')

    for (const [url, type] of [[`${base}.w480.avif`, 'image/avif'], [`${base}.w1600.webp`, 'image/webp']] as const) {
      const media = await fetch(server.url + url)
      expect(media.status).toBe(200)
      expect(media.headers.get('content-type')).toBe(type)
      expect(media.headers.get('cache-control')).toBe('public, max-age=0')
      expect((await sharp(Buffer.from(await media.arrayBuffer())).metadata()).width).toBe(Number(/\.w(\d+)\./.exec(url)![1]))
    }
    // Temporary names start with a dot, which /media refuses to serve.
    expect((await fetch(`${server.url}/media/.${stem(hero)}.w480.avif.abc.tmp`)).status).toBeGreaterThanOrEqual(400)
  })

  it('the home card offers the variants at the card’s width, and a timeline image lazily', async () => {
    const card = pictureOf(await page('/'), hero)
    expect(card).toContain('sizes="(min-width: 1048px) 353px, (min-width: 704px) calc(50vw - 34px), calc(100vw - 42px)"')
    expect(card).toContain('fetchpriority="high"') // the first card: possibly the largest thing in the first screen

    const entryId = ((await db.get('SELECT id FROM updates WHERE campaign_id = ? ORDER BY id LIMIT 1', campaignId)) as { id: number }).id
    const response = await post(`/admin/campaigns/${campaignId}/timeline/${entryId}`, upload(await rawPixels(900, 600).jpeg().toBuffer(), { intent: 'image' }))
    expect(response.status).toBe(302)
    const entryImage = ((await db.get('SELECT image_path AS p FROM updates WHERE id = ?', entryId)) as { p: string }).p
    const picture = pictureOf(await page('/c/free-andry'), entryImage)
    expect(picture).toContain(`srcSet="${srcSet(`/media/${stem(entryImage)}`, [480, 800, 900], 'avif')}" sizes="(min-width: 1152px) 706px, (min-width: 960px) calc(100vw - 446px), calc(100vw - 70px)"`)
    expect(picture).toMatch(/width="900" height="600" loading="lazy" decoding="async"\/>/)
  })

  it('removing the image removes its variants: none is served, none is left on disk', async () => {
    const data = new FormData()
    data.append('intent', 'remove')
    expect((await post(`/admin/campaigns/${campaignId}/image`, data)).status).toBe(302)
    expect(variantsOf(hero)).toEqual([])
    for (const url of [hero, `/media/${stem(hero)}.w480.avif`, `/media/${stem(hero)}.w1600.webp`]) {
      expect((await fetch(server.url + url)).status).toBe(404)
    }
  })
})
