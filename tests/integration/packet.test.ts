import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeEntities, htmlLang, textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { getCountLogHead } from '~/models/count-log.server.ts'
import { emailHash } from '~/models/personal-data.server.ts'
import { listPublicTargets } from '~/models/targets.server.ts'
import { loadPacket, renderPacketHtml } from '~/workflows/packet.server.ts'
import { countryName } from '~/utils/countries.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDate, formatNumber, type Language } from '~/utils/i18n.ts'

// The delivery packet (issue 17), over real HTTP against the production build: per language, what
// it carries (petition, targets, count, dates, verification code, countries and map, the chosen
// approved messages, the named signers) and what it never carries (an email address, a postal
// code, a name on a campaign whose supporters may be at risk); the targets' token link; who may.

const CAMPAIGN = 'free-andry'
// Names, addresses and a postal code nobody else uses, so finding one anywhere is a leak.
const SHOWN = { firstName: 'Quillon', lastName: 'Marchetti', email: 'Quillon.Marchetti@packet.example', country: 'DE', showName: 'on', postalCode: 'QZX 4417', message: 'Hold on, Andry: we stand with you.' }
const HIDDEN = { firstName: 'Zephyrine', lastName: 'Oakhurst', email: 'zephyrine.oakhurst@packet.example', country: 'ES', message: 'A message from someone who asked not to be named.' }
const REJECTED = { firstName: 'Barnaby', lastName: 'Thistlewood', email: 'barnaby.thistlewood@packet.example', country: 'FR', showName: 'on', message: 'This message was rejected after it was chosen.' }
const PLAIN = { firstName: 'Ignatia', lastName: 'Pemberton', email: 'ignatia.pemberton@packet.example', country: 'US', showName: 'on' }
const PENDING = { firstName: 'Ulrich', lastName: 'Fennimore', email: 'ulrich.fennimore@packet.example', country: 'IT', showName: 'on', message: 'Never confirmed.' }
const SIGNERS = [SHOWN, HIDDEN, REJECTED, PLAIN, PENDING]
const VIEWER = { email: 'vik.viewer@packet.example', name: 'Vik Viewer', password: 'a viewer passphrase of some length' }
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

let server: RunningServer
let db: ServerSql
let petition: ReturnType<typeof petitionClient>
let owner: string
let viewer: string
let campaignId: number
const ids: Record<string, number> = {}
let targetLink = ''

type Answer = { status: number; headers: Headers; body: string }
/** Every body the tests read, checked at the end for any signer's address or postal code. */
const bodies: string[] = []

async function get(path: string, cookie?: string): Promise<Answer> {
  const response = await fetch(server.url + path, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} })
  // Decoded keeping a byte-order mark, which the CSV parts start with (Response.text() drops it).
  const answer = { status: response.status, headers: response.headers, body: new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer()) }
  bodies.push(answer.body)
  return answer
}

function post(path: string, body: URLSearchParams, cookie = owner) {
  return fetch(server.url + path, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: server.url }, body })
}

function tr(lang: Language, key: string, values: Record<string, unknown> = {}) {
  return getT(lang)(key, { ...values, interpolation: { escapeValue: false } }) as string
}

/** The packet's verification code as the count log defines it: the head hash's first 16 hex digits in fours. */
const codeOf = (hash: string) => hash.slice(0, 16).replace(/(.{4})(?!$)/g, '$1 ')

function noSignerData(text: string, label: string) {
  const lower = text.toLowerCase()
  for (const s of SIGNERS) expect(lower, `${label}: ${s.email}`).not.toContain(s.email.toLowerCase())
  expect(lower, label).not.toContain('@packet.example')
  expect(text, label).not.toContain(SHOWN.postalCode)
  for (const s of SIGNERS) expect(text, `${label}: ${s.lastName}`).not.toContain(s.lastName)
}

