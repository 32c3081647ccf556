/**
 * Authenticator apps and recovery codes (issue 18, ADR 019 §7-9), against the production build
 * over real HTTP, with no JavaScript (fetch and a cookie, as a browser without scripts would),
 * on either engine. Codes are computed by otplib itself from the key the page shows.
 *
 * An owner under the default policy is led to set-up: the QR code is a data: image, the key is
 * shown; a wrong code is refused in the visitor's language; the right one gives ten recovery
 * codes once and "Continue" ends in a full session under a new cookie. At the next sign-in a
 * code is asked for: one step of drift passes, two do not, a code passes once. Recovery codes
 * pass once each and are kept only as hashes; the secret is sealed. Guessing is slowed per
 * account and address, so an attacker elsewhere cannot lock the organiser out. The audit
 * trail and the server's log hold no code and no secret.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import { generate } from 'otplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onPostgres } from '../helpers/engine.ts'
import { createOrganiser, sessionPair } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const OWNER = { email: 'tamar.totp@totp.example', name: 'Tamar Totp', password: 'a long owner passphrase for totp', role: 'owner' as const }
const SETUP = '/admin/two-factor-setup'
const TWO_FACTOR = '/admin/two-factor'
const PERIOD_MS = 30_000

let server: RunningServer
let db: ServerSql
let secret = ''
let recoveryCodes: string[] = []
/** Every code typed into a form here: none may reach the audit trail, the log or the database in plain. */
const typed = new Set<string>()

type Headers = Record<string, string>

function get(pathname: string, cookie?: string, headers: Headers = {}) {
  return fetch(server.url + pathname, { redirect: 'manual', headers: { ...headers, ...(cookie ? { Cookie: cookie } : {}) } })
}

function post(pathname: string, fields: Record<string, string>, cookie?: string, headers: Headers = {}) {
  return fetch(server.url + pathname, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, ...headers, ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields),
  })
}

async function signIn(headers: Headers = {}, redirectTo?: string) {
  const response = await post('/admin/login', { email: OWNER.email, password: OWNER.password, ...(redirectTo ? { redirectTo } : {}) }, undefined, headers)
  expect(response.status).toBe(302)
  return { cookie: sessionPair(response), location: response.headers.get('location') ?? '' }
}

async function levels() {
  return (await db.all<{ level: string }>(
    'select sessions.level from sessions join organizers on organizers.id = sessions.organizer_id where organizers.email = ? order by sessions.created_at',
    OWNER.email,
  )).map((r) => r.level)
}

/** Codes are computed for a step; start well inside one, so a step does not end between the code and the check. */
async function freshStep() {
  const into = Date.now() % PERIOD_MS
  if (into > PERIOD_MS - 6_000) await new Promise((resolve) => setTimeout(resolve, PERIOD_MS - into + 200))
}

async function codeAt(steps: number) {
  const code = await generate({ secret, epoch: Math.floor((Date.now() + steps * PERIOD_MS) / 1000) })
  typed.add(code)
  return code
}

function textOf(html: string) {
  return html.replace(/<[^>]+>/g, ' ').replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ')
}

async function auditRows(action: string) {
  return db.all<{ details: string | null; organizer_id: number | null; subject_id: string | null }>(
    'select details, organizer_id, subject_id from audit_log where action = ? order by id',
    action,
  )
}

