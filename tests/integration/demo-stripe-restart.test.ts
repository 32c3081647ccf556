import { createHmac } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Stripe from 'stripe'
import { afterAll, describe, expect, it } from 'vitest'
import { startStripeStandIn } from '../../stand-ins/stripe/index.ts'
import { h1Text, textOf } from '../helpers/html.ts'
import { CAMPAIGN_SLUG, startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { makeDataDir, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql } from '../helpers/sql.ts'

// A monthly donor's manage link (/donations/manage/:token) opens Stripe's customer portal. In demo
// mode "Stripe" is the stand-in the server starts; it keeps its state in the data folder, so the
// link still works after a restart. And whenever Stripe answers an error (a customer it does not
// know, or it cannot be reached), the page says so in the donor's language: never a 500.

const servers: RunningServer[] = []
let stack: DonationStack | undefined

afterAll(async () => {
  // The last one started first: the first server's stop drops the database they share.
  for (const server of servers.reverse()) await server.stop()
  await stack?.close()
})

/** The token in the receipt's manage link, as the server derives it from its session secret. */
function manageToken(donationId: number) {
  const secret = process.env.SESSION_SECRET!
  return `${donationId}.${createHmac('sha256', secret).update(`donation-manage:${donationId}`).digest('base64url')}`
}

async function waitFor<T>(read: () => Promise<T | undefined | null>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (value) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** POST the manage page's button as a browser without JavaScript does (same origin). */
function openPortal(server: RunningServer, token: string, lang = 'en') {
  return fetch(`${server.url}/donations/manage/${token}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `vigil_lang=${lang}` },
    body: '',
  })
}

describe('demo mode: the Stripe stand-in across a restart', () => {
  it('still opens the customer portal from a monthly gift’s manage link after the server restarts on the same data folder', async () => {
    const dir = makeDataDir()
    const first = await startServer({ dir, env: { PAGE_CACHE_TTL_MS: '0', VIGIL_QUIET_LOG: '1' } })
    servers.push(first)

    // A monthly gift through the donation form and the stand-in's checkout page.
    const donation = await fetch(`${first.url}/c/${CAMPAIGN_SLUG}/donate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ fundId: '1', currency: 'EUR', interval: 'monthly', amount: '2500', email: 'monthly.donor@example.org' }).toString(),
    })
    expect(donation.status).toBe(303)
    const checkout = donation.headers.get('location')!
    expect(checkout).toMatch(/\/c\/pay\/cs_/)
    const paid = await fetch(checkout, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'card', email: 'monthly.donor@example.org', name: 'Demo Supporter' }).toString(),
    })
    expect(paid.status).toBe(303)

    const db = openServerSql(first)
    const gift = await waitFor(
      () => db.get<{ id: number }>(`SELECT id, stripe_customer_id FROM donations WHERE interval = 'monthly' AND status = 'succeeded' AND stripe_customer_id IS NOT NULL`),
      'the webhook to record the monthly gift',
    )
    await db.close()
    const token = manageToken(gift.id)
    const before = await openPortal(first, token)
    expect(before.status).toBe(303)
    expect(before.headers.get('location')).toMatch(/\/p\/session\//)

    await first.stop({ keepData: true })
    // The stand-in's state is beside the database, readable by the service alone, and whole.
    const stateFile = path.join(dir, 'stripe-stand-in.json')
    expect(fs.statSync(stateFile).mode & 0o077).toBe(0)
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
    const second = await startServer({ dir, seed: false, env: { PAGE_CACHE_TTL_MS: '0', VIGIL_QUIET_LOG: '1', DATABASE_URL: first.databaseUrl ?? '' } })
    servers.push(second)

    const page = await fetch(`${second.url}/donations/manage/${token}`)
    expect(page.status).toBe(200)
    const after = await openPortal(second, token)
    expect(after.status, (await after.clone().text()).slice(0, 300)).toBe(303)
    const portal = await fetch(after.headers.get('location')!)
    expect(portal.status).toBe(200)
    expect(await portal.text()).toContain('Your recurring donations')
  }, 60_000)
})

describe('the manage page when Stripe answers an error', () => {
  const messages = {
    en: { unknown: 'Stripe does not know this gift', unavailable: 'Stripe cannot be reached right now' },
    de: { unknown: 'Stripe kennt diese Spende nicht', unavailable: 'Stripe ist gerade nicht erreichbar' },
    es: { unknown: 'Stripe no reconoce esta donación', unavailable: 'No podemos conectar con Stripe en este momento' },
  } as const

  it('answers 409 with a page in the donor’s language when Stripe does not know the customer, and 503 when Stripe cannot be reached', async () => {
    stack = await startDonationStack()
    const gift = await stack.donate({ interval: 'monthly', amount: '1500' })
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    for (const event of stack.eventsSince(mark)) expect((await stack.deliver(event)).status).toBe(200)
    const token = manageToken(gift.donationId)
    expect((await openPortal(stack.server, token)).status).toBe(303)

    // A customer Stripe does not know (deleted in the dashboard, or another account's).
    await stack.db.run('UPDATE donations SET stripe_customer_id = ? WHERE id = ?', 'cus_vigil_nobody_knows', gift.donationId)
    for (const lang of ['en', 'de', 'es'] as const) {
      const response = await openPortal(stack.server, token, lang)
      expect(response.status).toBe(409)
      const html = await response.text()
      expect(html).toContain(`lang="${lang}"`)
      expect(textOf(html)).toContain(messages[lang].unknown)
      expect(h1Text(html)).not.toBe('')
      expect(html).not.toContain('cus_vigil_nobody_knows')
    }

    // Stripe unreachable (network down): 503 with Retry-After, the page still there.
    await stack.standIn.close()
    for (const lang of ['en', 'de', 'es'] as const) {
      const response = await openPortal(stack.server, token, lang)
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
      const html = await response.text()
      expect(html).toContain(`lang="${lang}"`)
      expect(textOf(html)).toContain(messages[lang].unavailable)
    }
  }, 60_000)
})

describe('the stand-in’s state file', () => {
  it('gives back sessions, customers, subscriptions and events after a restart, and sets aside a file it cannot read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-stand-in-'))
    const stateFile = path.join(dir, 'stripe-stand-in.json')
    try {
      const first = await startStripeStandIn({ stateFile, deliver: false })
      const stripe = new Stripe(first.secretKey, first.sdkOptions)
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 1500, product_data: { name: 'Monthly' }, recurring: { interval: 'month' } } }],
        customer_email: 'state.file@example.org',
        success_url: 'http://127.0.0.1/thanks',
      })
      first.complete(session.id)
      const completed = first.object(session.id)!
      const events = first.events()
      await first.close()

      const second = await startStripeStandIn({ stateFile, deliver: false })
      try {
        expect(second.object(session.id)).toEqual(completed)
        expect(second.events()).toEqual(events)
        const again = new Stripe(second.secretKey, second.sdkOptions)
        const portal = await again.billingPortal.sessions.create({ customer: String(completed.customer) })
        expect(portal.url).toMatch(/\/p\/session\//)
        expect((await again.subscriptions.retrieve(String(completed.subscription))).status).toBe('active')
      } finally {
        await second.close()
      }

      fs.writeFileSync(stateFile, '{"version": 1, "sessions": [')
      const lines: string[] = []
      const third = await startStripeStandIn({ stateFile, deliver: false, log: (line) => lines.push(line) })
      await third.close()
      expect(third.sessions()).toEqual([])
      expect(fs.readdirSync(dir).filter((name) => name.includes('.unreadable-'))).toHaveLength(1)
      expect(lines.join('\n')).toMatch(/could not read .*started empty/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
