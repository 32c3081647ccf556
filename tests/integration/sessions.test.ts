/**
 * Sessions an organiser can see and end, new-device emails, and an owner's actions on another
 * organiser's sign-ins (issue 18, ADR 019 §12, §13, §15), against the production build over
 * real HTTP on either engine. The second factors an owner resets are rows inserted here by SQL:
 * the flows that make them (authenticator app, passkeys) are tried in their own suites.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminRouteUrls } from '../helpers/admin-routes.ts'
import { textOf } from '../helpers/html.ts'
import { outboxRows } from '../helpers/mail-worker.ts'
import { createOrganiser, setSecondFactorPolicy } from '../helpers/organisers.ts'
import { ROOT, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const OWNER = { email: 'oona.owner@sessions.example', name: 'Oona Owner', password: 'an owner passphrase of some length', role: 'owner' as const }
const EDITOR = { email: 'eddi.editor@sessions.example', name: 'Eddi Editor', password: 'an editor passphrase of some length' }
const NINA = { email: 'nina.new@sessions.example', name: 'Nina Neu', password: 'a passphrase for the new device tests' }
const RITA = { email: 'rita.reset@sessions.example', name: 'Rita Reset', password: 'a passphrase for the reset tests ok' }
const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const SAFARI_IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
// The client address the sign-ins come from (TRUST_PROXY=1): it must not show up anywhere.
const CLIENT_IP = '203.0.113.77'

let server: RunningServer
let db: ServerSql
let build: ServerBuild

type SignIn = { session: string; device: string | null; location: string | null; setCookie: string }

function cookiePair(setCookie: string, name: string) {
  return new RegExp(`(?:^|,\\s*)(${name}=[^;]*)`).exec(setCookie)?.[1] ?? null
}

async function signIn(person: { email: string; password: string }, { ua = FIREFOX_LINUX, device, lang }: { ua?: string; device?: string | null; lang?: string } = {}): Promise<SignIn> {
  const headers: Record<string, string> = { Origin: server.url, 'User-Agent': ua, 'X-Forwarded-For': CLIENT_IP }
  if (device) headers.Cookie = device
  if (lang) headers['Accept-Language'] = lang
  const response = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ email: person.email, password: person.password }) })
  expect(response.status).toBe(302)
  const setCookie = response.headers.get('set-cookie') ?? ''
  const session = cookiePair(setCookie, 'vigil_session')
  if (!session) throw new Error(`no session cookie: ${setCookie}`)
  return { session, device: cookiePair(setCookie, 'vigil_device'), location: response.headers.get('location'), setCookie }
}

function get(pathname: string, cookie: string, headers: Record<string, string> = {}) {
  return fetch(server.url + pathname, { redirect: 'manual', headers: { Cookie: cookie, ...headers } })
}

function post(pathname: string, fields: Record<string, string>, cookie: string) {
  return fetch(server.url + pathname, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: cookie }, body: new URLSearchParams(fields) })
}

async function idOf(email: string) {
  return (await db.get<{ id: number }>('select id from organizers where email = ?', email))!.id
}

async function sessionRows(email: string) {
  return db.all<{ id_hash: string; device: string; level: string }>(
    'select id_hash, device, level from sessions where organizer_id = (select id from organizers where email = ?) order by created_at, id_hash',
    email,
  )
}

/** The id_hash of the session a cookie names: the newest row of that organiser right after its sign-in. */
async function newestIdHash(email: string) {
  return (await db.get<{ id_hash: string }>(
    'select id_hash from sessions where organizer_id = (select id from organizers where email = ?) order by created_at desc, id_hash limit 1',
    email,
  ))!.id_hash
}

function expectLogin(response: Response, label: string) {
  expect(response.status, label).toBe(302)
  expect(new URL(response.headers.get('location') ?? '', server.url).pathname, label).toBe('/admin/login')
}

async function auditOf(action: string, subjectEmail: string) {
  const rows = await db.all<{ organizer_id: number | null; details: string | Record<string, unknown> | null }>(
    `select organizer_id, details from audit_log where action = ? and subject_id = (select cast(id as text) from organizers where email = ?) order by id`,
    action,
    subjectEmail,
  )
  return rows.map((r) => ({ actor: r.organizer_id, details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details }))
}