beforeAll(async () => {
  server = await startServer({ env: { TRUST_PROXY: '1' } })
  db = openServerSql(server)
  // The policy left as a new instance has it: 'owners'.
  expect((await createOrganiser(server, { ...OWNER, secondFactorPolicy: null })).status).toBe(302)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('setting up an authenticator app when the policy requires it, without JavaScript', () => {
  let setupCookie = ''

  it('shows the QR code as a data: image and the key, and refuses a wrong code in the visitor’s language', async () => {
    const { cookie, location } = await signIn({}, '/admin/organizers')
    setupCookie = cookie
    expect(location).toBe(`${SETUP}?redirectTo=%2Fadmin%2Forganizers`)
    const page = await get(location, cookie)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toContain('no-store')
    const html = await page.text()
    expect(html).toContain('Set up an authenticator app')
    expect(html).not.toContain('data:image/svg+xml')

    const started = await post(location, { intent: 'totp-start' }, cookie)
    expect(started.status).toBe(200)
    const startedHtml = await started.text()
    const img = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"/.exec(startedHtml)
    expect(img, 'a QR code as a data: image').not.toBeNull()
    const svg = Buffer.from(img![1]!, 'base64').toString('utf8')
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 \d+ \d+"[^>]*>/)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg).toMatch(/<path [^>]*d="M[^"]+"/)
    expect(img![2]).toBe('QR code for your authenticator app')
    const key = /data-testid="totp-key">([A-Z2-7 ]+)</.exec(startedHtml)?.[1]
    expect(key, 'the key, for typing in by hand').toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/)
    secret = key!.replace(/ /g, '')

    // The same page again (a reload): the same set-up, not a new secret.
    expect(await (await get(location, cookie)).text()).toContain(key!)
    // Another session of the same organiser (the password used elsewhere) does not see it, on the page or in its data.
    const elsewhere = await signIn()
    for (const url of [SETUP, `${SETUP}.data`]) {
      const seen = await (await get(url, elsewhere.cookie)).text()
      expect(seen).not.toContain(secret)
      expect(seen).not.toContain('data:image/svg+xml')
    }
    await post('/admin/logout', {}, elsewhere.cookie)

    const wrong = await post(location, { intent: 'totp-confirm', code: '000000' }, `${cookie}; vigil_lang=de`)
    expect(wrong.status).toBe(400)
    expect(textOf(await wrong.text())).toContain('Dieser Code hat nicht funktioniert.')
    const garbage = await post(location, { intent: 'totp-confirm', code: 'twelve' }, `${cookie}; vigil_lang=es`)
    expect(garbage.status).toBe(400)
    expect(textOf(await garbage.text())).toContain('El código de tu app tiene 6 cifras.')
    expect(await levels()).toEqual(['setup'])
    expect(await db.get('select confirmed_at from organizer_totp')).toEqual({ confirmed_at: null })
  })

  it('confirms with the right code, shows ten recovery codes once, and "Continue" ends in a full session', async () => {
    // A second set-up session of the same organiser, open at the same time (the password stolen and used elsewhere).
    const parallel = await signIn()
    expect(parallel.location).toBe(SETUP)
    await freshStep()
    const confirmed = await post(`${SETUP}?redirectTo=%2Fadmin%2Forganizers`, { intent: 'totp-confirm', code: await codeAt(0) }, setupCookie)
    expect(confirmed.status).toBe(200)
    const html = await confirmed.text()
    recoveryCodes = [...html.matchAll(/<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})<\/code>/g)].map((m) => m[1]!)
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    expect(textOf(html)).toContain('They are shown only now.')
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)?.[1]
    expect(ticket).toBeTruthy()
    // Still a set-up session until "Continue": the rest of the admin is out of reach. The
    // parallel one owes the new factor now: it cannot set up one of its own.
    expect((await levels()).sort()).toEqual(['password', 'setup'])
    expect((await get('/admin', setupCookie)).headers.get('location')).toBe(SETUP)

    // Shown once: the page again has neither the codes nor the key.
    const again = await (await get(SETUP, setupCookie)).text()
    for (const code of recoveryCodes) expect(again).not.toContain(code)
    expect(again).not.toContain('data:image/svg+xml')

    // The parallel session cannot ride on this set-up, nor add a factor of its own (a passkey).
    const riding = await post(SETUP, { intent: 'continue', ticket: ticket!, redirectTo: '/admin' }, parallel.cookie)
    expect(riding.headers.get('location')).toBe(TWO_FACTOR)
    const passkey = await post('/admin/webauthn', { intent: 'register-options' }, parallel.cookie)
    expect(passkey.status).toBe(401)
    expect(await passkey.json()).toMatchObject({ location: expect.stringMatching(/^\/admin\/two-factor(\?|$)/) })
    await post('/admin/logout', {}, parallel.cookie)
    // Nor can a session signed in after it (it owes the new factor).
    const other = await signIn()
    expect(other.location).toBe(TWO_FACTOR)
    const stray = await post(SETUP, { intent: 'continue', ticket: ticket!, redirectTo: '/admin' }, other.cookie)
    expect(stray.headers.get('location')).toBe(TWO_FACTOR)
    const forged = await post(SETUP, { intent: 'continue', ticket: 'x'.repeat(43), redirectTo: '/admin' }, setupCookie)
    expect(forged.status).toBe(400)
    await post('/admin/logout', {}, other.cookie)

    const done = await post(SETUP, { intent: 'continue', ticket: ticket!, redirectTo: '/admin/organizers' }, setupCookie)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/admin/organizers')
    const full = sessionPair(done)
    expect(full).not.toBe(setupCookie)
    expect(await levels()).toEqual(['full'])
    // The cookie seen before the factor is worth nothing now.
    expect((await get('/admin', setupCookie)).headers.get('location')).toBe('/admin/login')
    expect((await get('/admin/organizers', full)).status).toBe(200)

    const security = await get('/admin/security', full)
    expect(security.status).toBe(200)
    const securityHtml = textOf(await security.text())
    expect(securityHtml).toContain('An authenticator app is set up.')
    expect(securityHtml).toContain('10 unused recovery codes left.')
    for (const code of recoveryCodes) expect(securityHtml).not.toContain(code)
    await post('/admin/logout', {}, full)
  })
})

