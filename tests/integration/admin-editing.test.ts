/**
 * An owner edits a campaign end to end through the real back office: create, settings,
 * texts per language, preview, timeline, image upload, audit log and the organisers page.
 * The tests run in order and build on each other (one campaign, one server).
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { setSecondFactorPolicy } from '../helpers/organisers.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026', name: 'Demo Organiser' }
const SLUG = 'free-the-archive'
const TITLE = 'Free the archive'

let server: RunningServer
let db: ServerSql
let cookie: string
let ownerId: number
let campaignId: number

// ——— HTTP ———

function post(url: string, body: URLSearchParams | FormData) {
  return fetch(server.url + url, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: cookie }, body })
}

function get(url: string, { anonymous = false } = {}) {
  return fetch(server.url + url, { redirect: 'manual', headers: anonymous ? {} : { Cookie: cookie } })
}

function form(fields: Record<string, string>) {
  return new URLSearchParams(fields)
}

function upload(file: Blob, name: string) {
  const data = new FormData()
  data.append('image', file, name)
  return data
}

function mainOf(html: string) {
  return html.slice(html.indexOf('<main'), html.indexOf('</main>'))
}

/** The error list Conform renders under one field. */
function fieldErrors(html: string, field: string) {
  const match = new RegExp(`id="[^"]*-${field}-error" class="field__errors">(.*?)</ul>`).exec(html)
  return match ? [...match[1]!.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]) : []
}

// ——— Database ———

type AuditRow = { id: number; organizerId: number | null; action: string; subjectType: string; subjectId: string | null; details: string | null }

async function lastAuditId() {
  return (await db.get('SELECT coalesce(max(id), 0) AS id FROM audit_log') as { id: number }).id
}

async function auditSince(id: number) {
  return await db.all('SELECT id, organizer_id AS "organizerId", action, subject_type AS "subjectType", subject_id AS "subjectId", details FROM audit_log WHERE id > ? ORDER BY id', id) as AuditRow[]
}

/** Exactly one new audit row, by the owner, for this action; returns its details. */
async function expectOneAudit(since: number, action: string, subjectId?: number) {
  const rows = await auditSince(since)
  expect(rows.map((r) => r.action)).toEqual([action])
  expect(rows[0]!.organizerId).toBe(ownerId)
  if (subjectId !== undefined) expect(rows[0]!.subjectId).toBe(String(subjectId))
  return JSON.parse(rows[0]!.details ?? 'null') as Record<string, unknown> | null
}

async function campaignRow() {
  return await db.get('SELECT slug, status, signature_goal AS "signatureGoal", published_at AS "publishedAt", image_path AS "imagePath" FROM campaigns WHERE id = ?', campaignId) as { slug: string; status: string; signatureGoal: number | null; publishedAt: number | null; imagePath: string | null }
}

function uploadedFiles() {
  const dir = path.join(server.dir, 'uploads')
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []
}

// ——— Image fixtures ———

function pngChunk(type: string, data: Buffer) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(zlib.crc32(body))
  return Buffer.concat([length, body, crc])
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const PNG_WIDTH = 3
const PNG_HEIGHT = 2
/** Raw scanlines (filter byte 0, then RGB) of a 3×2 image. */
const PNG_RAW = Buffer.concat(
  Array.from({ length: PNG_HEIGHT }, (_, y) =>
    Buffer.from([0, ...Array.from({ length: PNG_WIDTH }, (_, x) => [200, 40 * x, 90 * y]).flat()]),
  ),
)