beforeAll(async () => {
  server = await startServer({ env: { TRUST_PROXY: '1' } })
  db = openServerSql(server)
  build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
  for (const person of [OWNER, EDITOR, NINA, RITA]) expect((await createOrganiser(server, person)).status).toBe(302)
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the sessions page', () => {
  it("lists the organiser's own sessions with device and coarse times, and never an IP address", async () => {
    const firefox = await signIn(EDITOR, { ua: FIREFOX_LINUX })
    await signIn(EDITOR, { ua: SAFARI_IOS })
    await signIn(OWNER, { ua: CHROME_WINDOWS })
    const response = await get('/admin/sessions', firefox.session)
    expect(response.status).toBe(200)
    const html = await response.text()
    const text = textOf(html)
    expect(text).toContain('Firefox on Linux (This device)')
    expect(text).toContain('Safari on iOS')
    // Another organiser's session is not theirs to see.
    expect(text).not.toContain('Chrome on Windows')
    expect(text.match(/This device/g)).toHaveLength(1)
    expect(text).toMatch(/about /)
    // The page names the server by its address (PUBLIC_URL); apart from that, no address at all.
    const withoutPublicUrl = html.replaceAll(server.url, '')
    for (const address of [CLIENT_IP, '127.0.0.1', '::1']) expect(withoutPublicUrl).not.toContain(address)
    // Nor is one stored: the rows hold the summary, never the header or the address.
    const stored = JSON.stringify(await db.all('select * from sessions'))
    expect(stored).not.toContain(CLIENT_IP)
    expect(stored).not.toContain('Gecko')
    expect((await sessionRows(EDITOR.email)).map((r) => r.device).sort()).toEqual(['Firefox on Linux', 'Safari on iOS'])

    const german = textOf(await (await get('/admin/sessions?lng=de', firefox.session)).text())
    expect(german).toContain('Firefox unter Linux (Dieses Gerät)')
    expect(german).toContain('Alle anderen Sitzungen beenden')
  })

  it("ends one session: its cookie then fails on every admin page, .data request, resource route (CSV) and action, and nothing changes", async () => {
    const keep = await signIn(EDITOR)
    const ended = await signIn(EDITOR, { ua: SAFARI_IOS })
    const endedIdHash = await newestIdHash(EDITOR.email)
    expect((await get('/admin', ended.session)).status).toBe(200)

    const response = await post('/admin/sessions', { intent: 'end', idHash: endedIdHash }, keep.session)
    expect(response.status).toBe(200)
    expect(textOf(await response.text())).toContain('One session ended.')
    expect((await sessionRows(EDITOR.email)).map((r) => r.id_hash)).not.toContain(endedIdHash)
    expect((await auditOf('organizer.session_end', EDITOR.email)).at(-1)).toEqual({ actor: await idOf(EDITOR.email), details: { count: 1, others: true } })

    const urls = (await adminRouteUrls(server, build)).filter(
      (r) => !['routes/admin_.login', 'routes/admin_.logout', 'routes/admin_.set-password.$token', 'routes/admin_.two-factor', 'routes/admin_.two-factor-setup', 'routes/admin_.webauthn'].includes(r.id),
    )
    const tables = ['audit_log', 'sessions', 'organizers', 'campaigns', 'campaign_translations', 'updates', 'funds', 'email_messages', 'signatures']
    const counts = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, (await db.get<{ n: number }>(`select count(*) as n from ${t}`))!.n])))
    const before = await counts()
    let csv = 0
    for (const route of urls) {
      const label = `${route.id} ${route.url}`
      if (route.isPage) {
        const page = await get(route.url, ended.session)
        expectLogin(page, `GET ${label}`)
        const [pathname, search] = route.url.split('?')
        const dataUrl = `${pathname === '/' ? '/_root' : pathname}.data${search ? `?${search}` : ''}`
        const data = await get(dataUrl, ended.session)
        expect(data.status, `GET ${dataUrl}`).toBe(202)
        const body = await data.text()
        expect(body, dataUrl).toContain('/admin/login')
        expect(body, dataUrl).not.toContain(EDITOR.name)
      } else {
        if (route.url.endsWith('.csv')) csv++
        expectLogin(await get(route.url, ended.session), `GET ${label}`)
      }
      if (route.hasAction) expectLogin(await post(route.url, { intent: 'anything' }, ended.session), `POST ${label}`)
    }
    expect(csv).toBeGreaterThan(0)
    expect(await counts()).toEqual(before)
    // The session it was ended from goes on.
    expect((await get('/admin/sessions', keep.session)).status).toBe(200)
  })

  it("refuses to end another organiser's session, or one that has ended", async () => {
    const editor = await signIn(EDITOR)
    await signIn(OWNER)
    const ownersIdHash = await newestIdHash(OWNER.email)
    for (const idHash of [ownersIdHash, 'no-such-session', '0'.repeat(64)]) {
      const response = await post('/admin/sessions', { intent: 'end', idHash }, editor.session)
      expect(response.status).toBe(400)
      expect(textOf(await response.text())).toContain('That session has ended already.')
    }
    expect((await sessionRows(OWNER.email)).map((r) => r.id_hash)).toContain(ownersIdHash)
    expect((await post('/admin/sessions', { intent: 'nonsense' }, editor.session)).status).toBe(400)
  })

  it('ends all other sessions and keeps the current one; ending the current one signs out', async () => {
    const current = await signIn(EDITOR)
    const currentIdHash = await newestIdHash(EDITOR.email)
    const other = await signIn(EDITOR, { ua: SAFARI_IOS })
    const othersBefore = (await sessionRows(EDITOR.email)).length - 1
    expect(othersBefore).toBeGreaterThanOrEqual(2)

    const response = await post('/admin/sessions', { intent: 'end-others' }, current.session)
    expect(response.status).toBe(200)
    expect(textOf(await response.text())).toContain(`${othersBefore} sessions ended.`)
    expect((await sessionRows(EDITOR.email)).map((r) => r.id_hash)).toEqual([currentIdHash])
    expect((await auditOf('organizer.session_end', EDITOR.email)).at(-1)?.details).toEqual({ count: othersBefore, others: true })
    expectLogin(await get('/admin', other.session), 'the other session')
    const page = await get('/admin/sessions', current.session)
    expect(page.status).toBe(200)
    expect(textOf(await page.text())).toContain('You are not signed in anywhere else.')

    const out = await post('/admin/sessions', { intent: 'end', idHash: currentIdHash }, current.session)
    expectLogin(out, 'ending the current session')
    expect(out.headers.get('set-cookie')).toMatch(/^vigil_session=;/)
    expect(await sessionRows(EDITOR.email)).toEqual([])
    expect((await auditOf('organizer.session_end', EDITOR.email)).at(-1)?.details).toEqual({ count: 1, others: false })
  })
  it("in the demo, where every visitor signs in as the same organiser, shows this browser's session only and ends no other", async () => {
    const mine = await signIn(DEMO, { ua: FIREFOX_LINUX })
    const mineIdHash = await newestIdHash(DEMO.email)
    const theirs = await signIn(DEMO, { ua: SAFARI_IOS })
    const theirIdHash = await newestIdHash(DEMO.email)
    expect(theirIdHash).not.toBe(mineIdHash)

    const page = await get('/admin/sessions', mine.session)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(mineIdHash)
    expect(html).not.toContain(theirIdHash)
    expect(textOf(html)).not.toContain('Safari')
    expect(textOf(html)).toContain('Everyone trying the demo signs in with this account')
    expect(textOf(html)).not.toContain('End all other sessions')

    for (const fields of [{ intent: 'end-others' }, { intent: 'end', idHash: theirIdHash }] as Record<string, string>[]) {
      const refused = await post('/admin/sessions', fields, mine.session)
      expect(refused.status, fields.intent).toBe(403)
      expect(textOf(await refused.text())).toContain('In the demo you can end only your own session.')
    }
    const german = await fetch(`${server.url}/admin/sessions`, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: mine.session, 'Accept-Language': 'de' }, body: new URLSearchParams({ intent: 'end-others' }) })
    expect(german.status).toBe(403)
    expect(textOf(await german.text())).toContain('In der Demo können Sie nur Ihre eigene Sitzung beenden.')
    expect((await sessionRows(DEMO.email)).map((r) => r.id_hash)).toEqual(expect.arrayContaining([mineIdHash, theirIdHash]))
    expect((await get('/admin', theirs.session)).status).toBe(200)

    // Signing out here is still one's own to do.
    expectLogin(await post('/admin/sessions', { intent: 'end', idHash: mineIdHash }, mine.session), 'signing out of the demo')
    expect((await sessionRows(DEMO.email)).map((r) => r.id_hash)).toContain(theirIdHash)
    expect((await get('/admin', theirs.session)).status).toBe(200)
  })
})