describe('signing in with a code', () => {
  it('accepts a code one step ahead, refuses it replayed in another session, and refuses codes two steps away', async () => {
    await freshStep()
    const first = await signIn({}, '/admin/outbox')
    expect(first.location).toBe(`${TWO_FACTOR}?redirectTo=%2Fadmin%2Foutbox`)
    const page = await get(first.location, first.cookie)
    expect(page.status).toBe(200)
    expect(textOf(await page.text())).toContain('Code from your app')
    // The set-up used the current step: its code is spent.
    const current = await codeAt(0)
    const spent = await post(first.location, { intent: 'totp', code: current, redirectTo: '/admin/outbox' }, first.cookie)
    expect(spent.status).toBe(400)
    expect(textOf(await spent.text())).toContain('That code has just been used.')

    const ahead = await codeAt(1)
    const accepted = await post(first.location, { intent: 'totp', code: ahead.replace(/(\d{3})/, '$1 '), redirectTo: '/admin/outbox' }, first.cookie)
    expect(accepted.status).toBe(302)
    expect(accepted.headers.get('location')).toBe('/admin/outbox')
    const full = sessionPair(accepted)
    expect((await get('/admin/outbox', full)).status).toBe(200)
    expect((await get('/admin', first.cookie)).headers.get('location')).toMatch(/^\/admin\/login/)

    // The same code in a second session (someone who saw it over a shoulder): refused.
    const second = await signIn()
    const replayed = await post(TWO_FACTOR, { intent: 'totp', code: ahead }, `${second.cookie}; vigil_lang=es`)
    expect(replayed.status).toBe(400)
    expect(textOf(await replayed.text())).toContain('Ese código se acaba de usar.')
    for (const steps of [2, -2]) {
      const far = await post(TWO_FACTOR, { intent: 'totp', code: await codeAt(steps) }, second.cookie)
      expect(far.status, `a code ${steps} steps away`).toBe(400)
      expect(textOf(await far.text())).toContain('That code did not work.')
    }
    expect(await levels()).toEqual(['full', 'password'])
    await post('/admin/logout', {}, second.cookie)
    await post('/admin/logout', {}, full)
  })
})

