/**
 * The sessions page and an owner's reset of another organiser's second factors, in Chromium
 * with JavaScript off (issue 18, ADR 019 §13, §15): every form is a plain form, and the reset's
 * confirmation is a second page. Screenshots sessions-en.png and organiser-reset-confirm-en.png.
 */
import path from 'node:path'
import { expect, it } from 'vitest'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS, serverAndBrowser } from '../helpers/browser.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { openServerSql } from '../helpers/sql.ts'

const e2e = serverAndBrowser()
const RITA = { email: 'rita.reset@e2e.example', name: 'Rita Reset', password: 'a passphrase for the e2e reset' }
// An owner of their own: the demo organiser, whom every demo visitor shares, may end no other session.
const OLGA = { email: 'olga.owner@e2e.example', name: 'Olga Owner', password: 'a passphrase for the e2e owner', role: 'owner' as const }

it('lists sessions, ends the others and resets another organiser’s factors without JavaScript', async () => {
  const { server } = e2e
  expect((await createOrganiser(server, OLGA)).status).toBe(302)
  expect((await createOrganiser(server, { ...RITA, secondFactorPolicy: null })).status).toBe(302)
  const db = openServerSql(server)
  const noJs = await launchBrowser({ javaScriptEnabled: false })
  const other = await launchBrowser({ javaScriptEnabled: false })
  try {
    const ritaId = (await db.get<{ id: number }>('select id from organizers where email = ?', RITA.email))!.id
    await db.run(`insert into organizer_passkeys (organizer_id, credential_id, public_key, name) values (?, 'cred-e2e', 'pk', 'Laptop')`, ritaId)

    const otherPage = await other.context.newPage()
    await logInAsOrganiser(otherPage, server.url, OLGA)
    const page = await noJs.context.newPage()
    await logInAsOrganiser(page, server.url, OLGA)

    await page.goto(`${server.url}/admin/sessions`)
    await expect(page.locator('h1').textContent()).resolves.toBe('Sessions')
    expect(await page.locator('tbody tr').count()).toBeGreaterThanOrEqual(2)
    await expect(page.locator('tr[data-session="current"]').textContent()).resolves.toContain('This device')
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sessions-en.png'), fullPage: true })
    await page.getByRole('button', { name: 'End all other sessions' }).click()
    await expect(page.locator('[role=status]').textContent()).resolves.toMatch(/session(s)? ended\./)
    expect(await page.locator('tbody tr').count()).toBe(1)
    // The other browser's session is over.
    await otherPage.goto(`${server.url}/admin`)
    expect(new URL(otherPage.url()).pathname).toBe('/admin/login')

    await page.goto(`${server.url}/admin/organizers`)
    const ritaForm = page.locator(`form[aria-label="Sign-in and second factors"]:has(input[name=organizerId][value="${ritaId}"])`)
    await ritaForm.getByRole('button', { name: 'Reset second factors' }).click()
    await expect(page.getByRole('heading', { name: 'Reset the second factors of Rita Reset?' }).isVisible()).resolves.toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOTS, 'organiser-reset-confirm-en.png'), fullPage: true })
    expect(await db.get('select count(*) as n from organizer_passkeys where organizer_id = ?', ritaId)).toEqual({ n: 1 })
    await page.getByRole('button', { name: 'Yes, reset them' }).click()
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('The second factors of Rita Reset were removed')
    expect(await db.get('select count(*) as n from organizer_passkeys where organizer_id = ?', ritaId)).toEqual({ n: 0 })
  } finally {
    await noJs.close()
    await other.close()
    await db.close()
  }
}, 60_000)
