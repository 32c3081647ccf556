/**
 * Writing, scheduling and emailing an update through the real back office (the built
 * server over HTTP): the audience counted by language, previews, a test to oneself, one
 * send per update with its progress, scheduled entries kept off the public page until
 * their time, and who may do it. Supporters are inserted into the server's database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeEntities, textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { closeDatabase, onPostgres, openServerDatabase } from '../helpers/engine.ts'
import { insertSignature, insertSupporter, outboxRows, rawSql, suppressAddress } from '../helpers/mail-worker.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import type { DB } from '#db/client.server.ts'

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const EDITOR = { email: 'erin.editor@compose.example', name: 'Erin Editor', password: 'an editor passphrase for updates 7' }
// Short, so the scheduled-entry test waits little; the behaviour is the same at the default 5 s.
const PAGE_CACHE_TTL_MS = 1500

let server: RunningServer
let db: DB
let ownerCookie: string
let editorCookie: string
let ownerId: number
let editorId: number
let campaignId: number
let funds: { id: number; slug: string }[]

// ——— HTTP ———

const form = (fields: Record<string, string>) => new URLSearchParams(fields)

function post(url: string, body: URLSearchParams | FormData, cookie: string | null = ownerCookie, origin = server.url) {
  const headers: Record<string, string> = { Origin: origin }
  if (cookie) headers.Cookie = cookie
  return fetch(server.url + url, { method: 'POST', redirect: 'manual', headers, body })
}

function get(url: string, cookie: string | null = ownerCookie) {
  return fetch(server.url + url, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} })
}

async function logIn(email: string, password: string) {
  const response = await post('/admin/login', form({ email, password }), null)
  expect(response.status).toBe(302)
  const match = /(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')
  if (!match?.[1]) throw new Error('no session cookie')
  return match[1]
}

const sendUrl = (updateId: number) => `/admin/campaigns/${campaignId}/updates/${updateId}/send`

/** The per-language counts the send page shows. */
function countsOf(html: string) {
  const counts: Record<string, number> = {}
  for (const m of html.matchAll(/<tr data-locale="(\w+)">[\s\S]*?<td class="audience-count">([^<]*)<\/td>/g)) {
    counts[m[1]!] = Number(m[2]!.replace(/\D/g, ''))
  }
  return counts
}

function totalOf(html: string) {
  const m = /data-testid="audience-total">([^<]*)</.exec(html)
  return m ? decodeEntities(m[1]!) : null
}

// ——— Database ———

const sql = () => rawSql(db)
let n = 0

/** A supporter, in `locale`, who maybe signed (confirmed or not), maybe gave, and maybe asked for news. */
async function supporter({
  locale = 'en',
  signed = 'confirmed',
  consent = true,
  donatedTo,
  paid = true,
}: {
  locale?: 'en' | 'de' | 'es'
  signed?: 'confirmed' | 'pending' | null
  consent?: boolean | 'withdrawn'
  donatedTo?: number
  paid?: boolean
} = {}) {
  n++
  const email = `person.${n}@compose.example`
  const id = await insertSupporter(sql(), { email, locale })
  if (signed) await insertSignature(sql(), { campaignId, supporterId: id, status: signed, locale })
  if (donatedTo) {
    await sql().run(`insert into donations (campaign_id, fund_id, supporter_id, interval, gift_minor, amount_minor, currency, status, paid_at, locale, email)
         values (?, ?, ?, 'one_time', 2500, 2500, 'EUR', ?, ?, ?, ?)`, campaignId, donatedTo, id, paid ? 'succeeded' : 'open', paid ? Date.now() : null, locale, email)
  }
  const consentRow = `insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, ?, 'test')`
  if (consent) await sql().run(consentRow, id, campaignId, 1)
  if (consent === 'withdrawn') await sql().run(consentRow, id, campaignId, 0)
  return { id, email }
}

async function count(table: string, where = '1 = 1', ...args: unknown[]) {
  return ((await sql().get(`select count(*) as n from ${table} where ${where}`, ...args)) as { n: number }).n
}

async function lastAuditId() {
  return ((await sql().get('select coalesce(max(id), 0) as id from audit_log')) as { id: number }).id
}

