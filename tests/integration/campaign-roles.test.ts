/**
 * Who may do what in the back office (ADR 011), tried rather than read: every admin route of
 * the production build, its loader (GET) and its action (POST with a valid same-origin form),
 * as anonymous, viewer, editor, manager and owner, on the campaign the role is on and on
 * another one. The routes come from the build, and a route (or an action) that is not in
 * EXPECTED below fails the first test: nobody can add an unguarded one without saying who
 * may use it. Then the privacy rules of the outbox and the signatures search.
 */
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../helpers/html.ts'
import { createOrganiser, type CampaignRole } from '../helpers/organisers.ts'
import { ROOT, startServer, type RunningServer } from '../helpers/server.ts'
import { routeTable } from '../helpers/routes.ts'
import { openServerSql, sortedRows, type ServerSql } from '../helpers/sql.ts'
import { outboxRows } from '../helpers/mail-worker.ts'
import { emailHash } from '~/models/personal-data.server.ts'

type Actor = 'anonymous' | CampaignRole | 'owner'
/** Who may: nobody needs to log in, any organiser, an instance owner, or at least this role on the campaign. */
type Need = 'public' | 'organiser' | 'owner' | CampaignRole
/** What a route's :id is: nothing, a campaign, or an outbox email (which belongs to a campaign). */
type Scope = 'instance' | 'campaign' | 'outbox-email'
type Ctx = { campaignId: number; slug: string; entryId: number; fundId: number; signatureId: number; messageId: number; n: number }
type Body = URLSearchParams | FormData
type Expectation = { scope: Scope; get: Need | null; posts: { need: Need; body: (ctx: Ctx) => Body }[] }

const form = (fields: Record<string, string>) => new URLSearchParams(fields)
const ROLE_ORDER: Actor[] = ['viewer', 'editor', 'manager', 'owner']

