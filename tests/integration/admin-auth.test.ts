/**
 * Organiser authentication against the real server: login, the session cookie, logout,
 * rate limits, one-time set-password links and the German login page.
 *
 * The server trusts X-Forwarded-For here (TRUST_PROXY=1, as behind a reverse proxy), so
 * each test can speak from its own client address and the per-IP limit stays separate.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseEnv, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { setSecondFactorPolicy } from '../helpers/organisers.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026', name: 'Demo Organiser' }
const FAILED_EN = 'That email and password do not match an active account.'
const FAILED_DE = 'Diese E-Mail-Adresse und dieses Passwort passen zu keinem aktiven Konto.'

let server: RunningServer
let db: ServerSql
let nextIp = 1

/** A fresh client address for each scenario (documentation range 198.51.100.0/24). */
function freshIp() {
  return `198.51.100.${nextIp++}`
}

function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(server.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, ...headers },
    body: new URLSearchParams(fields),
  })
}

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(server.url + path, { redirect: 'manual', headers })
}

function login(email: string, password: string, ip: string, headers: Record<string, string> = {}) {
  return post('/admin/login', { email, password }, { 'X-Forwarded-For': ip, ...headers })
}

function sessionSetCookie(response: Response) {
  const header = response.headers.get('set-cookie')
  if (!header?.startsWith('vigil_session=')) throw new Error(`expected a session cookie, got ${header}`)
  return header
}

/** The `name=value` pair a browser would send back. */
function cookiePair(setCookie: string) {
  return setCookie.split(';')[0]!
}

/** 200 with the organiser's name in the page: logged in. 302 to the login page: not. */
async function isLoggedIn(cookie: string) {
  const response = await get('/admin', { Cookie: cookie })
  if (response.status === 302) {
    expect(response.headers.get('location')).toMatch(/^\/admin\/login/)
    return false
  }
  expect(response.status).toBe(200)
  return true
}

async function organizerRow(email: string) {
  return await db.get('SELECT id, password_hash AS "passwordHash", role FROM organizers WHERE email = ?', email) as
    | { id: number; passwordHash: string | null; role: string }
    | undefined
}

/** The real CLI (npm run organizer:create) against this server's database. */
async function createOrganizer(email: string, name: string, role: 'owner' | 'editor' = 'editor') {
  const result = await runScript('scripts/organizer-create.ts', ['--email', email, '--name', name, '--role', role], {
    ...databaseEnv(server),
    PUBLIC_URL: server.url,
  })
  return result
}

function linkFrom(stdout: string) {
  const link = /https?:\/\/\S+\/admin\/set-password\/\S+/.exec(stdout)?.[0]
  if (!link) throw new Error(`no set-password link printed: ${stdout}`)
  return link
}

async function organizerWithPassword(email: string, name: string, password: string) {
  const result = await createOrganizer(email, name)
  if (result.code !== 0) throw new Error(`organizer:create failed: ${result.stderr}`)
  const set = await post(new URL(linkFrom(result.stdout)).pathname, { password, confirm: password })
  expect(set.status).toBe(302)
}

function mainOf(html: string) {
  return html.slice(html.indexOf('<main'), html.indexOf('</main>'))
}