async function auditSince(id: number) {
  return (await sql().all('select organizer_id as organizerId, action, subject_id as subjectId, details from audit_log where id > ? order by id', id)) as {
    organizerId: number | null
    action: string
    subjectId: string
    details: string
  }[]
}

/** A timeline entry written through the editor: English, optionally German, published as asked. */
async function writeUpdate({
  title,
  de,
  publish = { publish: 'now' },
  cookie = ownerCookie,
}: {
  title: string
  de?: string
  publish?: Record<string, string>
  cookie?: string
}) {
  const created = await post(
    `/admin/campaigns/${campaignId}/timeline`,
    form({ happenedOn: '2026-11-20', locale: 'en', title, bodyMd: `${title}: **the news**.`, ...publish }),
    cookie,
  )
  expect(created.status, await created.clone().text()).toBe(302)
  const row = (await sql().get(`select update_id as id from update_translations where title = ?`, title)) as { id: number }
  if (de) {
    const saved = await post(
      `/admin/campaigns/${campaignId}/timeline/${row.id}`,
      form({ intent: 'save', happenedOn: '2026-11-20', locale: 'de', title: de, bodyMd: `${de}: **die Nachricht**.` }),
      cookie,
    )
    expect(saved.status).toBe(302)
  }
  return row.id
}

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: String(PAGE_CACHE_TTL_MS) } })
  db = openServerDatabase(server)
  campaignId = ((await sql().get(`select id from campaigns where slug = 'free-andry'`)) as { id: number }).id
  funds = (await sql().all(`select id, slug from funds where campaign_id = ? order by id`, campaignId)) as { id: number; slug: string }[]
  if (funds.length < 2) throw new Error('the seed should have two funds')
  ownerCookie = await logIn(OWNER.email, OWNER.password)
  ownerId = ((await sql().get(`select id from organizers where email = ?`, OWNER.email)) as { id: number }).id

  // Sending an update is a campaign manager's (ADR 011).
  const set = await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'free-andry', role: 'manager' }] })
  expect(set.status).toBe(302)
  editorCookie = await logIn(EDITOR.email, EDITOR.password)
  editorId = ((await sql().get(`select id from organizers where email = ?`, EDITOR.email)) as { id: number }).id
})

afterAll(async () => {
  if (db) await closeDatabase(db)
  await server?.stop()
})

