/**
 * Campaign and update images through the real back office (the built server over HTTP):
 * what /media serves is a fresh encoding with nothing of the uploaded file's metadata or
 * trailers, and a replaced or removed image (or a deleted entry's) is no longer served.
 */
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../helpers/html.ts'
import {
  expectClean,
  expectRedThenBlue,
  HEIGHT,
  jpegWithExifAfterFillByte,
  jpegWithGpsAndTrailer,
  pngClaiming,
  pngWithC2paAndTrailer,
  rawPixels,
  webpWithC2paExifXmp,
  WIDTH,
} from '../helpers/hostile-images.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

let server: RunningServer
let db: ServerSql
let cookie: string
let campaignId: number

function post(url: string, body: URLSearchParams | FormData, headers: Record<string, string> = {}) {
  return fetch(server.url + url, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: cookie, ...headers }, body })
}

function upload(file: Buffer, name: string, fields: Record<string, string> = {}) {
  const data = new FormData()
  for (const [key, value] of Object.entries(fields)) data.append(key, value)
  data.append('image', new Blob([new Uint8Array(file)]), name)
  return data
}

function intent(value: string) {
  const data = new FormData()
  data.append('intent', value)
  return data
}

/** What /media answers for a path, anonymously. */
async function served(imagePath: string) {
  const response = await fetch(server.url + imagePath)
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) }
}

const campaignImage = async () => ((await db.get('SELECT image_path AS p FROM campaigns WHERE id = ?', campaignId)) as { p: string | null }).p
const entryImage = async (id: number) => ((await db.get('SELECT image_path AS p FROM updates WHERE id = ?', id)) as { p: string | null } | undefined)?.p
const uploads = () => {
  const dir = path.join(server.dir, 'uploads')
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []
}
const mediaName = (imagePath: string | null) => path.basename(imagePath ?? '')
/** An upload's file and its AVIF and WebP variants (the test pictures are narrower than 480 px: one width). */
const withVariants = (imagePath: string) => {
  const stem = mediaName(imagePath).replace(/\.\w+$/, '')
  return [mediaName(imagePath), `${stem}.w${WIDTH}.avif`, `${stem}.w${WIDTH}.webp`].sort()
}

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  campaignId = ((await db.get(`SELECT id FROM campaigns WHERE slug = 'free-andry'`)) as { id: number }).id
  const login = await post('/admin/login', new URLSearchParams(OWNER))
  expect(login.status).toBe(302)
  cookie = /(vigil_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the campaign image', () => {
  const imageUrl = () => `/admin/campaigns/${campaignId}/image`
  let first: string

  it('publishes a re-encoded JPEG without its GPS EXIF, XMP or the motion-photo video after the end marker', async () => {
    const { file, sentinels } = await jpegWithGpsAndTrailer()
    const response = await post(imageUrl(), upload(file, 'PXL_20261120_motion.jpg'))
    expect(response.status).toBe(302)
    first = (await campaignImage())!
    expect(first).toMatch(new RegExp(`^/media/campaign-${campaignId}-[\\w-]+\\.jpg$`))
    const media = await served(first)
    expect(media).toMatchObject({ status: 200, type: 'image/jpeg' })
    await expectClean(media.bytes, sentinels)
    expect(await sharp(media.bytes).metadata()).toMatchObject({ width: WIDTH, height: HEIGHT })
    await expectRedThenBlue(media.bytes)
    expect(uploads()).toEqual(withVariants(first))
  })

  it('replaces it: the new image is served and the old one is gone from disk and from /media', async () => {
    const { file, sentinels } = await pngWithC2paAndTrailer()
    const response = await post(imageUrl(), upload(file, 'signed-by-c2pa.png'))
    expect(response.status).toBe(302)
    const second = (await campaignImage())!
    expect(second).toMatch(/\.png$/)
    expect(second).not.toBe(first)
    const media = await served(second)
    expect(media).toMatchObject({ status: 200, type: 'image/png' })
    await expectClean(media.bytes, sentinels)
    expect((await served(first)).status).toBe(404)
    expect(uploads()).toEqual(withVariants(second))
    first = second
  })

  it('removes it: nothing is served and nothing is left on disk', async () => {
    const response = await post(imageUrl(), intent('remove'))
    expect(response.status).toBe(302)
    expect(await campaignImage()).toBeNull()
    expect((await served(first)).status).toBe(404)
    expect(uploads()).toEqual([])
  })

  it('refuses damaged, oversized and non-image files in the organiser’s language, storing nothing', async () => {
    const truncated = (await rawPixels().jpeg().toBuffer()).subarray(0, 300)
    const cases = [
      { file: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), lang: 'en', status: 400, message: 'This file is not a JPEG, PNG or WebP image.' },
      { file: truncated, lang: 'de', status: 400, message: 'Dieses Bild ist beschädigt oder unvollständig und kann nicht gelesen werden.' },
      { file: await pngClaiming(10_000, 10_000), lang: 'es', status: 413, message: 'Esta imagen tiene más de 50 megapíxeles. Redúcela e inténtalo de nuevo.' },
      { file: await pngClaiming(10_000, 10_000), lang: 'en', status: 413, message: 'This image is larger than 50 megapixels.' },
    ]
    for (const { file, lang, status, message } of cases) {
      const response = await post(imageUrl(), upload(file, 'photo.png'), { 'Accept-Language': lang })
      expect(response.status, message).toBe(status)
      expect(textOf(await response.text())).toContain(message)
    }
    expect(await campaignImage()).toBeNull()
    expect(uploads()).toEqual([])
  })

  it('leaves the demo’s own campaign image alone when an upload replaces it', async () => {
    // The seed points at a file in the build (/images/…), not in the uploads folder.
    await db.run(`UPDATE campaigns SET image_path = '/images/free-andry-vigil.png' WHERE id = ?`, campaignId)
    expect((await post(`/admin/campaigns/${campaignId}/image`, upload(await rawPixels().png().toBuffer(), 'a.png'))).status).toBe(302)
    expect((await served('/images/free-andry-vigil.png')).status).toBe(200)
    expect((await post(`/admin/campaigns/${campaignId}/image`, intent('remove'))).status).toBe(302)
    expect(uploads()).toEqual([])
  })
})