/** A real PNG with a GPS position in an eXIf and a tEXt chunk. */
function pngWithLocation() {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(PNG_WIDTH, 0)
  ihdr.writeUInt32BE(PNG_HEIGHT, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, deflate, no filter method, no interlace
  const head = [PNG_SIGNATURE, pngChunk('IHDR', ihdr)]
  const tail = [pngChunk('IDAT', zlib.deflateSync(PNG_RAW)), pngChunk('IEND', Buffer.alloc(0))]
  const exif = Buffer.concat([Buffer.from('MM\0*\0\0\0\x08', 'latin1'), Buffer.from('GPSLatitude 52.5200N GPSLongitude 13.4050E', 'latin1')])
  const text = Buffer.from('Comment\0GPS 52.5200N 13.4050E camera serial 123456', 'latin1')
  const metadata = [pngChunk('eXIf', exif), pngChunk('tEXt', text)]
  return { file: Buffer.concat([...head, ...metadata, ...tail]) }
}

/** Chunks of a PNG, checking every CRC on the way. */
function readPngChunks(bytes: Buffer) {
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
  const chunks: { type: string; data: Buffer }[] = []
  for (let i = 8; i < bytes.length; ) {
    const length = bytes.readUInt32BE(i)
    const body = bytes.subarray(i + 4, i + 8 + length)
    expect(bytes.readUInt32BE(i + 8 + length)).toBe(zlib.crc32(body))
    chunks.push({ type: body.subarray(0, 4).toString('latin1'), data: body.subarray(4) })
    i += 12 + length
  }
  return chunks
}

function jpegSegment(marker: number, payload: Buffer) {
  const header = Buffer.from([0xff, marker, 0, 0])
  header.writeUInt16BE(payload.length + 2, 2)
  return Buffer.concat([header, payload])
}

/**
 * A baseline 8×8 grey JPEG built by hand (one DC and one AC Huffman code), with an
 * EXIF APP1 segment holding a GPS position.
 */
function jpegWithLocation() {
  const soi = Buffer.from([0xff, 0xd8])
  const app0 = jpegSegment(0xe0, Buffer.from([...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0]))
  const app1 = jpegSegment(
    0xe1,
    Buffer.concat([Buffer.from('Exif\0\0MM\0*\0\0\0\x08', 'latin1'), Buffer.from('GPSLatitude 52.5200N GPSLongitude 13.4050E', 'latin1')]),
  )
  const dqt = jpegSegment(0xdb, Buffer.from([0, ...new Array<number>(64).fill(1)]))
  const sof0 = jpegSegment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0]))
  const oneCode = [1, ...new Array<number>(15).fill(0), 0] // one code of length 1 for symbol 0
  const dhtDc = jpegSegment(0xc4, Buffer.from([0x00, ...oneCode]))
  const dhtAc = jpegSegment(0xc4, Buffer.from([0x10, ...oneCode]))
  const sos = jpegSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]))
  const scan = Buffer.from([0x3f]) // DC difference 0, end of block, padded with 1s
  const eoi = Buffer.from([0xff, 0xd9])
  const rest = [dqt, sof0, dhtDc, dhtAc, sos, scan, eoi]
  return { file: Buffer.concat([soi, app0, app1, ...rest]) }
}

