/**
 * Organiser authentication against the real server: login, the session cookie, logout,
 * rate limits, one-time set-password links and the German login page.
 *
 * The server trusts X-Forwarded-For here (TRUST_PROXY=1, as behind a reverse proxy), so
 * each test can speak from its own client address and the per-IP limit stays separate.
 */
import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScript, startServer, type RunningServer } from '../helpers/server.ts'

const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026', name: 'Demo Organiser' }
const FAILED_EN = 'That email and password do not match an active account.'
const FAILED_DE = 'Diese E-Mail-Adresse und dieses Passwort passen zu keinem aktiven Konto.'

let server: RunningServer
let db: Database.Database
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

function organizerRow(email: string) {
  return db.prepare('SELECT id, password_hash AS passwordHash, role FROM organizers WHERE email = ?').get(email) as
    | { id: number; passwordHash: string | null; role: string }
    | undefined
}

/** The real CLI (npm run organizer:create) against this server's database. */
async function createOrganizer(email: string, name: string, role: 'owner' | 'editor' = 'editor') {
  const result = await runScript('scripts/organizer-create.ts', ['--email', email, '--name', name, '--role', role], {
    DATABASE_PATH: server.databasePath,
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
  db = new Database(server.databasePath, { readonly: true, fileMustExist: true })
})

afterAll(async () => {
  db?.close()
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

describe('logging out', () => {
  it('ends the session on the server, so the old cookie no longer works even when replayed', async () => {
    const pair = cookiePair(sessionSetCookie(await login(DEMO.email, DEMO.password, freshIp())))
    expect(await isLoggedIn(pair)).toBe(true)
    const demoId = organizerRow(DEMO.email)!.id
    const sessionsOf = () => (db.prepare('SELECT count(*) AS n FROM sessions WHERE organizer_id = ?').get(demoId) as { n: number }).n
    const before = sessionsOf()

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
    expect(sessionsOf()).toBe(before - 1)

    // Replaying the captured cookie (as an attacker who copied it would) gets nowhere.
    expect(await isLoggedIn(pair)).toBe(false)
    const replayedPost = await post('/admin/campaigns/new', { title: 'After logout', slug: 'after-logout' }, { Cookie: pair })
    expect(replayedPost.status).toBe(302)
    expect(replayedPost.headers.get('location')).toMatch(/^\/admin\/login/)
  })
})

describe('login rate limits', () => {
  it('answers the 6th attempt for one account within the window with 429, Retry-After and a message', async () => {
    const email = 'locked.out@auth.example'
    const password = 'the right passphrase 2026'
    await organizerWithPassword(email, 'Locked Out', password)
    // Five wrong attempts from five addresses: only the per-account limit can apply.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await login(email, `wrong-${attempt}`, freshIp())
      expect(response.status, `attempt ${attempt}`).toBe(400)
    }
    const sixth = await login(email, 'wrong-6', freshIp())
    expect(sixth.status).toBe(429)
    const retryAfter = Number(sixth.headers.get('retry-after'))
    expect(Number.isInteger(retryAfter)).toBe(true)
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(mainOf(await sixth.text())).toContain('Too many attempts. Please wait 15 minutes and try again.')

    // While locked, even the right password is refused: guessing cannot continue.
    const right = await login(email, password, freshIp())
    expect(right.status).toBe(429)
    expect(right.headers.get('set-cookie')).toBeNull()

    // Other accounts are not affected.
    const other = await login('someone.else@auth.example', 'wrong', freshIp())
    expect(other.status).toBe(400)
  })

  it('limits attempts per client address to 20 in 15 minutes, across accounts', async () => {
    const ip = freshIp()
    for (let attempt = 1; attempt <= 20; attempt++) {
      const response = await login(`ip-probe-${attempt}@auth.example`, 'wrong', ip)
      expect(response.status, `attempt ${attempt}`).toBe(400)
    }
    const over = await login('ip-probe-21@auth.example', 'wrong', ip)
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(mainOf(await over.text())).toMatch(/Too many attempts/)
    // A different address is still heard.
    expect((await login('ip-probe-22@auth.example', 'wrong', freshIp())).status).toBe(400)
  })

  it('keeps no email or address in the rate-limit table', () => {
    const keys = db.prepare('SELECT DISTINCT key_hash AS k FROM rate_limit_hits').all() as { k: string }[]
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

    const row = organizerRow(email)
    expect(row).toMatchObject({ role: 'editor', passwordHash: null })
    const stored = db.prepare('SELECT token_hash AS h FROM organizer_tokens WHERE organizer_id = ?').all(row!.id) as { h: string }[]
    expect(stored).toEqual([{ h: createHash('sha256').update(token).digest('hex') }])

    const page = await get(linkPath)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Welcome, New Colleague.')

    const short = await post(linkPath, { password: 'too-short', confirm: 'too-short' })
    expect(short.status).toBe(400)
    const shortMain = mainOf(await short.text())
    expect(shortMain).toMatch(/name="password"[^>]*aria-invalid="true"/)
    expect(shortMain).toContain('Please use at least 12 characters.')
    expect(organizerRow(email)!.passwordHash).toBeNull()

    const mismatch = await post(linkPath, { password, confirm: `${password}!` })
    expect(mismatch.status).toBe(400)
    expect(await mismatch.text()).toContain('The two passwords do not match.')

    const set = await post(linkPath, { password, confirm: password })
    expect(set.status).toBe(302)
    expect(set.headers.get('location')).toBe('/admin/login?passwordSet=1')
    const hash = organizerRow(email)!.passwordHash
    expect(hash).toMatch(/^\$argon2id\$/)
    expect(hash).not.toContain(password)

    const again = await post(linkPath, { password: 'another passphrase 99', confirm: 'another passphrase 99' })
    expect(again.status).toBe(400)
    expect(await again.text()).toContain('This link has expired or was already used.')
    expect(organizerRow(email)!.passwordHash).toBe(hash)
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