describe("an owner's actions on another organiser", () => {
  it('ends every session of another organiser, audited; not their own, not the demo organiser’s, not as an editor', async () => {
    const owner = await signIn(OWNER)
    const a = await signIn(EDITOR)
    const b = await signIn(EDITOR, { ua: SAFARI_IOS })
    const editorId = await idOf(EDITOR.email)

    const response = await post('/admin/organizers', { intent: 'endSessions', organizerId: String(editorId) }, owner.session)
    expect(response.status).toBe(200)
    expect(textOf(await response.text())).toContain('Eddi Editor: 2 sessions ended.')
    expect(await sessionRows(EDITOR.email)).toEqual([])
    for (const cookie of [a.session, b.session]) expectLogin(await get('/admin', cookie), 'an ended session')
    expect((await auditOf('organizer.sessions_end', EDITOR.email)).at(-1)).toEqual({ actor: await idOf(OWNER.email), details: { count: 2 } })

    const refusals: [string, string][] = [
      [String(await idOf(OWNER.email)), 'For your own account, use the Security page.'],
      [String(await idOf(DEMO.email)), 'The demo organiser has no second factors'],
      ['999999', 'There is no such organiser.'],
    ]
    for (const intent of ['endSessions', 'resetFactors']) {
      for (const [organizerId, message] of refusals) {
        const refused = await post('/admin/organizers', { intent, organizerId, confirm: 'yes' }, owner.session)
        expect(refused.status, `${intent} ${organizerId}`).toBe(400)
        expect(textOf(await refused.text())).toContain(message)
      }
    }
    expect((await get('/admin', owner.session)).status).toBe(200)
    const editor = await signIn(EDITOR)
    expect((await post('/admin/organizers', { intent: 'endSessions', organizerId: String(await idOf(OWNER.email)) }, editor.session)).status).toBe(403)
    expect((await get('/admin', owner.session)).status).toBe(200)
  })

  it('offers the buttons for others only', async () => {
    const owner = await signIn(OWNER)
    const html = await (await get('/admin/organizers', owner.session)).text()
    const forms = html.match(/<form[^>]*aria-label="Sign-in and second factors"[^>]*>[\s\S]*?<\/form>/g) ?? []
    const ids = forms.map((f) => Number(/name="organizerId" value="(\d+)"/.exec(f)?.[1]))
    expect(ids.sort()).toEqual([await idOf(EDITOR.email), await idOf(NINA.email), await idOf(RITA.email)].sort())
  })

  it('resets second factors after a confirmation step that works without JavaScript: the next sign-in sets one up again', async () => {
    const ritaId = await idOf(RITA.email)
    // A confirmed authenticator app, two passkeys and three recovery codes (one used), as P1 and P2 would write them.
    await db.run(`insert into organizer_totp (organizer_id, sealed, data_key_id, confirmed_at, last_time_step) values (?, 'sealed-secret-stand-in', 'k1', 1, 1)`, ritaId)
    await db.run(
      `insert into organizer_passkeys (organizer_id, credential_id, public_key, counter, name) values (?, 'cred-rita-1', 'pk1', 0, 'Laptop'), (?, 'cred-rita-2', 'pk2', 3, 'Phone')`,
      ritaId,
      ritaId,
    )
    await db.run(
      `insert into organizer_recovery_codes (organizer_id, code_hash, used_at) values (?, 'rita-code-1', null), (?, 'rita-code-2', null), (?, 'rita-code-3', 5)`,
      ritaId,
      ritaId,
      ritaId,
    )
    // Signed in before the policy changes: a policy counts from the next sign-in.
    const owner = await signIn(OWNER)
    await setSecondFactorPolicy(server, 'everyone')
    try {
      // With a factor, her sign-in owes it.
      const before = await signIn(RITA)
      expect(new URL(before.location!, server.url).pathname).toBe('/admin/two-factor')

      const asked = await post('/admin/organizers', { intent: 'resetFactors', organizerId: String(ritaId) }, owner.session)
      expect(asked.status).toBe(200)
      const askedHtml = await asked.text()
      expect(textOf(askedHtml)).toContain('Reset the second factors of Rita Reset?')
      expect(askedHtml).toMatch(/<input type="hidden" name="confirm" value="yes"\/?>/)
      expect(askedHtml).toContain(`name="organizerId" value="${ritaId}"`)
      // Asking changed nothing.
      expect(await db.get<{ n: number }>('select count(*) as n from organizer_passkeys where organizer_id = ?', ritaId)).toEqual({ n: 2 })
      expect(await auditOf('organizer.factors_reset', RITA.email)).toEqual([])

      const done = await post('/admin/organizers', { intent: 'resetFactors', organizerId: String(ritaId), confirm: 'yes' }, owner.session)
      expect(done.status).toBe(200)
      expect(textOf(await done.text())).toContain('The second factors of Rita Reset were removed and their sessions ended.')
      for (const table of ['organizer_totp', 'organizer_passkeys', 'organizer_recovery_codes', 'sessions']) {
        expect(await db.get<{ n: number }>(`select count(*) as n from ${table} where organizer_id = ?`, ritaId), table).toEqual({ n: 0 })
      }
      expectLogin(await get('/admin', before.session), 'her session before the reset')
      expect(await auditOf('organizer.factors_reset', RITA.email)).toEqual([
        { actor: await idOf(OWNER.email), details: { by: 'owner', totp: true, passkeys: 2, recoveryCodes: 2, sessions: 1 } },
      ])
      const audit = JSON.stringify(await db.all(`select * from audit_log where action = 'organizer.factors_reset'`))
      for (const secret of ['sealed-secret-stand-in', 'cred-rita', 'rita-code', RITA.email]) expect(audit).not.toContain(secret)

      const after = await signIn(RITA)
      expect(new URL(after.location!, server.url).pathname).toBe('/admin/two-factor-setup')
    } finally {
      await setSecondFactorPolicy(server, 'none')
    }
  })
})