// ——— Setup ———

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  // Owners made here sign in with a password alone (issue 18's own suites test the policy).
  await setSecondFactorPolicy(server, 'none')
  ownerId = (await db.get('SELECT id FROM organizers WHERE email = ?', OWNER.email) as { id: number }).id
  const login = await fetch(`${server.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url },
    body: form({ email: OWNER.email, password: OWNER.password }),
  })
  expect(login.status).toBe(302)
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
  expect(cookie).toMatch(/^vigil_session=./)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

// ——— Tests ———

describe('creating a campaign', () => {
  const good = { title: TITLE, summary: 'Documents about a detention.', slug: SLUG, status: 'draft', defaultLocale: 'en', currency: 'EUR', target: 'The archive office', retentionDays: '180' }

  it('refuses an empty title and a malformed slug with field messages, keeping what was typed', async () => {
    const mark = await lastAuditId()
    const campaignsBefore = await db.get('SELECT count(*) AS n FROM campaigns')
    const response = await post(
      '/admin/campaigns/new',
      form({ title: '', summary: 'Typed summary stays', slug: 'Not A Slug!', status: 'live', defaultLocale: 'de', currency: 'CHF', signatureGoal: '250', target: 'Typed target stays' }),
    )
    expect(response.status).toBe(400)
    const html = mainOf(await response.text())
    expect(fieldErrors(html, 'title')).toEqual(['Please fill this in.'])
    expect(fieldErrors(html, 'slug')).toEqual(['Use lower-case letters, digits and single hyphens, like free-andry.'])
    expect(html).toMatch(/name="slug"[^>]*value="Not A Slug!"/)
    expect(html).toMatch(/<textarea[^>]*name="summary"[^>]*>Typed summary stays<\/textarea>/)
    expect(html).toMatch(/name="target"[^>]*value="Typed target stays"/)
    expect(html).toMatch(/name="signatureGoal"[^>]*value="250"/)
    expect(html).toContain('<option value="live" selected="">')
    expect(html).toContain('<option value="de" selected="">')
    expect(html).toContain('<option value="CHF" selected="">')
    expect(await db.get('SELECT count(*) AS n FROM campaigns')).toEqual(campaignsBefore)
    expect(await auditSince(mark)).toEqual([])
  })

  it('refuses a slug another campaign already uses', async () => {
    const mark = await lastAuditId()
    const response = await post('/admin/campaigns/new', form({ ...good, slug: 'free-andry', title: 'A second Andry campaign' }))
    expect(response.status).toBe(400)
    const html = mainOf(await response.text())
    expect(fieldErrors(html, 'slug')).toEqual(['Another campaign already uses this address.'])
    expect(html).toMatch(/name="title"[^>]*value="A second Andry campaign"/)
    expect(html).toMatch(/name="slug"[^>]*value="free-andry"/)
    expect(await auditSince(mark)).toEqual([])
  })

  it('creates a draft from good input and sends the organiser to its text page', async () => {
    const mark = await lastAuditId()
    const response = await post('/admin/campaigns/new', form(good))
    expect(response.status).toBe(302)
    const location = response.headers.get('location') ?? ''
    const match = /^\/admin\/campaigns\/(\d+)\/text\/en$/.exec(location)
    expect(match, location).not.toBeNull()
    campaignId = Number(match![1])
    expect(await campaignRow()).toMatchObject({ slug: SLUG, status: 'draft', publishedAt: null })
    const details = await expectOneAudit(mark, 'campaign.create', campaignId)
    expect(details).toMatchObject({ slug: SLUG, title: TITLE })
    const textPage = await get(location)
    expect(textPage.status).toBe(200)
    expect(await textPage.text()).toContain(`value="${TITLE}"`)
  })
})

describe('a draft', () => {
  it('can be previewed by organisers but is a 404 for visitors', async () => {
    const preview = await get(`/admin/campaigns/${campaignId}/preview`)
    expect(preview.status).toBe(200)
    const html = await preview.text()
    expect(html).toContain(TITLE)
    expect(html).toContain('Preview: this campaign is a draft and not public.')

    const visitor = await get(`/c/${SLUG}`, { anonymous: true })
    expect(visitor.status).toBe(404)
    expect(await visitor.text()).not.toContain(TITLE)
    // Even an organiser's browser gets no public page for a draft.
    expect((await get(`/c/${SLUG}`)).status).toBe(404)
    const anonymousPreview = await get(`/admin/campaigns/${campaignId}/preview`, { anonymous: true })
    expect(anonymousPreview.status).toBe(302)
  })
})

describe('campaign settings', () => {
  const settingsUrl = () => `/admin/campaigns/${campaignId}?index`
  const settings = (overrides: Record<string, string>) =>
    form({ slug: SLUG, status: 'draft', defaultLocale: 'en', currency: 'EUR', signatureGoal: '', target: 'The archive office', retentionDays: '180', ...overrides })

  it('posts to the URL the settings form itself uses', async () => {
    const html = await (await get(`/admin/campaigns/${campaignId}`)).text()
    expect(html).toContain(`action="/admin/campaigns/${campaignId}?index"`)
  })

  it('refuses a goal that is not a number, keeping the draft unchanged', async () => {
    const mark = await lastAuditId()
    const response = await post(settingsUrl(), settings({ signatureGoal: 'abc', status: 'live' }))
    expect(response.status).toBe(400)
    const html = mainOf(await response.text())
    expect(fieldErrors(html, 'signatureGoal')).toEqual(['Please enter a whole number.'])
    expect(html).toMatch(/name="signatureGoal"[^>]*value="abc"/)
    expect(await campaignRow()).toMatchObject({ status: 'draft', signatureGoal: null })
    expect(await auditSince(mark)).toEqual([])
  })

  it('going live records the change and makes /c/<slug> public', async () => {
    const mark = await lastAuditId()
    const response = await post(settingsUrl(), settings({ status: 'live', signatureGoal: '500' }))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`/admin/campaigns/${campaignId}?saved=1`)
    const row = await campaignRow()
    expect(row).toMatchObject({ status: 'live', signatureGoal: 500 })
    expect(row.publishedAt).toEqual(expect.any(Number))
    const details = await expectOneAudit(mark, 'campaign.update', campaignId)
    expect(details).toEqual({ status: ['draft', 'live'], signatureGoal: [null, 500] })

    const visitor = await get(`/c/${SLUG}`, { anonymous: true })
    expect(visitor.status).toBe(200)
    expect(await visitor.text()).toContain(`<h1 lang="en">${TITLE}</h1>`)
  })
})

describe('campaign texts per language', () => {
  const german = {
    title: 'Gebt das Archiv frei',
    summary: 'Unterlagen über eine Inhaftierung.',
    storyMd: 'Die **Akten** liegen seit Jahren unter Verschluss.',
    petitionText: 'Wir fordern die Freigabe der Akten.',
    imageAlt: 'Ein Aktenregal',
  }

  it('refuses a German text without a title', async () => {
    const mark = await lastAuditId()
    const response = await post(`/admin/campaigns/${campaignId}/text/de`, form({ ...german, title: '' }))
    expect(response.status).toBe(400)
    const html = mainOf(await response.text())
    expect(fieldErrors(html, 'title')).toEqual(['Please fill this in.'])
    expect(html).toContain('Unterlagen über eine Inhaftierung.')
    expect(await auditSince(mark)).toEqual([])
  })

  it('saves the German text and shows it on the public page with ?lng=de', async () => {
    const mark = await lastAuditId()
    const response = await post(`/admin/campaigns/${campaignId}/text/de`, form(german))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`/admin/campaigns/${campaignId}/text/de?saved=1`)
    const details = await expectOneAudit(mark, 'campaign.translation.create', campaignId)
    expect(details).toMatchObject({ locale: 'de' })

    const de = await (await get(`/c/${SLUG}?lng=de`, { anonymous: true })).text()
    expect(de).toMatch(/<html[^>]*lang="de"/)
    expect(de).toContain(`<h1 lang="de">${german.title}</h1>`)
    expect(de).toContain('Die <strong>Akten</strong> liegen seit Jahren unter Verschluss.')
    expect(de).toContain(german.petitionText)

    // English visitors keep the English text.
    const en = await (await get(`/c/${SLUG}?lng=en`, { anonymous: true })).text()
    expect(en).toContain(`<h1 lang="en">${TITLE}</h1>`)
    expect(en).not.toContain(german.title)
  })

  it('updates an existing translation and records which fields changed', async () => {
    const mark = await lastAuditId()
    const response = await post(`/admin/campaigns/${campaignId}/text/de`, form({ ...german, summary: 'Neue Zusammenfassung.' }))
    expect(response.status).toBe(302)
    expect(await expectOneAudit(mark, 'campaign.translation.update', campaignId)).toEqual({ locale: 'de', fields: ['summary'] })
    const preview = await (await get(`/admin/campaigns/${campaignId}/preview?locale=de`)).text()
    expect(preview).toContain('Neue Zusammenfassung.')
  })
})

describe('the timeline', () => {
  let entryId: number
  const timelineUrl = () => `/admin/campaigns/${campaignId}/timeline`
  const entryTitle = async (id: number) =>
    (await db.get(`SELECT title FROM update_translations WHERE update_id = ? AND locale = 'en'`, id) as { title: string } | undefined)?.title

  it('refuses an impossible date like 2025-02-30, keeping the typed title', async () => {
    const mark = await lastAuditId()
    const response = await post(timelineUrl(), form({ happenedOn: '2025-02-30', locale: 'en', title: 'Court hearing', bodyMd: '' }))
    expect(response.status).toBe(400)
    const html = mainOf(await response.text())
    expect(fieldErrors(html, 'happenedOn')).toEqual(['Please enter a date like 2025-07-18.'])
    expect(html).toMatch(/name="title"[^>]*value="Court hearing"/)
    expect(await db.get('SELECT count(*) AS n FROM updates WHERE campaign_id = ?', campaignId)).toEqual({ n: 0 })
    expect(await auditSince(mark)).toEqual([])
  })

  it('adds an entry that appears on the public page', async () => {
    const mark = await lastAuditId()
    const response = await post(timelineUrl(), form({ happenedOn: '2025-03-14', locale: 'en', title: 'Court hearing', bodyMd: 'The court *met*.' }))
    expect(response.status).toBe(302)
    const row = await db.get('SELECT id, happened_on AS "happenedOn" FROM updates WHERE campaign_id = ?', campaignId) as
      | { id: number; happenedOn: string }
      | undefined
    expect(row?.happenedOn).toBe('2025-03-14')
    // Back to the list with the new entry named, so the add form comes back closed and empty.
    expect(response.headers.get('location')).toBe(`${timelineUrl()}?saved=${row!.id}`)
    entryId = row!.id
    expect(await expectOneAudit(mark, 'timeline.create', entryId)).toMatchObject({ campaignId, title: 'Court hearing' })
    const page = await (await get(`/c/${SLUG}`, { anonymous: true })).text()
    expect(page).toContain('<h3>Court hearing</h3>')
    expect(page).toContain('The court <em>met</em>.')
  })

  it('edits an entry (and refuses a bad date there too)', async () => {
    const entryUrl = `${timelineUrl()}/${entryId}`
    const bad = await post(entryUrl, form({ intent: 'save', happenedOn: '2025-13-01', locale: 'en', title: 'Hearing postponed', bodyMd: '' }))
    expect(bad.status).toBe(400)
    expect(await entryTitle(entryId)).toBe('Court hearing')

    const mark = await lastAuditId()
    const response = await post(entryUrl, form({ intent: 'save', happenedOn: '2025-03-21', locale: 'en', title: 'Hearing postponed', bodyMd: '' }))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${entryUrl}?locale=en&saved=1`)
    expect(await entryTitle(entryId)).toBe('Hearing postponed')
    expect(await expectOneAudit(mark, 'timeline.update', entryId)).toMatchObject({ happenedOn: '2025-03-21', title: 'Hearing postponed' })
    const page = await (await get(`/c/${SLUG}`, { anonymous: true })).text()
    expect(page).toContain('<h3>Hearing postponed</h3>')
    expect(page).not.toContain('Court hearing')
  })

  it('deletes an entry, which then disappears everywhere', async () => {
    const mark = await lastAuditId()
    const response = await post(`${timelineUrl()}/${entryId}`, form({ intent: 'delete' }))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${timelineUrl()}?saved=1`)
    expect(await db.get('SELECT count(*) AS n FROM updates WHERE id = ?', entryId)).toEqual({ n: 0 })
    await expectOneAudit(mark, 'timeline.delete', entryId)
    expect((await get(`${timelineUrl()}/${entryId}`)).status).toBe(404)
    expect(await (await get(`/c/${SLUG}`, { anonymous: true })).text()).not.toContain('Hearing postponed')
  })
})

describe('the campaign image', () => {
  const imageUrl = () => `/admin/campaigns/${campaignId}/image`

  it('accepts a real PNG and serves it under /media without its EXIF and text metadata', async () => {
    const png = pngWithLocation()
    expect(png.file.includes('GPS')).toBe(true)
    const mark = await lastAuditId()
    const response = await post(imageUrl(), upload(new Blob([png.file], { type: 'image/png' }), 'holiday.png'))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${imageUrl()}?saved=1`)
    const { imagePath } = await campaignRow()
    expect(imagePath).toMatch(new RegExp(`^/media/campaign-${campaignId}-[A-Za-z0-9_-]+\\.png$`))
    expect(await expectOneAudit(mark, 'campaign.image.set', campaignId)).toEqual({ imagePath })

    const served = await fetch(server.url + imagePath!)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/png')
    const bytes = Buffer.from(await served.arrayBuffer())
    expect(bytes.includes('GPS')).toBe(false)
    // Still a whole, valid picture: every chunk's CRC holds and the pixels are unchanged.
    const chunks = readPngChunks(bytes)
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'pHYs', 'IDAT', 'IEND'])
    const pixels = await sharp(bytes).raw().toBuffer()
    expect(pixels.equals(Buffer.concat(Array.from({ length: PNG_HEIGHT }, (_, y) => PNG_RAW.subarray(y * (1 + PNG_WIDTH * 3) + 1, (y + 1) * (1 + PNG_WIDTH * 3)))))).toBe(true)

    const page = await (await get(`/c/${SLUG}`, { anonymous: true })).text()
    expect(page).toContain(`src="${imagePath}"`)
  })

  it('accepts a JPEG and publishes it re-encoded, without its EXIF APP1 segment (with the GPS position)', async () => {
    const jpeg = jpegWithLocation()
    const mark = await lastAuditId()
    const response = await post(imageUrl(), upload(new Blob([jpeg.file], { type: 'image/jpeg' }), 'IMG_0001.JPG'))
    expect(response.status).toBe(302)
    const { imagePath } = await campaignRow()
    expect(imagePath).toMatch(/\.jpg$/)
    await expectOneAudit(mark, 'campaign.image.set', campaignId)
    const served = await fetch(server.url + imagePath!)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/jpeg')
    const bytes = Buffer.from(await served.arrayBuffer())
    expect(bytes.includes('Exif')).toBe(false)
    expect(bytes.includes('GPS')).toBe(false)
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 8, height: 8 })
  })

  it('refuses a text file renamed to .png with 400 and a message', async () => {
    const before = { row: await campaignRow(), files: uploadedFiles(), audit: await lastAuditId() }
    const fake = new Blob(['GPS is not a picture, this is plain text\n'], { type: 'image/png' })
    const response = await post(imageUrl(), upload(fake, 'photo.png'))
    expect(response.status).toBe(400)
    expect(mainOf(await response.text())).toContain('This file is not a JPEG, PNG or WebP image.')
    expect({ row: await campaignRow(), files: uploadedFiles(), audit: await lastAuditId() }).toEqual(before)
  })

  it('refuses a file over 5 MB with 413 and a message', async () => {
    const before = { row: await campaignRow(), files: uploadedFiles(), audit: await lastAuditId() }
    const big = Buffer.alloc(5 * 1024 * 1024 + 1)
    pngWithLocation().file.copy(big)
    const response = await post(imageUrl(), upload(new Blob([big], { type: 'image/png' }), 'huge.png'))
    expect(response.status).toBe(413)
    expect(mainOf(await response.text())).toContain('This file is larger than 5 MB. Please choose a smaller image.')
    expect({ row: await campaignRow(), files: uploadedFiles(), audit: await lastAuditId() }).toEqual(before)
  })

  it('asks for a file when none was chosen', async () => {
    const response = await post(imageUrl(), upload(new Blob([]), ''))
    expect(response.status).toBe(400)
    expect(mainOf(await response.text())).toContain('Please choose an image file.')
  })
})

