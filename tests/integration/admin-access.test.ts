/**
 * Who may reach which back-office route. The list of routes comes from the production
 * build itself, so a route added later is covered without editing this file.
 */
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { grantCampaignRole, setSecondFactorPolicy } from '../helpers/organisers.ts'
import { routeTable } from '../helpers/routes.ts'
import { databaseEnv, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, sortedRows, type ServerSql } from '../helpers/sql.ts'

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const EDITOR = { email: 'edith.editor@access.example', name: 'Edith Editor', password: 'a long editor passphrase 42' }

/** Public by design: logging in and out, and the token-gated set-password page. */
const PUBLIC_ADMIN_ROUTES = ['routes/admin_.login', 'routes/admin_.logout', 'routes/admin_.set-password.$token']
/**
 * The pages a half-signed-in session reaches (issue 18): they send anonymous visitors to the
 * login page without a redirectTo, and the WebAuthn endpoint answers JSON. Their guards are
 * tried in session-levels.test.ts and, route by route for both half levels, in
 * second-factor-guard.test.ts (which names these with the three above as its only exceptions).
 */
const HALF_SESSION_ROUTES = ['routes/admin_.two-factor', 'routes/admin_.two-factor-setup', 'routes/admin_.webauthn']
const OWNER_ONLY_ROUTES = ['routes/admin.organizers', 'routes/admin.audit', 'routes/admin.campaigns.new', 'routes/admin.payment-events', 'routes/admin.branding', 'routes/admin.legal', 'routes/admin.legal.$page.$locale', 'routes/admin.security-policy']
/** What the build must contain at least: guards against an enumeration that finds nothing. */
const EXPECTED_PATTERNS = [
  '/admin',
  '/admin/audit',
  '/admin/organizers',
  '/admin/campaigns/new',
  '/admin/campaigns/:id',
  '/admin/campaigns/:id/text/:locale',
  '/admin/campaigns/:id/image',
  '/admin/campaigns/:id/preview',
  '/admin/campaigns/:id/timeline',
  '/admin/campaigns/:id/timeline/:entryId',
  '/admin/campaigns/:id/funds',
  '/admin/campaigns/:id/funds/:fundId',
  '/admin/campaigns/:id/donations',
  '/admin/campaigns/:id/donations.csv',
  '/admin/campaigns/:id/updates/:updateId/send',
  '/admin/campaigns/:id/updates/:updateId/preview.html',
]

type AdminRoute = {
  id: string
  pattern: string
  /** Concrete URL (path + search) to request. */
  url: string
  hasAction: boolean
  isPage: boolean
  ownerOnly: boolean
}

let server: RunningServer
let db: ServerSql
let routes: AdminRoute[]
let ownerCookie: string
let editorCookie: string
let campaignId: number
let entryId: number
let fundId: number

function form(fields: Record<string, string>) {
  return new URLSearchParams(fields)
}

function tinyPng() {
  // Signature only: enough for the upload sniffing, never stored because every request here is refused.
  return new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])], { type: 'image/png' })
}

/**
 * A body that would succeed (and change something) if the request were allowed, so
 * "nothing changed" means the request was refused, not that it was malformed.
 */
