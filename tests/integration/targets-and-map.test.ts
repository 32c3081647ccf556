/**
 * Targets and the map over real HTTP against the production build (both engines): the seeded
 * targets in en/de/es, targets saved through the admin form with field-by-field fallback, the
 * form's errors without JavaScript, the old one-line target when there are none, the public
 * /c/:slug/map.svg (type, CSP, ETag/304, 404 for drafts), the campaign page's table and the
 * admin signatures page's inline map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { attr, tagsOf, textOf } from '../helpers/html.ts'
import { listTargetRecipients, listTargetsForPacket } from '~/models/targets.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { closeDatabase, openServerDatabase } from '../helpers/engine.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const SLUG = demoCampaign.slug
let server: RunningServer
let db: ServerSql
let client: ReturnType<typeof petitionClient>
let owner: string
let campaignId: number

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' } })
  db = openServerSql(server)
  client = petitionClient(server, db)
  owner = await client.login()
  campaignId = (await db.get<{ id: number }>('SELECT id FROM campaigns WHERE slug = ?', SLUG))!.id
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers, redirect: 'manual' })
const page = async (path: string, headers: Record<string, string> = {}) => {
  const response = await get(path, headers)
  expect(response.status, path).toBe(200)
  return response.text()
}
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, Cookie: owner, ...headers }, body: new URLSearchParams(body) })

/** A table's rows, each as its cells' text joined by a space. */
function rowsOf(html: string) {
  return [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => textOf(cell[1]!).trim()).join(' '))
}

/** The petition panel's "To:" block. */
function targetsBlock(html: string) {
  return /<div class="targets-list">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? null
}

