/**
 * Passkeys (issue 18, ADR 019 §10-11) against the production build over real HTTP, with a
 * software authenticator (tests/helpers/soft-authenticator.ts: real P-256 keys, real CBOR and
 * authenticator data) in place of the browser's: registering, signing in without a password
 * and as the second factor; and what an attacker would try: another origin or rpId, a replayed
 * or falling counter, a challenge used twice or moved to another session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganiser, setSecondFactorPolicy } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { SoftAuthenticator, type CreationOptions, type RequestOptions } from '../helpers/soft-authenticator.ts'

const OWNER = { email: 'petra.passkey@passkeys.example', name: 'Petra Passkey', password: 'an owner passphrase of some length', role: 'owner' as const }
const EDITOR = { email: 'emil.editor@passkeys.example', name: 'Emil Editor', password: 'an editor passphrase of some length' }
const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

let server: RunningServer
let addresses = 0
let db: ServerSql

/** A browser's cookies for this server: each answer's Set-Cookie is kept, an expired one dropped. */
class Browser {
  readonly jar = new Map<string, string>()
  // Each browser its own address (the server trusts one proxy): passkey:ip limits per address.
  readonly address = `198.51.100.${(addresses = (addresses % 250) + 1)}`
  constructor(readonly lang = 'en') {}

  cookie() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  keep(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || pair!.slice(at + 1) === ''
      if (expired) this.jar.delete(name)
      else this.jar.set(name, pair!.slice(at + 1))
    }
    return response
  }

  async get(pathname: string) {
    return this.keep(await fetch(server.url + pathname, { redirect: 'manual', headers: { Cookie: this.cookie(), 'Accept-Language': this.lang, 'X-Forwarded-For': this.address } }))
  }

  async post(pathname: string, fields: Record<string, string>) {
    return this.keep(await fetch(server.url + pathname, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url, Cookie: this.cookie(), 'Accept-Language': this.lang, 'X-Forwarded-For': this.address },
      body: new URLSearchParams(fields),
    }))
  }

  async signIn({ email, password }: { email: string; password: string }) {
    const response = await this.post('/admin/login', { email, password })
    expect(response.status).toBe(302)
    return response.headers.get('location')
  }

  /** One request to /admin/webauthn: its status and JSON body. */
  async webauthn(fields: Record<string, string>) {
    const response = await this.post('/admin/webauthn', fields)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    return { status: response.status, body: (await response.json()) as { error?: string; location?: string; ok?: boolean; recoveryCodes?: string[] | null; options?: unknown } }
  }
}

async function registerPasskey(browser: Browser, authenticator: SoftAuthenticator, name: string) {
  const asked = await browser.webauthn({ intent: 'register-options' })
  expect(asked.status).toBe(200)
  const response = authenticator.create(asked.body.options as CreationOptions, { origin: server.url })
  return browser.webauthn({ intent: 'register', name, response: JSON.stringify(response) })
}

/** A passwordless sign-in: options, the authenticator's answer (forged as asked), the answer posted. */
async function passwordless(browser: Browser, authenticator: SoftAuthenticator, forge: Partial<Parameters<SoftAuthenticator['get']>[1]> = {}) {
  const asked = await browser.webauthn({ intent: 'sign-in-options' })
  expect(asked.status).toBe(200)
  const response = authenticator.get(asked.body.options as RequestOptions, { origin: server.url, ...forge })
  const answer = await browser.webauthn({ intent: 'sign-in', response: JSON.stringify(response), redirectTo: '/admin/passkeys' })
  return { ...answer, response }
}

async function organiserId(email: string) {
  return (await db.get<{ id: number }>('select id from organizers where email = ?', email))!.id
}

async function auditCount(action: string, subjectId: number) {
  return Number((await db.get<{ n: number }>('select count(*) as n from audit_log where action = ? and subject_id = ?', action, String(subjectId)))!.n)
}

async function sessionCount() {
  return Number((await db.get<{ n: number }>('select count(*) as n from sessions'))!.n)
}

const petra = new SoftAuthenticator()
let petraId: number