function effectivePayload(routeId: string): URLSearchParams | FormData {
  switch (routeId) {
    case 'routes/admin.campaigns.new':
      return form({ title: 'Probe campaign', slug: 'probe-campaign', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' })
    case 'routes/admin.campaigns.$id._index':
      return form({ slug: 'free-andry', status: 'closed', defaultLocale: 'en', currency: 'EUR', signatureGoal: '7', target: 'Probe', retentionDays: '30' })
    case 'routes/admin.campaigns.$id.text.$locale':
      return form({ title: 'Probe title', summary: 'Probe summary' })
    case 'routes/admin.campaigns.$id.image': {
      const data = new FormData()
      data.append('image', tinyPng(), 'probe.png')
      return data
    }
    case 'routes/admin.campaigns.$id.timeline._index':
      return form({ happenedOn: '2025-01-02', locale: 'en', title: 'Probe entry', bodyMd: '' })
    case 'routes/admin.campaigns.$id.timeline.$entryId':
      return form({ intent: 'delete' })
    case 'routes/admin.campaigns.$id.funds._index':
      return form({ slug: 'probe-fund', goal: '100', currency: 'EUR', status: 'open', position: '0', 'texts.en.title': 'Probe fund' })
    case 'routes/admin.campaigns.$id.funds.$fundId':
      return form({ slug: 'probe-renamed', goal: '7', currency: 'USD', status: 'closed', position: '3', 'texts.en.title': 'Probe title' })
    case 'routes/admin.campaigns.$id.updates.$updateId.send':
      // A test send always queues an email (a real send to the seed's empty audience would not).
      return form({ intent: 'test', locale: 'en' })
    case 'routes/admin.organizers':
      return form({ intent: 'create', email: 'intruder@access.example', name: 'Intruder', role: 'owner' })
    case 'routes/admin.security-policy':
      // The suite runs under 'none': a save would move the policy and write an audit entry.
      return form({ policy: 'everyone' })
    default:
      return form({ intent: 'anything', title: 'Probe' })
  }
}

function post(url: string, body: URLSearchParams | FormData, headers: Record<string, string> = {}, method = 'POST') {
  return fetch(server.url + url, { method, redirect: 'manual', headers, body })
}

function get(url: string, cookie?: string) {
  return fetch(server.url + url, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} })
}

/** Everything organisers can change, row by row, plus the uploaded files. */
async function snapshot() {
  const tables = ['audit_log', 'organizers', 'organizer_tokens', 'campaigns', 'campaign_translations', 'updates', 'update_translations', 'funds', 'fund_translations']
  const rows: Record<string, unknown[]> = {}
  for (const t of tables) rows[t] = sortedRows(await db.all(`SELECT * FROM ${t}`))
  rows.update_sends = sortedRows(await db.all('SELECT * FROM update_sends'))
  // Which emails exist, not their delivery state (the sender moves that on by itself).
  rows.email_messages = await db.all('SELECT id, template, to_email, idempotency_key FROM email_messages ORDER BY id')
  const uploads = path.join(server.dir, 'uploads')
  return { rows, uploads: fs.existsSync(uploads) ? fs.readdirSync(uploads).sort() : [] }
}

async function auditCount() {
  return (await db.get('SELECT count(*) AS n FROM audit_log') as { n: number }).n
}

function cookieFrom(response: Response) {
  const header = response.headers.get('set-cookie') ?? ''
  const match = /(?:^|,\s*)(vigil_session=[^;]+)/.exec(header)
  if (!match?.[1]) throw new Error(`no session cookie in ${response.status} response: ${header}`)
  return match[1]
}

async function logIn(email: string, password: string) {
  const response = await post('/admin/login', form({ email, password }), { Origin: server.url })
  expect(response.status).toBe(302)
  return cookieFrom(response)
}

function expectLoginRedirect(response: Response, requested: string) {
  expect(response.status, `${requested} should send anonymous visitors to the login page`).toBe(302)
  const location = new URL(response.headers.get('location') ?? '', server.url)
  expect(location.pathname).toBe('/admin/login')
  // Everything comes back to where it was (Remix hides its own ?index marker from loaders);
  // the bare dashboard needs no redirectTo.
  const back = requested.replace(/\?index$/, '')
  expect(location.searchParams.get('redirectTo')).toBe(back === '/admin' ? null : back)
}