beforeAll(async () => {
  server = await startServer({ env: { TRUST_PROXY: '1' } })
  db = openServerSql(server)
  // Owners made here sign in with a password alone (issue 18's own suites test the policy).
  await setSecondFactorPolicy(server, 'none')
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('logging in', () => {
  it('refuses a wrong password with 400, a clear message, the email kept and no session', async () => {
    const response = await login('Demo@Vigil.example', 'not-the-password', freshIp())
    expect(response.status).toBe(400)
    expect(response.headers.get('set-cookie')).toBeNull()
    const main = mainOf(await response.text())
    expect(main).toContain(FAILED_EN)
    expect(main).toMatch(/<input[^>]*name="email"[^>]*value="Demo@Vigil\.example"/)
    expect(main).not.toContain('not-the-password')
  })

  it('answers an unknown email exactly like a wrong password (no account discovery)', async () => {
    const response = await login('nobody-here@vigil.example', 'whatever-it-is', freshIp())
    expect(response.status).toBe(400)
    expect(mainOf(await response.text())).toContain(FAILED_EN)
  })

  it('refuses a malformed email with a field message before checking any password', async () => {
    const response = await login('not-an-email', 'x', freshIp())
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Please enter an email address like name@example.org.')
  })

  it('shows the login error in German for Accept-Language: de', async () => {
    const response = await login(DEMO.email, 'falsches-passwort', freshIp(), { 'Accept-Language': 'de-DE,de;q=0.9' })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toMatch(/<html[^>]*lang="de"/)
    expect(mainOf(html)).toContain(FAILED_DE)
    expect(html).not.toContain(FAILED_EN)
  })

  it('succeeds with a 302 and a signed, HttpOnly, SameSite=Lax session cookie that expires', async () => {
    const response = await login(DEMO.email, DEMO.password, freshIp())
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin')
    const setCookie = sessionSetCookie(response)
    const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase())
    expect(attributes).toContain('httponly')
    expect(attributes).toContain('samesite=lax')
    expect(attributes).toContain('path=/')
    const maxAge = attributes.find((a) => a.startsWith('max-age='))
    const expires = attributes.find((a) => a.startsWith('expires='))
    expect(maxAge ?? expires).toBeDefined()
    if (maxAge) expect(Number(maxAge.slice('max-age='.length))).toBe(7 * 24 * 60 * 60)
    // Plain http here, so not Secure; an https PUBLIC_URL turns that on.
    expect(attributes).not.toContain('secure')

    const value = decodeURIComponent(cookiePair(setCookie).slice('vigil_session='.length))
    const [payload, signature, ...rest] = value.split('.')
    expect(rest).toEqual([])
    expect(payload).toBeTruthy()
    expect(signature!.length).toBeGreaterThanOrEqual(40)
    // The payload is an opaque random token, not who the organiser is.
    const token = JSON.parse(Buffer.from(payload!, 'base64').toString('utf8')) as unknown
    expect(typeof token).toBe('string')
    expect((token as string).length).toBeGreaterThanOrEqual(20)
    expect(value).not.toContain('demo')

    expect(await isLoggedIn(cookiePair(setCookie))).toBe(true)
  })

  it('does not accept a tampered or unsigned session cookie', async () => {
    const response = await login(DEMO.email, DEMO.password, freshIp())
    const pair = cookiePair(sessionSetCookie(response))
    expect(await isLoggedIn(pair)).toBe(true)

    const value = decodeURIComponent(pair.slice('vigil_session='.length))
    const [payload, signature] = value.split('.') as [string, string]
    const token = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as string
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1)
    const otherToken = Buffer.from(JSON.stringify(flip(token, 3))).toString('base64')
    const forgeries = [
      `${payload}.${flip(signature, 5)}`, // signature altered
      `${otherToken}.${signature}`, // token altered, old signature
      payload, // signature dropped
      `${payload}.`, // empty signature
    ]
    for (const forged of forgeries) {
      expect(await isLoggedIn(`vigil_session=${encodeURIComponent(forged)}`), forged).toBe(false)
    }
  })

  it('returns to a same-site redirectTo after login, but never to another site', async () => {
    await organizerWithPassword('sam.redirect@auth.example', 'Sam Redirect', 'a passphrase for sam 123')
    const ok = await post(
      '/admin/login',
      { email: 'sam.redirect@auth.example', password: 'a passphrase for sam 123', redirectTo: '/admin/campaigns/new' },
      { 'X-Forwarded-For': freshIp() },
    )
    expect(ok.status).toBe(302)
    expect(ok.headers.get('location')).toBe('/admin/campaigns/new')
    const offsite = await post(
      '/admin/login',
      { email: 'sam.redirect@auth.example', password: 'a passphrase for sam 123', redirectTo: '//evil.example/admin' },
      { 'X-Forwarded-For': freshIp() },
    )
    expect(offsite.status).toBe(302)
    expect(offsite.headers.get('location')).toBe('/admin')
  })
})

