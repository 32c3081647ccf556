/**
 * The sign-in policy page in Chromium: saved without JavaScript, and with it the list of who is
 * not yet covered follows the option picked before saving (issue 18, ADR 019 §5).
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { launchBrowser, logInAsOrganiser, SCREENSHOTS, serverAndBrowser } from '../helpers/browser.ts'
import { createOrganiser, grantCampaignRole } from '../helpers/organisers.ts'
import { openServerSql } from '../helpers/sql.ts'

const e2e = serverAndBrowser()

async function seedOrganisers() {
  await createOrganiser(e2e.server, { email: 'otto.owner@policy-e2e.example', name: 'Otto Owner', password: 'an owner passphrase of some length', role: 'owner', secondFactorPolicy: null })
  await createOrganiser(e2e.server, { email: 'mia.manager@policy-e2e.example', name: 'Mia Manager', password: 'a manager passphrase of some length', secondFactorPolicy: null })
  await grantCampaignRole(e2e.server, { email: 'mia.manager@policy-e2e.example', slug: 'free-andry', role: 'manager' })
}

async function savedPolicy() {
  const db = openServerSql(e2e.server)
  try {
    return (await db.get<{ second_factor_policy: string }>('select second_factor_policy from instance_settings where id = 1'))?.second_factor_policy
  } finally {
    await db.close()
  }
}

describe('the sign-in policy page', () => {
  it('follows the option picked with JavaScript, and saves it', async () => {
    await seedOrganisers()
    const page = await e2e.browser.context.newPage()
    await logInAsOrganiser(page, e2e.server.url)
    await page.goto(`${e2e.server.url}/admin/security-policy`)
    const list = page.locator('section[aria-labelledby="uncovered-title"] li')
    await expect.poll(() => list.allTextContents()).toEqual(['Otto Owner'])
    await page.check('input[value="owners_managers"]')
    await expect.poll(() => list.allTextContents()).toEqual(['Mia Manager', 'Otto Owner'])
    await page.screenshot({ path: path.join(SCREENSHOTS, 'security-policy-en.png'), fullPage: true })
    await page.click('main button[type=submit]')
    await page.waitForURL(/\/admin\/security-policy\?saved=1$/)
    await expect.poll(() => page.locator('[role=status]').textContent()).toContain('Saved.')
    expect(await savedPolicy()).toBe('owners_managers')
    expect(await page.isChecked('input[value="owners_managers"]')).toBe(true)
    await page.close()
  })

  it('works without JavaScript, in German', async () => {
    const browser = await launchBrowser({ javaScriptEnabled: false, locale: 'de-DE' })
    try {
      const page = await browser.context.newPage()
      await logInAsOrganiser(page, e2e.server.url)
      await page.goto(`${e2e.server.url}/admin/security-policy`)
      expect(await page.locator('h1').textContent()).toBe('Anmelderegeln')
      await page.check('input[value="everyone"]')
      await page.click('main button[type=submit]')
      await page.waitForURL(/\/admin\/security-policy\?saved=1$/)
      expect(await savedPolicy()).toBe('everyone')
      expect(await page.isChecked('input[value="everyone"]')).toBe(true)
      // Without JavaScript the list is the saved choice's.
      expect(await page.locator('section[aria-labelledby="uncovered-title"] li').allTextContents()).toEqual(['Mia Manager', 'Otto Owner'])
      expect(await page.locator('section[aria-labelledby="uncovered-title"]').textContent()).toContain('Das Demo-Konto ist bei jeder Wahl ausgenommen')
      await page.screenshot({ path: path.join(SCREENSHOTS, 'security-policy-de-no-js.png'), fullPage: true })
    } finally {
      await browser.close()
    }
  })
})