beforeAll(async () => {
  server = await startServer({ env: { TRUST_PROXY: '1' } })
  db = openServerSql(server)
  for (const person of [OWNER, EDITOR]) expect((await createOrganiser(server, { ...person, secondFactorPolicy: null })).status).toBe(302)
  // The default: owners must have a second factor.
  await setSecondFactorPolicy(server, 'owners')
  petraId = await organiserId(OWNER.email)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('adding a passkey', () => {
  it('completes an owner’s set-up: the passkey is kept, recovery codes shown once, the session raised under a new cookie', async () => {
    const browser = new Browser()
    expect(await browser.signIn(OWNER)).toBe('/admin/two-factor-setup')
    const setupCookie = browser.jar.get('vigil_session')
    const added = await registerPasskey(browser, petra, 'Work laptop')
    expect(added.status).toBe(200)
    expect(added.body.ok).toBe(true)
    expect(added.body.recoveryCodes).toHaveLength(10)
    expect(added.body.recoveryCodes![0]).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/)
    expect(browser.jar.get('vigil_session')).not.toBe(setupCookie)
    expect(browser.jar.has('vigil_webauthn')).toBe(false)
    expect((await browser.get('/admin')).status).toBe(200)

    const rows = await db.all<{ name: string; counter: number; credential_id: string; public_key: string }>('select name, counter, credential_id, public_key from organizer_passkeys where organizer_id = ?', petraId)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.name).toBe('Work laptop')
    expect(rows[0]!.credential_id).toBe(petra.credentials[0]!.id.toString('base64url'))
    expect(Number((await db.get<{ n: number }>('select count(*) as n from organizer_recovery_codes where organizer_id = ?', petraId))!.n)).toBe(10)
    expect(await auditCount('organizer.passkey_add', petraId)).toBe(1)
    const raised = await db.get<{ details: string }>("select details from audit_log where action = 'organizer.second_factor' and organizer_id = ? order by id desc", petraId)
    expect(JSON.parse(raised!.details)).toEqual({ method: 'passkey' })
    // The page lists it; the codes are nowhere in it.
    const page = await (await browser.get('/admin/passkeys')).text()
    expect(page).toContain('Work laptop')
    expect(page).not.toContain(added.body.recoveryCodes![0])
  })

  it('refuses the demo organiser with a 403 (its password is published)', async () => {
    const browser = new Browser()
    expect(await browser.signIn(DEMO)).toBe('/admin')
    const asked = await browser.webauthn({ intent: 'register-options' })
    expect(asked.status).toBe(403)
    expect(asked.body.error).toContain('demo')
  })

  it('sends an anonymous visitor to the login page, as JSON', async () => {
    const asked = await new Browser().webauthn({ intent: 'register-options' })
    expect(asked.status).toBe(401)
    expect(asked.body.location).toMatch(/^\/admin\/login/)
  })
})