describe('recovery codes', () => {
  it('lets each code in once, typed in any case with or without dashes', async () => {
    const first = await signIn()
    const used = await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[0]! }, first.cookie)
    expect(used.status).toBe(302)
    const full = sessionPair(used)
    expect((await get('/admin', full)).status).toBe(200)
    await post('/admin/logout', {}, full)

    const second = await signIn()
    const again = await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[0]! }, `${second.cookie}; vigil_lang=de`)
    expect(again.status).toBe(400)
    expect(textOf(await again.text())).toContain('Dieser Wiederherstellungscode hat nicht funktioniert.')
    const other = await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: ` ${recoveryCodes[1]!.replace(/-/g, '').toUpperCase()} ` }, second.cookie)
    expect(other.status).toBe(302)
    const security = textOf(await (await get('/admin/security', sessionPair(other))).text())
    expect(security).toContain('8 unused recovery codes left.')
    await post('/admin/logout', {}, sessionPair(other))
  })

  it('keeps only hashes of them, and the secret only sealed', async () => {
    const rows = await db.all<{ code_hash: string; used_at: number | null }>('select code_hash, used_at from organizer_recovery_codes')
    expect(rows).toHaveLength(10)
    expect(rows.filter((r) => r.used_at !== null)).toHaveLength(2)
    const totp = await db.get<{ sealed: string; data_key_id: string }>('select sealed, data_key_id from organizer_totp')
    expect(totp!.sealed).toMatch(/^v1\./)
    expect(totp!.data_key_id).toBe('test')

    const markers = [secret, ...recoveryCodes, ...recoveryCodes.map((c) => c.replace(/-/g, ''))]
    if (onPostgres) {
      const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', '--no-owner', server.databaseUrl!], { maxBuffer: 256 * 1024 * 1024 })
      expect(stdout).toContain('organizer_recovery_codes')
      for (const marker of markers) expect(stdout.includes(marker), `pg_dump holds "${marker}"`).toBe(false)
    } else {
      for (const file of [server.databasePath, `${server.databasePath}-wal`].filter((f) => fs.existsSync(f))) {
        const bytes = fs.readFileSync(file)
        for (const marker of markers) expect(bytes.includes(Buffer.from(marker)), `${file} holds "${marker}"`).toBe(false)
      }
    }
  })
})

describe('guessing', () => {
  it('slows one address after five wrong codes, while the organiser signs in from another', async () => {
    const attacker = { 'X-Forwarded-For': '203.0.113.66' }
    const organiser = { 'X-Forwarded-For': '198.51.100.7' }
    const stolen = await signIn(attacker)
    for (let i = 0; i < 5; i++) {
      const guess = String(314159 + i * 7919)
      typed.add(guess)
      expect((await post(TWO_FACTOR, { intent: 'totp', code: guess }, stolen.cookie, attacker)).status).toBe(400)
    }
    await freshStep()
    const limited = await post(TWO_FACTOR, { intent: 'totp', code: await codeAt(0) }, `${stolen.cookie}; vigil_lang=de`, attacker)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(textOf(await limited.text())).toContain('Zu viele Versuche.')
    // Even the right code waits there; a recovery code too.
    expect((await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[5]! }, stolen.cookie, attacker)).status).toBe(429)

    // The organiser, elsewhere, is not held up (a recovery code: this step's app code is spent already).
    const mine = await signIn(organiser)
    const passed = await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[2]! }, mine.cookie, organiser)
    expect(passed.status).toBe(302)
    expect((await get('/admin', sessionPair(passed))).status).toBe(200)
    expect((await get('/admin', stolen.cookie)).headers.get('location')).toBe(TWO_FACTOR)
  })
})

