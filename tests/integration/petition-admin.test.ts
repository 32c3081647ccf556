import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signatures } from '#db/schema.ts'
import { execute } from '#db/query.server.ts'
import { nameWordHashesOf, sealSignature } from '~/models/personal-data.server.ts'
import { petitionClient } from '../helpers/petition.ts'
import { byAddress } from '../helpers/sealed.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { databaseEnv, runScript, startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let db: ServerSql
let client: ReturnType<typeof petitionClient>
let owner = ''
let editor = ''
let pia: Record<string, string>

const EDITOR = { email: 'eddie@example.org', name: 'Eddie Editor', password: 'a long editor password' }

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' } })
  db = openServerSql(server)
  client = petitionClient(server)
  owner = await client.login()
  // Exports and invalidation are a campaign manager's (ADR 011); emails stay the owners'.
  await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'free-andry', role: 'manager' }] })
  editor = await client.login(EDITOR.email, EDITOR.password)

  pia = client.person({ firstName: 'Pia', lastName: 'Pending' })
  // Three confirmed from Germany and Spain, one pending, one with a message, one from a domain to clean up.
  await client.signAndConfirm(client.person({ firstName: 'Ana', lastName: 'Ruiz', country: 'ES', message: '=HYPERLINK("http://evil")' }), owner)
  await client.signAndConfirm(client.person({ firstName: 'Jonas', lastName: 'Weber' }), owner)
  await client.signAndConfirm(client.person({ firstName: 'Lena', lastName: 'Vogel', message: 'Wir denken an dich, Andry.', showName: 'on' }), owner)
  await client.sign(pia)
  for (let i = 0; i < 3; i++) await client.signAndConfirm(client.person({ firstName: 'Bot', lastName: `Number${i}`, email: `bot${i}@spam-farm.example` }), owner)
})

/** The signature of this campaign whose name has this whole word (names are sealed, ADR 017: a confirmed one is found by the word's hash). */
async function signatureNamed(word: string) {
  const [hash] = nameWordHashesOf(word)
  return (await db.get<{ id: number }>(`SELECT signature_id AS id FROM signature_name_words WHERE campaign_id = 1 AND word_hash = ?`, hash))!
}

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const page = (path: string, cookie = owner) => fetch(`${server.url}${path}`, { headers: { Cookie: cookie } }).then(async (r) => ({ status: r.status, html: await r.text() }))
const post = (path: string, form: Record<string, string | string[]>, cookie = owner) => {
  const body = new URLSearchParams()
  for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) body.append(key, v)
  return fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: server.url }, body }).then(async (r) => ({
    status: r.status,
    html: await r.text(),
  }))
}

describe('the signatures table', () => {
  it('finds signatures by name or (owners) whole email address and filters by status and country', async () => {
    const byName = await page('/admin/campaigns/1/signatures?q=vogel')
    expect(byName.html).toContain('Lena')
    expect(byName.html).not.toContain('Jonas')
    // A whole address, in any case; never a part of one (ADR 011).
    expect((await page('/admin/campaigns/1/signatures?q=BOT1@Spam-Farm.example')).html.match(/>Bot</g)).toHaveLength(1)
    expect((await page('/admin/campaigns/1/signatures?q=spam-farm')).html).not.toMatch(/>Bot</)
    // A NUL in the search (Postgres refuses one in any text) finds what the rest of it finds, never a 500.
    const withNul = await page('/admin/campaigns/1/signatures?q=vog%00el')
    expect(withNul.status).toBe(200)
    expect(withNul.html).toContain('Lena')
    const pending = await page('/admin/campaigns/1/signatures?status=pending')
    expect(pending.html).toContain('Pia')
    expect(pending.html).not.toContain('Lena')
    const spain = await page('/admin/campaigns/1/signatures?country=ES')
    expect(spain.html).toContain('Ana')
    expect(spain.html).not.toContain('Jonas')
  })

  it('pages by the last id seen, not by offset', async () => {
    const first = await page('/admin/campaigns/1/signatures')
    expect(first.html).not.toContain('before=')
    // With more rows than a page, the "older" link carries a keyset cursor.
    await execute(
      db.db.insert(signatures).values(
        Array.from({ length: 60 }, () => ({
          campaignId: 1,
          status: 'invalidated' as const,
          ...sealSignature({ firstName: 'Filler', lastName: 'Row', postalCode: null, message: null }),
          country: 'FR',
          locale: 'en' as const,
        })),
      ),
    )
    const full = await page('/admin/campaigns/1/signatures')
    const before = /before=(\d+)/.exec(full.html)?.[1]
    expect(Number(before)).toBeGreaterThan(0)
    const next = await page(`/admin/campaigns/1/signatures?before=${before}`)
    expect(next.status).toBe(200)
    expect(next.html).toContain('Lena')
  })

  it('shows email addresses to owners only', async () => {
    expect((await page('/admin/campaigns/1/signatures?q=vogel')).html).toMatch(/maria\.\d+@example\.org/)
    expect((await page('/admin/campaigns/1/signatures?q=vogel', editor)).html).not.toMatch(/maria\.\d+@example\.org/)
  })

  it('draws signatures per day and the share of signers who confirmed', async () => {
    const { html } = await page('/admin/campaigns/1/signatures')
    expect(html).toContain('class="chart__confirmed"')
    expect(html).toMatch(/\d+ %/)
  })
})