describe('targets', () => {
  it('shows the seeded targets in each language, under "To:", and never their addresses', async () => {
    for (const [lang, to, dhs, congress] of [
      ['en', 'To:', 'U.S. Department of Homeland Security', 'U.S. Congress'],
      ['de', 'An:', 'US-Heimatschutzministerium', 'US-Kongress'],
      ['es', 'Para:', 'Departamento de Seguridad Nacional de EE. UU.', 'Congreso de EE. UU.'],
    ] as const) {
      const html = await page(`/c/${SLUG}?lng=${lang}`)
      const block = targetsBlock(html)
      expect(block, lang).not.toBeNull()
      const text = textOf(block!)
      expect(text).toContain(to)
      expect(text.indexOf(dhs)).toBeGreaterThan(-1)
      expect(text.indexOf(congress)).toBeGreaterThan(text.indexOf(dhs))
      expect(html).not.toContain('targets.example')
      // The old one-line target gives way to the list.
      expect(html).not.toMatch(/<p class="panel__target">(To|An|Para): /)
    }
  })

  it('saves a target through the admin form and shows each field in the reader’s language or, marked, the campaign’s', async () => {
    const saved = await post(`/admin/campaigns/${campaignId}/targets`, {
      intent: 'save',
      email: 'Registry@Ohchr.example',
      locale: 'de',
      position: '5',
      'texts.en.name': 'UN Human Rights Office',
      'texts.en.role': 'Special Procedures',
      'texts.en.note': 'It can ask the United States for an explanation.',
      'texts.de.role': 'Sonderverfahren',
    })
    expect(saved.status).toBe(302)
    const row = await db.get<{ id: number; email: string; locale: string; position: number }>(
      `SELECT id, email, locale, position FROM campaign_targets WHERE campaign_id = ? AND email = 'registry@ohchr.example'`,
      campaignId,
    )
    expect(row).toMatchObject({ locale: 'de', position: 5 })
    expect(await db.all('SELECT locale, name, role FROM campaign_target_translations WHERE target_id = ? ORDER BY locale', row!.id)).toEqual([
      { locale: 'de', name: '', role: 'Sonderverfahren' },
      { locale: 'en', name: 'UN Human Rights Office', role: 'Special Procedures' },
    ])
    const audit = await db.get<{ action: string; subject_type: string; subject_id: string; details: unknown }>(
      `SELECT action, subject_type, subject_id, details FROM audit_log WHERE action = 'target.save' ORDER BY id DESC LIMIT 1`,
    )
    expect(audit).toMatchObject({ action: 'target.save', subject_type: 'campaign', subject_id: String(campaignId) })
    const details = typeof audit!.details === 'string' ? JSON.parse(audit!.details) : audit!.details
    expect(details).toEqual({ targetId: row!.id, title: 'UN Human Rights Office' })

    // German: the role in German, the name and note from English, marked as English.
    const de = targetsBlock(await page(`/c/${SLUG}?lng=de`))!
    expect(de).toContain('<strong lang="en">UN Human Rights Office</strong>')
    expect(de).toMatch(/<span>Sonderverfahren<\/span>/)
    expect(de).toContain('<span class="muted" lang="en">It can ask the United States for an explanation.</span>')
    // Spanish: everything from English; English: nothing marked.
    const es = targetsBlock(await page(`/c/${SLUG}?lng=es`))!
    expect(es).toContain('<span lang="en">Special Procedures</span>')
    const en = targetsBlock(await page(`/c/${SLUG}?lng=en`))!
    expect(en).toContain('<strong>UN Human Rights Office</strong>')
    expect(en).not.toContain('lang=')
    // Position 5: after the two seeded targets.
    expect(textOf(en).indexOf('UN Human Rights Office')).toBeGreaterThan(textOf(en).indexOf('U.S. Congress'))

    // The admin page lists it with its address (organisers only) and its language.
    const admin = await page(`/admin/campaigns/${campaignId}/targets`, { Cookie: owner })
    expect(admin).toContain('registry@ohchr.example')
    expect(textOf(admin)).toContain('UN Human Rights Office')

    // A change keeps the id; the note removed in every language is gone from the page.
    const changed = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'save', id: String(row!.id), locale: 'en', 'texts.en.name': 'UN Human Rights Office', 'texts.es.name': 'Oficina de Derechos Humanos de la ONU' })
    expect(changed.status).toBe(302)
    const esAgain = targetsBlock(await page(`/c/${SLUG}?lng=es`))!
    expect(esAgain).toContain('<strong>Oficina de Derechos Humanos de la ONU</strong>')
    expect(esAgain).not.toContain('explanation')
    expect((await db.get<{ email: string | null }>('SELECT email FROM campaign_targets WHERE id = ?', row!.id))!.email).toBeNull()
  })

  it('answers a form without a name, a bad address or a bad intent with a 4xx and an error summary in the organiser’s language, writing nothing', async () => {
    const before = await db.get<{ n: number }>('SELECT count(*) AS n FROM campaign_targets')
    const noName = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'save', locale: 'en', 'texts.en.role': 'A role only' }, { 'Accept-Language': 'de', Cookie: `${owner}; vigil_lang=de` })
    expect(noName.status).toBe(400)
    const html = await noName.text()
    // GOV.UK-style, without JavaScript: the summary takes the focus and links to the field.
    const summary = /<div[^>]*class="error-summary"[^>]*>[\s\S]*?<\/div>/.exec(html)?.[0] ?? ''
    expect(summary).toContain('autofocus')
    expect(textOf(summary)).toContain('Geben Sie den Namen des Adressaten in mindestens einer Sprache ein.')
    expect(summary).toContain(`href="#target-new-${campaignId}-texts.en.name"`)
    expect(html).toContain(`id="target-new-${campaignId}-texts.en.name"`)

    const badEmail = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'save', locale: 'en', email: 'not an address', 'texts.en.name': 'Someone' })
    expect(badEmail.status).toBe(400)
    expect(textOf(await badEmail.text())).toContain('Please enter an email address like name@example.org.')

    const badLocale = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'save', locale: 'xx', 'texts.en.name': 'Someone' })
    expect(badLocale.status).toBe(400)

    const badIntent = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'explode' })
    expect(badIntent.status).toBe(400)
    const noSuch = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'delete', id: '999999' })
    expect(noSuch.status).toBe(404)
    const notNumber = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'delete', id: 'no-such-thing' })
    expect(notNumber.status).toBe(400)
    const foreign = await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'save', id: '999999', locale: 'en', 'texts.en.name': 'Someone' })
    expect(foreign.status).toBe(404)
    expect(textOf(await foreign.text())).toContain('This target does not exist (any more). Reload the page.')
    expect(await db.get<{ n: number }>('SELECT count(*) AS n FROM campaign_targets')).toEqual(before)
  })

  it('gives the milestone emails each addressed target in its own language, and the packet the page’s list', async () => {
    const saved = await post(`/admin/campaigns/${campaignId}/targets`, {
      intent: 'save',
      email: 'oficina@senado.example',
      locale: 'es',
      position: '9',
      'texts.en.name': 'Senate of Spain',
      'texts.es.name': 'Senado de España',
    })
    expect(saved.status).toBe(302)
    const handle = openServerDatabase(server)
    try {
      const recipients = await transaction(handle, (tx) => listTargetRecipients(tx, { campaignId }))
      // The UN office has no address any more: it is not written to.
      expect(recipients.map(({ email, locale, name }) => ({ email, locale, name }))).toEqual([
        { email: 'homeland-security@targets.example', locale: 'en', name: 'U.S. Department of Homeland Security' },
        { email: 'judiciary-committees@targets.example', locale: 'en', name: 'U.S. Congress' },
        { email: 'oficina@senado.example', locale: 'es', name: 'Senado de España' },
      ])
      const packet = await listTargetsForPacket(handle, { campaignId, lang: 'de', defaultLocale: 'en' })
      // In the campaign's order: the UN office was saved again without a position (0), so it follows the first target.
      expect(packet.map((t) => [t.name.value, t.name.lang])).toEqual([
        ['US-Heimatschutzministerium', 'de'],
        ['UN Human Rights Office', 'en'],
        ['US-Kongress', 'de'],
        ['Senate of Spain', 'en'],
      ])
    } finally {
      await closeDatabase(handle)
    }
  })

  it('falls back to the one-line target from the settings when every target is removed', async () => {
    const ids = await db.all<{ id: number }>('SELECT id FROM campaign_targets WHERE campaign_id = ?', campaignId)
    expect(ids.length).toBeGreaterThanOrEqual(2)
    for (const { id } of ids) expect((await post(`/admin/campaigns/${campaignId}/targets`, { intent: 'delete', id: String(id) })).status).toBe(302)
    expect(await db.get<{ n: number }>('SELECT count(*) AS n FROM campaign_target_translations')).toEqual({ n: 0 })
    expect(await db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'target.delete'`)).toEqual({ n: ids.length })
    const html = await page(`/c/${SLUG}?lng=en`)
    expect(targetsBlock(html)).toBeNull()
    expect(html).toContain(`<p class="panel__target">To: ${demoCampaign.target}</p>`)
  })
})

describe('the map', () => {
  it('is not on the page before the first confirmed signature', async () => {
    const html = await page(`/c/${SLUG}`)
    expect(html).not.toContain('/map.svg')
  })

  it('serves /c/:slug/map.svg with its type, CSP, caching, an ETag and 304, and the counts in the titles', async () => {
    await client.signAndConfirm(client.person({ country: 'DE' }), owner)
    await client.signAndConfirm(client.person({ country: 'DE' }), owner)
    await client.signAndConfirm(client.person({ country: 'BA' }), owner)
    const confirmed = (await db.get<{ confirmed: number }>('SELECT confirmed FROM campaign_counters WHERE campaign_id = ?', campaignId))!.confirmed
    expect(confirmed).toBe(3)

    // The page: the image (its URL changes with the count) and, folded, the table.
    const html = await page(`/c/${SLUG}?lng=de`)
    const img = tagsOf(html, 'img').find((tag) => attr(tag, 'src')?.includes('/map.svg'))!
    expect(attr(img, 'src')).toBe(`/c/${SLUG}/map.svg?v=3&l=de`)
    expect(attr(img, 'alt')).toContain('2 Ländern')
    const details = /<details>([\s\S]*?)<\/details>/.exec(html.slice(html.indexOf('country-map-title')))?.[1] ?? ''
    expect(rowsOf(details)).toEqual(['Land Unterschriften Anteil', 'Deutschland 2 66,7\u00a0%', 'Bosnien und Herzegowina 1 33,3\u00a0%'])

    const response = await get(`/c/${SLUG}/map.svg?v=3&l=en`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'")
    expect(response.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=600')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const etag = response.headers.get('etag')!
    expect(etag).toMatch(/^"[\w-]+"$/)
    const svg = await response.text()
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('<title>Germany: 2 signatures</title>')
    expect(svg).toContain('<title>Bosnia &amp; Herzegovina: 1 signature</title>')
    expect(svg).toMatch(/<path class="map-c5" fill="#1e3a8a" d="[^"]+"><title>Germany: 2 signatures<\/title>/)

    const again = await get(`/c/${SLUG}/map.svg?v=3&l=en`, { 'If-None-Match': etag })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    // Another language is another image.
    const german = await get(`/c/${SLUG}/map.svg?v=3&l=de`, { 'If-None-Match': etag })
    expect(german.status).toBe(200)
    expect(await german.text()).toContain('<title>Deutschland: 2 Unterschriften</title>')
    // A new signature: a new ETag.
    await client.signAndConfirm(client.person({ country: 'ES' }), owner)
    const moved = await get(`/c/${SLUG}/map.svg?v=4&l=en`, { 'If-None-Match': etag })
    expect(moved.status).toBe(200)
    expect(moved.headers.get('etag')).not.toBe(etag)
    expect(await moved.text()).toContain('<title>Spain: 1 signature</title>')
  })

  it('answers 404 for a draft or an unknown campaign, and an unknown language falls back to the visitor’s', async () => {
    const created = await post('/admin/campaigns/new', { title: 'A draft case', summary: '', slug: 'draft-case', status: 'draft', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' })
    expect(created.status).toBe(302)
    for (const slug of ['draft-case', 'no-such-thing']) {
      const response = await get(`/c/${slug}/map.svg`, { 'Accept-Language': 'es' })
      expect(response.status, slug).toBe(404)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.text()).toBe('No hay ninguna campaña pública en esta dirección.')
    }
    const odd = await get(`/c/${SLUG}/map.svg?l=xx`, { 'Accept-Language': 'de' })
    expect(odd.status).toBe(200)
    expect(await odd.text()).toContain('<title>Deutschland: 2 Unterschriften</title>')
  })

  it('inlines the map and the table in the admin signatures page, for viewers too', async () => {
    const viewer = { email: 'vera.viewer@targets.test', name: 'Vera', password: 'a passphrase for vera 123' }
    expect((await createOrganiser(server, { ...viewer, campaignRoles: [{ slug: SLUG, role: 'viewer' }] })).status).toBe(302)
    const html = await page(`/admin/campaigns/${campaignId}/signatures`, { Cookie: await client.login(viewer.email, viewer.password) })
    const section = html.slice(html.indexOf('admin-country-map-title'))
    expect(section).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 960 470" role="img" aria-labelledby="admin-map-title"/)
    expect(section).toContain('<title>Germany: 2 signatures</title>')
    expect(section).toMatch(/class="admin-map-c5" fill="#1e3a8a"/)
    expect(section).not.toContain('/map.svg')
    const table = section.slice(section.indexOf('<table'), section.indexOf('</table>'))
    expect(rowsOf(table)).toEqual(['Country Signatures Share', 'Germany 2 50.0%', 'Bosnia & Herzegovina 1 25.0%', 'Spain 1 25.0%'])
    // Viewers read the targets page but cannot change it (no forms).
    const targets = await page(`/admin/campaigns/${campaignId}/targets`, { Cookie: await client.login(viewer.email, viewer.password) })
    expect(targets).not.toContain('name="intent"')
    expect(textOf(targets)).toContain('Editors, managers and owners can change the targets.')
    // A draft has no public map, but its own page still says where it stands.
    const draftId = (await db.get<{ id: number }>(`SELECT id FROM campaigns WHERE slug = 'draft-case'`))!.id
    const draft = await page(`/admin/campaigns/${draftId}/signatures`, { Cookie: owner })
    expect(textOf(draft)).toContain('No confirmed signatures yet: the map appears with the first one.')
  })
})