describe('the audience', () => {
  let updateId: number
  const [capacho, cecot] = [() => funds[0]!.id, () => funds[1]!.id]

  beforeAll(async () => {
    // Counted: confirmed signers who asked for news, and paying donors who did.
    await supporter({ locale: 'en' })
    await supporter({ locale: 'en' })
    await supporter({ locale: 'de' })
    await supporter({ locale: 'de' })
    await supporter({ locale: 'de' })
    await supporter({ locale: 'es' })
    await supporter({ locale: 'es', signed: null, donatedTo: capacho() })
    await supporter({ locale: 'de', signed: null, donatedTo: cecot() })
    // Signed and gave: one person, counted once.
    await supporter({ locale: 'en', donatedTo: capacho() })
    // Not counted: unconfirmed, no consent, consent withdrawn, unpaid, suppressed.
    await supporter({ locale: 'en', signed: 'pending' })
    await supporter({ locale: 'de', consent: false })
    await supporter({ locale: 'es', consent: 'withdrawn' })
    await supporter({ locale: 'es', signed: null, donatedTo: capacho(), paid: false })
    const bounced = await supporter({ locale: 'en' })
    await suppressAddress(sql(), bounced.email)
    updateId = await writeUpdate({ title: 'Audience probe', de: 'Publikumsprobe' })
  })

  it('counts consenting confirmed signers by language before sending, by default', async () => {
    const html = await (await get(sendUrl(updateId))).text()
    expect(countsOf(html)).toEqual({ en: 3, de: 3, es: 1 })
    expect(totalOf(html)).toBe('7 people will receive this update.')
    expect(textOf(html)).toContain('Send to 7 people')
  })

  it('recounts for each choice through the GET form (what the page does with and without JavaScript)', async () => {
    const counts = async (query: Record<string, string>) => countsOf(await (await get(`${sendUrl(updateId)}?${new URLSearchParams(query)}`)).text())
    expect(await counts({ donors: 'campaign' })).toEqual({ en: 1, de: 1, es: 1 })
    expect(await counts({ donors: 'fund', fundId: String(capacho()) })).toEqual({ en: 1, de: 0, es: 1 })
    expect(await counts({ donors: 'fund', fundId: String(cecot()) })).toEqual({ en: 0, de: 1, es: 0 })
    expect(await counts({ signers: 'on', donors: 'campaign' })).toEqual({ en: 3, de: 4, es: 2 })
    expect(await counts({ signers: 'on', donors: 'fund', fundId: String(cecot()) })).toEqual({ en: 3, de: 4, es: 1 })
  })

  it('asks for a choice when nobody is chosen, and counts nothing', async () => {
    const html = await (await get(`${sendUrl(updateId)}?donors=none`)).text()
    expect(textOf(html)).toContain('Choose who receives the update: signers, donors or both.')
    expect(countsOf(html)).toEqual({})
  })

  it('says which text each language gets', async () => {
    const html = textOf(await (await get(sendUrl(updateId))).text())
    expect(html).toContain('the English text (no translation yet)')
  })
  // Without JavaScript a refused Send re-renders the page from the POST: the count and the Send
  // button must be those of the form as posted, not the loader's default audience (signers).
  describe('after a refused Send', () => {
    const sendButton = (html: string) => /<button[^>]*value="send"[^>]*>/.exec(html)?.[0] ?? ''

    it('shows no count and no Send when nobody was chosen, even where the page last counted signers', async () => {
      for (const url of [sendUrl(updateId), `${sendUrl(updateId)}?${new URLSearchParams({ preview: 'en', signers: 'on', donors: 'none', intent: 'count' })}`]) {
        const response = await post(url, form({ preview: 'en', intent: 'send', donors: 'none' }))
        expect(response.status).toBe(400)
        const html = await response.text()
        expect(textOf(html)).toContain('Choose who receives the update: signers, donors or both.')
        expect(html).not.toMatch(/<input[^>]*name="signers"[^>]*checked/)
        expect(totalOf(html)).toBeNull()
        expect(countsOf(html)).toEqual({})
        expect(sendButton(html)).toMatch(/ disabled/)
        expect(textOf(html)).not.toContain('Send to 7 people')
      }
    })

    it('counts the audience that was posted when it reaches nobody, and keeps Send off', async () => {
      // A fund nobody gave to: a valid choice that reaches no one.
      const fundId = Number(await sql().insert(`insert into funds (campaign_id, slug, goal_minor, currency, position) values (?, 'nobody-gave', 1000, 'EUR', 9)`, campaignId))
      await sql().run(`insert into fund_translations (fund_id, locale, title) values (?, 'en', 'Nobody gave')`, fundId)
      try {
        const response = await post(sendUrl(updateId), form({ intent: 'send', donors: 'fund', fundId: String(fundId) }))
        expect(response.status).toBe(400)
        const html = await response.text()
        expect(textOf(html)).toContain('Nobody in this audience can receive the update')
        expect(totalOf(html)).toBe('0 people will receive this update.')
        expect(countsOf(html)).toEqual({ en: 0, de: 0, es: 0 })
        expect(sendButton(html)).toMatch(/ disabled/)
        expect(html).toMatch(new RegExp(`<option value="${fundId}" selected`))
      } finally {
        await sql().run(`delete from funds where id = ?`, fundId)
      }
    })

    it('shows no count and no Send for a fund of another campaign', async () => {
      const response = await post(sendUrl(updateId), form({ intent: 'send', signers: 'on', donors: 'fund', fundId: '999999' }))
      expect(response.status).toBe(400)
      const html = await response.text()
      expect(textOf(html)).toContain('Please choose one of this campaign’s funds.')
      expect(totalOf(html)).toBeNull()
      expect(sendButton(html)).toMatch(/ disabled/)
    })
  })
})

