/**
 * Public pages over real HTTP against the production build: the home page, the campaign
 * page in each language, 404s, drafts, robots.txt, the sitemap and link-preview tags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { textOf, tagsOf, attr, htmlLang, h1Text } from '../helpers/html.ts'
import { openServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer

// A campaign that stays a draft for the whole file (inserted straight into the server's SQLite file).
const HIDDEN_DRAFT = { slug: 'hidden-draft-campaign', title: 'Hidden draft: not for visitors yet' }

beforeAll(async () => {
  server = await startServer()
  await insertCampaign({ ...HIDDEN_DRAFT, status: 'draft' })
})

afterAll(async () => {
  await server?.stop()
})

// ——— helpers ———

async function insertCampaign({ slug, title, status }: { slug: string; title: string; status: string }) {
  const db = openServerSql(server)
  try {
    const org = await db.get<{ id: number }>('SELECT id FROM organizations WHERE slug = ?', 'demo')
    if (!org) throw new Error('the seed did not create the demo organisation')
    const campaign = await db.get<{ id: number }>('INSERT INTO campaigns (organization_id, slug, status, default_locale) VALUES (?, ?, ?, ?) RETURNING id', org.id, slug, status, 'en')
    await db.run(
      'INSERT INTO campaign_translations (campaign_id, locale, title, summary, story_md) VALUES (?, ?, ?, ?, ?)',
      campaign!.id,
      'en',
      title,
      'A summary nobody should see.',
      '## Secret plans',
    )
  } finally {
    await db.close()
  }
}

async function setCampaignStatus(slug: string, status: string) {
  const db = openServerSql(server)
  try {
    const result = await db.run('UPDATE campaigns SET status = ?, published_at = ? WHERE slug = ?', status, Date.now(), slug)
    expect(result.changes).toBe(1)
  } finally {
    await db.close()
  }
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual', headers })
  return { res, body: await res.text() }
}

/** The content of <meta property|name="key">. */
function metaContent(html: string, key: string) {
  const tag = tagsOf(html, 'meta').find((t) => attr(t, 'property') === key || attr(t, 'name') === key)
  return tag ? attr(tag, 'content') : undefined
}

/** The inner HTML of the section labelled by the heading with this id. */
function sectionLabelledBy(html: string, id: string) {
  const match = new RegExp(`<section\\b[^>]*aria-labelledby="${id}"[^>]*>([\\s\\S]*?)</section>`, 'i').exec(html)
  if (!match) throw new Error(`no section labelled by #${id}`)
  return match[1]!
}

function timelineOf(html: string) {
  const section = sectionLabelledBy(html, 'timeline-title')
  return [...section.matchAll(/<time\b([^>]*)>([\s\S]*?)<\/time>/gi)].map((m) => ({
    dateTime: attr(`<time${m[1]}>`, 'datetime') ?? '',
    lang: attr(`<time${m[1]}>`, 'lang'),
    text: textOf(m[2]!),
  }))
}

function cookieNamed(res: Response, name: string) {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))
}

const CAMPAIGN = `/c/${demoCampaign.slug}`
const TITLES = {
  en: demoCampaign.translations.en.title,
  de: demoCampaign.translations.de.title,
  es: demoCampaign.translations.es.title,
}

// ——— home ———

describe('home page', () => {
  it('lists the live demo campaign with its title, summary and a link to its page', async () => {
    const { res, body } = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const text = textOf(body)
    expect(text).toContain(TITLES.en)
    expect(text).toContain(demoCampaign.translations.en.summary)
    expect(tagsOf(body, 'a').map((a) => attr(a, 'href'))).toContain(CAMPAIGN)
  })

  it('shows the campaign image from the app itself', async () => {
    const { body } = await get('/')
    const card = /<li class="campaign-card">([\s\S]*?)<\/li>/.exec(body)?.[1] ?? ''
    const src = attr(tagsOf(card, 'img')[0] ?? '', 'src')
    expect(src).toBeDefined()
    expect(src).toMatch(/^\/(?!\/)/)
    expect(attr(tagsOf(card, 'img')[0]!, 'alt')).toBe(demoCampaign.imageAlt.en)

    const image = await fetch(new URL(src!, server.url), { redirect: 'manual' })
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
    const bytes = new Uint8Array(await image.arrayBuffer())
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  })
})

// ——— campaign page languages ———

