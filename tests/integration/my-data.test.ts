import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { petitionClient } from '../helpers/petition.ts'
import { databaseEnv, runScript } from '../helpers/server.ts'
import { myDataLinkEmails, supporterIdOf } from '../helpers/sealed-data.ts'
import { emailHash, openSignature, openSupporter, sealSuppression } from '~/models/personal-data.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { rateLimitKey } from '~/workflows/rate-limit.server.ts'
import type { MyDataExport } from '~/workflows/my-data.server.ts'

type Row = Record<string, string | number | null>

/**
 * "My data" (/me) through the real pages of the production build, with the Stripe stand-in:
 * asking for a link (the same answer for every address), the link (once, an hour), the page and
 * its downloads, withdrawing a signature, forgetting a supporter. On SQLite and on Postgres
 * (VIGIL_TEST_ENGINE=postgres).
 */

let stack: DonationStack
let client: ReturnType<typeof petitionClient>
let organiser: string
let visitor = 0

beforeAll(async () => {
  stack = await startDonationStack()
  client = petitionClient(stack.server, stack.db)
  organiser = await client.login()
}, 60_000)

afterAll(async () => {
  await stack?.close()
})

const url = (p: string) => `${stack.server.url}${p}`
const nextIp = () => `10.60.${Math.floor(++visitor / 250)}.${visitor % 250}`

function requestLink(email: string, { ip = nextIp(), lang = 'en' }: { ip?: string; lang?: string } = {}) {
  return fetch(url(`/me?index&lng=${lang}`), {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: stack.server.url, 'X-Forwarded-For': ip },
    body: new URLSearchParams({ intent: 'request', email }),
  })
}

/** The page without what differs on every response anyway (the CSP nonce). */
const comparable = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""')

// Addresses are sealed (ADR 017): a supporter's link emails are found by the supporter's keyed hash.
const linkEmails = (address: string) => myDataLinkEmails(stack.db, address)
const linkEmailCount = async () => Number((await stack.db.get<{ n: number }>(`SELECT count(*) AS n FROM email_messages WHERE template = 'my-data-link'`))!.n)
const signatureIdOf = async (address: string) => (await stack.db.get<{ id: number }>('SELECT id FROM signatures WHERE supporter_id = ?', await supporterIdOf(stack.db, address)))!.id