describe('signing in with a passkey alone', () => {
  it('gives a full session, audited as organizer.login with method passkey', async () => {
    const browser = new Browser()
    const sessionsBefore = await sessionCount()
    const fullPasskeySessions = async () =>
      Number((await db.get<{ n: number }>("select count(*) as n from sessions where organizer_id = ? and level = 'full' and second_factor = 'passkey'", petraId))!.n)
    const fullBefore = await fullPasskeySessions()
    const { status, body } = await passwordless(browser, petra)
    expect(status).toBe(200)
    expect(body.location).toBe('/admin/passkeys')
    expect(await sessionCount()).toBe(sessionsBefore + 1)
    expect(await fullPasskeySessions()).toBe(fullBefore + 1)
    expect((await browser.get('/admin/passkeys')).status).toBe(200)
    const login = await db.get<{ details: string }>("select details from audit_log where action = 'organizer.login' and subject_id = ? order by id desc", String(petraId))
    expect(JSON.parse(login!.details)).toEqual({ level: 'full', method: 'passkey' })
    const used = await db.get<{ counter: number; last_used_at: number | null }>('select counter, last_used_at from organizer_passkeys where organizer_id = ?', petraId)
    expect(used!.counter).toBe(petra.credentials[0]!.counter)
    expect(used!.last_used_at).toBeGreaterThan(0)
  })

  it('refuses an answer made for another origin, and one whose rpId hash is another site’s', async () => {
    const sessionsBefore = await sessionCount()
    const failedBefore = await auditCount('organizer.passkey_sign_in_failed', petraId)
    const evil = await passwordless(new Browser(), petra, { origin: 'https://evil.example' })
    expect(evil.status).toBe(400)
    expect(evil.body.error).toBe('That passkey did not work. Try another way to sign in.')
    const wrongRp = await passwordless(new Browser(), petra, { rpId: 'evil.example' })
    expect(wrongRp.status).toBe(400)
    expect(await sessionCount()).toBe(sessionsBefore)
    expect(await auditCount('organizer.passkey_sign_in_failed', petraId)).toBe(failedBefore + 2)
  })

  it('refuses an answer whose user handle is not the passkey’s organiser', async () => {
    const browser = new Browser()
    const asked = await browser.webauthn({ intent: 'sign-in-options' })
    const response = petra.get(asked.body.options as RequestOptions, { origin: server.url })
    response.response.userHandle = Buffer.from('someone else entirely').toString('base64url')
    expect((await browser.webauthn({ intent: 'sign-in', response: JSON.stringify(response) })).status).toBe(400)
  })

  it('requires user verification', async () => {
    const unverified = await passwordless(new Browser(), petra, { userVerified: false })
    expect(unverified.status).toBe(400)
  })

  it('refuses a replayed counter: the same one again, then a lower one', async () => {
    const first = await passwordless(new Browser(), petra)
    expect(first.status).toBe(200)
    const counter = petra.credentials[0]!.counter
    const same = await passwordless(new Browser(), petra, { counter })
    expect(same.status).toBe(400)
    const lower = await passwordless(new Browser(), petra, { counter: counter - 1 })
    expect(lower.status).toBe(400)
    const stored = await db.get<{ counter: number }>('select counter from organizer_passkeys where organizer_id = ?', petraId)
    expect(stored!.counter).toBe(counter)
    // The authenticator moving on is fine again.
    expect((await passwordless(new Browser(), petra, { counter: counter + 5 })).status).toBe(200)
  })

  it('uses a challenge once: the same answer posted twice is refused the second time', async () => {
    const browser = new Browser()
    const asked = await browser.webauthn({ intent: 'sign-in-options' })
    const ceremony = browser.jar.get('vigil_webauthn')!
    const response = JSON.stringify(petra.get(asked.body.options as RequestOptions, { origin: server.url }))
    expect((await browser.webauthn({ intent: 'sign-in', response })).status).toBe(200)
    // The same cookie and the same answer again (a recorded request replayed).
    browser.jar.set('vigil_webauthn', ceremony)
    browser.jar.delete('vigil_session')
    const again = await browser.webauthn({ intent: 'sign-in', response })
    expect(again.status).toBe(400)
    expect(again.body.error).toBe('This request has expired or was already used. Please try again.')
    // Without the ceremony cookie there is no challenge at all.
    expect((await new Browser().webauthn({ intent: 'sign-in', response })).status).toBe(400)
  })

  it('answers in the visitor’s language', async () => {
    const evil = await passwordless(new Browser('de'), petra, { origin: 'https://evil.example' })
    expect(evil.status).toBe(400)
    expect(evil.body.error).toBe('Dieser Passkey hat nicht funktioniert. Bitte melden Sie sich auf einem anderen Weg an.')
  })

  it('refuses a disabled organiser’s passkey', async () => {
    await db.run('update organizers set disabled_at = 1 where id = ?', petraId)
    try {
      expect((await passwordless(new Browser(), petra)).status).toBe(400)
    } finally {
      await db.run('update organizers set disabled_at = null where id = ?', petraId)
    }
  })
})