beforeAll(async () => {
  // The count log's hourly job stays off (VIGIL_COUNT_LOG), so the entry below is the only one.
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000', VIGIL_COUNT_LOG: 'off' } })
  db = openServerSql(server)
  petition = petitionClient(server, db)
  owner = await petition.login()
  campaignId = (await db.get<{ id: number }>('select id from campaigns where slug = ?', CAMPAIGN))!.id
  for (const s of [SHOWN, HIDDEN, REJECTED, PLAIN]) await petition.signAndConfirm(s, owner)
  expect((await petition.sign(PENDING)).status).toBe(303)
  for (const s of SIGNERS) {
    ids[s.firstName] = (await db.get<{ id: number }>('select signatures.id from signatures join supporters on supporters.id = supporter_id where campaign_id = ? and supporters.email_hash = ?', campaignId, emailHash(s.email)))!.id
  }
  for (const s of [SHOWN, HIDDEN, REJECTED]) {
    expect((await post(`/admin/campaigns/${campaignId}/messages`, new URLSearchParams({ intent: 'approve', signatureId: String(ids[s.firstName]) }))).status).toBe(200)
  }
  // A target in three languages and a count-log entry, written as their parts would.
  const target = await db.get<{ id: number }>(`insert into campaign_targets (campaign_id, email, locale, position) values (?, ?, 'en', 0) returning id`, campaignId, 'office@dhs.example')
  for (const [locale, name] of [['en', 'Office of the Secretary'], ['de', 'Büro des Ministers'], ['es', 'Oficina del Secretario']]) {
    await db.run(`insert into campaign_target_translations (target_id, locale, name, role, note) values (?, ?, ?, '', '')`, target!.id, locale, name)
  }
  const seq = (await db.get<{ next: number }>('select coalesce(max(seq) + 1, 0) as "next" from count_log_entries where campaign_id = ?', campaignId))!.next
  const confirmed = (await db.get<{ confirmed: number }>('select confirmed from campaign_counters where campaign_id = ?', campaignId))!.confirmed
  await db.run(
    `insert into count_log_entries (campaign_id, seq, at, confirmed, invalidated, reason, milestone, prev_hash, hash) values (?, ?, ?, ?, 0, 'hourly', null, ?, ?)`,
    campaignId, seq, Date.now(), confirmed, '0'.repeat(64), '3f9a12bc55de0a71'.repeat(4),
  )
  await createOrganiser(server, { ...VIEWER, campaignRoles: [{ slug: CAMPAIGN, role: 'viewer' }] })
  viewer = await petition.login(VIEWER.email, VIEWER.password)
}, 120_000)

afterAll(async () => {
  await petition?.close()
  await db?.close()
  await server?.stop()
})

describe('choosing messages', () => {
  it('keeps only approved messages of confirmed signers of this campaign, in the order chosen', async () => {
    const page = await get(`/admin/campaigns/${campaignId}/packet`, owner)
    expect(page.status).toBe(200)
    for (const s of [SHOWN, HIDDEN, REJECTED]) expect(decodeEntities(page.body)).toContain(s.message)
    // Not chosen yet, and nothing pending or without a message to choose.
    expect(page.body).not.toContain(PENDING.message)
    const choice = new URLSearchParams({ intent: 'select' })
    for (const id of [ids.Quillon, ids.Zephyrine, ids.Barnaby, ids.Ignatia, ids.Ulrich, 999_999]) choice.append('signatureId', String(id))
    const saved = await post(`/admin/campaigns/${campaignId}/packet`, choice)
    expect(saved.status).toBe(302)
    expect(await db.column('select signature_id from packet_messages where campaign_id = ? order by position', campaignId)).toEqual([ids.Quillon, ids.Zephyrine, ids.Barnaby])
    const audit = await db.get<{ details: string | Record<string, unknown> }>(`select details from audit_log where action = 'packet.select' order by id desc limit 1`)
    expect(typeof audit!.details === 'string' ? JSON.parse(audit!.details) : audit!.details).toMatchObject({ title: CAMPAIGN, count: 3 })
    // Then the team rejects one of them: it stays chosen but is never printed.
    expect((await post(`/admin/campaigns/${campaignId}/messages`, new URLSearchParams({ intent: 'reject', signatureId: String(ids.Barnaby) }))).status).toBe(200)
  })

  it('answers a choice it cannot read with a 400 in the organiser’s language', async () => {
    const bad = await fetch(`${server.url}/admin/campaigns/${campaignId}/packet`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: owner, Origin: server.url, 'Accept-Language': 'de' },
      body: new URLSearchParams({ intent: 'select', signatureId: 'not-a-number' }),
    })
    expect(bad.status).toBe(400)
    expect(decodeEntities(await bad.text())).toContain(tr('de', 'admin.packet.invalid'))
    expect(await db.column('select count(*) from packet_messages where campaign_id = ?', campaignId)).toEqual([3])
  })
})