async function latestLink(address: string) {
  for (let i = 0; i < 50; i++) {
    const rows = await linkEmails(address)
    const last = rows[rows.length - 1]
    if (last?.status === 'captured') {
      const links = await client.linksOf(last.id, organiser)
      const link = links.find((l) => l.includes('/me/open/'))
      if (link) return link
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no My data link for ${address}`)
}

async function openSession(address: string) {
  const link = await latestLink(address)
  const opened = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: stack.server.url }, body: new URLSearchParams() })
  expect(opened.status).toBe(303)
  return opened.headers.get('set-cookie')!.split(';')[0]!
}

async function signConfirmed(form: Record<string, string>) {
  await client.signAndConfirm(form, organiser)
}

const me = (cookie: string, p = '/me') => fetch(url(p), { headers: { Cookie: cookie }, redirect: 'manual' })
const post = (cookie: string, p: string, body: Record<string, string>) =>
  fetch(url(p), { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: stack.server.url, 'X-Forwarded-For': nextIp() }, body: new URLSearchParams(body) })

async function recount() {
  const result = await runScript('scripts/recount.ts', [], databaseEnv(stack.server))
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

describe('asking for the link', () => {
  it('answers a known and an unknown address with the same page and status, and emails only the known one, in its language', async () => {
    const known = client.person({ email: 'ines.known@example.org', firstName: 'Inés' })
    const signed = await client.sign({ ...known, country: 'ES' }, { lang: 'es' })
    expect(signed.status).toBe(303)
    const accessBefore = (await stack.db.get<{ n: number }>('SELECT count(*) AS n FROM my_data_access'))!.n
    const linksBefore = await linkEmailCount()

    const a = await requestLink('Ines.Known@example.org')
    const b = await requestLink('nobody.here@example.org')
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    const [pageA, pageB] = [comparable(await a.text()), comparable(await b.text())]
    expect(pageA).toBe(pageB)
    expect(pageA).toContain('If we hold anything for this address, we have sent it a link.')

    const emails = await linkEmails('ines.known@example.org')
    expect(emails).toHaveLength(1)
    expect(emails[0]!.locale).toBe('es')
    // Only the known address got one.
    expect(await linkEmailCount()).toBe(linksBefore + 1)
    expect((await stack.db.get<{ n: number }>('SELECT count(*) AS n FROM my_data_access'))!.n).toBe(accessBefore + 1)
    // The address typed is not kept, not even hashed plainly: only the keyed hash of the rate limit.
    const dump = JSON.stringify(await stack.db.all('SELECT * FROM rate_limit_hits'))
    expect(dump).not.toContain('nobody.here')
  })

  it('refuses a malformed address with a 400 in the visitor’s language', async () => {
    const response = await requestLink('not-an-address', { lang: 'de' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Geben Sie eine E-Mail-Adresse wie name@example.org ein')
  })

  it('limits requests per address, whether known or not, and per client address', async () => {
    for (const email of ['limit.known@example.org', 'limit.unknown@example.org']) {
      if (email.includes('known@')) expect((await client.sign(client.person({ email }))).status).toBe(303)
      for (let i = 0; i < 3; i++) expect((await requestLink(email)).status).toBe(200)
      const limited = await requestLink(email)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(await limited.text()).toContain('Too many requests')
    }
    const ip = '10.61.0.1'
    for (let i = 0; i < 20; i++) expect((await requestLink(`many.${i}@example.org`, { ip })).status).toBe(200)
    expect((await requestLink('many.20@example.org', { ip })).status).toBe(429)
  })
})

describe('the link and the page', () => {
  it('opens one session once, with a cookie scoped to /me; a used, expired or unknown link is a 404 that says so', async () => {
    const person = client.person({ email: 'link.once@example.org', firstName: 'Olga', lastName: 'Petrova' })
    await signConfirmed({ ...person, message: 'Free him now', showName: 'on' })
    expect((await requestLink(person.email)).status).toBe(200)
    const link = await latestLink(person.email)

    const shown = await fetch(link)
    expect(shown.status).toBe(200)
    expect(await shown.text()).toContain('Show my data')
    const opened = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: stack.server.url }, body: new URLSearchParams() })
    expect(opened.status).toBe(303)
    expect(opened.headers.get('location')).toBe('/me')
    const setCookie = opened.headers.get('set-cookie')!
    expect(setCookie).toMatch(/^vigil_me=[\w-]{40,}; Path=\/me; Max-Age=3600; HttpOnly; SameSite=Lax$/)
    const cookie = setCookie.split(';')[0]!

    const again = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: stack.server.url }, body: new URLSearchParams() })
    expect(again.status).toBe(404)
    const used = await fetch(link)
    expect(used.status).toBe(404)
    expect(await used.text()).toContain('This link does not work')
    const unknown = await fetch(url('/me/open/not-a-real-token?lng=de'))
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('Dieser Link funktioniert nicht')

    const page = await me(cookie)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toContain('no-store')
    const html = await page.text()
    expect(html).toContain('link.once@example.org')
    expect(html).toContain('Petrova')
    expect(html).toContain('Free him now')
    expect(html).toContain('confirmed and counted')
    expect(html).toContain('Withdraw this signature')

    // An hour later the next link no longer opens anything.
    expect((await requestLink(person.email)).status).toBe(200)
    const next = await latestLink(person.email)
    await stack.db.run('UPDATE my_data_access SET link_expires_at = ? WHERE session_hash IS NULL', Date.now() - 1)
    expect((await fetch(next, { method: 'POST', redirect: 'manual', headers: { Origin: stack.server.url }, body: new URLSearchParams() })).status).toBe(404)

    // Signing out revokes the session at once.
    const signedOut = await post(cookie, '/me?index', { intent: 'signout' })
    expect(signedOut.status).toBe(303)
    expect(signedOut.headers.get('set-cookie')).toMatch(/^vigil_me=; Path=\/me; Max-Age=0/)
    const after = await (await me(cookie)).text()
    expect(after).not.toContain('link.once@example.org')
    expect(after).toContain('Send me the link')
    expect((await me(cookie, '/me/export.json')).status).toBe(401)
  })

  it('downloads what the database holds, as JSON in the documented shape and as a printable page', async () => {
    const person = client.person({ email: 'export.me@example.org', firstName: 'Kemal', lastName: 'Aydın' })
    await signConfirmed({ ...person, message: 'Solidarity from Izmir', showName: 'on', updates: 'on' })
    expect((await requestLink(person.email)).status).toBe(200)
    const cookie = await openSession(person.email)

    const response = await me(cookie, '/me/export.json')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-disposition')).toContain('attachment')
    const exported = (await response.json()) as MyDataExport
    const supporter = await stack.db.get<Row>('SELECT * FROM supporters WHERE id = ?', await supporterIdOf(stack.db, 'export.me@example.org'))
    const signature = await stack.db.get<Row>('SELECT * FROM signatures WHERE supporter_id = ?', supporter!.id)
    const held = openSupporter(String(supporter!.sealed))
    const signed = openSignature(String(signature!.sealed))!
    const consentRows = await stack.db.all<Row>('SELECT * FROM consents WHERE supporter_id = ? ORDER BY id', supporter!.id)
    expect(exported.format).toBe('vigil-my-data/1')
    expect(held).toMatchObject({ email: 'export.me@example.org', firstName: 'Kemal', lastName: 'Aydın' })
    expect(exported.supporter).toMatchObject({ email: held.email, firstName: 'Kemal', lastName: 'Aydın', country: supporter!.country, language: supporter!.locale })
    expect(exported.signatures).toHaveLength(1)
    expect(exported.signatures[0]).toMatchObject({
      campaign: { slug: 'free-andry', status: 'live' },
      status: signature!.status,
      nameShown: true,
      firstName: signed.firstName,
      lastName: signed.lastName,
      message: signed.message,
      signedAt: new Date(Number(signature!.created_at)).toISOString(),
      confirmedAt: new Date(Number(signature!.confirmed_at)).toISOString(),
    })
    expect(exported.consents).toHaveLength(consentRows.length)
    expect(exported.consents.map((c) => c.granted)).toEqual(consentRows.map((c) => Boolean(c.granted)))
    const emailRows = await stack.db.all(
      `SELECT id FROM email_messages WHERE supporter_id = ? OR idempotency_key LIKE ? OR idempotency_key LIKE ?`,
      supporter!.id,
      `signature:${signature!.id}:%`,
      `me:${supporter!.id}:%`,
    )
    expect(exported.emails).toHaveLength(emailRows.length)
    expect(exported.emails.every((e) => typeof e.subject === 'string' && e.subject.length > 0)).toBe(true)
    expect(exported.donations).toEqual([])
    expect(exported.suppressions).toEqual([])

    const printable = await me(cookie, '/me/export.html')
    expect(printable.status).toBe(200)
    expect(printable.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await printable.text()
    expect(html).toContain('Solidarity from Izmir')
    expect(html).toContain('@media print')
    expect(html).not.toMatch(/<script|src=|href="http/)
  })
})

describe('withdrawing a signature', () => {
  it('while the campaign is live: the counters move in the same transaction, the message leaves the page, the audit names no one, recount finds no drift', async () => {
    const person = client.person({ email: 'withdraw.me@example.org', firstName: 'Yusuf', lastName: 'Demir', country: 'TR' })
    await signConfirmed({ ...person, message: 'Withdraw-test message', showName: 'on' })
    const campaignPage = async () => (await fetch(url('/c/free-andry'))).text()
    const signatureId = await signatureIdOf(person.email)
    await stack.db.run(`UPDATE signatures SET message_status = 'approved' WHERE id = ?`, signatureId)
    expect(await campaignPage()).toContain('Withdraw-test message')
    const before = await client.counters()
    const trBefore = (await stack.db.get<{ n: number }>(`SELECT confirmed AS n FROM country_counters WHERE campaign_id = 1 AND country = 'TR'`))!.n

    expect((await requestLink(person.email)).status).toBe(200)
    const cookie = await openSession(person.email)
    const withdrawn = await post(cookie, '/me?index', { intent: 'withdraw', signatureId: String(signatureId) })
    expect(withdrawn.status).toBe(200)
    expect(await withdrawn.text()).toContain('Your signature is withdrawn')

    expect(await client.counters()).toEqual({ confirmed: before.confirmed - 1, pending: before.pending })
    expect((await stack.db.get<{ n: number }>(`SELECT confirmed AS n FROM country_counters WHERE campaign_id = 1 AND country = 'TR'`))!.n).toBe(trBefore - 1)
    expect(await stack.db.get('SELECT id FROM signatures WHERE id = ?', signatureId)).toBeUndefined()
    expect(await campaignPage()).not.toContain('Withdraw-test message')
    const audit = await stack.db.get<{ organizer_id: number | null; subject_type: string; subject_id: string; details: string }>(
      `SELECT organizer_id, subject_type, subject_id, details FROM audit_log WHERE action = 'signature.withdraw' ORDER BY id DESC LIMIT 1`,
    )
    expect(audit).toMatchObject({ organizer_id: null, subject_type: 'campaign', subject_id: '1' })
    expect(audit!.details).not.toMatch(/Yusuf|Demir|withdraw\.me/)
    expect(await recount()).toContain('all counters match')

    // A second press finds nothing (404), and a signature of someone else is not theirs to withdraw.
    expect((await post(cookie, '/me?index', { intent: 'withdraw', signatureId: String(signatureId) })).status).toBe(404)
    const other = (await stack.db.get<{ id: number }>('SELECT id FROM signatures WHERE supporter_id IS NOT NULL ORDER BY id LIMIT 1'))!.id
    expect((await post(cookie, '/me?index', { intent: 'withdraw', signatureId: String(other) })).status).toBe(404)
    expect(await stack.db.get('SELECT id FROM signatures WHERE id = ?', other)).toBeDefined()
    // Without a session: 401.
    expect((await post('vigil_me=nothing', '/me?index', { intent: 'withdraw', signatureId: String(other) })).status).toBe(401)
  })

  it('after the campaign closed: nothing changes, and the page says when the signature will be anonymised', async () => {
    const person = client.person({ email: 'closed.campaign@example.org' })
    await signConfirmed(person)
    const signatureId = await signatureIdOf(person.email)
    expect((await requestLink(person.email)).status).toBe(200)
    const cookie = await openSession(person.email)
    const closedAt = Date.UTC(2026, 0, 10)
    await stack.db.run(`UPDATE campaigns SET status = 'closed', closed_at = ?, retention_days = 30 WHERE id = 1`, closedAt)
    try {
      const before = await client.counters()
      const refused = await post(cookie, '/me?index', { intent: 'withdraw', signatureId: String(signatureId) })
      expect(refused.status).toBe(409)
      expect(await client.counters()).toEqual(before)
      const page = await (await me(cookie)).text()
      expect(page).toContain('will be removed (anonymised) on February 9, 2026')
    } finally {
      await stack.db.run(`UPDATE campaigns SET status = 'live', closed_at = NULL, retention_days = 180 WHERE id = 1`)
    }
  })
})

describe('forget me', () => {
  it('cancels monthly gifts at Stripe first, anonymises and deletes, and leaves no row with the address or name', async () => {
    const email = 'forget.me.please@example.org'
    const lastName = 'Vergessenova'
    await signConfirmed(client.person({ email, firstName: 'Zora', lastName, message: 'Forget-test message', showName: 'on', updates: 'on' }))
    const gift = await stack.donate({ interval: 'monthly', amount: '1200', email, publicName: `Zora ${lastName}`, message: 'Forget-test gift', receiptName: `Zora ${lastName}` })
    const mark = stack.standIn.events().length
    stack.standIn.complete(gift.sessionId)
    for (const event of stack.eventsSince(mark)) expect((await stack.deliver(event)).status).toBe(200)
    const subscriptionId = String(stack.standIn.object(gift.sessionId)!.subscription)
    const paid = await stack.donation(gift.donationId)
    expect(paid).toMatchObject({ status: 'succeeded', subscription_ended_at: null })
    const confirmedBefore = (await client.counters()).confirmed

    // (A suppressed address gets no email, so the suppression is recorded once the session is open.)
    expect((await requestLink(email)).status).toBe(200)
    const cookie = await openSession(email)
    const suppression = sealSuppression(email)
    await stack.db.run(`INSERT INTO suppressed_addresses (email_hash, sealed, data_key_id, reason) VALUES (?, ?, ?, 'bounce')`, suppression.emailHash, suppression.sealed, suppression.dataKeyId)
    expect(await (await me(cookie)).text()).toContain('mail to it bounced')

    // The server shares the test set-up's keys (tests/helpers/setup-env.ts): the keyed hash its link requests were counted under.
    const keyed = rateLimitKey(normalizeEmail(email))
    expect(await stack.db.all('SELECT id FROM rate_limit_hits WHERE key_hash = ?', keyed)).not.toEqual([])

    const confirmPage = await me(cookie, '/me/forget')
    expect(confirmPage.status, confirmPage.headers.get('location') ?? '').toBe(200)
    expect(await confirmPage.text()).toContain('accounting law requires us to keep for 10 years')
    // The one confirmation step: a post without it changes nothing.
    expect((await post(cookie, '/me/forget', {})).status).toBe(400)
    expect(await supporterIdOf(stack.db, email)).not.toBeNull()

    const done = await post(cookie, '/me/forget', { confirm: 'yes' })
    expect(done.status).toBe(200)
    expect(done.headers.get('set-cookie')).toMatch(/^vigil_me=; Path=\/me; Max-Age=0/)
    const report = await done.text()
    expect(report).toContain('We have forgotten you')
    expect(report).toContain('1 monthly gift cancelled at our payment provider.')
    expect(report).toContain('1 confirmed signature, anonymised')
    expect(report).toContain('1 block on your address, kept only as a keyed fingerprint')
    // Only what happened: no line for what there was none of (no unconfirmed signature here).
    expect(report).not.toContain('unconfirmed signature')
    expect(report).not.toMatch(/<li>0 /)

    // Stripe first: the subscription is cancelled at the stand-in, and the gift's row says it ended.
    expect(stack.standIn.object(subscriptionId)!.status).toBe('canceled')
    const kept = await stack.donation(gift.donationId)
    expect(kept).toMatchObject({ supporter_id: null, sealed: null, public_name: null, message: null, receipt_name: null, email: null, amount_minor: paid!.amount_minor, paid_at: paid!.paid_at, stripe_subscription_id: subscriptionId })
    expect(kept!.subscription_ended_at).not.toBeNull()
    // The count stays honest: the confirmed signature still counts.
    expect((await client.counters()).confirmed).toBe(confirmedBefore)
    expect(await recount()).toContain('all counters match')

    // The bounce still keeps mail away, by the address's keyed hash alone: its sealed address is gone.
    expect(await stack.db.all(`SELECT sealed, reason FROM suppressed_addresses WHERE email_hash = ?`, emailHash(email))).toEqual([{ sealed: null, reason: 'bounce' }])
    // No table holds the address, the name or the keyed hash its link requests were counted under.
    for (const table of await stack.db.tables()) {
      const dump = JSON.stringify(await stack.db.all(`SELECT * FROM ${table}`))
      expect(dump, table).not.toContain('forget.me.please')
      expect(dump, table).not.toContain(lastName)
      expect(dump, table).not.toContain('Forget-test')
      expect(dump, table).not.toContain(keyed)
    }
    // The session is gone; a later request for the address gets the same answer and no email.
    expect(await (await me(cookie)).text()).toContain('Send me the link')
    expect((await requestLink(email)).status).toBe(200)
    expect(await linkEmails(email)).toEqual([])
  })
})