describe('a passkey as the second factor', () => {
  it('raises a password session under a new cookie and goes where it was asked', async () => {
    const browser = new Browser()
    expect(await browser.signIn(OWNER)).toBe('/admin/two-factor')
    const passwordCookie = browser.jar.get('vigil_session')!
    const asked = await browser.webauthn({ intent: 'second-factor-options' })
    expect(asked.status).toBe(200)
    const options = asked.body.options as RequestOptions
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([petra.credentials[0]!.id.toString('base64url')])
    const response = petra.get(options, { origin: server.url })
    const answer = await browser.webauthn({ intent: 'second-factor', response: JSON.stringify(response), redirectTo: '/admin/passkeys' })
    expect(answer.status).toBe(200)
    expect(answer.body.location).toBe('/admin/passkeys')
    expect(browser.jar.get('vigil_session')).not.toBe(passwordCookie)
    expect((await browser.get('/admin/passkeys')).status).toBe(200)
    // The cookie seen before the second factor is worth nothing now.
    const stale = new Browser()
    stale.jar.set('vigil_session', passwordCookie)
    expect((await stale.get('/admin')).headers.get('location')).toMatch(/^\/admin\/login/)
  })

  it('refuses a forged answer, audited as a failed second factor, and a full session asking for options', async () => {
    const browser = new Browser()
    await browser.signIn(OWNER)
    const before = await auditCount('organizer.second_factor_failed', petraId)
    const asked = await browser.webauthn({ intent: 'second-factor-options' })
    const response = petra.get(asked.body.options as RequestOptions, { origin: 'https://evil.example' })
    const answer = await browser.webauthn({ intent: 'second-factor', response: JSON.stringify(response) })
    expect(answer.status).toBe(400)
    expect(await auditCount('organizer.second_factor_failed', petraId)).toBe(before + 1)
    const details = await db.get<{ details: string }>("select details from audit_log where action = 'organizer.second_factor_failed' order by id desc")
    expect(JSON.parse(details!.details)).toEqual({ method: 'passkey' })

    const full = new Browser()
    await passwordless(full, petra)
    const refused = await full.webauthn({ intent: 'second-factor-options' })
    expect(refused.status).toBe(401)
    expect(refused.body.location).toBe('/admin')
  })

  it('binds the challenge to its session: session B cannot answer session A’s challenge', async () => {
    const a = new Browser()
    const b = new Browser()
    await a.signIn(OWNER)
    await b.signIn(OWNER)
    const asked = await a.webauthn({ intent: 'second-factor-options' })
    const response = JSON.stringify(petra.get(asked.body.options as RequestOptions, { origin: server.url }))
    b.jar.set('vigil_webauthn', a.jar.get('vigil_webauthn')!)
    const moved = await b.webauthn({ intent: 'second-factor', response })
    expect(moved.status).toBe(400)
    expect(moved.body.error).toBe('This request has expired or was already used. Please try again.')
    // Presented in the wrong session, the challenge is spent: A cannot use it afterwards either.
    expect((await a.webauthn({ intent: 'second-factor', response })).status).toBe(400)
    const levels = await db.all<{ level: string }>("select level from sessions where organizer_id = ? and level = 'password'", petraId)
    expect(levels.length).toBeGreaterThanOrEqual(2)
  })

  it('binds a registration challenge to its session too', async () => {
    const a = new Browser()
    const b = new Browser()
    await passwordless(a, petra)
    await passwordless(b, petra)
    const asked = await a.webauthn({ intent: 'register-options' })
    const response = JSON.stringify(new SoftAuthenticator().create(asked.body.options as CreationOptions, { origin: server.url }))
    b.jar.set('vigil_webauthn', a.jar.get('vigil_webauthn')!)
    expect((await b.webauthn({ intent: 'register', response, name: 'Moved' })).status).toBe(400)
    expect(await db.get("select id from organizer_passkeys where name = 'Moved'")).toBeUndefined()
  })
})