describe('the packet', () => {
  for (const lang of ['en', 'de', 'es'] as const) {
    it(`carries the petition, its targets, count, dates, verification code, countries, chosen messages and named signers in ${lang}`, async () => {
      const answer = await get(`/admin/campaigns/${campaignId}/packet.html?locale=${lang}`, owner)
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(answer.headers.get('content-security-policy')).toBe(CSP)
      expect(answer.headers.get('cache-control')).toBe('private, no-store')
      expect(answer.headers.get('x-robots-tag')).toBe('noindex')
      expect(answer.headers.get('content-disposition')).toBeNull()
      const html = answer.body
      const text = textOf(html)
      expect(htmlLang(html)).toBe(lang)
      expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=/i)
      expect(html).toContain('@page')
      expect(html).toContain('size: A4')

      const texts = (await db.get<{ title: string; petition_text: string }>('select title, petition_text from campaign_translations where campaign_id = ? and locale = ?', campaignId, lang))!
      expect(text).toContain(texts.title)
      expect(text).toContain(texts.petition_text)
      expect(text).toContain(tr(lang, 'packet.from', { organization: (await db.get<{ name: string }>('select name from organizations'))!.name }))

      // Targets: the part's list when it gives one, else the campaign's "To:" line.
      const targets = await listPublicTargets(db.db, { campaignId, lang, defaultLocale: 'en' })
      if (targets.length) for (const target of targets) expect(text).toContain(target.name.value)
      else expect(html).toContain('<ul class="targets"><li><strong>U.S. Department of Homeland Security</strong></li></ul>')

      const confirmed = (await db.get<{ confirmed: number }>('select confirmed from campaign_counters where campaign_id = ?', campaignId))!.confirmed
      expect(confirmed).toBe(4)
      expect(text).toContain(`${formatNumber(confirmed, lang)} ${tr(lang, 'packet.confirmed', { count: confirmed })}`)
      const today = formatDate(new Date().toISOString().slice(0, 10), lang)
      expect(text).toContain(tr(lang, 'packet.collected', { from: today, to: today }))

      // The verification code is the count log's head, or, before its first entry, when it starts.
      const head = await getCountLogHead(db.db, { campaignId })
      if (head) {
        expect(text).toContain(codeOf(head.hash))
        expect(text).toContain(head.hash)
        expect(text).toContain(`npm run verify-count-log -- ${server.url}/c/${CAMPAIGN}/count-log.json --expect ${head.hash.slice(0, 16)}`)
      } else {
        expect(text).toContain(tr(lang, 'packet.verifyPending', { url: `${server.url}/c/${CAMPAIGN}/count-log.json` }))
      }

      expect(html).toMatch(/<div class="map"><svg[\s>]/)
      for (const code of ['DE', 'ES', 'FR', 'US']) expect(html).toContain(`<td>${countryName(code, lang)}</td>`)
      expect(html).not.toContain(`<td>${countryName('IT', lang)}</td>`)

      // The chosen messages that are still approved; a name only where its signer asked.
      expect(text).toContain(SHOWN.message)
      expect(text).toContain(tr(lang, 'packet.messageBy', { name: 'Quillon M.', country: countryName('DE', lang) }))
      expect(text).toContain(HIDDEN.message)
      expect(text).not.toContain(REJECTED.message)
      expect(text).not.toContain(PENDING.message)
      expect(text).not.toContain(HIDDEN.firstName)

      // Named signers: those who confirmed and asked, as "First L. (Country)".
      const names = /<ol class="names">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? ''
      expect([...names.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => decodeEntities(m[1]!))).toEqual([
        `Quillon M. (${countryName('DE', lang)})`,
        `Barnaby T. (${countryName('FR', lang)})`,
        `Ignatia P. (${countryName('US', lang)})`,
      ])
      noSignerData(html, `packet ${lang}`)
    })
  }

  it('prints a count-log head as its code, the full hash, the entry and how to check it', async () => {
    // Whatever the log holds now, the box shows the head it is given (this one written out here).
    const data = (await loadPacket(db.db, { campaignId, lang: 'de' }))!
    const hash = 'c0ffee00'.repeat(8)
    const text = textOf(renderPacketHtml({ ...data, head: { seq: 41, at: '2026-12-05T09:00:00.000Z', confirmed: 1234, invalidated: 5, reason: 'hourly', milestone: null, prev: '0'.repeat(64), hash } }))
    expect(text).toContain('c0ff ee00 c0ff ee00')
    expect(text).toContain(hash)
    expect(text).toContain(tr('de', 'packet.verifyEntry', { seq: 41, at: '2026-12-05T09:00:00.000Z', confirmed: formatNumber(1234, 'de'), invalidated: '5' }))
    expect(text).toContain(`count-log.json --expect c0ffee00c0ffee00`)
    expect(text).toContain('vigil-count-log/1\n<seq>')
    expect(text).not.toContain(tr('de', 'packet.verifyPending', { url: data.countLogUrl }))
  })

  it('downloads as a file named after the campaign, language and day, and records each export', async () => {
    const answer = await get(`/admin/campaigns/${campaignId}/packet.html?locale=de&download=1`, owner)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-disposition')).toBe(`attachment; filename="${CAMPAIGN}-packet-de-${new Date().toISOString().slice(0, 10)}.html"`)
    const audit = await db.get<{ details: string | Record<string, unknown> }>(`select details from audit_log where action = 'packet.export' order by id desc limit 1`)
    const details = typeof audit!.details === 'string' ? JSON.parse(audit!.details) : audit!.details
    expect(details).toEqual({ locale: 'de', kind: 'html', title: CAMPAIGN })
  })

  it('gives the CSV parts with a translated header row and no address', async () => {
    const countries = await get(`/admin/campaigns/${campaignId}/packet.csv?locale=es&part=countries`, owner)
    expect(countries.status).toBe(200)
    expect(countries.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(countries.body.startsWith('\uFEFF')).toBe(true)
    const rows = countries.body.slice(1).trim().split('\r\n')
    expect(rows[0]).toBe([tr('es', 'packet.csv.countryCode'), tr('es', 'packet.csv.country'), tr('es', 'packet.csv.confirmed')].join(','))
    expect(rows.slice(1).sort()).toEqual(['DE', 'ES', 'FR', 'US'].map((c) => `${c},${countryName(c, 'es')},1`).sort())

    const signers = await get(`/admin/campaigns/${campaignId}/packet.csv?locale=en&part=signers`, owner)
    expect(signers.status).toBe(200)
    const today = new Date().toISOString().slice(0, 10)
    expect(signers.body.slice(1).trim().split('\r\n')).toEqual([
      'Name,Country code,Country,Confirmed on',
      `Quillon M.,DE,Germany,${today}`,
      `Barnaby T.,FR,France,${today}`,
      `Ignatia P.,US,United States,${today}`,
    ])

    const messages = await get(`/admin/campaigns/${campaignId}/packet.csv?locale=en&part=messages`, owner)
    expect(messages.status).toBe(200)
    expect(messages.body.slice(1).trim().split('\r\n')).toEqual(['Name,Country,Message', `Quillon M.,Germany,"${SHOWN.message}"`, `,Spain,${HIDDEN.message}`])
    for (const answer of [countries, signers, messages]) noSignerData(answer.body, 'csv')

    const unknown = await fetch(`${server.url}/admin/campaigns/${campaignId}/packet.csv?part=emails`, { headers: { Cookie: owner, 'Accept-Language': 'de' } })
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toBe(tr('de', 'packet.csvPartUnknown'))
  })
})