describe('campaign page language', () => {
  it('shows the campaign in English when the visitor states no preference', async () => {
    const { res, body } = await get(CAMPAIGN)
    expect(res.status).toBe(200)
    expect(htmlLang(body)).toBe('en')
    expect(h1Text(body)).toBe(TITLES.en)
  })

  it('shows the campaign in German when the browser asks for German', async () => {
    const { body } = await get(CAMPAIGN, { 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.5' })
    expect(htmlLang(body)).toBe('de')
    expect(h1Text(body)).toBe(TITLES.de)
  })

  it('shows the campaign in English when the browser only asks for an unsupported language', async () => {
    const { body } = await get(CAMPAIGN, { 'Accept-Language': 'fr-FR,fr;q=0.9' })
    expect(htmlLang(body)).toBe('en')
    expect(h1Text(body)).toBe(TITLES.en)
  })

  it('shows the language chosen with ?lng= and remembers it in the vigil_lang cookie', async () => {
    const { res, body } = await get(`${CAMPAIGN}?lng=es`)
    expect(res.status).toBe(200)
    expect(htmlLang(body)).toBe('es')
    expect(h1Text(body)).toBe(TITLES.es)
    const cookie = cookieNamed(res, 'vigil_lang')
    expect(cookie).toBeDefined()
    expect(cookie).toMatch(/^vigil_lang=es;/)
    expect(cookie).toMatch(/;\s*Path=\/(;|$)/i)
  })

  it('does not set the language cookie again when it already holds the chosen language', async () => {
    const { res, body } = await get(`${CAMPAIGN}?lng=es`, { Cookie: 'vigil_lang=es' })
    expect(htmlLang(body)).toBe('es')
    expect(cookieNamed(res, 'vigil_lang')).toBeUndefined()
  })

  it('shows the language remembered in the cookie on later visits without ?lng=', async () => {
    const { res, body } = await get(CAMPAIGN, { Cookie: 'vigil_lang=de' })
    expect(htmlLang(body)).toBe('de')
    expect(h1Text(body)).toBe(TITLES.de)
    expect(cookieNamed(res, 'vigil_lang')).toBeUndefined()
  })

  it('prefers ?lng= over the cookie, and the cookie over Accept-Language', async () => {
    const param = await get(`${CAMPAIGN}?lng=de`, { Cookie: 'vigil_lang=es', 'Accept-Language': 'en' })
    expect(htmlLang(param.body)).toBe('de')
    expect(h1Text(param.body)).toBe(TITLES.de)
    expect(cookieNamed(param.res, 'vigil_lang')).toMatch(/^vigil_lang=de;/)

    const cookie = await get(CAMPAIGN, { Cookie: 'vigil_lang=es', 'Accept-Language': 'de' })
    expect(htmlLang(cookie.body)).toBe('es')
    expect(h1Text(cookie.body)).toBe(TITLES.es)
  })

  it('ignores an unknown ?lng= value and falls back to the next source', async () => {
    const { res, body } = await get(`${CAMPAIGN}?lng=xx`, { 'Accept-Language': 'de' })
    expect(htmlLang(body)).toBe('de')
    expect(cookieNamed(res, 'vigil_lang')).toBeUndefined()
  })

  it('links every language version with absolute hreflang alternates, plus x-default', async () => {
    const { body } = await get(`${CAMPAIGN}?lng=de`)
    const alternates = tagsOf(body, 'link')
      // Language versions only (the oEmbed link is an alternate too, of another type).
      .filter((l) => attr(l, 'rel') === 'alternate' && attr(l, 'hreflang'))
      .map((l) => [attr(l, 'hreflang'), attr(l, 'href')])
    expect(Object.fromEntries(alternates)).toEqual({
      en: `${server.url}${CAMPAIGN}?lng=en`,
      de: `${server.url}${CAMPAIGN}?lng=de`,
      es: `${server.url}${CAMPAIGN}?lng=es`,
      'x-default': `${server.url}${CAMPAIGN}`,
    })
  })
})

// ——— campaign page content ———

describe('campaign page content', () => {
  it('renders the story Markdown as HTML headings and lists', async () => {
    const { body } = await get(CAMPAIGN)
    const story = sectionLabelledBy(body, 'story-title')
    expect(story).toContain('<h2>A request for protection</h2>')
    expect(story).toMatch(/<ul>\s*<li>/)
    expect(story).not.toMatch(/(^|>|\n)\s*## /)
  })

  it('tells Spanish readers that parts are shown in English and marks the story as English', async () => {
    const { body } = await get(`${CAMPAIGN}?lng=es`)
    const note = /<p class="[^"]*campaign__fallback[^"]*"[^>]*>([\s\S]*?)<\/p>/.exec(body)
    expect(note).not.toBeNull()
    expect(textOf(note![1]!)).toBe(
      'Algunas partes de esta campaña todavía no están disponibles en español; se muestran en inglés.',
    )
    const story = sectionLabelledBy(body, 'story-title')
    const prose = tagsOf(story, 'div').find((d) => /class="prose"/.test(d))
    expect(prose).toBeDefined()
    expect(attr(prose!, 'lang')).toBe('en')
    expect(story).toContain('<h2>A request for protection</h2>')
  })

  it('shows no fallback note to German readers, whose story is fully translated', async () => {
    const { body } = await get(`${CAMPAIGN}?lng=de`)
    expect(body).not.toContain('campaign__fallback')
    const story = sectionLabelledBy(body, 'story-title')
    expect(attr(tagsOf(story, 'div').find((d) => /class="prose"/.test(d))!, 'lang')).toBe('de')
  })

  it('lists at least five timeline entries, newest first', async () => {
    const { body } = await get(CAMPAIGN)
    const entries = timelineOf(body)
    expect(entries.length).toBeGreaterThanOrEqual(5)
    expect(entries.length).toBe(demoCampaign.timeline.length)
    const dates = entries.map((e) => e.dateTime)
    for (const date of dates) expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(dates).toEqual([...dates].sort().reverse())
    expect(new Set(dates).size).toBe(dates.length)
  })

  it.each([
    ['de', '18. Juli 2025'],
    ['en', 'July 18, 2025'],
    ['es', '18 de julio de 2025'],
  ] as const)('formats timeline dates for a %s reader as in "%s"', async (lng, release) => {
    const { body } = await get(`${CAMPAIGN}?lng=${lng}`)
    const entries = timelineOf(body)
    expect(entries.find((e) => e.dateTime === '2025-07-18')?.text).toBe(release)
    const format = new Intl.DateTimeFormat(lng, { dateStyle: 'long', timeZone: 'UTC' })
    for (const entry of entries) {
      expect(entry.lang).toBe(lng)
      expect(entry.text).toBe(format.format(new Date(`${entry.dateTime}T00:00:00Z`)))
    }
  })
})

// ——— not found and drafts ———

describe('pages visitors cannot see', () => {
  it('answers an unknown campaign with a friendly 404 page in English by default', async () => {
    const { res, body } = await get('/c/no-such-campaign')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(htmlLang(body)).toBe('en')
    expect(h1Text(body)).toBe('We could not find that page')
    expect(tagsOf(body, 'a').map((a) => attr(a, 'href'))).toContain('/')
  })

  it('answers an unknown campaign with a friendly 404 page in the visitor\u2019s language', async () => {
    const german = await get('/c/no-such-campaign', { 'Accept-Language': 'de' })
    expect(german.res.status).toBe(404)
    expect(htmlLang(german.body)).toBe('de')
    expect(h1Text(german.body)).toBe('Wir konnten diese Seite nicht finden')

    const spanish = await get('/c/no-such-campaign?lng=es')
    expect(spanish.res.status).toBe(404)
    expect(htmlLang(spanish.body)).toBe('es')
    expect(h1Text(spanish.body)).not.toBe('We could not find that page')
  })

  it('answers an unknown path with the same friendly 404 page', async () => {
    const { res, body } = await get('/no/such/page', { 'Accept-Language': 'de' })
    expect(res.status).toBe(404)
    expect(h1Text(body)).toBe('Wir konnten diese Seite nicht finden')
  })

  it('hides a draft campaign from visitors', async () => {
    for (const path of [`/c/${HIDDEN_DRAFT.slug}`, `/c/${HIDDEN_DRAFT.slug}?fresh=1`]) {
      const { res, body } = await get(path)
      expect(res.status).toBe(404)
      expect(body).not.toContain(HIDDEN_DRAFT.title)
      expect(h1Text(body)).toBe('We could not find that page')
    }
    // The query string bypasses the page cache, so this is the live listing.
    const home = await get('/?fresh=draft-check')
    expect(home.res.status).toBe(200)
    expect(home.body).toContain(TITLES.en)
    expect(home.body).not.toContain(HIDDEN_DRAFT.title)
    expect(home.body).not.toContain(HIDDEN_DRAFT.slug)
  })

  it('shows a campaign once its draft is made live', async () => {
    const slug = 'draft-then-live'
    const title = 'Drafted first, published later'
    await insertCampaign({ slug, title, status: 'draft' })
    const before = await get(`/c/${slug}`)
    expect(before.res.status).toBe(404)
    expect(before.body).not.toContain(title)

    await setCampaignStatus(slug, 'live')
    const after = await get(`/c/${slug}?fresh=1`)
    expect(after.res.status).toBe(200)
    expect(h1Text(after.body)).toBe(title)
  })
})

// ——— robots, sitemap, link previews, health ———

describe('crawlers and link previews', () => {
  it('keeps robots out of the back office and points them to the sitemap', async () => {
    const { res, body } = await get('/robots.txt')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const lines = body.split('\n').map((l) => l.trim())
    expect(lines).toContain('User-agent: *')
    expect(lines).toContain('Disallow: /admin')
    expect(lines).toContain(`Sitemap: ${server.url}/sitemap.xml`)
  })

  it('lists the public campaign in the sitemap with hreflang links, and no drafts', async () => {
    const { res, body } = await get('/sitemap.xml')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/)
    expect(body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/)
    const entries = [...body.matchAll(/<url>([\s\S]*?)<\/url>/g)].map((m) => m[1]!)
    const campaign = entries.find((e) => e.includes(`<loc>${server.url}${CAMPAIGN}</loc>`))
    expect(campaign).toBeDefined()
    for (const lng of ['en', 'de', 'es']) {
      expect(campaign).toContain(
        `<xhtml:link rel="alternate" hreflang="${lng}" href="${server.url}${CAMPAIGN}?lng=${lng}"/>`,
      )
    }
    expect(body).not.toContain(HIDDEN_DRAFT.slug)
    // The legal pages linked from every page's footer.
    for (const page of ['privacy', 'imprint', 'contact']) expect(body).toContain(`<loc>${server.url}/${page}</loc>`)
  })

  it('gives the campaign page Open Graph and Twitter tags with absolute URLs', async () => {
    const { body } = await get(`${CAMPAIGN}?lng=de`)
    expect(metaContent(body, 'og:title')).toBe(TITLES.de)
    expect(metaContent(body, 'og:description')).toBe(demoCampaign.translations.de.summary)
    expect(metaContent(body, 'og:type')).toBe('website')
    expect(metaContent(body, 'og:url')).toBe(`${server.url}${CAMPAIGN}`)
    // The share card: the campaign's title, hero and count in the page's language.
    expect(metaContent(body, 'og:image')).toMatch(new RegExp(`^${server.url}${CAMPAIGN}/card-de\\.png\\?v=[\\w-]+$`))
    expect(metaContent(body, 'og:image:alt')).toContain(TITLES.de)
    expect(metaContent(body, 'twitter:card')).toBe('summary_large_image')
    expect(metaContent(body, 'twitter:title')).toBe(TITLES.de)
    expect(metaContent(body, 'twitter:image')).toBe(metaContent(body, 'og:image'))
    const canonical = tagsOf(body, 'link').find((l) => attr(l, 'rel') === 'canonical')
    expect(attr(canonical ?? '', 'href')).toBe(`${server.url}${CAMPAIGN}?lng=de`)

    const image = await fetch(metaContent(body, 'og:image')!, { redirect: 'manual' })
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
  })

  it('gives the home page Open Graph and Twitter tags with an absolute URL', async () => {
    const { body } = await get('/')
    expect(metaContent(body, 'og:title')).toBeTruthy()
    expect(metaContent(body, 'og:description')).toBeTruthy()
    expect(metaContent(body, 'og:url')).toBe(`${server.url}/`)
    expect(metaContent(body, 'twitter:card')).toMatch(/^summary/)
    expect(metaContent(body, 'twitter:title')).toBe(metaContent(body, 'og:title'))
  })

  it('answers the health check', async () => {
    const { res, body } = await get('/healthz')
    expect(res.status).toBe(200)
    expect(textOf(body)).toContain('ok')
  })
})