describe('invalidating signatures', () => {
  it('previews how many an email-domain filter matches, then invalidates them with a reason, moving the counters', async () => {
    const before = await client.counters()
    const preview = await post('/admin/campaigns/1/signatures', { intent: 'preview', emailDomain: 'spam-farm.example', reason: 'bot farm' })
    expect(preview.status).toBe(200)
    expect(preview.html).toContain('3 signatures match')
    expect(await client.counters()).toEqual(before)

    const done = await post('/admin/campaigns/1/signatures', { intent: 'invalidate', emailDomain: 'spam-farm.example', reason: 'bot farm' })
    expect(done.html).toContain('3 signatures invalidated')
    expect(await client.counters()).toEqual({ confirmed: before.confirmed - 3, pending: before.pending })
    const audit = (await db.get(`SELECT details FROM audit_log WHERE action = 'signatures.invalidate' ORDER BY id DESC LIMIT 1`)) as { details: string }
    expect(JSON.parse(audit.details)).toMatchObject({ reason: 'bot farm', invalidated: 3 })
    const count = (await (await fetch(`${server.url}/c/free-andry/count.json`)).json()) as { confirmed: number }
    expect(count.confirmed).toBe(before.confirmed - 3)
    // The counters still agree with the rows.
    expect((await runScript('scripts/recount.ts', [], databaseEnv(server))).stdout).toContain('all counters match')
  })

  it('invalidates single ticked rows', async () => {
    // Pending, so not by name: by her address's hash.
    const { where, params } = byAddress(pia.email!, 'p.email_hash')
    const pending = (await db.get<{ id: number }>(`SELECT s.id FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE s.campaign_id = 1 AND ${where}`, ...params))!
    const before = await client.counters()
    await post('/admin/campaigns/1/signatures', { intent: 'invalidate', ids: [String(pending.id)], reason: 'asked to be removed' })
    expect(await client.counters()).toEqual({ confirmed: before.confirmed, pending: before.pending - 1 })
  })

  it('refuses to invalidate without a narrowing filter or a reason, with messages', async () => {
    const before = await client.counters()
    const refused = await post('/admin/campaigns/1/signatures', { intent: 'invalidate', reason: 'everything' })
    expect(refused.status).toBe(400)
    expect(refused.html).toContain('Choose signatures first')
    const noReason = await post('/admin/campaigns/1/signatures', { intent: 'invalidate', emailDomain: 'example.org', reason: '' })
    expect(noReason.status).toBe(400)
    expect(await client.counters()).toEqual(before)
  })
})

describe('messages of support', () => {
  it('waits for review, then shows approved messages and the team’s replies on the campaign page', async () => {
    const queue = await page('/admin/campaigns/1/messages')
    expect(queue.html).toContain('Wir denken an dich, Andry.')
    const before = await (await fetch(`${server.url}/c/free-andry?fresh`)).text()
    expect(before).not.toContain('Wir denken an dich')

    const lena = await signatureNamed('Lena')
    const badReply = await post('/admin/campaigns/1/messages', { intent: 'reply', signatureId: String(lena.id), body: '' })
    expect(badReply.status).toBe(400)
    await post('/admin/campaigns/1/messages', { intent: 'reply', signatureId: String(lena.id), body: 'Danke, Lena! Wir geben es weiter.' })
    const after = await (await fetch(`${server.url}/c/free-andry?lng=de`)).text()
    expect(after).toContain('Wir denken an dich, Andry.')
    expect(after).toContain('Antwort von Demo Reporting Collective')
    expect(after).toContain('Danke, Lena! Wir geben es weiter.')
    expect(after).toContain('Lena V., Deutschland')
  })

  it('keeps rejected messages off the page', async () => {
    const ana = await signatureNamed('Ana')
    await post('/admin/campaigns/1/messages', { intent: 'approve', signatureId: String(ana.id) })
    expect(await (await fetch(`${server.url}/c/free-andry?x`)).text()).toContain('HYPERLINK')
    await post('/admin/campaigns/1/messages', { intent: 'reject', signatureId: String(ana.id) })
    expect(await (await fetch(`${server.url}/c/free-andry?y`)).text()).not.toContain('HYPERLINK')
  })
})

describe('exports', () => {
  it('streams confirmed signatures as CSV, with emails for owners only and formulas defused', async () => {
    const response = await fetch(`${server.url}/admin/campaigns/1/export.csv`, { headers: { Cookie: owner } })
    expect(response.headers.get('content-type')).toContain('text/csv')
    expect(response.headers.get('content-disposition')).toContain('attachment')
    const csv = (await response.text()).replace(/^\uFEFF/, '')
    const lines = csv.trim().split('\r\n')
    expect(lines[0]).toBe('first_name,last_name,email,country,postal_code,confirmed_at,message')
    expect(lines.some((l) => l.startsWith('Lena,Vogel,maria.'))).toBe(true)
    expect(csv).not.toContain('Pia')
    expect(csv).not.toContain('Bot,')
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`)

    const forEditor = await (await fetch(`${server.url}/admin/campaigns/1/export.csv`, { headers: { Cookie: editor } })).text()
    // (fetch's decoder drops the byte-order mark.)
    expect(forEditor.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe('first_name,last_name,country,postal_code,confirmed_at,message')
    expect(forEditor).not.toMatch(/@example\.org/)
  })

  it('exports counts by country', async () => {
    const csv = await (await fetch(`${server.url}/admin/campaigns/1/export.csv?kind=countries`, { headers: { Cookie: owner } })).text()
    expect(csv).toContain('DE,Germany,')
    expect(csv).toContain('ES,Spain,1')
  })

  it('records who exported what in the audit log', async () => {
    const rows = await db.all<{ details: string }>(`SELECT details FROM audit_log WHERE action = 'signatures.export'`)
    expect(rows.map((r) => JSON.parse(r.details))).toEqual(
      expect.arrayContaining([{ kind: 'signatures', withEmails: true }, { kind: 'signatures', withEmails: false }]),
    )
  })
})