describe('the audit trail and the log', () => {
  it('records the set-up, each use and each failure, without a code or the secret', async () => {
    const owner = await db.get<{ id: number }>('select id from organizers where email = ?', OWNER.email)
    const ownerId = owner!.id
    const added = await auditRows('organizer.totp_add')
    expect(added).toEqual([{ details: null, organizer_id: ownerId, subject_id: String(ownerId) }])
    const codes = await auditRows('organizer.recovery_codes')
    expect(codes.map((r) => JSON.parse(String(r.details)))).toEqual([{ count: 10 }])
    const passed = (await auditRows('organizer.second_factor')).map((r) => JSON.parse(String(r.details)).method)
    expect(passed).toEqual(['totp', 'totp', 'recovery_code', 'recovery_code', 'recovery_code'])
    const failed = await auditRows('organizer.second_factor_failed')
    expect(failed.every((r) => r.organizer_id === ownerId && r.subject_id === String(ownerId))).toBe(true)
    expect(failed.map((r) => JSON.parse(String(r.details)).method).sort()).toEqual([
      'recovery_code',
      ...Array(9).fill('totp'),
    ].sort())

    const everything = JSON.stringify(await db.all('select action, subject_type, subject_id, details from audit_log'))
    const log = server.output()
    for (const value of [secret, ...recoveryCodes, ...recoveryCodes.map((c) => c.replace(/-/g, ''))]) {
      expect(everything.includes(value), `the audit trail holds "${value}"`).toBe(false)
      expect(log.includes(value), `the log holds "${value}"`).toBe(false)
    }
    // Six-digit codes as a token of their own (a timestamp or a duration may contain the digits).
    for (const code of typed) {
      const alone = new RegExp(`(?<![0-9])${code}(?![0-9])`)
      expect(alone.test(everything), `the audit trail holds "${code}"`).toBe(false)
      expect(alone.test(log), `the log holds "${code}"`).toBe(false)
    }
  })
})

describe('the security page', () => {
  it('refuses to remove the only factor the policy requires, makes new recovery codes, and removes the app once the policy allows', async () => {
    const signedIn = await signIn({ 'X-Forwarded-For': '198.51.100.8' })
    const raised = await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[3]! }, signedIn.cookie, { 'X-Forwarded-For': '198.51.100.8' })
    expect(raised.status).toBe(302)
    const full = sessionPair(raised)

    const refused = await post('/admin/security', { intent: 'totp-remove' }, `${full}; vigil_lang=es`)
    expect(refused.status).toBe(400)
    expect(textOf(await refused.text())).toContain('Es tu único segundo factor y tu equipo exige uno')
    expect(await db.get('select count(*) as n from organizer_totp where confirmed_at is not null')).toEqual({ n: 1 })

    const renewed = await post('/admin/security', { intent: 'recovery-codes' }, full)
    expect(renewed.status).toBe(200)
    const fresh = [...(await renewed.text()).matchAll(/<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})<\/code>/g)].map((m) => m[1]!)
    expect(fresh).toHaveLength(10)
    for (const code of fresh) expect(recoveryCodes).not.toContain(code)
    expect(textOf(await (await get('/admin/security', full)).text())).toContain('10 unused recovery codes left.')
    const later = await signIn()
    expect((await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[4]! }, later.cookie)).status).toBe(400)
    expect((await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: fresh[0]! }, later.cookie)).status).toBe(302)

    await db.run(`update instance_settings set second_factor_policy = 'none' where id = 1`)
    const removed = await post('/admin/security', { intent: 'totp-remove' }, full)
    expect(removed.status).toBe(200)
    expect(textOf(await removed.text())).toContain('The authenticator app was removed.')
    expect(await db.get('select count(*) as n from organizer_totp')).toEqual({ n: 0 })
    expect(await db.get('select count(*) as n from organizer_recovery_codes')).toEqual({ n: 0 })
    expect((await auditRows('organizer.totp_remove')).length).toBe(1)
    // With no factor and no policy, the password alone is a full sign-in again.
    expect((await signIn()).location).toBe('/admin')
  })

  it('sets up an app voluntarily, and refuses a second one', async () => {
    const { cookie } = await signIn()
    const started = await post('/admin/security', { intent: 'totp-start' }, cookie)
    expect(started.status).toBe(200)
    const key = /data-testid="totp-key">([A-Z2-7 ]+)</.exec(await started.text())?.[1]
    expect(key).toBeTruthy()
    secret = key!.replace(/ /g, '')
    await freshStep()
    const confirmed = await post('/admin/security', { intent: 'totp-confirm', code: await codeAt(0) }, cookie)
    expect(confirmed.status).toBe(200)
    const confirmedHtml = await confirmed.text()
    recoveryCodes = [...confirmedHtml.matchAll(/<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})<\/code>/g)].map((m) => m[1]!)
    expect(recoveryCodes).toHaveLength(10)
    const html = textOf(confirmedHtml)
    expect(html).toContain('Your authenticator app is set up.')
    expect(html).toContain('Keep these 10 codes somewhere safe')
    expect((await post('/admin/security', { intent: 'totp-start' }, cookie)).status).toBe(409)
    // The voluntary set-up keeps the session as it was; the next sign-in asks for a code.
    expect((await get('/admin', cookie)).status).toBe(200)
    expect((await signIn()).location).toBe(TWO_FACTOR)
  })

  it('tells the demo organiser it is exempt and refuses it a factor', async () => {
    const response = await post('/admin/login', { email: 'demo@vigil.example', password: 'vigil-demo-2026' })
    expect(response.headers.get('location')).toBe('/admin')
    const demo = sessionPair(response)
    const page = await get('/admin/security', demo)
    expect(page.status).toBe(200)
    const html = textOf(await page.text())
    expect(html).toContain('The demo account is exempt from second factors')
    expect(html).not.toContain('Set up an authenticator app')
    expect((await post('/admin/security', { intent: 'totp-start' }, demo)).status).toBe(403)
    expect((await post('/admin/security', { intent: 'recovery-codes' }, demo)).status).toBe(400)
  })
})

