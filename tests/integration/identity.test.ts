/**
 * The team's identity and the law, over real HTTP against the built server: Branding (team
 * name, accent colour with its AA check, logo re-encoded, home headline per language) and the
 * legal pages (public, linked from every page, email and the petition form; the privacy draft
 * written from the instance's real settings; the live dashboard's warning until reviewed).
 */
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attr, h1Text, tagsOf, textOf } from '../helpers/html.ts'
import { expectClean, jpegWithGpsAndTrailer } from '../helpers/hostile-images.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const EDITOR = { email: 'editor@example.org', name: 'Eddie Editor', password: 'editor-password-2026' }

let server: RunningServer
let db: ServerSql
let owner: string
let editor: string

async function login(s: RunningServer, { email, password }: { email: string; password: string }) {
  const response = await fetch(`${s.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { Origin: s.url }, body: new URLSearchParams({ email, password }) })
  expect(response.status).toBe(302)
  return /(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!
}

function post(path: string, body: URLSearchParams | FormData, cookie = owner, s = server) {
  return fetch(s.url + path, { method: 'POST', redirect: 'manual', headers: { Origin: s.url, Cookie: cookie }, body })
}

/** A page as an anonymous visitor sees it (with ?lng, so never a cached copy). */
async function page(path: string, lang = 'en', s = server) {
  const response = await fetch(`${s.url}${path}${path.includes('?') ? '&' : '?'}lng=${lang}`)
  return { status: response.status, html: await response.text() }
}

const branding = (values: Record<string, string> = {}) =>
  new URLSearchParams({ teamName: '', accentColor: '', headline_en: '', headline_de: '', headline_es: '', intro_en: '', intro_de: '', intro_es: '', ...values })

const brandOf = (html: string) => textOf(/<a[^>]*class="brand"[^>]*>([\s\S]*?)<\/a>/.exec(html)?.[1] ?? '')
const footerOf = (html: string) => /<footer class="site-footer">([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? ''
const auditActions = async () => await db.column<string>(`SELECT action FROM audit_log WHERE action LIKE 'settings.%' ORDER BY id`)

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  owner = await login(server, OWNER)
  expect((await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'free-andry', role: 'manager' }] })).status).toBe(302)
  editor = await login(server, EDITOR)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('branding', () => {
  it('shows Vigil and its own headline until a team saves its identity', async () => {
    const home = await page('/')
    expect(brandOf(home.html)).toBe('Vigil')
    expect(h1Text(home.html)).toBe('Stand with them until they are free')
    expect(home.html).not.toContain('/brand.css')
  })

  it('gives editors and managers a 403 on Branding and Legal pages, and changes nothing', async () => {
    for (const path of ['/admin/branding', '/admin/legal', '/admin/legal/privacy/en']) {
      expect((await fetch(server.url + path, { headers: { Cookie: editor } })).status).toBe(403)
    }
    expect((await post('/admin/branding', branding({ teamName: 'Hijacked' }), editor)).status).toBe(403)
    expect((await post('/admin/legal/imprint/de', new URLSearchParams({ body: 'Hijacked' }), editor)).status).toBe(403)
    expect((await fetch(`${server.url}/admin/branding`, { redirect: 'manual' })).status).toBe(302)
    expect(await auditActions()).toEqual([])
  })

  it('refuses an accent colour below AA contrast with a message in the organiser’s language, saving nothing', async () => {
    const response = await post('/admin/branding?lng=de', branding({ teamName: 'Not saved', accentColor: '#ffcc00' }))
    expect(response.status).toBe(400)
    const text = textOf(await response.text())
    expect(text).toContain('Diese Farbe ist zu hell zum Lesen')
    expect(text).toContain('1.51:1 zu weißer Schrift')
    expect((await post('/admin/branding', branding({ accentColor: 'orange' }))).status).toBe(400)
    // The row may exist (the start-up step records when it sealed an upgrade's data): no branding in it.
    expect(await db.get('SELECT count(*) AS n FROM instance_settings WHERE team_name IS NOT NULL OR accent_color IS NOT NULL OR logo_path IS NOT NULL')).toEqual({ n: 0 })
    expect(brandOf((await page('/')).html)).toBe('Vigil')
  })

  it('saves the team name, accent and home texts: header, headline per language, stylesheet, byline and email sign-off follow', async () => {
    const saved = await post(
      '/admin/branding',
      branding({ teamName: 'Reporters Watch', accentColor: '#1A5FB4', headline_de: 'Gemeinsam für Andry', intro_de: 'Wir dokumentieren jeden Fall.' }),
    )
    expect(saved.status).toBe(302)
    const home = await page('/', 'de')
    expect(brandOf(home.html)).toBe('Reporters Watch')
    expect(h1Text(home.html)).toBe('Gemeinsam für Andry')
    expect(textOf(home.html)).toContain('Wir dokumentieren jeden Fall.')
    // English was left empty: the UI's own headline.
    expect(h1Text((await page('/')).html)).toBe('Stand with them until they are free')
    // The team's intro is what a link preview of the home page says, too.
    expect(home.html).toContain('<meta name="description" content="Wir dokumentieren jeden Fall."')
    const stylesheet = tagsOf(home.html, 'link').map((l) => attr(l, 'href')).find((href) => href?.startsWith('/brand.css'))!
    const css = await fetch(server.url + stylesheet)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect(await css.text()).toContain('--accent:#1a5fb4')
    expect(textOf((await page('/c/free-andry')).html)).toContain('A campaign by Reporters Watch')
    expect(await auditActions()).toEqual(['settings.branding.save'])

    // An email queued from now on signs off with the team's name and links to the legal pages.
    const petition = petitionClient(server)
    const signer = petition.person()
    expect((await petition.sign(signer)).status).toBe(303)
    const [email] = await petition.waitForEmails(signer.email)
    const html = await (await fetch(`${server.url}/admin/outbox/${email!.id}/html`, { headers: { Cookie: owner } })).text()
    expect(textOf(html)).toContain('The Reporters Watch team')
    expect(html).toContain(`href="${server.url}/privacy?lng=en"`)
    expect(html).toContain(`href="${server.url}/imprint?lng=en"`)
  })

  it('stores the logo re-encoded (no metadata or trailers, at most 512 px) and shows it in the header', async () => {
    const { file, sentinels } = await jpegWithGpsAndTrailer()
    const form = new FormData()
    form.append('logo', new Blob([new Uint8Array(file)]), 'logo.jpg')
    expect((await post('/admin/branding', form)).status).toBe(302)
    const logoPath = ((await db.get('SELECT logo_path AS p FROM instance_settings')) as { p: string }).p
    expect(logoPath).toMatch(/^\/media\/logo-1-[\w-]+\.jpg$/)
    const media = Buffer.from(await (await fetch(server.url + logoPath)).arrayBuffer())
    await expectClean(media, sentinels)
    const { width = 0, height = 0 } = await sharp(media).metadata()
    expect(Math.max(width, height)).toBeLessThanOrEqual(512)
    const header = /<a[^>]*class="brand"[^>]*>[\s\S]*?<\/a>/.exec((await page('/')).html)![0]
    expect(header).toContain(`src="${logoPath}"`)

    const damaged = new FormData()
    damaged.append('logo', new Blob([new Uint8Array(file.subarray(0, 200))]), 'broken.jpg')
    const refused = await post('/admin/branding', damaged)
    expect(refused.status).toBe(400)
    expect(((await db.get('SELECT logo_path AS p FROM instance_settings')) as { p: string }).p).toBe(logoPath)
    expect(await auditActions()).toEqual(['settings.branding.save', 'settings.logo.set'])
  })
})

describe('legal pages', () => {
  it('are public in every language and linked from every public page’s footer and the petition form', async () => {
    for (const [path, title] of [['/privacy', 'Datenschutzerklärung'], ['/imprint', 'Impressum'], ['/contact', 'Kontakt']] as const) {
      const legal = await page(path, 'de')
      expect(legal.status).toBe(200)
      expect(h1Text(legal.html)).toBe(title)
    }
    for (const path of ['/', '/c/free-andry', '/c/free-andry/donate', '/privacy']) {
      const hrefs = tagsOf(footerOf((await page(path)).html), 'a').map((a) => attr(a, 'href'))
      expect(hrefs, path).toEqual(expect.arrayContaining(['/privacy', '/imprint', '/contact']))
    }
    const campaign = (await page('/c/free-andry')).html
    const form = /<form[^>]*>[\s\S]*?<\/form>/g
    expect([...campaign.matchAll(form)].some(([f]) => f.includes('href="/privacy"'))).toBe(true)
    // Nothing saved yet: the imprint says so, the privacy policy is the generated draft.
    expect(textOf((await page('/imprint')).html)).toContain('The team has not published this page yet.')
  })

  it('starts the privacy policy from a draft that states this instance’s retention, providers and cookies', async () => {
    const draft = textOf((await page('/privacy')).html)
    expect(draft).toContain('Reporters Watch runs this website')
    expect(draft).toContain('“Justice for Andry')
    expect(draft).toMatch(/: 180 days after it closes/)
    expect(draft).toContain('demo mode')
    for (const cookie of ['vigil_lang', 'vigil_thanks', 'vigil_session']) expect(draft).toContain(cookie)
    expect(draft).toContain('keyed hash of your IP address')
    expect(textOf((await page('/privacy', 'es')).html)).toMatch(/: 180 días después de cerrarse/)
  })

  it('changing a campaign’s retention period changes the generated draft', async () => {
    const c = (await db.get(`SELECT * FROM campaigns WHERE slug = 'free-andry'`)) as Record<string, string | number | null>
    const settings = new URLSearchParams({
      slug: String(c.slug),
      status: String(c.status),
      defaultLocale: String(c.default_locale),
      currency: String(c.currency),
      signatureGoal: c.signature_goal == null ? '' : String(c.signature_goal),
      target: String(c.target ?? ''),
      retentionDays: '45',
      ...(c.confirmation_reminder ? { confirmationReminder: 'on' } : {}),
    })
    expect((await post(`/admin/campaigns/${c.id}?index`, settings)).status).toBe(302)
    // The settings are read again after a second at most.
    await new Promise((r) => setTimeout(r, 1100))
    const draft = textOf((await page('/privacy')).html)
    expect(draft).toMatch(/: 45 days after it closes/)
    expect(draft).not.toMatch(/: 180 days after it closes/)
    const editorDraft = textOf(await (await fetch(`${server.url}/admin/legal/privacy/de`, { headers: { Cookie: owner } })).text())
    expect(editorDraft).toContain('45 Tage nach ihrem Ende')
  })

  it('an owner’s saved page replaces the draft, is audited, and an imprint saved in one language serves the others', async () => {
    expect((await post('/admin/legal/imprint/de', new URLSearchParams({ body: '## Angaben gemäß § 5 DDG\n\nReporters Watch e. V., Musterstraße 1, 10115 Berlin' }))).status).toBe(302)
    expect(textOf((await page('/imprint', 'de')).html)).toContain('Musterstraße 1')
    const english = await page('/imprint', 'en')
    expect(textOf(english.html)).toContain('Musterstraße 1')
    expect(english.html).toMatch(/<div class="prose" lang="de"/)
    expect((await post('/admin/legal/privacy/en', new URLSearchParams({ body: 'Our own reviewed policy.' }))).status).toBe(302)
    expect(textOf((await page('/privacy')).html)).toContain('Our own reviewed policy.')
    expect(textOf((await page('/privacy')).html)).not.toContain('vigil_thanks')
    expect((await post('/admin/legal/nonsense/en', new URLSearchParams({ body: 'x' }))).status).toBe(404)
    expect((await post('/admin/legal/imprint/de', new URLSearchParams({ body: 'x'.repeat(50_001) }))).status).toBe(400)
    expect((await auditActions()).filter((a) => a === 'settings.legal.save')).toHaveLength(2)
  })
})

describe('in live mode', () => {
  let live: RunningServer
  beforeAll(async () => {
    live = await startServer({
      env: {
        STRIPE_SECRET_KEY: 'sk_test_identity',
        STRIPE_WEBHOOK_SECRET: 'whsec_identity',
        RESEND_API_KEY: 're_identity',
        RESEND_WEBHOOK_SECRET: 'whsec_aWRlbnRpdHktdGVzdC1zZWNyZXQtMTIzNDU2',
        MAIL_FROM: 'Vigil <team@example.org>',
        SESSION_SECRET: 'identity-test-session-secret-0123456789abcdef',
        // Nothing may reach Stripe or Resend: both point at a closed port, and nothing is sent.
        STRIPE_API_BASE: 'http://127.0.0.1:9',
        RESEND_BASE_URL: 'http://127.0.0.1:9',
        VIGIL_ALLOW_DEMO_DATA: '1',
        VIGIL_SENDER: 'off',
        VIGIL_RETENTION: 'off',
        VIGIL_REMINDERS: 'off',
      },
    })
  })
  afterAll(async () => {
    await live?.stop()
  })

  it('the draft names Stripe and Resend, and the dashboard warns until every legal page is saved', async () => {
    const draft = textOf((await page('/privacy', 'en', live)).html)
    expect(draft).toContain('paid through Stripe')
    expect(draft).toContain('sent through Resend')
    expect(draft).not.toContain('demo mode')
    // The demo organiser cannot log in in live mode: an owner made as an operator would.
    const liveOwner = { email: 'owner@example.org', name: 'Olga Owner', password: 'owner-password-2026' }
    expect((await createOrganiser(live, { ...liveOwner, role: 'owner' })).status).toBe(302)
    const cookie = await login(live, liveOwner)
    const dashboard = async () => textOf(await (await fetch(`${live.url}/admin`, { headers: { Cookie: cookie } })).text())
    expect(await dashboard()).toContain('Before going live, review the legal pages')
    for (const kind of ['privacy', 'imprint', 'contact']) {
      for (const lang of ['en', 'de', 'es']) {
        expect((await post(`/admin/legal/${kind}/${lang}`, new URLSearchParams({ body: `${kind} ${lang}` }), cookie, live)).status).toBe(302)
      }
    }
    expect(await dashboard()).not.toContain('Before going live')
  })
})
