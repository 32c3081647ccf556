import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDonationStack, type DonationStack } from '../helpers/donations.ts'
import { onPostgres } from '../helpers/engine.ts'
import { petitionClient } from '../helpers/petition.ts'
import { myDataLinkEmails, supporterIdOf } from '../helpers/sealed-data.ts'

/**
 * "My data" (/me), withdraw and forget me as an attacker with a script meets them, over real HTTP
 * against the production build: malformed input, other people's signatures, cross-site posts,
 * what stays cached, and what a copy of the SQLite file still holds after forgetting. On SQLite and
 * on Postgres (VIGIL_TEST_ENGINE=postgres).
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
  await client?.close()
  await stack?.close()
})

const url = (p: string) => `${stack.server.url}${p}`
const nextIp = () => `10.61.${Math.floor(++visitor / 250)}.${visitor % 250}`

function requestLink(email: string, { lang = 'en' }: { lang?: string } = {}) {
  return fetch(url(`/me?index&lng=${lang}`), {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: stack.server.url, 'X-Forwarded-For': nextIp() },
    body: new URLSearchParams({ intent: 'request', email }),
  })
}

async function latestLink(address: string) {
  for (let i = 0; i < 50; i++) {
    const rows = await myDataLinkEmails(stack.db, address)
    const last = rows[rows.length - 1]
    if (last?.status === 'captured') {
      const link = (await client.linksOf(last.id, organiser)).find((l) => l.includes('/me/open/'))
      if (link) return link
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no My data link for ${address}`)
}

async function openSession(address: string) {
  expect((await requestLink(address)).status).toBe(200)
  const opened = await fetch(await latestLink(address), { method: 'POST', redirect: 'manual', headers: { Origin: stack.server.url }, body: new URLSearchParams() })
  expect(opened.status).toBe(303)
  return opened.headers.get('set-cookie')!.split(';')[0]!
}

const post = (cookie: string, p: string, body: Record<string, string>, headers: Record<string, string> = { Origin: stack.server.url }) =>
  fetch(url(p), { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, 'X-Forwarded-For': nextIp(), ...headers }, body: new URLSearchParams(body) })

async function signatureOf(email: string) {
  // Addresses are sealed (ADR 017): the supporter is found by the address's keyed hash.
  return stack.db.get<{ id: number; status: string }>(`SELECT id, status FROM signatures WHERE supporter_id = ?`, await supporterIdOf(stack.db, email))
}

describe('malformed input', () => {
  it('answers an address holding a control character like any other malformed one: 400 in the visitor’s language', async () => {
    for (const email of ['nul\u0000byte@example.org', 'tab\tin@example.org', 'bell\u0007@example.org']) {
      const answer = await requestLink(email, { lang: 'de' })
      expect(answer.status, JSON.stringify(email)).toBe(400)
      expect(await answer.text()).toContain('Geben Sie eine E-Mail-Adresse wie name@example.org ein')
    }
  })

  it('answers a signature id beyond any row’s range with the 404 of an unknown one, never a 500', async () => {
    const email = 'range.attacker@example.org'
    await client.signAndConfirm(client.person({ email }), organiser)
    const cookie = await openSession(email)
    for (const signatureId of ['2147483648', '9007199254740991', '-1', '1.5', 'abc', '']) {
      const answer = await post(cookie, '/me?index', { intent: 'withdraw', signatureId })
      expect(answer.status, signatureId).toBe(404)
    }
  })

  it('answers odd links, cookies and bodies on every /me route with a 4xx, never a 500', async () => {
    const odd = ['/me/open/' + 'a'.repeat(3000), '/me/open/%00', '/me/open/..%2F..%2Fadmin', '/me/open/x.data']
    for (const p of odd) expect((await fetch(url(p), { redirect: 'manual' })).status, p).toBeLessThan(500)
    for (const cookie of ['vigil_me=' + 'z'.repeat(5000), 'vigil_me=%ZZ', 'vigil_me=\u00e9'.replace('\u00e9', '%C3%A9'), 'vigil_me=']) {
      for (const p of ['/me', '/me/export.json', '/me/export.html', '/me/forget']) {
        const answer = await fetch(url(p), { headers: { Cookie: cookie }, redirect: 'manual' })
        expect(answer.status, `${p} ${cookie.slice(0, 20)}`).toBeLessThan(500)
      }
    }
    for (const p of ['/me?index', '/me/forget', '/me/open/abc']) {
      const json = await fetch(url(p), { method: 'POST', redirect: 'manual', headers: { Origin: stack.server.url, 'Content-Type': 'application/json' }, body: '{"intent":"request"}' })
      expect(json.status, p).toBeGreaterThanOrEqual(400)
      expect(json.status, p).toBeLessThan(500)
    }
  })
})

describe('someone else’s things', () => {
  it('cannot withdraw another supporter’s signature by its id', async () => {
    await client.signAndConfirm(client.person({ email: 'victim.one@example.org' }), organiser)
    await client.signAndConfirm(client.person({ email: 'attacker.one@example.org' }), organiser)
    const victim = (await signatureOf('victim.one@example.org'))!
    const cookie = await openSession('attacker.one@example.org')
    const before = await client.counters()
    expect((await post(cookie, '/me?index', { intent: 'withdraw', signatureId: String(victim.id) })).status).toBe(404)
    expect(await signatureOf('victim.one@example.org')).toEqual(victim)
    expect(await client.counters()).toEqual(before)
  })

  it('refuses withdraw and forget posted from another site, even with the session cookie', async () => {
    const email = 'csrf.target@example.org'
    await client.signAndConfirm(client.person({ email }), organiser)
    const signature = (await signatureOf(email))!
    const cookie = await openSession(email)
    const crossSite: Record<string, string>[] = [{ Origin: 'https://evil.example' }, { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }]
    for (const headers of crossSite) {
      expect((await post(cookie, '/me?index', { intent: 'withdraw', signatureId: String(signature.id) }, headers)).status).toBe(403)
      expect((await post(cookie, '/me/forget', { confirm: 'yes' }, headers)).status).toBe(403)
    }
    expect(await signatureOf(email)).toEqual(signature)
  })

  it('does not let another site open its own link in a visitor’s browser (no session fixation)', async () => {
    const email = 'fixation.attacker@example.org'
    await client.signAndConfirm(client.person({ email }), organiser)
    expect((await requestLink(email)).status).toBe(200)
    const link = await latestLink(email)
    // A form in a sandboxed frame on another site posts with `Origin: null`; the browser still says where it came from.
    const forced = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }, body: new URLSearchParams() })
    expect(forced.status).toBeGreaterThanOrEqual(400)
    expect(forced.headers.get('set-cookie') ?? '').not.toContain('vigil_me=')
    // The link is still good for its owner, from our own page.
    const own = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' }, body: new URLSearchParams() })
    expect(own.status).toBe(303)
  })
})

describe('what stays behind', () => {
  it('keeps the page’s data out of every cache, single-fetch data requests included', async () => {
    const email = 'cache.probe@example.org'
    await client.signAndConfirm(client.person({ email }), organiser)
    const cookie = await openSession(email)
    for (const p of ['/me', '/me.data', '/me/_index.data', '/me/forget', '/me/forget.data', '/me/export.json', '/me/export.html']) {
      const answer = await fetch(url(p), { headers: { Cookie: cookie }, redirect: 'manual' })
      if (answer.status === 404) continue
      expect(answer.headers.get('cache-control'), p).toMatch(/no-store/)
    }
  })

  it.skipIf(onPostgres)('leaves neither the address nor the name in the SQLite file’s bytes after forget me, WAL included', async () => {
    const email = 'bytes.forgotten@example.org'
    const lastName = 'Zwiebelfisch'
    await client.signAndConfirm(client.person({ email, firstName: 'Wilhelmine', lastName, message: 'Bytes-test message', showName: 'on' }), organiser)
    const cookie = await openSession(email)
    const done = await post(cookie, '/me/forget', { confirm: 'yes' })
    expect(done.status).toBe(200)
    // What a copy of the data folder taken now would hold.
    const path = stack.server.databasePath
    for (const file of [path, `${path}-wal`]) {
      if (!fs.existsSync(file)) continue
      const bytes = fs.readFileSync(file)
      for (const secret of [email, lastName, 'Wilhelmine', 'Bytes-test message']) {
        expect(bytes.includes(Buffer.from(secret)), `${secret} in ${file.slice(-8)}`).toBe(false)
      }
    }
  })
})
