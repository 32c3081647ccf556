/**
 * Deliveries and the target's answer (issue 17, part D), through the built server over HTTP on
 * the test's engine: a delivery becomes a labelled, published timeline entry in every language
 * of the campaign; an answer, with its letter as a PDF or a picture, is shown above the
 * timeline; a PDF is only ever served as a sandboxed download; files that are not what they
 * claim are refused; and the answer reaches, through the existing update send, only the
 * signers who asked for news.
 */
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../helpers/html.ts'
import { outboxRows } from '../helpers/mail-worker.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

let server: RunningServer
let db: ServerSql
let cookie: string
let campaignId: number

const MiB = 1024 * 1024
const pdf = (body = 'BT /F1 12 Tf (We have received your petition.) Tj ET') =>
  Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${body}\ntrailer << /Root 1 0 R >>\n%%EOF\n`)

function post(url: string, body: URLSearchParams | FormData) {
  return fetch(server.url + url, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: cookie }, body })
}

function answerForm(fields: Record<string, string>, file?: { bytes: Buffer; name: string; type?: string }) {
  const data = new FormData()
  for (const [key, value] of Object.entries(fields)) data.append(key, value)
  if (file) data.append('document', new Blob([new Uint8Array(file.bytes)], { type: file.type ?? '' }), file.name)
  return data
}

const page = async (lng: string) => {
  const response = await fetch(`${server.url}/c/free-andry?lng=${lng}`)
  expect(response.status).toBe(200)
  return response.text()
}

const responseCount = async () => Number((await db.get<{ n: number }>('SELECT count(*) AS n FROM target_responses'))!.n)

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' } })
  db = openServerSql(server)
  campaignId = (await db.get<{ id: number }>(`SELECT id FROM campaigns WHERE slug = 'free-andry'`))!.id
  cookie = await petitionClient(server, db).login()
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('a delivery', () => {
  it('becomes a published timeline entry, labelled as a delivery, in each of the campaign’s languages', async () => {
    const languages = (await db.column<string>('SELECT locale FROM campaign_translations WHERE campaign_id = ? ORDER BY locale', campaignId)).sort()
    expect(languages).toEqual(['de', 'en', 'es'])
    const confirmed = (await db.get<{ confirmed: number }>('SELECT confirmed FROM campaign_counters WHERE campaign_id = ?', campaignId))?.confirmed ?? 0
    const response = await post(
      `/admin/campaigns/${campaignId}/deliveries`,
      new URLSearchParams({
        intent: 'record',
        recipient: 'Department of Homeland Security',
        deliveredOn: '2026-12-01',
        method: 'in_person',
        'notes.en': 'Handed over at the front desk.',
        'notes.de': 'Am Empfang übergeben.',
        'notes.es': 'Entregada en la recepción.',
      }),
    )
    expect(response.status).toBe(302)
    const delivery = await db.get<{ update_id: number; confirmed_count: number; recipient: string }>('SELECT update_id, confirmed_count, recipient FROM deliveries WHERE campaign_id = ?', campaignId)
    expect(delivery).toMatchObject({ confirmed_count: confirmed, recipient: 'Department of Homeland Security' })
    const entry = await db.get<{ kind: string; published_at: number | null; happened_on: string }>('SELECT kind, published_at, happened_on FROM updates WHERE id = ?', delivery!.update_id)
    expect(entry).toMatchObject({ kind: 'delivery', happened_on: '2026-12-01' })
    expect(Number(entry!.published_at)).toBeGreaterThan(0)
    expect(await db.column('SELECT action FROM audit_log WHERE action = ?', 'delivery.record')).toHaveLength(1)

    const expected = {
      en: { label: 'Delivery', title: 'Petition delivered to Department of Homeland Security, in person', note: 'Handed over at the front desk.' },
      de: { label: 'Übergabe', title: 'Petition übergeben an Department of Homeland Security, persönlich', note: 'Am Empfang übergeben.' },
      es: { label: 'Entrega', title: 'Petición entregada a Department of Homeland Security, en persona', note: 'Entregada en la recepción.' },
    }
    for (const [lng, want] of Object.entries(expected)) {
      const html = await page(lng)
      const timeline = html.slice(html.indexOf('id="timeline-title"'))
      const item = /<li[^>]*class="timeline__entry"[^>]*>((?:(?!<\/li>)[\s\S])*Department of Homeland Security[\s\S]*?)<\/li>/.exec(timeline)?.[1]
      expect(item, lng).toBeDefined()
      expect(textOf(item!), lng).toContain(want.label)
      expect(textOf(item!), lng).toContain(want.title)
      expect(textOf(item!), lng).toContain(want.note)
    }
  })

  it('refuses a delivery without a recipient with the error summary, in the organiser’s language, and writes nothing', async () => {
    const before = await db.column('SELECT id FROM updates ORDER BY id')
    const response = await post(`/admin/campaigns/${campaignId}/deliveries?lng=de`, new URLSearchParams({ intent: 'record', recipient: '', deliveredOn: '2026-13-45', method: 'email' }))
    expect(response.status).toBe(400)
    const text = textOf(await response.text())
    expect(text).toContain('Es gibt ein Problem')
    expect(text).toContain('Übergeben an')
    expect(await db.column('SELECT id FROM updates ORDER BY id')).toEqual(before)
  })

  it('is deleted with its timeline entry', async () => {
    const response = await post(`/admin/campaigns/${campaignId}/deliveries`, new URLSearchParams({ intent: 'record', recipient: 'Temporary office', deliveredOn: '2026-12-02', method: 'post' }))
    expect(response.status).toBe(302)
    const { id, update_id } = (await db.get<{ id: number; update_id: number }>('SELECT id, update_id FROM deliveries WHERE recipient = ?', 'Temporary office'))!
    expect((await post(`/admin/campaigns/${campaignId}/deliveries`, new URLSearchParams({ intent: 'delete', id: String(id) }))).status).toBe(302)
    expect(await db.get('SELECT id FROM deliveries WHERE id = ?', id)).toBeUndefined()
    expect(await db.get('SELECT id FROM updates WHERE id = ?', update_id)).toBeUndefined()
    expect(await db.column('SELECT action FROM audit_log WHERE action = ?', 'delivery.delete')).toHaveLength(1)
    expect((await post(`/admin/campaigns/${campaignId}/deliveries`, new URLSearchParams({ intent: 'delete', id: String(id) }))).status).toBe(404)
  })
})

describe('the target’s answer', () => {
  const texts = {
    'texts.en.title': 'The Department answers',
    'texts.en.bodyMd': 'We **reviewed** the case.',
    'texts.de.title': 'Das Ministerium antwortet',
    'texts.de.bodyMd': 'Wir haben den Fall **geprüft**.',
    'texts.es.title': 'El Departamento responde',
    'texts.es.bodyMd': 'Hemos **revisado** el caso.',
  }
  let pdfPath: string

  it('is recorded with a PDF and shown above the timeline in en, de and es, with the download', async () => {
    const letter = pdf()
    const response = await post(`/admin/campaigns/${campaignId}/responses`, answerForm({ intent: 'record', responder: 'Jane Roe, Secretary', respondedOn: '2026-12-03', ...texts }, { bytes: letter, name: 'answer.pdf', type: 'application/pdf' }))
    expect(response.status).toBe(302)
    const saved = new URL(response.headers.get('location')!, server.url)
    const row = (await db.get<{ id: number; document_path: string; document_type: string; update_id: number }>('SELECT id, document_path, document_type, update_id FROM target_responses'))!
    expect(saved.searchParams.get('saved')).toBe(String(row.id))
    expect(row.document_type).toBe('pdf')
    expect(row.document_path).toMatch(new RegExp(`^/media/response-${campaignId}-[\\w-]+\\.pdf$`))
    pdfPath = row.document_path
    expect(await db.get('SELECT kind FROM updates WHERE id = ?', row.update_id)).toEqual({ kind: 'response' })

    const want = {
      en: { by: 'Jane Roe, Secretary answered on', title: 'The Department answers', body: 'We reviewed the case.', download: 'Download the letter (PDF, 1 kB)' },
      de: { by: 'Jane Roe, Secretary hat am', title: 'Das Ministerium antwortet', body: 'Wir haben den Fall geprüft.', download: 'Den Brief herunterladen (PDF, 1 kB)' },
      es: { by: 'Jane Roe, Secretary respondió el', title: 'El Departamento responde', body: 'Hemos revisado el caso.', download: 'Descarga la carta (PDF, 1 kB)' },
    }
    for (const [lng, w] of Object.entries(want)) {
      const html = await page(lng)
      const panel = html.indexOf('class="response-panel"')
      expect(panel, lng).toBeGreaterThan(-1)
      expect(html.indexOf('id="response"'), lng).toBeLessThan(panel)
      expect(panel, `${lng}: the answer comes before the timeline`).toBeLessThan(html.indexOf('id="timeline-title"'))
      const text = textOf(html.slice(panel, html.indexOf('id="timeline-title"')))
      for (const part of Object.values(w)) expect(text, lng).toContain(part)
      expect(html.slice(panel)).toContain(`href="${pdfPath}"`)
      // Answers stay out of the timeline: shown once, above it.
      const timeline = html.indexOf('id="timeline-title"')
      expect(textOf(html.slice(timeline, html.indexOf('</section>', timeline))), lng).not.toContain(w.title)
    }

    // The manager's next step: the existing send page for this entry.
    const admin = await (await fetch(`${server.url}${saved.pathname}${saved.search}`, { headers: { Cookie: cookie } })).text()
    expect(admin).toContain(`href="/admin/campaigns/${campaignId}/updates/${row.update_id}/send"`)
    expect(textOf(admin)).toContain('Email this answer to supporters who asked for news')
  })

  it('serves the PDF byte for byte, only as a download under a sandbox', async () => {
    const response = await fetch(server.url + pdfPath)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/pdf')
    expect(response.headers.get('content-disposition')).toBe('attachment')
    expect(response.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await response.arrayBuffer()).equals(pdf())).toBe(true)
  })

  it('takes a picture of the letter instead, re-encoded, and shows it in en, de and es', async () => {
    const id = (await db.get<{ id: number }>('SELECT id FROM target_responses'))!.id
    const png = await sharp({ create: { width: 40, height: 60, channels: 3, background: '#ffffff' } }).png().toBuffer()
    const response = await post(`/admin/campaigns/${campaignId}/responses`, answerForm({ intent: 'save', id: String(id), responder: 'Jane Roe, Secretary', respondedOn: '2026-12-03', ...texts }, { bytes: png, name: 'scan.png', type: 'image/png' }))
    expect(response.status).toBe(302)
    const row = (await db.get<{ document_path: string; document_type: string }>('SELECT document_path, document_type FROM target_responses WHERE id = ?', id))!
    expect(row.document_type).toBe('image')
    expect(row.document_path).toMatch(/\.png$/)
    // The replaced PDF is gone.
    expect((await fetch(server.url + pdfPath)).status).toBe(404)
    const image = await fetch(server.url + row.document_path)
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(image.headers.get('content-disposition')).toBeNull()
    const alt = { en: 'The letter from Jane Roe, Secretary', de: 'Der Brief von Jane Roe, Secretary', es: 'La carta de Jane Roe, Secretary' }
    for (const [lng, text] of Object.entries(alt)) {
      const html = await page(lng)
      const panel = html.slice(html.indexOf('class="response-panel"'), html.indexOf('id="timeline-title"'))
      expect(panel, lng).toMatch(new RegExp(`<img[^>]*src="${row.document_path}"[^>]*alt="${text}"|<img[^>]*alt="${text}"[^>]*src="${row.document_path}"`))
      expect(panel, lng).not.toContain('.pdf')
    }
  })

  it('refuses a file that calls itself a PDF and is not one (400), and an oversize one (413), writing nothing', async () => {
    const before = await responseCount()
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000000' } }).png().toBuffer()
    const fields = { intent: 'record', responder: 'Mallory', respondedOn: '2026-12-04', 'texts.en.title': 'Fake' }
    const fakes = [
      { bytes: png, name: 'letter.pdf', type: 'application/pdf' },
      { bytes: Buffer.from('<html><script>alert(1)</script></html>\n%%EOF'), name: 'letter.pdf', type: 'application/pdf' },
      { bytes: Buffer.from('<html><script>alert(1)</script></html>'), name: 'letter.html', type: 'text/html' },
      // Starts like a PDF, but was cut off before its end marker.
      { bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4096, 0x20)]), name: 'cut.pdf', type: 'application/pdf' },
    ]
    for (const fake of fakes) {
      const response = await post(`/admin/campaigns/${campaignId}/responses`, answerForm(fields, fake))
      expect(response.status, fake.name).toBe(400)
      const text = textOf(await response.text())
      expect(text, fake.name).toContain('There is a problem')
      expect(text, fake.name).toMatch(/is named as a PDF but is not one|neither a PDF nor|PDF is incomplete/)
    }
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * MiB + 512 * 1024, 0x20), Buffer.from('\n%%EOF\n')])
    const oversize = await post(`/admin/campaigns/${campaignId}/responses`, answerForm(fields, { bytes: big, name: 'big.pdf', type: 'application/pdf' }))
    expect(oversize.status).toBe(413)
    expect(textOf(await oversize.text())).toContain('This file is too large: a PDF may be up to 10 MB')
    expect(await responseCount()).toBe(before)
    const files = await db.column<string>('SELECT document_path FROM target_responses')
    expect(files.every((f) => !f.endsWith('.pdf'))).toBe(true)
  })

  it('asks for a title in at least one language', async () => {
    const response = await post(`/admin/campaigns/${campaignId}/responses?lng=es`, answerForm({ intent: 'record', responder: 'Jane Roe', respondedOn: '2026-12-04' }))
    expect(response.status).toBe(400)
    const text = textOf(await response.text())
    expect(text).toContain('Hay un problema')
    expect(text).toContain('Dale a la respuesta un título en al menos un idioma.')
  })

  it('takes multipart on the answers page only: other admin pages still refuse it', async () => {
    const data = answerForm({ intent: 'record', recipient: 'Probe office', deliveredOn: '2025-02-03', method: 'email' })
    expect((await post(`/admin/campaigns/${campaignId}/deliveries`, data)).status).toBe(415)
    expect((await post(`/admin/campaigns/${campaignId}/text/en`, answerForm({ title: 'x' }))).status).toBe(415)
  })

  it('removes the letter, then deletes the answer with its entry', async () => {
    const { id, update_id, document_path } = (await db.get<{ id: number; update_id: number; document_path: string }>('SELECT id, update_id, document_path FROM target_responses'))!
    expect((await post(`/admin/campaigns/${campaignId}/responses`, new URLSearchParams({ intent: 'remove-document', id: String(id) }))).status).toBe(302)
    expect(await db.get('SELECT document_path, document_type FROM target_responses WHERE id = ?', id)).toEqual({ document_path: null, document_type: null })
    expect((await fetch(server.url + document_path)).status).toBe(404)
    expect((await post(`/admin/campaigns/${campaignId}/responses`, new URLSearchParams({ intent: 'delete', id: String(id) }))).status).toBe(302)
    expect(await responseCount()).toBe(0)
    expect(await db.get('SELECT id FROM updates WHERE id = ?', update_id)).toBeUndefined()
    expect(await db.column('SELECT action FROM audit_log WHERE action LIKE ? ORDER BY id', 'response.%')).toEqual(['response.record', 'response.save', 'response.save', 'response.delete'])
    expect(await page('en')).not.toContain('class="response-panel"')
  })
})

describe('emailing the answer', () => {
  it('emails the answer only to signers who asked for news, through the update send', async () => {
    const client = petitionClient(server, db)
    const asked = client.person({ email: 'ana.asked@example.org', updates: 'on' })
    const silent = client.person({ email: 'bo.silent@example.org' })
    await client.signAndConfirm(asked, cookie)
    await client.signAndConfirm(silent, cookie)

    const recorded = await post(
      `/admin/campaigns/${campaignId}/responses`,
      answerForm({ intent: 'record', responder: 'Jane Roe, Secretary', respondedOn: '2026-12-05', 'texts.en.title': 'A second answer', 'texts.en.bodyMd': 'We will meet you.' }),
    )
    expect(recorded.status).toBe(302)
    const updateId = (await db.get<{ update_id: number }>('SELECT update_id FROM target_responses ORDER BY id DESC LIMIT 1'))!.update_id
    const sent = await post(`/admin/campaigns/${campaignId}/updates/${updateId}/send`, new URLSearchParams({ signers: 'on', donors: 'none', confirmed: 'yes' }))
    expect(sent.status).toBe(302)

    const messages = (await outboxRows(db, 'm.template = ?', 'campaign-update')).filter((m) => m.to === asked.email || m.to === silent.email)
    expect(messages.map((m) => m.to)).toEqual([asked.email])
    expect(messages[0]!.props).toMatchObject({ updateId })
    // The email leads to the answer on the campaign page.
    const [email] = (await client.waitForEmails(asked.email, 2)).filter((m) => m.template === 'campaign-update')
    expect(await client.linksOf(email!.id, cookie)).toContain(`${server.url}/c/free-andry#response`)
  })
})