describe('an update’s image', () => {
  let entryId: number
  const entryUrl = () => `/admin/campaigns/${campaignId}/timeline/${entryId}`

  beforeAll(async () => {
    const title = 'Image lifecycle probe'
    const created = await post(`/admin/campaigns/${campaignId}/timeline`, new URLSearchParams({ happenedOn: '2026-11-20', locale: 'en', title, bodyMd: 'x', publish: 'now' }))
    expect(created.status).toBe(302)
    entryId = ((await db.get('SELECT update_id AS id FROM update_translations WHERE title = ?', title)) as { id: number }).id
  })

  it('is re-encoded, replaced and removed, and only the current file is ever served', async () => {
    const webp = await webpWithC2paExifXmp()
    expect((await post(entryUrl(), upload(webp.file, 'photo.webp', { intent: 'image' }))).status).toBe(302)
    const first = (await entryImage(entryId))!
    expect(first).toMatch(new RegExp(`^/media/update-${entryId}-[\\w-]+\\.jpg$`))
    const media = await served(first)
    expect(media.status).toBe(200)
    await expectClean(media.bytes, webp.sentinels)

    const fill = await jpegWithExifAfterFillByte()
    expect((await post(entryUrl(), upload(fill.file, 'scan.jpg', { intent: 'image' }))).status).toBe(302)
    const second = (await entryImage(entryId))!
    expect(second).not.toBe(first)
    await expectClean((await served(second)).bytes, fill.sentinels)
    expect((await served(first)).status).toBe(404)
    expect(uploads()).toEqual(withVariants(second))

    expect((await post(entryUrl(), intent('remove-image'))).status).toBe(302)
    expect(await entryImage(entryId)).toBeNull()
    expect((await served(second)).status).toBe(404)
    expect(uploads()).toEqual([])
  })

  it('goes with the entry when the entry is deleted', async () => {
    expect((await post(entryUrl(), upload(await rawPixels().png().toBuffer(), 'chart.png', { intent: 'image' }))).status).toBe(302)
    const imagePath = (await entryImage(entryId))!
    expect((await served(imagePath)).status).toBe(200)
    expect((await post(entryUrl(), new URLSearchParams({ intent: 'delete' }))).status).toBe(302)
    expect(await entryImage(entryId)).toBeUndefined()
    expect((await served(imagePath)).status).toBe(404)
    expect(uploads()).toEqual([])
  })
})