describe('new-device emails', () => {
  const newDeviceRows = async () => (await outboxRows(db, `m.template = 'organizer-new-device'`)).filter((m) => m.to === NINA.email)

  it("are not sent for an organiser's first device, nor for a device seen before", async () => {
    const first = await signIn(NINA)
    expect(first.device).toMatch(/^vigil_device=/)
    // Long-lived, only under /admin, out of reach of scripts.
    expect(first.setCookie).toMatch(/vigil_device=[^;]+; Max-Age=34560000; Path=\/admin; HttpOnly; SameSite=Lax/)
    expect(await newDeviceRows()).toEqual([])
    await signIn(NINA, { device: first.device })
    await signIn(NINA, { device: first.device, ua: SAFARI_IOS })
    expect(await newDeviceRows()).toEqual([])
    expect(await db.get<{ n: number }>('select count(*) as n from organizer_devices where organizer_id = ?', await idOf(NINA.email))).toEqual({ n: 1 })
  })

  it("are queued once for a new device, in the language of the sign-in, without any IP address", async () => {
    const german = await signIn(NINA, { lang: 'de-DE,de;q=0.9' })
    let rows = await newDeviceRows()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ locale: 'de', template: 'organizer-new-device' })
    expect(rows[0]!.props).toMatchObject({ name: NINA.name, device: 'Firefox on Linux' })
    // The same browser again: nothing more.
    await signIn(NINA, { device: german.device, lang: 'de' })
    expect(await newDeviceRows()).toHaveLength(1)

    // Its text, as the outbox shows it to an owner (demo mode): German, the device, the sessions page, no address.
    const demo = await signIn(DEMO)
    const email = await get(`/admin/outbox/${rows[0]!.id}/html`, demo.session)
    expect(email.status).toBe(200)
    const html = await email.text()
    const text = textOf(html)
    expect(text).toContain('Firefox unter Linux')
    expect(text).toContain('Hallo Nina Neu')
    expect(text).toContain('Wenn Sie das nicht waren, ändern Sie sofort Ihr Passwort')
    expect(textOf(await (await get(`/admin/outbox/${rows[0]!.id}`, demo.session)).text())).toContain('Neue Anmeldung bei Ihrem Vigil-Konto')
    expect(html).toContain(`${server.url}/admin/sessions`)
    for (const address of [CLIENT_IP, '127.0.0.1']) expect(html.replaceAll(server.url, '')).not.toContain(address)
    const stored = JSON.stringify(await db.all(`select * from email_messages where template = 'organizer-new-device'`))
    expect(stored).not.toContain(CLIENT_IP)

    // Another new browser within ten minutes of that email: audited, but no second email (a thief
    // signing in again and again cannot bury the first alert).
    await signIn(NINA, { ua: SAFARI_IOS })
    expect(await newDeviceRows()).toHaveLength(1)
    expect((await auditOf('organizer.new_device', NINA.email)).map((a) => a.details)).toEqual([{ device: 'Firefox on Linux' }, { device: 'Safari on iOS' }])
    await db.run(`update email_messages set created_at = created_at - 11 * 60000 where template = 'organizer-new-device'`)

    // Two sign-ins at once with one browser new to her (its cookie made by another organiser's sign-in): one email.
    const elsewhere = await signIn(EDITOR, { ua: CHROME_WINDOWS })
    await Promise.all([signIn(NINA, { device: elsewhere.device, ua: CHROME_WINDOWS }), signIn(NINA, { device: elsewhere.device, ua: CHROME_WINDOWS })])
    rows = await newDeviceRows()
    expect(rows).toHaveLength(2)
    expect(rows[1]).toMatchObject({ locale: 'en', props: expect.objectContaining({ device: 'Chrome on Windows' }) })
    const audit = await auditOf('organizer.new_device', NINA.email)
    expect(audit.map((a) => a.details)).toEqual([{ device: 'Firefox on Linux' }, { device: 'Safari on iOS' }, { device: 'Chrome on Windows' }])
  })

  it('are never sent for the demo organiser, whose password is published', async () => {
    const demo = await signIn(DEMO)
    expect(demo.device).toBeNull()
    expect(await db.get<{ n: number }>('select count(*) as n from organizer_devices where organizer_id = ?', await idOf(DEMO.email))).toEqual({ n: 0 })
  })
})

describe('the privacy policy draft', () => {
  it('lists the organisers’ device and passkey cookies in every language', async () => {
    const expected: Record<string, RegExp[]> = {
      en: [/vigil_device: only for the team's organisers.*kept for 400 days after their last login/, /vigil_webauthn: only for the team's organisers.*valid for 5 minutes/],
      de: [/vigil_device: nur für Organisatorinnen und Organisatoren.*gespeichert für 400 Tage/, /vigil_webauthn: .*5 Minuten gültig/],
      es: [/vigil_device: solo para las personas del equipo.*dura 400 días/, /vigil_webauthn: .*vale 5 minutos/],
    }
    for (const [lang, patterns] of Object.entries(expected)) {
      const response = await fetch(`${server.url}/privacy?lng=${lang}`)
      expect(response.status).toBe(200)
      const text = textOf(await response.text())
      for (const pattern of patterns) expect(text, lang).toMatch(pattern)
    }
  })
})