describe('where a login leads', () => {
  const email = 'rita.redirect@auth.example'
  const password = 'a passphrase for rita 123'

  beforeAll(async () => {
    await organizerWithPassword(email, 'Rita Redirect', password)
  })

  /** Log in from the login page a link led to: its hidden redirectTo comes from the link's query. */
  async function loginFrom(query: string) {
    const page = await get(`/admin/login?${query}`)
    expect(page.status).toBe(200)
    const hidden = /<input type="hidden" name="redirectTo" value="([^"]*)"/.exec(await page.text())
    expect(hidden).not.toBeNull()
    const redirectTo = hidden![1]!.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    return post('/admin/login', { email, password, redirectTo }, { 'X-Forwarded-For': freshIp() })
  }

  it.each([
    ['a tab before a second slash', 'redirectTo=%2F%09%2Flocalhost%3A3251%2Fphish'],
    ['a newline before a second slash', 'redirectTo=%2F%0A%2Fevil.example'],
    ['a carriage return', 'redirectTo=%2F%0d%2Fx'],
    ['a backslash', 'redirectTo=%2F%5Cevil.example'],
    ['two slashes', 'redirectTo=%2F%2Fevil.example'],
    ['a dot segment that leaves two slashes', 'redirectTo=%2F.%2F%2Fevil.example'],
    ['an absolute URL', 'redirectTo=https%3A%2F%2Fevil.example%2Fadmin'],
    ['a javascript: URL', 'redirectTo=javascript%3Aalert(1)'],
    ['a NUL byte', 'redirectTo=%2Fadmin%00'],
  ])('goes to /admin, never elsewhere and never a 500, for a redirectTo with %s', async (_, query) => {
    const response = await loginFrom(query)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin')
    sessionSetCookie(response)
  })

  it('keeps a same-site path with its query', async () => {
    const response = await loginFrom(`redirectTo=${encodeURIComponent('/admin/campaigns/1/signatures?q=ann&page=2')}`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin/campaigns/1/signatures?q=ann&page=2')
  })

  it('resolves a same-site path with dot segments to where a browser would go', async () => {
    const response = await loginFrom(`redirectTo=${encodeURIComponent('/admin/../admin/organizers')}`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin/organizers')
  })
})

describe('odd login and set-password forms', () => {
  const formBody = (pairs: [string, string][]) => new URLSearchParams(pairs).toString()
  const cases: [string, string | FormData][] = [
    ['an empty body', ''],
    ['no password', formBody([['email', DEMO.email]])],
    ['the email twice', formBody([['email', DEMO.email], ['email', 'other@vigil.example'], ['password', DEMO.password]])],
    ['the password twice', formBody([['email', DEMO.email], ['password', DEMO.password], ['password', DEMO.password]])],
    ['redirectTo twice', formBody([['email', DEMO.email], ['password', 'wrong'], ['redirectTo', '/admin'], ['redirectTo', '//evil.example']])],
    ['nested field names', formBody([['email.a', DEMO.email], ['password[0]', DEMO.password], ['password', 'x']])],
    ['only unknown fields', formBody([['intent', 'x'], ['__proto__', 'y'], ['constructor', 'z']])],
  ]

  function postRaw(path: string, body: string | FormData) {
    const headers: Record<string, string> = { Origin: server.url, 'X-Forwarded-For': freshIp() }
    if (typeof body === 'string') headers['Content-Type'] = 'application/x-www-form-urlencoded'
    return fetch(server.url + path, { method: 'POST', redirect: 'manual', headers, body })
  }

  function withFile(name: string, fields: Record<string, string>) {
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append(name, new Blob(['not a string field']), 'field.txt')
    return form
  }

  it.each(cases)('answers /admin/login with %s with a 400 and a message', async (_, body) => {
    const response = await postRaw('/admin/login', body)
    expect(response.status).toBe(400)
    expect(response.headers.get('set-cookie')).toBeNull()
    const main = mainOf(await response.text())
    expect(main).toMatch(/<ul[^>]*class="field__errors"[^>]*><li>[^<]+<\/li>/)
    // In words a person understands, not the validator's.
    expect(main).not.toMatch(/Expected|received|Required/)
  })

  it('answers /admin/login with a file where the password goes with a 415 and a message (the form is never multipart)', async () => {
    const response = await postRaw('/admin/login', withFile('password', { email: DEMO.email }))
    expect(response.status).toBe(415)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await response.text()).toContain('only accepts forms sent from its pages')
  })

  it('answers a set-password link with odd forms with a 400 and a message, and sets no password', async () => {
    const email = 'odd.forms@auth.example'
    const created = await createOrganizer(email, 'Odd Forms')
    const linkPath = new URL(linkFrom(created.stdout)).pathname
    const strong = 'a perfectly good passphrase'
    const odd: [string, string | FormData][] = [
      ['an empty body', ''],
      ['no confirmation', formBody([['password', strong]])],
      ['the password twice', formBody([['password', strong], ['password', strong], ['confirm', strong]])],
      ['the confirmation twice', formBody([['password', strong], ['confirm', strong], ['confirm', strong]])],
      ['nested field names', formBody([['password.x', strong], ['confirm[0]', strong]])],
      ['a file as the password', withFile('password', { confirm: strong })],
    ]
    for (const [name, body] of odd) {
      const response = await postRaw(linkPath, body)
      const html = await response.text()
      if (body instanceof FormData) {
        // The server refuses a multipart body for this url-encoded form before Remix sees it.
        expect(response.status, name).toBe(415)
        expect(html, name).toContain('only accepts forms sent from its pages')
        expect((await organizerRow(email))!.passwordHash, name).toBeNull()
        continue
      }
      expect(response.status, name).toBe(400)
      const main = mainOf(html)
      expect(main, name).toMatch(/<ul[^>]*class="field__errors"[^>]*><li>[^<]+<\/li>/)
      expect(main, name).not.toMatch(/Expected|received|Required/)
      expect((await organizerRow(email))!.passwordHash, name).toBeNull()
    }
    // The link still works afterwards.
    expect((await postRaw(linkPath, formBody([['password', strong], ['confirm', strong]]))).status).toBe(302)
  })

  it('answers a password link asked for an organiser who does not exist with a 404 page, not a 500', async () => {
    const owner = cookiePair(sessionSetCookie(await login(DEMO.email, DEMO.password, freshIp())))
    const response = await post('/admin/organizers', { intent: 'link', organizerId: '999999' }, { Cookie: owner })
    expect(response.status).toBe(404)
    const html = await response.text()
    expect(mainOf(html)).toContain('404')
    expect(html).not.toContain('/admin/set-password/')
    const tokens = await db.get('SELECT count(*) AS n FROM organizer_tokens WHERE organizer_id = 999999') as { n: number }
    expect(tokens.n).toBe(0)
  })
})

