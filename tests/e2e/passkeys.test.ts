/**
 * Passkeys in Chromium against the production build, with Chromium's virtual authenticator
 * (DevTools protocol, WebAuthn domain) standing in for a phone or a laptop's fingerprint
 * reader: an organiser adds a passkey on /admin/passkeys, logs out, and signs in with it from
 * the login page without typing a password; then the authenticator's counter is wound back (a
 * cloned key) and the same sign-in is refused with a message. The server runs at
 * http://localhost:<port>, as PUBLIC_URL says: WebAuthn refuses IP-address origins.
 */
import path from 'node:path'
import type { CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, SCREENSHOTS } from '../helpers/browser.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { freePort, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const ORGANISER = { email: 'kim.key@passkeys-e2e.example', name: 'Kim Key', password: 'a passphrase that is long enough', role: 'owner' as const }

let server: RunningServer
let db: ServerSql
let base: string
let browser: Awaited<ReturnType<typeof launchBrowser>>
let page: Page
let cdp: CDPSession
let authenticatorId: string
const foreignRequests: string[] = []

beforeAll(async () => {
  const port = await freePort()
  base = `http://localhost:${port}`
  server = await startServer({ env: { PORT: String(port), PUBLIC_URL: base } })
  db = openServerSql(server)
  // Passwords alone let owners in here: the passkey is added from the organiser's own page.
  expect((await createOrganiser(server, { ...ORGANISER, secondFactorPolicy: 'none' })).status).toBe(302)
  browser = await launchBrowser()
  browser.context.on('request', (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith('data:')) foreignRequests.push(request.url())
  })
  page = await browser.context.newPage()
  cdp = await browser.context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  ;({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await db?.close()
  await server?.stop()
})

describe('passkeys in Chromium', () => {
  it('adds a passkey on /admin/passkeys, logs out, and signs in with it from the login page', async () => {
    await page.goto(`${base}/admin/login`)
    await page.fill('input[name=email]', ORGANISER.email)
    await page.fill('input[name=password]', ORGANISER.password)
    await page.click('form#login-form button[type=submit]')
    await page.waitForURL(`${base}/admin`)

    await page.goto(`${base}/admin/passkeys`)
    expect(await page.locator('h1').textContent()).toBe('Passkeys')
    await page.getByLabel('Name (optional)').fill('Laptop fingerprint')
    await page.getByRole('button', { name: 'Add a passkey' }).click()
    await page.getByText('Your passkey was added.').first().waitFor()
    // The first factor: ten recovery codes, shown this once.
    expect(await page.locator('ul[aria-label="Recovery codes"] li').count()).toBe(10)
    await page.getByRole('cell', { name: 'Laptop fingerprint', exact: true }).waitFor()
    await page.screenshot({ path: path.join(SCREENSHOTS, 'passkeys-en.png'), fullPage: true })
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    expect(credentials).toHaveLength(1)
    expect(credentials[0]!.rpId).toBe('localhost')
    expect(credentials[0]!.isResidentCredential).toBe(true)

    await page.getByRole('button', { name: 'Log out' }).click()
    await page.waitForURL(`${base}/admin/login`)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor()
    await page.screenshot({ path: path.join(SCREENSHOTS, 'passkeys-login-en.png'), fullPage: true })
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.waitForURL(`${base}/admin`)
    await page.getByText('Kim Key').first().waitFor()
    const session = await db.get<{ level: string; second_factor: string }>(
      "select level, second_factor from sessions join organizers on organizers.id = sessions.organizer_id where organizers.email = ? and second_factor = 'passkey'",
      ORGANISER.email,
    )
    expect(session).toEqual({ level: 'full', second_factor: 'passkey' })
    const used = await db.get<{ last_used_at: number | null }>('select last_used_at from organizer_passkeys')
    expect(used?.last_used_at).toBeGreaterThan(0)
  })

  it('refuses the same passkey once its counter was wound back, with a message', async () => {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    const credential = credentials[0]!
    expect(credential.signCount).toBeGreaterThan(0)
    // A copy of the key made earlier: its counter starts again from zero.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credential.credentialId })
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: 0 } })

    await page.getByRole('button', { name: 'Log out' }).click()
    await page.waitForURL(`${base}/admin/login`)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.getByText('That passkey did not work. Try another way to sign in.').waitFor()
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    const refused = await db.get<{ n: number }>("select count(*) as n from audit_log where action = 'organizer.passkey_sign_in_failed'")
    expect(Number(refused?.n)).toBe(1)
    expect(foreignRequests).toEqual([])
  })
})