/** Every admin route there is, and who may use it. A route missing here fails the suite. */
const EXPECTED: Record<string, Expectation> = {
  'routes/admin_.login': { scope: 'instance', get: 'public', posts: [] },
  'routes/admin_.logout': { scope: 'instance', get: 'public', posts: [] },
  'routes/admin_.set-password.$token': { scope: 'instance', get: 'public', posts: [] },
  'routes/admin': { scope: 'instance', get: 'organiser', posts: [] },
  'routes/admin._index': { scope: 'instance', get: 'organiser', posts: [] },
  'routes/admin.audit': { scope: 'instance', get: 'owner', posts: [] },
  'routes/admin.payment-events': { scope: 'instance', get: 'owner', posts: [] },
  'routes/admin.organizers': {
    scope: 'instance',
    get: 'owner',
    posts: [
      { need: 'owner', body: ({ n }) => form({ intent: 'create', email: `probe${n}@roles.example`, name: 'Probe', role: 'owner' }) },
      // P3: an owner's actions on another organiser's sign-ins.
      { need: 'owner', body: () => form({ intent: 'endSessions', organizerId: '999999' }) },
    ],
  },
  'routes/admin.outbox': { scope: 'instance', get: 'organiser', posts: [] },
  'routes/admin.branding': {
    scope: 'instance',
    get: 'owner',
    posts: [{ need: 'owner', body: () => form({ teamName: 'Probe team', accentColor: '', headline_en: '', headline_de: '', headline_es: '', intro_en: '', intro_de: '', intro_es: '' }) }],
  },
  'routes/admin.legal': { scope: 'instance', get: 'owner', posts: [] },
  'routes/admin.legal.$page.$locale': { scope: 'instance', get: 'owner', posts: [{ need: 'owner', body: () => form({ body: 'Probe imprint.' }) }] },
  'routes/admin.outbox_.$id': { scope: 'outbox-email', get: 'editor', posts: [] },
  'routes/admin.outbox_.$id.html': { scope: 'outbox-email', get: 'editor', posts: [] },
  'routes/admin.campaigns.new': {
    scope: 'instance',
    get: 'owner',
    posts: [{ need: 'owner', body: ({ n }) => form({ title: 'Probe', summary: '', slug: `probe-${n}`, status: 'draft', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' }) }],
  },
  'routes/admin.campaigns.$id': { scope: 'campaign', get: 'viewer', posts: [] },
  'routes/admin.campaigns.$id._index': {
    scope: 'campaign',
    get: 'viewer',
    posts: [{ need: 'manager', body: ({ slug }) => form({ slug, status: 'live', defaultLocale: 'en', currency: 'EUR', signatureGoal: '7', target: 'Probe', retentionDays: '90' }) }],
  },
  'routes/admin.campaigns.$id.text.$locale': { scope: 'campaign', get: 'viewer', posts: [{ need: 'editor', body: () => form({ title: 'Probe title', summary: 'Probe summary' }) }] },
  'routes/admin.campaigns.$id.image': {
    scope: 'campaign',
    get: 'viewer',
    posts: [
      {
        need: 'editor',
        body: () => {
          const data = new FormData()
          data.append('intent', 'remove')
          return data
        },
      },
    ],
  },
  'routes/admin.campaigns.$id.preview': { scope: 'campaign', get: 'viewer', posts: [] },
  'routes/admin.campaigns.$id.print': { scope: 'campaign', get: 'viewer', posts: [] },
  'routes/admin.campaigns.$id.timeline._index': {
    scope: 'campaign',
    get: 'viewer',
    posts: [{ need: 'editor', body: () => form({ happenedOn: '2025-01-02', locale: 'en', title: 'Probe entry', bodyMd: '', publish: 'now' }) }],
  },
  'routes/admin.campaigns.$id.timeline.$entryId': {
    scope: 'campaign',
    get: 'viewer',
    posts: [
      { need: 'editor', body: () => form({ happenedOn: '2025-01-03', locale: 'en', title: 'Probe edit', bodyMd: 'Probe' }) },
      { need: 'editor', body: () => form({ intent: 'publish', publish: 'now' }) },
    ],
  },
  'routes/admin.campaigns.$id.funds._index': {
    scope: 'campaign',
    get: 'viewer',
    posts: [{ need: 'manager', body: ({ n }) => form({ slug: `probe-fund-${n}`, goal: '100', currency: 'EUR', status: 'open', position: '9', 'texts.en.title': 'Probe fund' }) }],
  },
  'routes/admin.campaigns.$id.funds.$fundId': {
    scope: 'campaign',
    get: 'viewer',
    posts: [{ need: 'manager', body: ({ campaignId }) => form({ slug: `probe-renamed-${campaignId}`, goal: '7', currency: 'EUR', status: 'open', position: '3', 'texts.en.title': 'Probe title' }) }],
  },
  'routes/admin.campaigns.$id.signatures': {
    scope: 'campaign',
    get: 'viewer',
    posts: [{ need: 'manager', body: ({ signatureId }) => form({ intent: 'preview', reason: 'Probe reason', ids: String(signatureId) }) }],
  },
  'routes/admin.campaigns.$id.messages': {
    scope: 'campaign',
    get: 'editor',
    posts: [{ need: 'editor', body: ({ signatureId }) => form({ intent: 'approve', signatureId: String(signatureId) }) }],
  },
  'routes/admin.campaigns.$id.donor-wall': {
    scope: 'campaign',
    get: 'editor',
    posts: [
      { need: 'editor', body: () => form({ intent: 'hide', donationId: '999999' }) },
      { need: 'manager', body: () => form({ intent: 'setting', needsApproval: 'on' }) },
    ],
  },
  'routes/admin.campaigns.$id.donations': { scope: 'campaign', get: 'manager', posts: [] },
  'routes/admin.campaigns.$id.embed': { scope: 'campaign', get: 'viewer', posts: [{ need: 'manager', body: () => form({ origins: 'https://probe.example' }) }] },
  'routes/admin.campaigns.$id.sharing': {
    scope: 'campaign',
    get: 'viewer',
    posts: [
      { need: 'editor', body: ({ n }) => form({ intent: 'mint', tag: `probe-${n}` }) },
      { need: 'editor', body: () => form({ intent: 'texts', shareText_en: 'Probe share text' }) },
    ],
  },
  'routes/admin.campaigns.$id.donations[.]csv': { scope: 'campaign', get: 'manager', posts: [] },
  'routes/admin.campaigns.$id.export[.]csv': { scope: 'campaign', get: 'manager', posts: [] },
  'routes/admin.campaigns.$id.updates.$updateId.preview[.]html': { scope: 'campaign', get: 'editor', posts: [] },
  'routes/admin.campaigns.$id.updates.$updateId.send': {
    scope: 'campaign',
    get: 'editor',
    posts: [
      { need: 'editor', body: () => form({ intent: 'test', locale: 'en' }) },
      { need: 'manager', body: () => form({ intent: 'send', signers: 'on', donors: 'none' }) },
    ],
  },
  // Issue 17, part A (milestones): its routes go under this line.
  'routes/admin.campaigns.$id.milestones': { scope: 'campaign', get: 'viewer', posts: [{ need: 'manager', body: ({ n }) => form({ intent: 'save', threshold: String(900000 + n), 'texts.en.happens': 'Probe' }) }] },
  //
  // Issue 17, part B (targets and the map): its routes go under this line.
  'routes/admin.campaigns.$id.targets': { scope: 'campaign', get: 'viewer', posts: [{ need: 'editor', body: () => form({ intent: 'save', locale: 'en', 'texts.en.name': 'Probe office' }) }] },
  //
  // Issue 17, part C (the count log): public routes only, nothing here so far.
  //
  // Issue 17, part D (deliveries and the target's answer): its routes go under this line.
  'routes/admin.campaigns.$id.deliveries': { scope: 'campaign', get: 'viewer', posts: [{ need: 'editor', body: () => form({ intent: 'record', recipient: 'Probe office', deliveredOn: '2025-02-03', method: 'email' }) }] },
  'routes/admin.campaigns.$id.responses': {
    scope: 'campaign',
    get: 'viewer',
    posts: [
      {
        need: 'editor',
        body: () => {
          const d = new FormData()
          d.append('intent', 'record')
          d.append('responder', 'Probe')
          d.append('respondedOn', '2025-02-04')
          d.append('texts.en.title', 'Probe answer')
          return d
        },
      },
    ],
  },
  //
  // Issue 17, part E (the delivery packet): its routes go under this line.
  //
  'routes/admin.campaigns.$id.packet': { scope: 'campaign', get: 'editor', posts: [{ need: 'editor', body: () => form({ intent: 'select' }) }] },
  'routes/admin.campaigns.$id.packet[.]html': { scope: 'campaign', get: 'editor', posts: [] },
  'routes/admin.campaigns.$id.packet[.]csv': { scope: 'campaign', get: 'editor', posts: [] },
  //
  // Issue 18 (organiser accounts). The half-session pages are 'public' here, as the login page is:
  // their guards are tried in session-levels.test.ts and second-factor-guard.test.ts.
  'routes/admin_.two-factor': { scope: 'instance', get: 'public', posts: [] },
  'routes/admin_.two-factor-setup': { scope: 'instance', get: 'public', posts: [] },
  'routes/admin_.webauthn': { scope: 'instance', get: 'public', posts: [] },
  // P1 (TOTP, recovery codes, the security page): its lines go under this one.
  'routes/admin.security': { scope: 'instance', get: 'organiser', posts: [{ need: 'organiser', body: () => form({ intent: 'recovery-codes' }) }] },
  // P2 (passkeys): its lines go under this one.
  'routes/admin.passkeys': { scope: 'instance', get: 'organiser', posts: [{ need: 'organiser', body: () => form({ intent: 'rename', id: '999999', name: 'Probe' }) }] },
  // P3 (sessions, devices, owner actions): its lines go under this one.
  'routes/admin.sessions': { scope: 'instance', get: 'organiser', posts: [{ need: 'organiser', body: () => form({ intent: 'end', idHash: 'no-such-session' }) }] },
  // P4 (the policy): its lines go under this one.
  'routes/admin.security-policy': { scope: 'instance', get: 'owner', posts: [{ need: 'owner', body: () => form({ policy: 'owners' }) }] },
}

const OWNER = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const people: Record<CampaignRole, { email: string; name: string; password: string }> = {
  viewer: { email: 'vera.viewer@roles.example', name: 'Vera Viewer', password: 'a viewer passphrase of some length' },
  editor: { email: 'eddi.editor@roles.example', name: 'Eddi Editor', password: 'an editor passphrase of some length' },
  manager: { email: 'mona.manager@roles.example', name: 'Mona Manager', password: 'a manager passphrase of some length' },
}
const SIGNER_A = { firstName: 'Ana', lastName: 'Quibbleton', email: 'Ana.Quibbleton@example.org' }

let server: RunningServer
let db: ServerSql
let build: ServerBuild
const cookies: Partial<Record<Actor, string>> = {}
let own: Ctx
let other: Ctx
let counter = 0

function fetchAs(actor: Actor, url: string, init: { method?: string; body?: Body } = {}) {
  const headers: Record<string, string> = { Origin: server.url }
  const cookie = cookies[actor]
  if (cookie) headers.Cookie = cookie
  return fetch(server.url + url, { method: init.method ?? 'GET', body: init.body, headers, redirect: 'manual' })
}

function cookieFrom(response: Response) {
  const match = /(?:^|,\s*)(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')
  if (!match?.[1]) throw new Error(`no session cookie in a ${response.status} answer`)
  return match[1]
}

async function logIn(email: string, password: string) {
  const response = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: form({ email, password }) })
  expect(response.status).toBe(302)
  return cookieFrom(response)
}

const one = async <T,>(query: string, ...args: unknown[]) => (await db.get(query, ...args)) as T

async function sign(slug: string, person: Record<string, string>) {
  const response = await fetch(`${server.url}/c/${slug}`, { method: 'POST', redirect: 'manual', body: form({ country: 'ES', message: 'Probe message of support', ...person }) })
  expect(response.status, `signing ${slug}`).toBe(303)
}

/** Everything an action could change, so a refused request can be shown to have changed nothing. */
async function snapshot() {
  const tables = ['audit_log', 'organizers', 'campaign_memberships', 'campaigns', 'campaign_translations', 'updates', 'update_translations', 'funds', 'fund_translations', 'update_sends', 'replies']
  const rows: Record<string, unknown[]> = {}
  for (const t of tables) rows[t] = sortedRows(await db.all(`SELECT * FROM ${t}`))
  rows.signatures = await db.all('SELECT id, status, message_status FROM signatures ORDER BY id')
  rows.email_messages = await db.all('SELECT id, template, to_email FROM email_messages ORDER BY id')
  return rows
}

/** The build's admin routes with their full URL patterns (parents' paths joined, as Remix nests them). */
function adminRoutes() {
  return routeTable(build)
    .filter(({ route }) => route.id.startsWith('routes/admin'))
    .map(({ route, pattern }) => ({
      id: route.id,
      pattern,
      pathlessIndex: Boolean(route.index) && !route.path,
      hasLoader: typeof route.module.loader === 'function',
      hasAction: typeof route.module.action === 'function',
    }))
}

function urlOf(route: ReturnType<typeof adminRoutes>[number], ctx: Ctx) {
  const scope = EXPECTED[route.id]!.scope
  const values: Record<string, string> = {
    id: String(scope === 'outbox-email' ? ctx.messageId : ctx.campaignId),
    locale: 'de',
    entryId: String(ctx.entryId),
    updateId: String(ctx.entryId),
    fundId: String(ctx.fundId),
    page: 'imprint',
  }
  const concrete = route.pattern.replace(/:(\w+)/g, (_, name: string) => values[name] ?? `missing-${name}`)
  return route.pathlessIndex ? `${concrete}?index` : concrete
}

/** What an actor should get: 'login' (a redirect to it), or a status. `allowed` for a POST means "the action ran". */
function expected(actor: Actor, need: Need, scope: Scope, onOwn: boolean): 'login' | 'allowed' | 403 | 404 {
  if (actor === 'anonymous') return 'login'
  if (actor === 'owner' || need === 'organiser') return 'allowed'
  if (need === 'owner') return 403
  if (scope !== 'instance' && !onOwn) return 404
  return ROLE_ORDER.indexOf(actor) >= ROLE_ORDER.indexOf(need as Actor) ? 'allowed' : 403
}

async function check(label: string, response: Response, want: ReturnType<typeof expected>, okStatuses: number[]) {
  const body = await response.text()
  if (want === 'login') {
    expect(response.status, label).toBe(302)
    expect(new URL(response.headers.get('location') ?? '', server.url).pathname, label).toBe('/admin/login')
  } else if (want === 'allowed') {
    expect(okStatuses, `${label} answered ${response.status}: ${body.slice(0, 200)}`).toContain(response.status)
  } else {
    expect(response.status, label).toBe(want)
  }
}

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000' } })
  db = openServerSql(server)
  build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
  cookies.owner = await logIn(OWNER.email, OWNER.password)

  // A second campaign, made by the owner, with a timeline entry, a fund and a signature of its own.
  const created = await fetchAs('owner', '/admin/campaigns/new', {
    method: 'POST',
    body: form({ title: 'Another case', summary: '', slug: 'another-case', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' }),
  })
  expect(created.status).toBe(302)
  const a = (await one<{ id: number }>(`SELECT id FROM campaigns WHERE slug = 'free-andry'`)).id
  const b = (await one<{ id: number }>(`SELECT id FROM campaigns WHERE slug = 'another-case'`)).id
  expect((await fetchAs('owner', `/admin/campaigns/${b}/timeline`, { method: 'POST', body: form({ happenedOn: '2025-01-01', locale: 'en', title: 'Other entry', bodyMd: '', publish: 'now' }) })).status).toBe(302)
  expect((await fetchAs('owner', `/admin/campaigns/${b}/funds`, { method: 'POST', body: form({ slug: 'other-fund', goal: '100', currency: 'EUR', status: 'open', position: '0', 'texts.en.title': 'Other fund' }) })).status).toBe(302)
  if (!await one<{ id: number } | undefined>('SELECT id FROM funds WHERE campaign_id = ?', a)) throw new Error('the seed should give the demo campaign a fund')
  await sign('free-andry', SIGNER_A)
  await sign('another-case', { firstName: 'Bert', lastName: 'Elsewhere', email: 'bert.elsewhere@example.net' })
  const ctx = async (campaignId: number, slug: string, email: string): Promise<Ctx> => ({
    campaignId,
    slug,
    entryId: (await one<{ id: number }>('SELECT id FROM updates WHERE campaign_id = ? ORDER BY id LIMIT 1', campaignId)).id,
    fundId: (await one<{ id: number }>('SELECT id FROM funds WHERE campaign_id = ? ORDER BY id LIMIT 1', campaignId)).id,
    signatureId: (await one<{ id: number }>('SELECT signatures.id FROM signatures JOIN supporters ON supporters.id = supporter_id WHERE campaign_id = ? AND supporters.email_hash = ?', campaignId, emailHash(email))).id,
    messageId: (await outboxRows(db, 'm.campaign_id = ?', campaignId)).find((m) => m.to.toLowerCase() === email.toLowerCase())!.id,
    n: 0,
  })
  own = await ctx(a, 'free-andry', SIGNER_A.email)
  other = await ctx(b, 'another-case', 'bert.elsewhere@example.net')

  // Three organisers who are not owners, each given a role on the demo campaign only, on the Organisers page.
  for (const role of ['viewer', 'editor', 'manager'] as const) {
    expect((await createOrganiser(server, people[role])).status).toBe(302)
    const id = (await one<{ id: number }>('SELECT id FROM organizers WHERE email = ?', people[role].email)).id
    const saved = await fetchAs('owner', '/admin/organizers', { method: 'POST', body: form({ intent: 'campaignRoles', organizerId: String(id), [`campaign-${a}`]: role, [`campaign-${b}`]: '' }) })
    expect(saved.status).toBe(200)
    cookies[role] = await logIn(people[role].email, people[role].password)
  }
  expect(await db.all('SELECT role FROM campaign_memberships ORDER BY role')).toEqual([{ role: 'editor' }, { role: 'manager' }, { role: 'viewer' }])
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the expectations table', () => {
  it('names every admin route of the build, with its loader and action, and nothing else', () => {
    const routes = adminRoutes()
    expect(routes.length).toBeGreaterThanOrEqual(25)
    expect(routes.map((r) => r.id).sort(), 'a new admin route needs a line in EXPECTED').toEqual(Object.keys(EXPECTED).sort())
    for (const route of routes) {
      const expectation = EXPECTED[route.id]!
      expect(route.hasLoader, `${route.id}: loader`).toBe(expectation.get !== null)
      // An action nobody listed is an action nobody tried.
      if (expectation.get !== 'public') expect(route.hasAction, `${route.id}: action`).toBe(expectation.posts.length > 0)
    }
  })

  it('is read from the build the tests run against', () => {
    expect(fs.existsSync(path.join(ROOT, 'build/server/index.js'))).toBe(true)
  })
})

const guarded = () => adminRoutes().filter((r) => EXPECTED[r.id]!.get !== 'public')
const actors: Actor[] = ['anonymous', 'viewer', 'editor', 'manager', 'owner']

describe('every loader', () => {
  it('answers each role on its own campaign, another campaign and anonymously as the table says', async () => {
    for (const route of guarded()) {
      const { scope, get } = EXPECTED[route.id]!
      for (const actor of actors) {
        for (const [ctx, onOwn] of scope === 'instance' ? ([[own, true]] as const) : ([[own, true], [other, false]] as const)) {
          const url = urlOf(route, ctx)
          await check(`${actor} GET ${url} (${route.id})`, await fetchAs(actor, url), expected(actor, get!, scope, onOwn), [200])
        }
      }
    }
  })
})

describe('every action', () => {
  it('refuses anonymous visitors and roles below the table’s, on any campaign, and changes nothing', async () => {
    const before = await snapshot()
    let refused = 0
    for (const route of guarded()) {
      const { scope, posts } = EXPECTED[route.id]!
      for (const actor of actors) {
        for (const [ctx, onOwn] of scope === 'instance' ? ([[own, true]] as const) : ([[own, true], [other, false]] as const)) {
          const url = urlOf(route, ctx)
          if (posts.length === 0) {
            const response = await fetchAs(actor, url, { method: 'POST', body: form({ intent: 'anything' }) })
            // No action: Remix refuses the method (anonymous visitors may be sent to log in first).
            expect(actor === 'anonymous' ? [302, 404, 405] : [404, 405], `${actor} POST ${url}`).toContain(response.status)
            continue
          }
          for (const post of posts) {
            const want = expected(actor, post.need, scope, onOwn)
            if (want === 'allowed') continue
            await check(`${actor} POST ${url} (${route.id}, needs ${post.need})`, await fetchAs(actor, url, { method: 'POST', body: post.body({ ...ctx, n: ++counter }) }), want, [])
            refused++
          }
        }
      }
    }
    expect(refused).toBeGreaterThan(50)
    expect(await snapshot()).toEqual(before)
  })

  it('lets each role do what the table allows on its own campaign, and owners everywhere', async () => {
    for (const route of guarded()) {
      const { scope, posts } = EXPECTED[route.id]!
      for (const actor of actors) {
        for (const [ctx, onOwn] of scope === 'instance' ? ([[own, true]] as const) : ([[own, true], [other, false]] as const)) {
          for (const post of posts) {
            if (expected(actor, post.need, scope, onOwn) !== 'allowed') continue
            const url = urlOf(route, ctx)
            const response = await fetchAs(actor, url, { method: 'POST', body: post.body({ ...ctx, n: ++counter }) })
            // Done (a redirect or the page again), or refused on its merits (a bad image, an update already sent): never for who asked.
            await check(`${actor} POST ${url} (${route.id})`, response, 'allowed', [200, 302, 400, 409])
          }
        }
      }
    }
  })
})

describe('the campaign list', () => {
  it('shows organisers only their campaigns, with their role, and owners every campaign', async () => {
    for (const role of ['viewer', 'editor', 'manager'] as const) {
      const html = await (await fetchAs(role, '/admin')).text()
      expect(html).toContain(`href="/admin/campaigns/${own.campaignId}"`)
      expect(html, role).not.toContain(`href="/admin/campaigns/${other.campaignId}"`)
      expect(html).not.toContain('href="/admin/campaigns/new"')
    }
    const owners = await (await fetchAs('owner', '/admin')).text()
    expect(owners).toContain(`href="/admin/campaigns/${other.campaignId}"`)
    expect(owners).toContain('href="/admin/campaigns/new"')
  })
})

describe('the outbox', () => {
  const confirmToken = (html: string) => /\/confirm\/([A-Za-z0-9_-]{16,})/.exec(html)?.[1]

  it('lists to editors only their campaigns’ emails, with masked addresses', async () => {
    const html = await (await fetchAs('editor', '/admin/outbox')).text()
    expect(html).toContain(`href="/admin/outbox/${own.messageId}"`)
    expect(html).not.toContain(`href="/admin/outbox/${other.messageId}"`)
    expect(textOf(html)).toContain('a•••@e•••.org')
    expect(html.toLowerCase()).not.toContain('quibbleton@')
    expect(textOf(html)).toContain('Addresses are shown to owners only.')
    // Viewers read no emails at all.
    expect(await (await fetchAs('viewer', '/admin/outbox')).text()).not.toContain(`href="/admin/outbox/${own.messageId}"`)
  })

  it('shows owners in demo mode the working links, and says why', async () => {
    const page = await (await fetchAs('owner', `/admin/outbox/${own.messageId}`)).text()
    expect(confirmToken(page)).toBeDefined()
    expect(page).toContain(SIGNER_A.email)
    expect(textOf(page)).toContain('Demo mode: the links work here so you can try the demo')
  })

  it('gives editors and managers no usable link and no address, in the page, its text part or its frame', async () => {
    const token = confirmToken(await (await fetchAs('owner', `/admin/outbox/${own.messageId}`)).text())!
    for (const role of ['editor', 'manager'] as const) {
      const page = await (await fetchAs(role, `/admin/outbox/${own.messageId}`)).text()
      const frame = await (await fetchAs(role, `/admin/outbox/${own.messageId}/html`)).text()
      for (const html of [page, frame]) {
        expect(html, role).not.toContain(token)
        expect(html.toLowerCase(), role).not.toContain(SIGNER_A.email.toLowerCase())
        expect(confirmToken(html), role).toBeUndefined()
      }
      expect(frame).toContain('href="#link-removed"')
      expect(textOf(page)).toContain('/confirm/… link removed')
      expect(textOf(page)).toContain('[link removed]')
      expect(textOf(page)).toContain('a•••@e•••.org')
    }
  })

  it('answers 404 for another campaign’s email and 403 for a viewer of the email’s campaign', async () => {
    expect((await fetchAs('editor', `/admin/outbox/${other.messageId}`)).status).toBe(404)
    expect((await fetchAs('editor', `/admin/outbox/${other.messageId}/html`)).status).toBe(404)
    expect((await fetchAs('viewer', `/admin/outbox/${own.messageId}`)).status).toBe(403)
  })
})

describe('searching signatures', () => {
  const search = async (actor: Actor, q: string) => textOf(await (await fetchAs(actor, `/admin/campaigns/${own.campaignId}/signatures?q=${encodeURIComponent(q)}`)).text())

  // Names are found once confirmed (ADR 017): Ana confirms, with the link the owner's outbox shows in demo mode.
  beforeAll(async () => {
    const token = /\/confirm\/([A-Za-z0-9_-]{16,})/.exec(await (await fetchAs('owner', `/admin/outbox/${own.messageId}`)).text())![1]
    const confirmed = await fetch(`${server.url}/confirm/${token}`, { method: 'POST', redirect: 'manual', body: form({ intent: 'confirm' }) })
    expect(confirmed.status).toBe(303)
  })

  it('matches only names for editors and managers, however much of an address they type', async () => {
    for (const role of ['editor', 'manager'] as const) {
      // Whole words only: names are sealed and found by their words' keyed hashes (ADR 017).
      expect(await search(role, 'Quibbleton')).toContain('Ana Quibbleton')
      expect(await search(role, 'Quibble'), `${role} q=Quibble`).not.toContain('Ana Quibbleton')
      // A query is split into words (punctuation too separates them), so `ana.` or `ana.quibbleton@`
      // find Ana Quibbleton by her NAME, as `ana quibbleton` does: nothing an editor cannot see.
      // An address never does: its domain's words are not name words, whatever the case.
      for (const q of ['ana.quibbleton@example', 'quibbleton@example.org', 'example.org', SIGNER_A.email, SIGNER_A.email.toLowerCase()]) {
        expect(await search(role, q), `${role} q=${q}`).not.toContain('Ana Quibbleton')
      }
    }
  })

  it('lets owners find a signer by the whole address in any case, never by a part of it', async () => {
    expect(await search('owner', 'ANA.QUIBBLETON@EXAMPLE.ORG')).toContain('Ana Quibbleton')
    expect(await search('owner', 'ana.quibbleton@example.org')).toContain(SIGNER_A.email)
    for (const q of ['ana.quibbleton@', 'quibbleton@example.org', '@example.org', 'example.org', 'ana.quibbleton@example.or']) {
      expect(await search('owner', q), `owner q=${q}`).not.toContain('Ana Quibbleton')
    }
  })

  it('shows viewers the counts and no signer', async () => {
    const text = await search('viewer', 'Quibbleton')
    expect(text).not.toContain('Quibbleton')
    expect(text).toContain('With the viewer role you see the counts')
  })
})

describe('the outbox in live mode', () => {
  let live: RunningServer
  let liveOwnerCookie = ''

  beforeAll(async () => {
    // No demo data at all: an organisation, an owner made with the CLI, a campaign made by them.
    live = await startServer({
      seed: false,
      env: {
        STRIPE_SECRET_KEY: 'sk_test_roles',
        STRIPE_WEBHOOK_SECRET: 'whsec_roles',
        RESEND_API_KEY: 're_roles',
        RESEND_WEBHOOK_SECRET: 'whsec_cm9sZXMtdGVzdC1zZWNyZXQ=',
        MAIL_FROM: 'Vigil <team@example.org>',
        SESSION_SECRET: 'a session secret for the roles test, long enough',
        // Nothing is sent: the emails stay queued in the outbox.
        VIGIL_SENDER: 'off',
        VIGIL_RETENTION: 'off',
      },
    })
    const writable = openServerSql(live)
    await writable.run(`INSERT INTO organizations (slug, name) VALUES ('team', 'The Team')`)
    await writable.close()
    const owner = { email: 'olga.owner@roles.example', name: 'Olga Owner', password: 'an owner passphrase of some length', role: 'owner' as const }
    expect((await createOrganiser(live, owner)).status).toBe(302)
    const login = await fetch(`${live.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { Origin: live.url }, body: form({ email: owner.email, password: owner.password }) })
    const cookie = cookieFrom(login)
    const headers = { Origin: live.url, Cookie: cookie }
    const created = await fetch(`${live.url}/admin/campaigns/new`, {
      method: 'POST',
      redirect: 'manual',
      headers,
      body: form({ title: 'A live case', summary: '', slug: 'live-case', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' }),
    })
    expect(created.status).toBe(302)
    const signed = await fetch(`${live.url}/c/live-case`, { method: 'POST', redirect: 'manual', body: form({ firstName: 'Lia', lastName: 'Live', email: 'lia.live@example.org', country: 'DE' }) })
    expect(signed.status).toBe(303)
    liveOwnerCookie = cookie
  }, 60_000)

  afterAll(async () => {
    await live?.stop()
  })

  it('shows owners the address but no usable link, in the page, its text part or its frame, and says why', async () => {
    const list = await (await fetch(`${live.url}/admin/outbox`, { headers: { Cookie: liveOwnerCookie } })).text()
    const id = /href="\/admin\/outbox\/(\d+)"/.exec(list)?.[1]
    expect(id).toBeDefined()
    expect(textOf(list)).toContain('lia.live@example.org')
    const page = await (await fetch(`${live.url}/admin/outbox/${id}`, { headers: { Cookie: liveOwnerCookie } })).text()
    const frame = await (await fetch(`${live.url}/admin/outbox/${id}/html`, { headers: { Cookie: liveOwnerCookie } })).text()
    expect(textOf(page)).toContain('lia.live@example.org')
    for (const html of [page, frame]) expect(html).not.toMatch(/\/confirm\/[A-Za-z0-9_-]{16,}/)
    expect(frame).toContain('href="#link-removed"')
    expect(textOf(page)).toContain('only the person the email went to may use them')
  })
  it('gives owners no usable My data link either: it would open the supporter\'s data for them', async () => {
    const asked = await fetch(`${live.url}/me`, { method: 'POST', redirect: 'manual', body: form({ intent: 'request', email: 'lia.live@example.org' }) })
    expect(asked.status).toBe(200)
    const list = await (await fetch(`${live.url}/admin/outbox`, { headers: { Cookie: liveOwnerCookie } })).text()
    const ids = [...list.matchAll(/href="\/admin\/outbox\/(\d+)"/g)].map((m) => Number(m[1]))
    const id = Math.max(...ids)
    const page = await (await fetch(`${live.url}/admin/outbox/${id}`, { headers: { Cookie: liveOwnerCookie } })).text()
    const frame = await (await fetch(`${live.url}/admin/outbox/${id}/html`, { headers: { Cookie: liveOwnerCookie } })).text()
    expect(frame).toContain('/me')
    for (const html of [page, frame]) expect(html).not.toMatch(/\/me\/open\/[A-Za-z0-9_-]{16,}/)
    expect(frame).toContain('href="#link-removed"')
  })
})