describe('logging out', () => {
  it('ends the session on the server, so the old cookie no longer works even when replayed', async () => {
    const pair = cookiePair(sessionSetCookie(await login(DEMO.email, DEMO.password, freshIp())))
    expect(await isLoggedIn(pair)).toBe(true)
    const demoId = (await organizerRow(DEMO.email))!.id
    const sessionsOf = async () => (await db.get('SELECT count(*) AS n FROM sessions WHERE organizer_id = ?', demoId) as { n: number }).n
    const before = await sessionsOf()

    // A stray GET (a link, an image) must not log anyone out.
    const stray = await get('/admin/logout', { Cookie: pair })
    expect(stray.status).toBe(302)
    expect(await isLoggedIn(pair)).toBe(true)

    const response = await post('/admin/logout', {}, { Cookie: pair })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin/login')
    const cleared = response.headers.get('set-cookie') ?? ''
    expect(cleared).toMatch(/^vigil_session=;/)
    expect(cleared.toLowerCase()).toContain('max-age=0')
    expect(await sessionsOf()).toBe(before - 1)

    // Replaying the captured cookie (as an attacker who copied it would) gets nowhere.
    expect(await isLoggedIn(pair)).toBe(false)
    const replayedPost = await post('/admin/campaigns/new', { title: 'After logout', slug: 'after-logout' }, { Cookie: pair })
    expect(replayedPost.status).toBe(302)
    expect(replayedPost.headers.get('location')).toMatch(/^\/admin\/login/)
  })
})

