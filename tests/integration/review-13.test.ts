/**
 * Review of sharing, embeds, print and share cards, as an attacker with a script: each test is a defect found over real HTTP
 * against the production build (see the review report for the proposed fixes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attr, tagsOf, textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer
let db: ServerSql
let owner: string
let campaignId: number

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '60000' } })
  db = openServerSql(server)
  owner = await petitionClient(server).login()
  campaignId = ((await db.get(`SELECT id FROM campaigns WHERE slug = 'free-andry'`)) as { id: number }).id
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const csp = (response: Response) => response.headers.get('content-security-policy') ?? ''
const directives = (policy: string) => policy.split(';').map((d) => d.trim().split(/\s+/)[0]!.toLowerCase()).filter(Boolean)

describe('allowed framing origins cannot inject CSP directives', () => {
  it('refuses a host with ; , or quotes (URL keeps them in the host) and never writes them into frame-ancestors', async () => {
    const before = await db.column(`SELECT origin FROM campaign_frame_origins WHERE campaign_id = ?`, campaignId)
    // A manager (or a stolen manager session) types this: the embed page's CSP gains `base-uri https://evil.example`
    // ahead of the real `base-uri 'none'` (the first one wins) and a report-uri to a third party.
    const text = 'https://news.example;base-uri\nhttps://evil.example;report-uri\nhttps://evil.example/\nhttps://a.example%3Bsandbox'
    const saved = await fetch(`${server.url}/admin/campaigns/${campaignId}/embed`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url, Cookie: owner },
      body: new URLSearchParams({ origins: text }),
    })
    expect(saved.status).toBe(400)
    expect(await db.column(`SELECT origin FROM campaign_frame_origins WHERE campaign_id = ?`, campaignId)).toEqual(before)
    const policy = csp(await fetch(`${server.url}/embed/c/free-andry`))
    const names = directives(policy)
    expect(names.filter((d) => d === 'base-uri')).toHaveLength(1)
    expect(names).not.toContain('report-uri')
    expect(names).not.toContain('sandbox')
  })

  it('an origin stored before the check (or by hand) still cannot break out of frame-ancestors', async () => {
    await db.run(`INSERT INTO campaign_frame_origins (campaign_id, origin, created_at) VALUES (?, ?, ?)`, campaignId, 'https://x.example;report-uri', Date.now())
    try {
      const policy = csp(await fetch(`${server.url}/embed/c/free-andry?lng=es`))
      expect(directives(policy)).not.toContain('report-uri')
      expect(/frame-ancestors ([^;]*)/.exec(policy)?.[1]).toBe("'self'")
    } finally {
      await db.run(`DELETE FROM campaign_frame_origins WHERE campaign_id = ?`, campaignId)
    }
  })
})

describe('/share/mastodon is not an open redirect', () => {
  it('moves on by itself only when the visitor came from our own share form, not from a link someone sent', async () => {
    // A phishing message links to our trusted domain, which forwards at once to any host's /share.
    const lure = await fetch(`${server.url}/share/mastodon?c=free-andry&instance=evil.example`, { headers: { 'Sec-Fetch-Site': 'cross-site' } })
    const html = await lure.text()
    expect(tagsOf(html, 'meta').some((m) => attr(m, 'http-equiv') === 'refresh')).toBe(false)
    // The visitor can still go on, by a click on a link that names the server.
    expect(textOf(html)).toContain('evil.example')
    // From our own share form (same origin) the move stays automatic.
    const fromForm = await (await fetch(`${server.url}/share/mastodon?c=free-andry&instance=mastodon.social`, { headers: { 'Sec-Fetch-Site': 'same-origin' } })).text()
    expect(tagsOf(fromForm, 'meta').some((m) => attr(m, 'http-equiv') === 'refresh')).toBe(true)
  })
})

describe('share card errors speak the visitor’s language', () => {
  it('an unknown card language answers 404 in German for a German visitor, not in English', async () => {
    const response = await fetch(`${server.url}/c/free-andry/card-zz.png`, { headers: { 'Accept-Language': 'de-DE,de;q=0.9' } })
    expect(response.status).toBe(404)
    const body = await response.text()
    expect(body).not.toContain('No such campaign or language')
    expect(body).toContain('Wir konnten diese Seite nicht finden')
    expect(response.headers.get('content-language')).toBe('de')
  })
})

describe('gifts by source (ADR 011: money per donor is for managers)', () => {
  it('are shown to managers, not to an editor who could mint a tag for one person and read their gift', async () => {
    const client = petitionClient(server)
    // One paid gift that came by a tag minted for one person (written as the webhook would leave it).
    await db.run(
      `insert into donations (campaign_id, fund_id, interval, gift_minor, amount_minor, currency, status, paid_at, counted_minor, locale, email, source)
       select c.id, f.id, 'once', 4200, 4200, 'EUR', 'succeeded', ?, 4200, 'en', 'one.person@example.org', 'for-one-person'
       from campaigns c join funds f on f.campaign_id = c.id where c.slug = 'free-andry' limit 1`,
      Date.now(),
    )
    for (const [email, role] of [
      ['editor.sources@example.org', 'editor'],
      ['manager.sources@example.org', 'manager'],
    ] as const) {
      const made = await createOrganiser(server, { email, name: role, password: 'a long enough password 1', campaignRoles: [{ slug: 'free-andry', role }] })
      expect(made.status).toBe(302)
      const cookie = await client.login(email, 'a long enough password 1')
      const page = await fetch(`${server.url}/admin/campaigns/1/sharing`, { headers: { Cookie: cookie } })
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(html).toContain('data-testid="signatures-by-source"')
      if (role === 'editor') expect(html).not.toContain('data-testid="donations-by-source"')
      else expect(html).toMatch(/data-testid="donations-by-source"[\s\S]*for-one-person[\s\S]*€42\.00/)
    }
  })
})