/** Compose full paths through parents, the way Remix's route manifest nests them. */
function adminRoutesFromBuild(build: ServerBuild) {
  return routeTable(build)
    .filter(({ route }) => route.id.startsWith('routes/admin'))
    .map(({ route, pattern }) => ({
      id: route.id,
      pattern,
      // An index route without its own path shares its URL with its layout: ?index targets it.
      isPathlessIndex: Boolean(route.index) && !route.path,
      hasAction: typeof route.module.action === 'function',
      // Resource routes (no component) answer with their own documents, not the back-office page.
      isPage: typeof route.module.default === 'function',
    }))
}

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  // Owners made here sign in with a password alone (issue 18's own suites test the policy).
  await setSecondFactorPolicy(server, 'none')
  const campaign = await db.get(`SELECT id FROM campaigns WHERE slug = 'free-andry'`) as { id: number } | undefined
  if (!campaign) throw new Error('the seed did not create the demo campaign')
  campaignId = campaign.id
  const entry = await db.get('SELECT id FROM updates WHERE campaign_id = ? ORDER BY id LIMIT 1', campaignId) as
    | { id: number }
    | undefined
  if (!entry) throw new Error('the seed did not create timeline entries')
  entryId = entry.id
  // A fund for /admin/campaigns/:id/funds/:fundId (the demo seed may have none).
  const fund =
    (await db.get('SELECT id FROM funds WHERE campaign_id = ? ORDER BY id LIMIT 1', campaignId) as { id: number } | undefined) ??
    (await db.get(`INSERT INTO funds (campaign_id, slug, goal_minor, currency) VALUES (?, 'access-probe', 100000, 'EUR') RETURNING id`, campaignId) as { id: number })
  await db.run(`INSERT INTO fund_translations (fund_id, locale, title) VALUES (?, 'en', 'Access probe') ON CONFLICT DO NOTHING`, fund.id)
  fundId = fund.id
  // A signature puts an email in the outbox, so /admin/outbox/:id has something to show.
  const signed = await fetch(`${server.url}/c/free-andry`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ firstName: 'Ana', lastName: 'Lopez', email: 'ana@example.org', country: 'ES' }),
  })
  if (signed.status !== 303) throw new Error(`signing for the outbox fixture failed: ${signed.status}`)
  const message = await db.get('SELECT id FROM email_messages ORDER BY id LIMIT 1') as { id: number } | undefined
  if (message?.id !== campaignId) throw new Error('the outbox fixture must share the campaign id (both are :id)')

  const build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
  const params: Record<string, string> = { id: String(campaignId), locale: 'de', entryId: String(entryId), fundId: String(fundId), updateId: String(entryId), page: 'privacy' }
  routes = adminRoutesFromBuild(build)
    .filter((route) => !PUBLIC_ADMIN_ROUTES.includes(route.id) && !HALF_SESSION_ROUTES.includes(route.id))
    .map((route) => {
      const concrete = route.pattern.replace(/:(\w+)/g, (_, name: string) => {
        const value = params[name]
        if (value === undefined) throw new Error(`no test value for :${name} in ${route.id}`)
        return value
      })
      return {
        id: route.id,
        pattern: route.pattern,
        url: route.isPathlessIndex ? `${concrete}?index` : concrete,
        hasAction: route.hasAction,
        isPage: route.isPage,
        ownerOnly: OWNER_ONLY_ROUTES.includes(route.id),
      }
    })

  ownerCookie = await logIn(OWNER.email, OWNER.password)

  // The editor is made the way a real install makes one: the CLI prints a one-time link,
  // and the new organiser sets a password through that page.
  const created = await runScript(
    'scripts/organizer-create.ts',
    ['--email', EDITOR.email, '--name', EDITOR.name, '--role', 'editor'],
    { ...databaseEnv(server), PUBLIC_URL: server.url },
  )
  if (created.code !== 0) throw new Error(`organizer:create failed: ${created.stderr}`)
  const link = /https?:\/\/\S+\/admin\/set-password\/\S+/.exec(created.stdout)?.[0]
  if (!link) throw new Error(`organizer:create printed no link: ${created.stdout}`)
  const linkPath = new URL(link).pathname
  const page = await get(linkPath)
  expect(page.status).toBe(200)
  const set = await post(linkPath, form({ password: EDITOR.password, confirm: EDITOR.password }), { Origin: server.url })
  expect(set.status).toBe(302)
  expect(set.headers.get('location')).toBe('/admin/login?passwordSet=1')
  // The most an organiser who is not an owner can be: manager of the campaign (ADR 011;
  // every role on every route is tried in campaign-roles.test.ts).
  await grantCampaignRole(server, { email: EDITOR.email, slug: 'free-andry', role: 'manager' })
  editorCookie = await logIn(EDITOR.email, EDITOR.password)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the admin route enumeration', () => {
  it('finds every back-office route in the production build', () => {
    const patterns = new Set(routes.map((r) => r.pattern))
    for (const expected of EXPECTED_PATTERNS) expect(patterns, `missing ${expected}`).toContain(expected)
    expect(routes.length).toBeGreaterThanOrEqual(12)
    // Owner-only routes must exist under these ids, or the role checks below test nothing.
    expect(routes.filter((r) => r.ownerOnly).map((r) => r.id).sort()).toEqual([...OWNER_ONLY_ROUTES].sort())
  })

  it('leaves out only the deliberately public login, logout and set-password routes and the half-session ones', async () => {
    const build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
    const skipped = adminRoutesFromBuild(build)
      .map((r) => r.id)
      .filter((id) => !routes.some((r) => r.id === id))
    expect(skipped.sort()).toEqual([...PUBLIC_ADMIN_ROUTES, ...HALF_SESSION_ROUTES].sort())
  })
})