describe('previews and a test to oneself', () => {
  let updateId: number

  beforeAll(async () => {
    updateId = await writeUpdate({ title: 'He walked free today', de: 'Heute kam er frei' })
  })

  it('renders the email in each language as recipients read it, in a locked-down document', async () => {
    const de = await get(`/admin/campaigns/${campaignId}/updates/${updateId}/preview.html?lang=de`)
    expect(de.status).toBe(200)
    // Its own policy replaces the site's (one policy, framable by our pages), or no browser would show it.
    expect(de.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    )
    expect(de.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const html = await de.text()
    expect(html).toContain('Heute kam er frei')
    expect(html).toContain('<strong>die Nachricht</strong>')
    expect(html).toMatch(/\/unsubscribe\/test/)
    // No Spanish text yet: Spanish readers get the campaign's main language.
    expect(await (await get(`/admin/campaigns/${campaignId}/updates/${updateId}/preview.html?lang=es`)).text()).toContain('He walked free today')
    const page = await (await get(`${sendUrl(updateId)}?preview=de`)).text()
    expect(page).toContain(`src="/admin/campaigns/${campaignId}/updates/${updateId}/preview.html?lang=de"`)
    // Same origin only so the page can size the frame to the email; nothing in it may run.
    expect(page.match(/<iframe[^>]*sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"/g)).toHaveLength(2)
    expect(page).not.toContain('allow-scripts')
  })

  it('queues exactly one email, to the organiser, and records it', async () => {
    const before = await count('email_messages')
    const mark = await lastAuditId()
    const response = await post(sendUrl(updateId), form({ intent: 'test', locale: 'de' }))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${sendUrl(updateId)}?preview=de&tested=de`)
    // Transactional mail, not part of a send: no update's batch (the sender may already have put
    // it in a group of transactional mail, whose batch has no send).
    // Opened: address and props are sealed (ADR 017).
    const rows = await outboxRows(sql(), `m.id > (select max(id) from email_messages) - ?`, await count('email_messages') - before)
    expect(rows).toHaveLength(1)
    const sendIds = await sql().all(`select send_id as "sendId" from email_batches where id = ?`, rows[0]!.batchId ?? 0)
    expect(rows[0]).toMatchObject({ to: OWNER.email, template: 'campaign-update', locale: 'de', supporterId: null })
    expect(sendIds.filter((b) => (b as { sendId: number | null }).sendId !== null)).toEqual([])
    expect(rows[0]!.props).toEqual({ updateId, test: true })
    expect((await auditSince(mark)).map((a) => [a.action, a.organizerId, a.subjectId])).toEqual([['update.test_send', ownerId, String(updateId)]])
    // No send was started.
    expect(await count('update_sends', 'update_id = ?', updateId)).toBe(0)
    const notice = textOf(await (await get(response.headers.get('location')!)).text())
    expect(notice).toContain(`A test in Deutsch is on its way to ${OWNER.email}.`)
  })

  it('delivers the test into the demo outbox, marked as a test', async () => {
    const id = (await outboxRows(sql())).filter((m) => m.to === OWNER.email).at(-1)!.id
    await expect.poll(async () => ((await sql().get(`select status from email_messages where id = ?`, id)) as { status: string }).status, { timeout: 10_000 }).toBe('captured')
    const html = textOf(await (await get(`/admin/outbox/${id}`)).text())
    expect(html).toContain('[Test] Heute kam er frei')
  })
})

describe('sending', () => {
  let updateId: number
  let recipients: number

  beforeAll(async () => {
    // Enough for two batches of 100.
    for (let i = 0; i < 140; i++) await supporter({ locale: (['en', 'de', 'es'] as const)[i % 3] })
    updateId = await writeUpdate({ title: 'Sending probe', de: 'Versandprobe' })
    const counts = countsOf(await (await get(sendUrl(updateId))).text())
    recipients = Object.values(counts).reduce((sum, c) => sum + c, 0)
  })

  it('asks first, naming the number of recipients, and sends nothing until that question is answered', async () => {
    const before = [await count('update_sends'), await count('email_batches'), await count('email_messages'), await lastAuditId()]
    const response = await post(sendUrl(updateId), form({ intent: 'send', signers: 'on', donors: 'none' }))
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(textOf(html)).toContain(`Send to ${recipients.toLocaleString('en')} supporters? This cannot be undone.`)
    // The answer carries the audience it was asked about, and the server requires it.
    expect(html).toMatch(/<input type="hidden" name="confirmed" value="yes"\/>/)
    expect(html).toMatch(/<input type="hidden" name="donors" value="none"\/>/)
    expect([await count('update_sends'), await count('email_batches'), await count('email_messages'), await lastAuditId()]).toEqual(before)
  })

  it('snapshots the audience into messages and batches once, records who sent it, and shows progress instead of the button', async () => {
    expect(recipients).toBeGreaterThan(100)
    const mark = await lastAuditId()
    const response = await post(sendUrl(updateId), form({ intent: 'send', signers: 'on', donors: 'none', confirmed: 'yes' }))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(sendUrl(updateId))
    const send = (await sql().get(`select id, recipients, created_by as createdBy from update_sends where update_id = ?`, updateId)) as { id: number; recipients: number; createdBy: number }
    expect(send).toMatchObject({ recipients, createdBy: ownerId })
    expect(await count('email_batches', 'send_id = ?', send.id)).toBe(Math.ceil(recipients / 100))
    const ofUpdate = onPostgres ? `cast(props as jsonb) ->> 'updateId' = cast(? as text)` : `json_extract(props, '$.updateId') = ?`
    expect(await count('email_messages', `${ofUpdate} and batch_id is not null`, updateId)).toBe(recipients)
    const audit = await auditSince(mark)
    expect(audit.map((a) => [a.action, a.organizerId, a.subjectId])).toEqual([['update.send', ownerId, String(updateId)]])
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ recipients, audience: { signers: true, donors: 'none' } })

    const page = await (await get(sendUrl(updateId))).text()
    expect(page).not.toContain('value="send"')
    expect(page).toContain('class="send-progress"')
  })

  it('answers a second Send with "already sent" and sends nothing more', async () => {
    const before = [await count('update_sends'), await count('email_batches'), await count('email_messages')]
    const mark = await lastAuditId()
    const response = await post(sendUrl(updateId), form({ intent: 'send', signers: 'on', donors: 'campaign' }))
    expect(response.status).toBe(409)
    expect(textOf(await response.text())).toContain('This update has already been sent.')
    expect([await count('update_sends'), await count('email_batches'), await count('email_messages')]).toEqual(before)
    expect(await auditSince(mark)).toEqual([])
  })

  it('reaches 100 % as the in-process sender captures the batches, then stops refreshing', async () => {
    await expect
      .poll(async () => /data-testid="progress-remaining">0</.test(await (await get(sendUrl(updateId))).text()), { timeout: 20_000, interval: 500 })
      .toBe(true)
    const html = await (await get(sendUrl(updateId))).text()
    expect(textOf(html)).toContain('100%')
    expect(html).toContain(`data-testid="progress-sent">${recipients}<`)
    expect(html).not.toContain('http-equiv="refresh"')
    expect(html).toContain('data-testid="result-delivered"')
    expect(html).toContain('data-testid="result-unsubscribed"')
    const timeline = await (await get(`/admin/campaigns/${campaignId}/timeline`)).text()
    expect(textOf(timeline)).toContain(`Sent to ${recipients} people`)
  })

  it('refreshes itself without JavaScript while a send is under way', async () => {
    // A send whose only batch waits for a retry an hour from now.
    const id = await writeUpdate({ title: 'Waiting probe' })
    const sendId = Number((await sql().insert(`insert into update_sends (update_id, campaign_id, audience, recipients) values (?, ?, '{}', 1)`, id, campaignId)))
    const batchId = Number((await sql().insert(`insert into email_batches (send_id, idempotency_key, size, next_attempt_at) values (?, ?, 1, ?)`, sendId, `probe:${id}`, Date.now() + 3_600_000)))
    await sql().run(`insert into email_messages (template, locale, props, idempotency_key, status, batch_id) values ('campaign-update', 'en', '{}', ?, 'batched', ?)`, `probe:${id}:1`, batchId)
    const html = await (await get(sendUrl(id))).text()
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="2"/></noscript>')
    expect(html).toContain('data-testid="progress-remaining">1<')
    expect(textOf(html)).toContain('0%')
  })

  it('refuses to email a draft or a scheduled update, and says why', async () => {
    const draft = await writeUpdate({ title: 'Draft probe', publish: { publish: 'draft' } })
    const later = await writeUpdate({ title: 'Later probe', publish: { publish: 'schedule', publishAt: '2099-01-01T09:00', timeZone: 'UTC' } })
    for (const id of [draft, later]) {
      const page = textOf(await (await get(sendUrl(id))).text())
      expect(page).toMatch(/is a draft|goes public on/)
      const response = await post(sendUrl(id), form({ intent: 'send', signers: 'on', donors: 'none' }))
      expect(response.status).toBe(409)
      expect(textOf(await response.text())).toContain('Only a published update can be emailed.')
      expect(await count('update_sends', 'update_id = ?', id)).toBe(0)
    }
  })

  it('refuses a fund of another campaign', async () => {
    const id = await writeUpdate({ title: 'Foreign fund probe' })
    const response = await post(sendUrl(id), form({ intent: 'send', donors: 'fund', fundId: '999999' }))
    expect(response.status).toBe(400)
    expect(textOf(await response.text())).toContain('Please choose one of this campaign’s funds.')
    expect(await count('update_sends', 'update_id = ?', id)).toBe(0)
  })
})

describe('scheduling', () => {
  /** A wall-clock time as a datetime-local field writes it, in UTC, with seconds. */
  const utcLocal = (ms: number) => new Date(ms).toISOString().slice(0, 19)

  it('reads the scheduled time in the organiser’s time zone', async () => {
    const id = await writeUpdate({ title: 'Berlin probe', publish: { publish: 'schedule', publishAt: '2030-07-01T12:00', timeZone: 'Europe/Berlin' } })
    const row = (await sql().get(`select published_at as publishedAt from updates where id = ?`, id)) as { publishedAt: number }
    expect(row.publishedAt).toBe(Date.UTC(2030, 6, 1, 10, 0))
  })

  it('refuses a time in the past or no time at all', async () => {
    for (const [publishAt, message] of [
      ['2020-01-01T09:00', 'Please choose a time in the future, or publish now.'],
      ['', 'Please enter a date and time.'],
    ] as const) {
      const response = await post(
        `/admin/campaigns/${campaignId}/timeline`,
        form({ happenedOn: '2026-11-20', locale: 'en', title: `Past probe ${publishAt}`, bodyMd: '', publish: 'schedule', publishAt, timeZone: 'UTC' }),
      )
      expect(response.status).toBe(400)
      expect(textOf(await response.text())).toContain(message)
    }
    expect(await count('update_translations', `title like 'Past probe%'`)).toBe(0)
  })

  it('keeps a scheduled entry off the public page until its time, then shows it', async () => {
    const title = `Scheduled probe ${Date.now()}`
    const at = Date.now() + 4000
    const publicPage = async () => textOf(await (await get('/c/free-andry', null)).text())
    // Cached before the entry exists: saving must purge it.
    await publicPage()
    const id = await writeUpdate({ title, publish: { publish: 'schedule', publishAt: utcLocal(at), timeZone: 'UTC' } })
    expect(((await sql().get(`select published_at as p from updates where id = ?`, id)) as { p: number }).p).toBe(Math.floor(at / 1000) * 1000)
    expect(await publicPage()).not.toContain(title)
    expect(textOf(await (await get('/c/free-andry?lng=en', null)).text())).not.toContain(title)
    const editor = textOf(await (await get(`/admin/campaigns/${campaignId}/timeline`)).text())
    expect(editor).toContain(title)
    expect(editor).toContain('scheduled')
    // Still hidden just before its time…
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now() - 1000)))
    expect(await publicPage()).not.toContain(title)
    // …and shown once it has come and the cached page has expired.
    await expect.poll(publicPage, { timeout: 1000 + PAGE_CACHE_TTL_MS + 2000, interval: 250 }).toContain(title)
    expect(Date.now()).toBeGreaterThanOrEqual(Math.floor(at / 1000) * 1000)
  })

  it('publishes, schedules and takes back an existing entry from its page, purging the public page', async () => {
    const title = `Toggle probe ${Date.now()}`
    const id = await writeUpdate({ title })
    const publicPage = async () => textOf(await (await get('/c/free-andry', null)).text())
    expect(await publicPage()).toContain(title)
    const mark = await lastAuditId()
    const entryUrl = `/admin/campaigns/${campaignId}/timeline/${id}`
    expect((await post(entryUrl, form({ intent: 'publish', publish: 'draft' }))).status).toBe(302)
    expect(await publicPage()).not.toContain(title)
    expect((await post(entryUrl, form({ intent: 'publish', publish: 'now' }))).status).toBe(302)
    expect(await publicPage()).toContain(title)
    expect((await auditSince(mark)).map((a) => a.action)).toEqual(['timeline.unpublish', 'timeline.publish'])
  })
})

describe('an image on an update', () => {
  // A real 1×1 PNG.
  const png = () => new Blob([Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')], { type: 'image/png' })

  it('is stored, shown with the entry on the public page and in the email', async () => {
    const title = `Image probe ${Date.now()}`
    const id = await writeUpdate({ title })
    const alt = await post(`/admin/campaigns/${campaignId}/timeline/${id}`, form({ intent: 'save', happenedOn: '2026-11-20', locale: 'en', title, bodyMd: 'x', imageAlt: 'Andry at the airport' }))
    expect(alt.status).toBe(302)
    const data = new FormData()
    data.append('intent', 'image')
    data.append('image', png(), 'probe.png')
    const response = await post(`/admin/campaigns/${campaignId}/timeline/${id}`, data)
    expect(response.status).toBe(302)
    const { imagePath } = (await sql().get(`select image_path as imagePath from updates where id = ?`, id)) as { imagePath: string }
    expect(imagePath).toMatch(new RegExp(`^/media/update-${id}-[\\w-]+\\.png$`))
    expect((await get(imagePath, null)).status).toBe(200)
    const publicHtml = await (await get('/c/free-andry?lng=en', null)).text()
    expect(publicHtml).toMatch(new RegExp(`<img class="timeline__image" src="${imagePath}" alt="Andry at the airport"`))
    const email = await (await get(`/admin/campaigns/${campaignId}/updates/${id}/preview.html?lang=en`)).text()
    expect(email).toContain(`${server.url}${imagePath}`)

    const notImage = new FormData()
    notImage.append('image', new Blob(['hello']), 'note.txt')
    const refused = await post(`/admin/campaigns/${campaignId}/timeline/${id}`, notImage)
    expect(refused.status).toBe(400)
    expect(textOf(await refused.text())).toContain('This file is not a JPEG, PNG or WebP image.')
  })
})

describe('who may send', () => {
  it('lets a campaign manager who is not an owner send a test and the update, recorded under their name', async () => {
    const id = await writeUpdate({ title: 'Editor probe', cookie: editorCookie })
    expect((await get(sendUrl(id), editorCookie)).status).toBe(200)
    const mark = await lastAuditId()
    expect((await post(sendUrl(id), form({ intent: 'test', locale: 'en' }), editorCookie)).status).toBe(302)
    expect((await outboxRows(sql())).at(-1)!.to).toBe(EDITOR.email)
    expect((await post(sendUrl(id), form({ intent: 'send', signers: 'on', donors: 'none', confirmed: 'yes' }), editorCookie)).status).toBe(302)
    expect((await auditSince(mark)).map((a) => [a.action, a.organizerId])).toEqual([
      ['update.test_send', editorId],
      ['update.send', editorId],
    ])
  })

  it('sends anonymous visitors to the login page, and refuses a cross-site POST, changing nothing', async () => {
    const id = await writeUpdate({ title: 'Guarded probe' })
    const before = [await count('update_sends'), await count('email_messages'), await lastAuditId()]
    const anonymous = await post(sendUrl(id), form({ intent: 'send', signers: 'on', donors: 'none' }), null)
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('location')).toMatch(/^\/admin\/login/)
    expect((await get(sendUrl(id), null)).status).toBe(302)
    expect((await get(`/admin/campaigns/${campaignId}/updates/${id}/preview.html?lang=en`, null)).status).toBe(302)
    const crossSite = await post(sendUrl(id), form({ intent: 'test', locale: 'en' }), ownerCookie, 'https://evil.example')
    expect(crossSite.status).toBe(403)
    expect([await count('update_sends'), await count('email_messages'), await lastAuditId()]).toEqual(before)
  })

  it('answers 404 for an update of another campaign or none', async () => {
    expect((await get(`/admin/campaigns/${campaignId}/updates/999999/send`)).status).toBe(404)
    expect((await get(`/admin/campaigns/${campaignId}/updates/999999/preview.html`)).status).toBe(404)
  })
})