describe('the organisers page', () => {
  const organizersUrl = '/admin/organizers'
  const roleOf = async (id: number) => (await db.get('SELECT role FROM organizers WHERE id = ?', id) as { role: string }).role
  let editorId: number

  it('refuses to demote or disable the last owner, with a message', async () => {
    const mark = await lastAuditId()
    const attempts: Record<string, string>[] = [
      { intent: 'role', organizerId: String(ownerId), role: 'editor' },
      { intent: 'disable', organizerId: String(ownerId) },
    ]
    for (const body of attempts) {
      const response = await post(organizersUrl, form(body))
      expect(response.status, body.intent).toBe(400)
      expect(mainOf(await response.text())).toContain('A team needs at least one active owner.')
    }
    expect(await roleOf(ownerId)).toBe('owner')
    expect(await db.get('SELECT disabled_at AS d FROM organizers WHERE id = ?', ownerId)).toEqual({ d: null })
    expect(await auditSince(mark)).toEqual([])
  })

  it('refuses a new organiser with a bad or taken email, with field messages', async () => {
    const bad = await post(organizersUrl, form({ intent: 'create', name: 'Ed', email: 'not-an-email', role: 'editor' }))
    expect(bad.status).toBe(400)
    expect(fieldErrors(await bad.text(), 'email')).toEqual(['Please enter an email address like name@example.org.'])
    const taken = await post(organizersUrl, form({ intent: 'create', name: 'Ed', email: OWNER.email.toUpperCase(), role: 'editor' }))
    expect(taken.status).toBe(400)
    expect(fieldErrors(await taken.text(), 'email')).toEqual(['An organiser with this email already exists.'])
  })

  it('creates an editor and shows a one-time set-password link that works', async () => {
    const mark = await lastAuditId()
    const response = await post(organizersUrl, form({ intent: 'create', name: 'Erin Editor', email: 'erin@editing.example', role: 'editor' }))
    expect(response.status).toBe(200)
    const html = await response.text()
    const link = new RegExp(`${server.url.replace(/[.]/g, '\\.')}/admin/set-password/[A-Za-z0-9_-]+`).exec(html)?.[0]
    expect(link).toBeDefined()
    const row = await db.get(`SELECT id, role, password_hash AS hash FROM organizers WHERE email = 'erin@editing.example'`) as
      | { id: number; role: string; hash: string | null }
      | undefined
    expect(row).toMatchObject({ role: 'editor', hash: null })
    editorId = row!.id
    // The link is also emailed to the new organiser, through the outbox.
    expect(await expectOneAudit(mark, 'organizer.create', editorId)).toEqual({ name: 'Erin Editor', role: 'editor', emailed: true })
    const page = await fetch(link!, { redirect: 'manual' })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Welcome, Erin Editor.')
  })

  it('changes an organiser’s role, and then a former sole owner may be demoted', async () => {
    let mark = await lastAuditId()
    const promote = await post(organizersUrl, form({ intent: 'role', organizerId: String(editorId), role: 'owner' }))
    expect(promote.status).toBe(200)
    expect(await roleOf(editorId)).toBe('owner')
    expect(await expectOneAudit(mark, 'organizer.update', editorId)).toEqual({ role: ['editor', 'owner'] })

    // With two owners, demoting one is allowed.
    mark = await lastAuditId()
    const demote = await post(organizersUrl, form({ intent: 'role', organizerId: String(editorId), role: 'editor' }))
    expect(demote.status).toBe(200)
    expect(await roleOf(editorId)).toBe('editor')
    expect(await expectOneAudit(mark, 'organizer.update', editorId)).toEqual({ role: ['owner', 'editor'] })
  })
})

describe('the audit log', () => {
  const ACTIONS = [
    'campaign.create',
    'campaign.update',
    'campaign.translation.create',
    'campaign.translation.update',
    'timeline.create',
    'timeline.update',
    'timeline.delete',
    'campaign.image.set',
    'organizer.create',
    'organizer.update',
  ]

  it('holds a row naming the owner for every change made above', async () => {
    const rows = await db.all('SELECT action, organizer_id AS "organizerId" FROM audit_log') as { action: string; organizerId: number | null }[]
    for (const action of ACTIONS) {
      expect(rows.filter((r) => r.action === action && r.organizerId === ownerId).length, action).toBeGreaterThan(0)
    }
  })

  it('is listed on /admin/audit for the owner, with who did what', async () => {
    const response = await get('/admin/audit')
    expect(response.status).toBe(200)
    const html = mainOf(await response.text())
    for (const action of ACTIONS) expect(html, action).toContain(`data-action="${action}"`)
    const rows = html.split('<tr>').filter((r) => r.includes('data-action="campaign.create"'))
    expect(rows.length).toBe(1)
    // A sentence: who did what to which campaign.
    expect(rows[0]).toContain(`${OWNER.name} created the campaign`)
  })
})