describe('anonymous visitors', () => {
  it('are sent to the login page, with a way back, from every admin route', async () => {
    for (const route of routes) {
      const response = await get(route.url)
      expectLoginRedirect(response, route.url)
      expect(await response.text()).not.toContain('Demo Organiser')
    }
  })

  it('cannot change anything by posting to any admin route', async () => {
    const before = await snapshot()
    const auditBefore = await auditCount()
    for (const route of routes) {
      const response = await post(route.url, effectivePayload(route.id), { Origin: server.url })
      const label = `anonymous POST ${route.url}`
      expect(response.status, label).not.toBe(200)
      if (route.hasAction || response.status === 302) {
        expectLoginRedirect(response, route.url)
      } else {
        // No action on this route: Remix refuses the method.
        expect([404, 405], label).toContain(response.status)
        expect(await response.text(), label).not.toContain('Demo Organiser')
      }
    }
    expect(await auditCount()).toBe(auditBefore)
    expect(await snapshot()).toEqual(before)
  })

  it('get no session from a forged or empty cookie', async () => {
    for (const cookie of ['vigil_session=', 'vigil_session=abc', 'vigil_session=ImFiYyI.bm90LWEtc2lnbmF0dXJl']) {
      expectLoginRedirect(await get('/admin/organizers', cookie), '/admin/organizers')
    }
  })
})