describe('the passkeys page', () => {
  it('renames with a plain form, and refuses a bad name with a message', async () => {
    const browser = new Browser()
    await passwordless(browser, petra)
    const id = (await db.get<{ id: number }>('select id from organizer_passkeys where organizer_id = ?', petraId))!.id
    const renamed = await browser.post('/admin/passkeys', { intent: 'rename', id: String(id), name: '  Phone in the drawer ' })
    expect(renamed.status).toBe(200)
    expect(await renamed.text()).toContain('The passkey is now called “Phone in the drawer”.')
    expect(await db.get('select name from organizer_passkeys where id = ?', id)).toEqual({ name: 'Phone in the drawer' })
    expect(await auditCount('organizer.passkey_rename', petraId)).toBe(1)

    const tooLong = await browser.post('/admin/passkeys', { intent: 'rename', id: String(id), name: 'x'.repeat(61) })
    expect(tooLong.status).toBe(400)
    expect(await tooLong.text()).toContain('Use at most 60 characters.')
    const empty = await browser.post('/admin/passkeys', { intent: 'rename', id: String(id), name: ' ' })
    expect(empty.status).toBe(400)
    expect(await empty.text()).toContain('Enter a name for the passkey.')
    expect((await browser.post('/admin/passkeys', { intent: 'rename', id: '999999', name: 'Probe' })).status).toBe(400)
    expect(await db.get('select name from organizer_passkeys where id = ?', id)).toEqual({ name: 'Phone in the drawer' })
  })

  it('lists name, date added and last use, never a key or credential id', async () => {
    const browser = new Browser()
    await passwordless(browser, petra)
    const html = await (await browser.get('/admin/passkeys')).text()
    expect(html).toContain('Phone in the drawer')
    expect(html).toContain('Added')
    expect(html).toContain('Last used')
    const row = (await db.get<{ credential_id: string; public_key: string }>('select credential_id, public_key from organizer_passkeys where organizer_id = ?', petraId))!
    expect(html).not.toContain(row.credential_id)
    expect(html).not.toContain(row.public_key)
  })

  it('refuses to remove the last factor under a covering policy, and removes one that is not the last', async () => {
    const browser = new Browser()
    await passwordless(browser, petra)
    const [first] = await db.all<{ id: number }>('select id from organizer_passkeys where organizer_id = ?', petraId)
    // The first POST asks; only the confirmed one acts.
    const asked = await browser.post('/admin/passkeys', { intent: 'remove', id: String(first!.id) })
    expect(asked.status).toBe(200)
    expect(await asked.text()).toContain('Remove the passkey “Phone in the drawer”?')
    expect(await db.get('select id from organizer_passkeys where id = ?', first!.id)).toBeDefined()
    const refused = await browser.post('/admin/passkeys', { intent: 'remove', id: String(first!.id), confirm: 'yes' })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('This is your last second factor, and the sign-in policy requires one.')
    expect(await db.get('select id from organizer_passkeys where id = ?', first!.id)).toBeDefined()

    // A second passkey (not the first factor: no new recovery codes), then the first can go.
    const second = new SoftAuthenticator()
    const added = await registerPasskey(browser, second, 'Security key')
    expect(added.status).toBe(200)
    expect(added.body.recoveryCodes).toBeNull()
    const removed = await browser.post('/admin/passkeys', { intent: 'remove', id: String(first!.id), confirm: 'yes' })
    expect(removed.status).toBe(200)
    expect(await db.get('select id from organizer_passkeys where id = ?', first!.id)).toBeUndefined()
    expect(await auditCount('organizer.passkey_remove', petraId)).toBe(1)
    // The removed passkey signs in no more.
    expect((await passwordless(new Browser(), petra, { credentialId: petra.credentials[0]!.id.toString('base64url') })).status).toBe(400)
    expect((await passwordless(new Browser(), second)).status).toBe(200)
  })

  it('lets an organiser the policy does not cover remove their only passkey', async () => {
    const browser = new Browser()
    expect(await browser.signIn(EDITOR)).toBe('/admin')
    const editorKey = new SoftAuthenticator()
    const added = await registerPasskey(browser, editorKey, 'Editor laptop')
    expect(added.status).toBe(200)
    expect(added.body.recoveryCodes).toHaveLength(10)
    const id = (await db.get<{ id: number }>('select id from organizer_passkeys where organizer_id = ?', await organiserId(EDITOR.email)))!.id
    const removed = await browser.post('/admin/passkeys', { intent: 'remove', id: String(id), confirm: 'yes' })
    expect(removed.status).toBe(200)
  })
})

describe('the passkey:ip limit', () => {
  it('stops a 31st sign-in from one address within 15 minutes with a 429 and Retry-After; another address still may', async () => {
    const busy = new Browser()
    for (let i = 0; i < 30; i++) expect((await busy.webauthn({ intent: 'sign-in-options' })).status).toBe(200)
    const limited = await busy.post('/admin/webauthn', { intent: 'sign-in-options' })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await limited.json()) as { error: string }).error).toMatch(/^Too many attempts/)
    expect((await new Browser().webauthn({ intent: 'sign-in-options' })).status).toBe(200)
  })
})

describe('garbage', () => {
  it('answers 400 to an unknown intent, a non-JSON answer, an oversized one and a wrong shape; 405 to a GET', async () => {
    const browser = new Browser()
    expect((await browser.webauthn({ intent: 'nonsense' })).status).toBe(400)
    await browser.webauthn({ intent: 'sign-in-options' })
    expect((await browser.webauthn({ intent: 'sign-in', response: 'not json' })).status).toBe(400)
    expect((await browser.webauthn({ intent: 'sign-in', response: JSON.stringify({ id: 'x'.repeat(70_000) }) })).status).toBe(400)
    expect((await browser.webauthn({ intent: 'sign-in', response: JSON.stringify({ id: 'abc', rawId: 'abc', type: 'public-key', response: {} }) })).status).toBe(400)
    expect((await browser.webauthn({ intent: 'sign-in', response: JSON.stringify([1, 2, 3]) })).status).toBe(400)
    const get = await fetch(`${server.url}/admin/webauthn`)
    expect(get.status).toBe(405)
  })

  it('keeps challenges, credential ids and keys out of the server’s log', async () => {
    const rows = await db.all<{ credential_id: string; public_key: string }>('select credential_id, public_key from organizer_passkeys')
    const log = server.output()
    for (const row of rows) {
      expect(log).not.toContain(row.credential_id)
      expect(log).not.toContain(row.public_key)
    }
    const details = await db.all<{ details: string | null }>("select details from audit_log where action like 'organizer.passkey%' or action like 'organizer.second_factor%'")
    for (const { details: d } of details) for (const row of rows) expect(d ?? '').not.toContain(row.credential_id)
  })
})