describe('guessing from many addresses', () => {
  it('stops wrong codes for one account at 20 an hour from browsers new to it, whatever their addresses, but not the organiser’s own browser', async () => {
    // The organiser's own browser: signed in before, so it carries a device cookie the account knows.
    const home = { 'X-Forwarded-For': '198.51.100.99' }
    const before = await post('/admin/login', { email: OWNER.email, password: OWNER.password }, undefined, home)
    const device = /(?:^|,\s*)(vigil_device=[^;]+)/.exec(before.headers.get('set-cookie') ?? '')?.[1]
    expect(device).toBeTruthy()
    await post('/admin/logout', {}, sessionPair(before))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const statuses: number[] = []
    for (let i = 0; i < 25 && !statuses.includes(429); i++) {
      const from = { 'X-Forwarded-For': `192.0.2.${10 + i}` }
      const thief = await signIn(from)
      const guess = String(271828 + i * 7907)
      typed.add(guess)
      statuses.push((await post(TWO_FACTOR, { intent: 'totp', code: guess }, thief.cookie, from)).status)
    }
    // Earlier tests' wrong codes count too: some 400s, then the account's window is full.
    expect(statuses.at(-1)).toBe(429)
    expect(statuses.slice(0, -1).every((status) => status === 400)).toBe(true)
    expect(await db.get(`select count(*) as n from rate_limit_hits where bucket = '2fa:account'`)).toEqual({ n: 20 })
    // From yet another address, a recovery code that would work waits too (it is not spent).
    const from = { 'X-Forwarded-For': '192.0.2.200' }
    const late = await signIn(from)
    expect((await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[7]! }, late.cookie, from)).status).toBe(429)
    // The organiser's own browser is not held: the thief cannot lock them out.
    const again = await post('/admin/login', { email: OWNER.email, password: OWNER.password }, device, home)
    const mine = `${sessionPair(again)}; ${device}`
    const passed = await post(TWO_FACTOR, { intent: 'recovery', recoveryCode: recoveryCodes[7]! }, mine, home)
    expect(passed.status).toBe(302)
    expect((await get('/admin', sessionPair(passed))).status).toBe(200)
  })
})