describe('an editor', () => {
  it('opens every admin page except the owner-only ones', async () => {
    for (const route of routes.filter((r) => !r.ownerOnly)) {
      const response = await get(route.url, editorCookie)
      expect(response.status, `editor GET ${route.url}`).toBe(200)
      if (route.isPage) expect(await response.text()).toContain(EDITOR.name)
    }
  })

  it('is refused the organisers, audit and new-campaign pages with 403 and sees none of their content', async () => {
    for (const route of routes.filter((r) => r.ownerOnly)) {
      const response = await get(route.url, editorCookie)
      expect(response.status, `editor GET ${route.url}`).toBe(403)
      const html = await response.text()
      expect(html).not.toContain(OWNER.email)
      expect(html).not.toContain('organizer.create')
    }
  })

  it('cannot change anything through the owner-only routes', async () => {
    const before = await snapshot()
    for (const route of routes.filter((r) => r.ownerOnly)) {
      const response = await post(route.url, effectivePayload(route.id), { Origin: server.url, Cookie: editorCookie })
      // With an action the owner check answers 403; without one, the method itself is refused.
      expect(response.status, `editor POST ${route.url}`).toBe(route.hasAction ? 403 : 405)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('is told which role they have in the navigation, without owner links', async () => {
    const html = await (await get('/admin', editorCookie)).text()
    expect(html).toContain(`${EDITOR.name} (editor)`)
    expect(html).not.toContain('href="/admin/organizers"')
    expect(html).not.toContain('href="/admin/audit"')
  })
})

describe('an owner', () => {
  it('opens every admin page, the owner-only ones included', async () => {
    for (const route of routes) {
      const response = await get(route.url, ownerCookie)
      expect(response.status, `owner GET ${route.url}`).toBe(200)
    }
  })
})

describe('cross-site request protection', () => {
  const timelineUrl = () => `/admin/campaigns/${campaignId}/timeline`
  const entry = (title: string) => form({ happenedOn: '2025-01-03', locale: 'en', title, bodyMd: '' })
  const refused = async (response: Response, status = 403) => {
    expect(response.status).toBe(status)
    expect(await response.text()).toMatch(status === 403 ? /did not come from this site/ : /nothing else/)
  }

  it('refuses an organiser POST carrying a foreign Origin, and changes nothing', async () => {
    const before = await snapshot()
    await refused(await post(timelineUrl(), entry('From evil'), { Cookie: ownerCookie, Origin: 'https://evil.example' }))
    await refused(await post(timelineUrl(), entry('From a sibling'), { Cookie: ownerCookie, Origin: server.url.replace('127.0.0.1', 'localhost') }))
    await refused(await post(timelineUrl(), entry('Opaque origin'), { Cookie: ownerCookie, Origin: 'null' }))
    expect(await snapshot()).toEqual(before)
  })

  it('refuses a POST with neither Origin nor Sec-Fetch-Site, or with a non-same-origin Sec-Fetch-Site', async () => {
    const before = await snapshot()
    await refused(await post(timelineUrl(), entry('No headers'), { Cookie: ownerCookie }))
    for (const site of ['cross-site', 'same-site', 'none']) {
      await refused(await post(timelineUrl(), entry(`Fetch site ${site}`), { Cookie: ownerCookie, 'Sec-Fetch-Site': site }))
    }
    expect(await snapshot()).toEqual(before)
  })

  it('refuses every state-changing method, not only POST', async () => {
    const before = await snapshot()
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      // Vigil's pages only GET and POST: other methods are refused before any check of origin.
      await refused(await post(timelineUrl(), entry(`Via ${method}`), { Cookie: ownerCookie, Origin: 'https://evil.example' }, method), 405)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('cannot be sidestepped by spelling the admin path in another case or percent-encoded', async () => {
    const before = await snapshot()
    const organizers = form({ intent: 'create', email: 'sneaky@access.example', name: 'Sneaky', role: 'owner' })
    for (const variant of ['/ADMIN/organizers', '/Admin/Organizers', '/%61dmin/organizers']) {
      await refused(await post(variant, organizers, { Cookie: ownerCookie }))
      await refused(await post(variant, organizers, { Cookie: ownerCookie, Origin: 'https://evil.example' }))
    }
    expect(await snapshot()).toEqual(before)
  })

  it('refuses a cross-site login (no session is handed out)', async () => {
    const response = await post('/admin/login', form(OWNER), { Origin: 'https://evil.example' })
    await refused(response)
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('allows a same-origin request identified only by Sec-Fetch-Site', async () => {
    const auditBefore = await auditCount()
    const response = await post(timelineUrl(), entry('Same origin, no Origin header'), {
      Cookie: ownerCookie,
      'Sec-Fetch-Site': 'same-origin',
    })
    expect(response.status).toBe(302)
    expect(await auditCount()).toBe(auditBefore + 1)
    const saved = await db.get(`SELECT u.id, u.campaign_id AS "campaignId" FROM updates u JOIN update_translations t ON t.update_id = u.id WHERE t.title = ?`, 'Same origin, no Origin header') as { id: number; campaignId: number } | undefined
    expect(saved?.campaignId).toBe(campaignId)
    // The new entry's id: the add form starts afresh after each save.
    expect(response.headers.get('location')).toBe(`${timelineUrl()}?saved=${saved?.id}`)
  })

  it('allows a POST whose Origin is the server’s own', async () => {
    const auditBefore = await auditCount()
    const response = await post(timelineUrl(), entry('Same origin header'), { Cookie: ownerCookie, Origin: server.url })
    expect(response.status).toBe(302)
    expect(await auditCount()).toBe(auditBefore + 1)
  })
})