describe('the targets’ link', () => {
  it('opens the same packet by its token, in the language asked, and records nothing', async () => {
    const page = await get(`/admin/campaigns/${campaignId}/packet`, owner)
    targetLink = decodeEntities(/<code>(http[^<]*\/packet\/[^<]+)<\/code>/.exec(page.body)?.[1] ?? '')
    expect(targetLink).toMatch(new RegExp(`^${server.url}/c/${CAMPAIGN}/packet/[^/?]+$`))
    const exports = await db.column('select count(*) from audit_log')
    const answer = await get(`${targetLink.slice(server.url.length)}?lng=es`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-security-policy')).toBe(CSP)
    expect(answer.headers.get('cache-control')).toBe('private, no-store')
    expect(answer.headers.get('x-robots-tag')).toBe('noindex')
    expect(htmlLang(answer.body)).toBe('es')
    expect(textOf(answer.body)).toContain(SHOWN.message)
    expect(textOf(answer.body)).toContain('Quillon M.')
    expect(await db.column('select count(*) from audit_log')).toEqual(exports)
    noSignerData(answer.body, 'token link')
  })

  it('answers a wrong token, another slug or a draft with 404', async () => {
    const token = targetLink.split('/').pop()!
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
    for (const path of [`/c/${CAMPAIGN}/packet/${wrong}`, `/c/${CAMPAIGN}/packet/no-such-thing`, `/c/another-case/packet/${token}`]) {
      const answer = await get(path)
      expect(answer.status, path).toBe(404)
      expect(answer.body, path).not.toContain(SHOWN.message)
    }
    await db.run(`update campaigns set status = 'draft' where id = ?`, campaignId)
    try {
      expect((await get(`/c/${CAMPAIGN}/packet/${token}`)).status).toBe(404)
    } finally {
      await db.run(`update campaigns set status = 'live' where id = ?`, campaignId)
    }
    expect((await get(`/c/${CAMPAIGN}/packet/${token}`)).status).toBe(200)
  })
})

describe('who may', () => {
  it('refuses viewers the page, the document, the CSV and the choice', async () => {
    for (const path of ['packet', 'packet.html?locale=en', 'packet.csv?part=countries']) {
      expect((await get(`/admin/campaigns/${campaignId}/${path}`, viewer)).status, path).toBe(403)
    }
    expect((await post(`/admin/campaigns/${campaignId}/packet`, new URLSearchParams({ intent: 'select' }), viewer)).status).toBe(403)
    expect(await db.column('select count(*) from packet_messages where campaign_id = ?', campaignId)).toEqual([3])
    // Anonymous visitors go to the login page.
    expect((await get(`/admin/campaigns/${campaignId}/packet.html`)).status).toBe(302)
  })
})

describe('at risk', () => {
  it('names nobody: no signers section, messages without names, no signers CSV', async () => {
    await db.run('update campaigns set at_risk = ? where id = ?', true, campaignId)
    try {
      for (const lang of ['en', 'de'] as const) {
        const answer = await get(`/admin/campaigns/${campaignId}/packet.html?locale=${lang}`, owner)
        expect(answer.status).toBe(200)
        const text = textOf(answer.body)
        expect(answer.body).not.toContain('<ol class="names">')
        expect(text).toContain(tr(lang, 'packet.namesWithheld'))
        expect(text).toContain(SHOWN.message)
        expect(text).toContain(HIDDEN.message)
        for (const name of ['Quillon', 'Barnaby', 'Ignatia', 'Zephyrine']) expect(text, name).not.toContain(name)
        noSignerData(answer.body, `at-risk packet ${lang}`)
      }
      const token = await get(targetLink.slice(server.url.length))
      expect(token.status).toBe(200)
      expect(textOf(token.body)).not.toContain('Quillon')

      const signers = await fetch(`${server.url}/admin/campaigns/${campaignId}/packet.csv?part=signers`, { headers: { Cookie: owner, 'Accept-Language': 'es' } })
      expect(signers.status).toBe(403)
      expect(await signers.text()).toBe(tr('es', 'packet.namesWithheld'))
      const messages = await get(`/admin/campaigns/${campaignId}/packet.csv?locale=en&part=messages`, owner)
      expect(messages.body.slice(1).trim().split('\r\n')).toEqual(['Name,Country,Message', `,Germany,"${SHOWN.message}"`, `,Spain,${HIDDEN.message}`])

      const page = await get(`/admin/campaigns/${campaignId}/packet`, owner)
      expect(page.body).toContain('part=messages')
      expect(page.body).not.toContain('part=signers')
    } finally {
      await db.run('update campaigns set at_risk = ? where id = ?', false, campaignId)
    }
  })
})

describe('privacy', () => {
  it('never showed a signer’s address or postal code in anything read above', () => {
    expect(bodies.length).toBeGreaterThan(15)
    for (const body of bodies) noSignerData(body, 'any answer')
  })
})