describe('login throttling', () => {
  const TOO_MANY = /Too many attempts\. Please wait (\d+) minutes? and try again\./

  /** What the login page says about waiting, and the Retry-After seconds: a 429 either way. */
  async function throttled(response: Response) {
    expect(response.status).toBe(429)
    expect(response.headers.get('set-cookie')).toBeNull()
    const retryAfter = Number(response.headers.get('retry-after'))
    expect(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After ${retryAfter}`).toBe(true)
    const minutes = Number(TOO_MANY.exec(mainOf(await response.text()))?.[1])
    expect(minutes).toBe(Math.ceil(retryAfter / 60))
    return retryAfter
  }

  /** Move every recorded login failure back in time, as if the client had waited. */
  async function waitAsIf(ms: number) {
    await db.run(`UPDATE rate_limit_hits SET at = at - ? WHERE bucket LIKE 'login:%'`, ms)
  }

  it('lets nobody lock an organiser out: failures from other addresses leave the organiser free to log in', async () => {
    const email = 'locked.out@auth.example'
    const password = 'the right passphrase 2026'
    await organizerWithPassword(email, 'Locked Out', password)
    // Thirty wrong passwords for this account, from many addresses (an attacker anywhere).
    for (let attempt = 1; attempt <= 30; attempt++) {
      const response = await login(email, `wrong-${attempt}`, freshIp())
      expect(response.status, `attempt ${attempt}`).toBe(400)
    }
    // The organiser, from their own address, is not affected.
    const own = await login(email, password, freshIp())
    expect(own.status).toBe(302)
    sessionSetCookie(own)
  })

  it('counts only failures: successful logins never use up the allowance', async () => {
    const email = 'often.in@auth.example'
    const password = 'logs in all day long 42'
    await organizerWithPassword(email, 'Often In', password)
    const ip = freshIp()
    for (let attempt = 1; attempt <= 8; attempt++) {
      expect((await login(email, password, ip)).status, `login ${attempt}`).toBe(302)
    }
  })

  it('slows one address guessing one account with a growing wait, and says how long in the page and Retry-After', async () => {
    const email = 'slowed.down@auth.example'
    const password = 'a slow and steady phrase'
    await organizerWithPassword(email, 'Slowed Down', password)
    const ip = freshIp()
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(email, `wrong-${attempt}`, ip)).status, `attempt ${attempt}`).toBe(400)
    }
    // Now every attempt from this address for this account waits, the right password too.
    const first = await throttled(await login(email, 'wrong-6', ip))
    expect(first).toBeGreaterThan(30)
    expect(first).toBeLessThanOrEqual(60)
    await throttled(await login(email, password, ip))
    // Refused attempts are not failures: they do not make the wait longer.
    expect(await throttled(await login(email, 'wrong-7', ip))).toBeLessThanOrEqual(first)

    // The same address, another account; the same account, another address: both still heard.
    expect((await login('someone.else@auth.example', 'wrong', ip)).status).toBe(400)
    expect((await login(email, 'wrong-elsewhere', freshIp())).status).toBe(400)

    // After the wait, one more try is heard; a further failure doubles the wait.
    await waitAsIf(61_000)
    expect((await login(email, 'wrong-8', ip)).status).toBe(400)
    const second = await throttled(await login(email, 'wrong-9', ip))
    expect(second).toBeGreaterThan(90)
    expect(second).toBeLessThanOrEqual(120)
    await waitAsIf(121_000)
    expect((await login(email, 'wrong-10', ip)).status).toBe(400)
    const third = await throttled(await login(email, 'wrong-11', ip))
    expect(third).toBeGreaterThan(210)
    expect(third).toBeLessThanOrEqual(240)

    // The wait has a ceiling: an hour at most, however long the guessing went on.
    for (let round = 0; round < 8; round++) {
      await waitAsIf(60 * 60_000 + 1000)
      expect((await login(email, `wrong-round-${round}`, ip)).status).toBe(400)
    }
    const capped = await throttled(await login(email, 'wrong-capped', ip))
    expect(capped).toBeGreaterThan(59 * 60)
    expect(capped).toBeLessThanOrEqual(60 * 60)

    // Once the wait is over, the right password works and clears this address's record for the account.
    await waitAsIf(60 * 60_000 + 1000)
    expect((await login(email, password, ip)).status).toBe(302)
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(email, `after-success-${attempt}`, ip)).status, `attempt ${attempt} after success`).toBe(400)
    }
    await throttled(await login(email, 'after-success-6', ip))
  })

  it('says how long to wait in German and Spanish too', async () => {
    const ip = freshIp()
    const email = 'nobody.de@auth.example'
    for (let attempt = 1; attempt <= 5; attempt++) expect((await login(email, 'falsch', ip)).status).toBe(400)
    const de = await login(email, 'falsch', ip, { 'Accept-Language': 'de' })
    expect(de.status).toBe(429)
    expect(mainOf(await de.text())).toContain('Zu viele Versuche. Bitte warten Sie 1 Minute und versuchen Sie es dann erneut.')
    const es = await login(email, 'falso', ip, { 'Accept-Language': 'es' })
    expect(es.status).toBe(429)
    expect(mainOf(await es.text())).toContain('Demasiados intentos. Espera 1 minuto y vuelve a intentarlo.')
  })

  it('limits failures per client address to 20 in 15 minutes, across accounts', async () => {
    const ip = freshIp()
    for (let attempt = 1; attempt <= 20; attempt++) {
      const response = await login(`ip-probe-${attempt}@auth.example`, 'wrong', ip)
      expect(response.status, `attempt ${attempt}`).toBe(400)
    }
    const over = await login('ip-probe-21@auth.example', 'wrong', ip)
    expect(await throttled(over)).toBeLessThanOrEqual(15 * 60)
    // A different address is still heard.
    expect((await login('ip-probe-22@auth.example', 'wrong', freshIp())).status).toBe(400)
  })

  it('does not let parallel guesses slip past the wait', async () => {
    const ip = freshIp()
    const email = 'parallel.target@auth.example'
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(email, `parallel-${i}`, ip)))
    const statuses = answers.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 400)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(7)
  })

  it('keeps no email or address in the rate-limit table', async () => {
    const keys = await db.all('SELECT DISTINCT key_hash AS k FROM rate_limit_hits') as { k: string }[]
    expect(keys.length).toBeGreaterThan(0)
    for (const { k } of keys) {
      expect(k).not.toContain('@')
      expect(k).not.toMatch(/198\.51\.100/)
    }
  })
})

describe('one-time set-password links from organizer:create', () => {
  const email = 'new.colleague@auth.example'
  const password = 'correct horse battery staple'

  it('prints a link, stores only its hash and lets the organiser set an argon2id password exactly once', async () => {
    const created = await createOrganizer(email, 'New Colleague', 'editor')
    expect(created.code).toBe(0)
    expect(created.stdout).toContain('created editor "New Colleague"')
    const link = linkFrom(created.stdout)
    expect(link.startsWith(`${server.url}/admin/set-password/`)).toBe(true)
    const linkPath = new URL(link).pathname
    const token = linkPath.split('/').pop()!
    expect(token.length).toBeGreaterThanOrEqual(20)

    const row = await organizerRow(email)
    expect(row).toMatchObject({ role: 'editor', passwordHash: null })
    const stored = await db.all('SELECT token_hash AS h FROM organizer_tokens WHERE organizer_id = ?', row!.id) as { h: string }[]
    expect(stored).toEqual([{ h: createHash('sha256').update(token).digest('hex') }])

    const page = await get(linkPath)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Welcome, New Colleague.')

    const short = await post(linkPath, { password: 'too-short', confirm: 'too-short' })
    expect(short.status).toBe(400)
    const shortMain = mainOf(await short.text())
    expect(shortMain).toMatch(/name="password"[^>]*aria-invalid="true"/)
    expect(shortMain).toContain('Please use at least 12 characters.')
    expect((await organizerRow(email))!.passwordHash).toBeNull()

    const mismatch = await post(linkPath, { password, confirm: `${password}!` })
    expect(mismatch.status).toBe(400)
    expect(await mismatch.text()).toContain('The two passwords do not match.')

    const set = await post(linkPath, { password, confirm: password })
    expect(set.status).toBe(302)
    expect(set.headers.get('location')).toBe('/admin/login?passwordSet=1')
    const hash = (await organizerRow(email))!.passwordHash
    expect(hash).toMatch(/^\$argon2id\$/)
    expect(hash).not.toContain(password)

    const again = await post(linkPath, { password: 'another passphrase 99', confirm: 'another passphrase 99' })
    expect(again.status).toBe(400)
    expect(await again.text()).toContain('This link has expired or was already used.')
    expect((await organizerRow(email))!.passwordHash).toBe(hash)
    const spentPage = await (await get(linkPath)).text()
    expect(spentPage).toContain('This link has expired or was already used.')
    expect(spentPage).not.toContain('name="password"')

    const loggedIn = await login(email, password, freshIp())
    expect(loggedIn.status).toBe(302)
    expect(await isLoggedIn(cookiePair(sessionSetCookie(loggedIn)))).toBe(true)
  })

  it('refuses an unknown token without revealing anything', async () => {
    const response = await post('/admin/set-password/not-a-real-token-0123456789', { password, confirm: password })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('This link has expired or was already used.')
  })

  it('refuses to create a second organiser with the same email (any case)', async () => {
    const result = await createOrganizer('New.Colleague@Auth.example', 'Duplicate')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('already exists')
    expect(result.stdout).not.toMatch(/set-password/)
  })
})
