/**
 * Over real HTTP: each language's page names its own URL canonical (with hreflang
 * alternates for the others), the home page shows campaign cards with count, progress and
 * a call to action, and a team with one live campaign may open it from the home page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { attr, tagsOf, textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type Sql } from '../helpers/sql.ts'

let server: RunningServer
const CAMPAIGN = `/c/${demoCampaign.slug}`

beforeAll(async () => {
  // No page cache: the landing setting is changed straight in the database between requests.
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
})

afterAll(async () => {
  await server?.stop()
})

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual', headers })
  return { res, body: await res.text() }
}

function links(html: string) {
  return tagsOf(html, 'link').map((l) => ({ rel: attr(l, 'rel'), hreflang: attr(l, 'hreflang'), href: attr(l, 'href') }))
}

async function withDb<T>(work: (db: Sql) => Promise<T>) {
  const db = openServerSql(server)
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

describe('canonical and alternate links', () => {
  for (const path of ['/', CAMPAIGN]) {
    for (const lng of ['en', 'de', 'es'] as const) {
      it(`names the ${lng} URL of ${path} as its canonical, with every language and x-default as alternates`, async () => {
        const { body } = await get(`${path}?lng=${lng}`)
        const all = links(body)
        expect(all.filter((l) => l.rel === 'canonical').map((l) => l.href)).toEqual([`${server.url}${path}?lng=${lng}`])
        const alternates = Object.fromEntries(all.filter((l) => l.rel === 'alternate' && l.hreflang).map((l) => [l.hreflang, l.href]))
        expect(alternates).toEqual({
          en: `${server.url}${path}?lng=en`,
          de: `${server.url}${path}?lng=de`,
          es: `${server.url}${path}?lng=es`,
          'x-default': `${server.url}${path}`,
        })
      })
    }
  }

  it('names the bare URL (the x-default) canonical when the URL names no language, whatever was negotiated', async () => {
    // Naming ?lng=es from here would make one hreflang alternate claim another (Lighthouse's canonical audit fails it).
    for (const path of ['/', CAMPAIGN]) {
      const { body } = await get(path, { 'Accept-Language': 'es-ES,es;q=0.9' })
      expect(links(body).filter((l) => l.rel === 'canonical').map((l) => l.href)).toEqual([`${server.url}${path}`])
    }
  })

  it('gives the donate, thanks and embed pages a description and a canonical instead of noindex', async () => {
    const expected: [string, string][] = [
      [`${CAMPAIGN}/donate?lng=de`, `${server.url}${CAMPAIGN}/donate?lng=de`],
      [`${CAMPAIGN}/donate`, `${server.url}${CAMPAIGN}/donate`],
      [`/thanks/free-andry?lng=es`, `${server.url}${CAMPAIGN}?lng=es`],
      [`/embed/c/free-andry?lng=de`, `${server.url}${CAMPAIGN}?lng=de`],
      [`/embed/c/free-andry/donate?lng=en`, `${server.url}${CAMPAIGN}/donate?lng=en`],
    ]
    for (const [path, canonical] of expected) {
      const { body } = await get(path)
      expect(links(body).filter((l) => l.rel === 'canonical').map((l) => l.href), path).toEqual([canonical])
      expect(body, path).not.toContain('noindex')
      expect(body, path).toMatch(/<meta name="description" content="[^"]{20,}"/)
    }
  })

  it('leaves other query parameters out of the canonical URL', async () => {
    const { body } = await get(`${CAMPAIGN}?lng=de&signed=1`)
    expect(links(body).find((l) => l.rel === 'canonical')?.href).toBe(`${server.url}${CAMPAIGN}?lng=de`)
  })
})

describe('home page cards', () => {
  it('shows each live campaign with its image, confirmed count, progress towards the goal and a call to action', async () => {
    const confirmed = await withDb(async (db) =>
        (await db.get('SELECT cc.confirmed AS n FROM campaign_counters cc JOIN campaigns c ON c.id = cc.campaign_id WHERE c.slug = ?', demoCampaign.slug) as
          | { n: number }
          | undefined)?.n ?? 0,
    )
    const { res, body } = await get('/?lng=en')
    expect(res.status).toBe(200)
    const card = [...body.matchAll(/<li class="campaign-card">([\s\S]*?)<\/li>/g)].map((m) => m[1]!).find((c) => c.includes(`href="${CAMPAIGN}"`))
    expect(card, 'a card for the demo campaign').toBeDefined()
    expect(attr(tagsOf(card!, 'img')[0] ?? '', 'src')).toMatch(/^\/(images|uploads)\//)
    expect(textOf(card!)).toContain(`${confirmed.toLocaleString('en')} signature`)
    const progress = tagsOf(card!, 'progress')[0] ?? ''
    expect(Number(attr(progress, 'value'))).toBe(confirmed)
    expect(Number(attr(progress, 'max'))).toBeGreaterThan(confirmed)
    const cta = tagsOf(card!, 'a').find((a) => attr(a, 'class')?.includes('button'))
    expect(attr(cta ?? '', 'href')).toBe(`${CAMPAIGN}#petition`)
    expect(textOf(card!)).toContain('Sign the petition')
  })

  it('speaks the visitor’s language on the cards', async () => {
    const { body } = await get('/?lng=de')
    expect(textOf(body)).toContain(demoCampaign.translations.de.title)
    expect(textOf(body)).toContain('Petition unterzeichnen')
  })
})

describe('landing on the one live campaign', () => {
  const setLanding = (on: boolean) => withDb((db) => db.run('UPDATE campaigns SET open_from_home = ? WHERE slug = ?', on, demoCampaign.slug))

  it('shows the cards while no campaign asks to be opened from the home page', async () => {
    await setLanding(false)
    const { res } = await get('/')
    expect(res.status).toBe(200)
  })

  it('opens the campaign, in the chosen language, when it is the only live one and asks for it', async () => {
    const live = await withDb(async (db) => (await db.get("SELECT count(*) AS n FROM campaigns WHERE status = 'live'") as { n: number }).n)
    expect(live).toBe(1)
    await setLanding(true)
    try {
      const plain = await get('/')
      expect(plain.res.status).toBe(302)
      expect(plain.res.headers.get('location')).toBe(CAMPAIGN)
      const german = await get('/?lng=de')
      expect(german.res.headers.get('location')).toBe(`${CAMPAIGN}?lng=de`)
    } finally {
      await setLanding(false)
    }
  })

  it('shows the cards again as soon as a second campaign is live', async () => {
    await setLanding(true)
    const second = await withDb(async (db) => {
      const org = await db.get("SELECT id FROM organizations WHERE slug = 'demo'") as { id: number }
      const { id } = (await db.get<{ id: number }>(
        "INSERT INTO campaigns (organization_id, slug, status, default_locale, published_at) VALUES (?, 'second-live', 'live', 'en', ?) RETURNING id",
        org.id,
        Date.now(),
      ))!
      await db.run("INSERT INTO campaign_translations (campaign_id, locale, title, summary) VALUES (?, 'en', 'A second live campaign', 'Also live.')", id)
      return id
    })
    try {
      const { res, body } = await get('/?lng=en')
      expect(res.status).toBe(200)
      expect(textOf(body)).toContain('A second live campaign')
      expect(textOf(body)).toContain(demoCampaign.translations.en.title)
    } finally {
      await setLanding(false)
      await withDb(async (db) => {
        await db.run('DELETE FROM campaign_translations WHERE campaign_id = ?', second)
        await db.run('DELETE FROM campaigns WHERE id = ?', second)
      })
    }
  })
})

describe('who chooses what the home page opens', () => {
  async function logIn(email: string, password: string) {
    const res = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url },
      body: new URLSearchParams({ email, password }),
    })
    return res.headers.get('set-cookie')!.split(';')[0]!
  }
  const choose = (cookie: string, open: boolean) =>
    fetch(`${server.url}/admin/campaigns/1?index`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url, Cookie: cookie },
      body: new URLSearchParams({ intent: 'openFromHome', ...(open ? { openFromHome: 'on' } : {}) }),
    })
  const landing = () => withDb(async (db) => (await db.get('SELECT open_from_home AS v FROM campaigns WHERE id = 1') as { v: number }).v)

  it('refuses a campaign manager (the home page belongs to the whole team) and changes nothing', async () => {
    const manager = { email: 'manager.home@example.org', name: 'Mina Manager', password: 'a long manager password 1' }
    await createOrganiser(server, { ...manager, campaignRoles: [{ slug: demoCampaign.slug, role: 'manager' }] })
    const res = await choose(await logIn(manager.email, manager.password), true)
    expect(res.status).toBe(403)
    expect(await landing()).toBe(0)
  })

  it('lets an owner turn it on and off, without touching the other settings', async () => {
    const owner = await logIn('demo@vigil.example', 'vigil-demo-2026')
    const before = await withDb(async (db) => await db.get('SELECT slug, status, signature_goal, confirmation_reminder FROM campaigns WHERE id = 1'))
    expect((await choose(owner, true)).status).toBe(302)
    expect(await landing()).toBe(1)
    expect((await get('/')).res.status).toBe(302)
    expect((await choose(owner, false)).status).toBe(302)
    expect(await landing()).toBe(0)
    expect(await withDb(async (db) => await db.get('SELECT slug, status, signature_goal, confirmation_reminder FROM campaigns WHERE id = 1'))).toEqual(before)
  })
})
