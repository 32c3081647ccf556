/**
 * The second-factor guard, route by route (issue 18, ADR 019 §4). Every admin route of the
 * production build except the named half-session ones is tried with a session that has passed
 * the password but owes its second factor (level 'password') and with one that must set a
 * factor up first (level 'setup'): the page, its `.data` form and a POST (document and `.data`)
 * must each send the session to its own page, with no data and nothing changed. The `.data`
 * requests name the route alone (`_routes=`), so only that route's loader runs and the admin
 * layout's guard cannot stand in for a route that has none. A route added later is covered
 * without editing this file.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminRouteUrls, type AdminRouteUrl } from '../helpers/admin-routes.ts'
import { createOrganiser, sessionPair } from '../helpers/organisers.ts'
import { ROOT, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, sortedRows, type ServerSql } from '../helpers/sql.ts'

/**
 * The only admin routes a half session may reach (or that need no session): logging in and out,
 * the token-gated set-password page, the two pages that finish a sign-in and the WebAuthn
 * endpoint (whose intents check the session's level themselves, P2).
 */
const HALF_SESSION_ROUTES = [
  'routes/admin_.login',
  'routes/admin_.logout',
  'routes/admin_.set-password.$token',
  'routes/admin_.two-factor',
  'routes/admin_.two-factor-setup',
  'routes/admin_.webauthn',
]
const SETUP = '/admin/two-factor-setup'
const TWO_FACTOR = '/admin/two-factor'
/** An owner under the default policy 'owners' with no factor: signs in at 'setup'. */
const OLGA = { email: 'olga.owner@guard.example', name: 'Olga Guardowner', password: 'an owner passphrase of some length', role: 'owner' as const }
/** An owner with a confirmed authenticator app: signs in at 'password'. */
const PAUL = { email: 'paul.pending@guard.example', name: 'Paul Pendingowner', password: 'a pending passphrase of some length', role: 'owner' as const }
const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const SUPPORTER_EMAIL = 'ana.routes@example.org'

type Level = 'setup' | 'password'
const PAGE_OF: Record<Level, string> = { setup: SETUP, password: TWO_FACTOR }

let server: RunningServer
let db: ServerSql
let build: ServerBuild
let routes: AdminRouteUrl[]
let guarded: AdminRouteUrl[]
let campaignId: number
let campaignTitle: string
const cookies: Partial<Record<Level | 'full', string>> = {}

function request(url: string, { cookie, method = 'GET', body }: { cookie?: string; method?: string; body?: URLSearchParams } = {}) {
  const headers: Record<string, string> = { Origin: server.url }
  if (cookie) headers.Cookie = cookie
  return fetch(server.url + url, { method, body, headers, redirect: 'manual' })
}

async function signIn({ email, password }: { email: string; password: string }) {
  const response = await request('/admin/login', { method: 'POST', body: new URLSearchParams({ email, password }) })
  expect(response.status).toBe(302)
  return { cookie: sessionPair(response), location: response.headers.get('location') }
}

/** The single-fetch URL of a route's URL (`/admin/x?index` → `/admin/x.data?index&_routes=id`): only this route's loader or action runs. */
function dataUrl(route: AdminRouteUrl) {
  const url = new URL(route.url, server.url)
  url.pathname = `${url.pathname.replace(/\/$/, '')}.data`
  url.searchParams.set('_routes', route.id)
  return `${url.pathname}${url.search}`
}

/** What Remix hands a loader as its URL: its own ?index marker removed. */
function asked(route: AdminRouteUrl) {
  return route.url.replace(/\?index$/, '')
}

/** A body that would change something if the action ran (owner-only routes included). */
function effectiveBody(route: AdminRouteUrl): URLSearchParams {
  switch (route.id) {
    case 'routes/admin.organizers':
      return new URLSearchParams({ intent: 'create', email: 'intruder@guard.example', name: 'Intruder', role: 'owner' })
    case 'routes/admin.security-policy':
      return new URLSearchParams({ policy: 'none' })
    case 'routes/admin.campaigns.new':
      return new URLSearchParams({ title: 'Probe campaign', slug: 'probe-campaign', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' })
    case 'routes/admin.campaigns.$id._index':
      return new URLSearchParams({ slug: 'free-andry', status: 'closed', defaultLocale: 'en', currency: 'EUR', signatureGoal: '7', target: 'Probe', retentionDays: '30' })
    case 'routes/admin.campaigns.$id.text.$locale':
      return new URLSearchParams({ title: 'Probe title', summary: 'Probe summary' })
    case 'routes/admin.branding':
      return new URLSearchParams({ teamName: 'Probe team', accentColor: '', headline_en: '', headline_de: '', headline_es: '', intro_en: '', intro_de: '', intro_es: '' })
    case 'routes/admin.legal.$page.$locale':
      return new URLSearchParams({ body: 'Probe imprint.' })
    case 'routes/admin.campaigns.$id.updates.$updateId.send':
      return new URLSearchParams({ intent: 'test', locale: 'en' })
    default:
      return new URLSearchParams({ intent: 'anything', title: 'Probe' })
  }
}

/** Everything an action could change, and the sessions' levels (a raised session would be the worst change of all). */
async function snapshot() {
  const tables = ['audit_log', 'organizers', 'organizer_tokens', 'campaign_memberships', 'campaigns', 'campaign_translations', 'updates', 'update_translations', 'funds', 'fund_translations', 'update_sends', 'replies', 'instance_settings', 'site_texts', 'organizer_totp', 'organizer_passkeys', 'organizer_recovery_codes']
  const rows: Record<string, unknown[]> = {}
  for (const t of tables) rows[t] = sortedRows(await db.all(`SELECT * FROM ${t}`))
  rows.sessions = await db.all('SELECT id_hash, organizer_id, level, second_factor FROM sessions ORDER BY id_hash')
  rows.signatures = await db.all('SELECT id, status, message_status FROM signatures ORDER BY id')
  rows.email_messages = await db.all('SELECT id, template, to_email, idempotency_key FROM email_messages ORDER BY id')
  return rows
}

/** No trace of what the back office holds: campaign, organisers, supporters. */
function expectNoData(body: string, label: string) {
  for (const secret of [campaignTitle, OLGA.email, PAUL.email, PAUL.name, DEMO.email, 'Demo Organiser', SUPPORTER_EMAIL, 'Lopez']) {
    expect(body, `${label} shows ${secret}`).not.toContain(secret)
  }
}

function expectSentTo(response: Response, level: Level, redirectTo: string | null, label: string) {
  expect(response.status, label).toBe(302)
  const location = new URL(response.headers.get('location') ?? '', server.url)
  expect(location.pathname, label).toBe(PAGE_OF[level])
  expect(location.searchParams.get('redirectTo'), label).toBe(redirectTo)
}

/** Single fetch answers a thrown redirect with 202 and the redirect in a turbo-stream body. */
async function expectDataSentTo(response: Response, level: Level, label: string) {
  const body = await response.text()
  expect(response.status, `${label}: ${body.slice(0, 200)}`).toBe(202)
  expect(body, label).toContain(PAGE_OF[level])
  expectNoData(body, label)
}

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  db = openServerSql(server)
  build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
  routes = await adminRouteUrls(server, build)
  guarded = routes.filter((r) => !HALF_SESSION_ROUTES.includes(r.id))
  const campaign = await db.get<{ id: number; title: string }>(
    `select campaigns.id, campaign_translations.title from campaigns join campaign_translations on campaign_translations.campaign_id = campaigns.id
     where campaigns.slug = 'free-andry' and campaign_translations.locale = 'en'`,
  )
  if (!campaign) throw new Error('the seed did not create the demo campaign')
  campaignId = campaign.id
  campaignTitle = campaign.title

  // The instance's default policy is left alone ('owners'): both are owners, so a route the
  // guard let through would show them everything, owner-only pages included.
  for (const person of [OLGA, PAUL]) expect((await createOrganiser(server, { ...person, secondFactorPolicy: null })).status).toBe(302)
  expect(await db.get('select second_factor_policy from instance_settings where id = 1')).toEqual({ second_factor_policy: 'owners' })
  const setup = await signIn(OLGA)
  expect(setup.location).toBe(SETUP)
  cookies.setup = setup.cookie
  // Paul has a confirmed authenticator app, so the real sign-in stops at 'password'. The row is
  // written here (its secret is never opened by the guard); totp.test.ts sets one up for real.
  await db.run(
    `insert into organizer_totp (organizer_id, sealed, data_key_id, confirmed_at, last_time_step)
     select id, 'not-a-real-envelope', 'k0', 1700000000000, 0 from organizers where email = ?`,
    PAUL.email,
  )
  const pending = await signIn(PAUL)
  expect(pending.location).toBe(TWO_FACTOR)
  cookies.password = pending.cookie
  // The control: the demo organiser (an owner, exempt from the policy) is signed in in full.
  const full = await signIn(DEMO)
  expect(full.location).toBe('/admin')
  cookies.full = full.cookie
  expect(await db.all(`select level from sessions order by level`)).toEqual([{ level: 'full' }, { level: 'password' }, { level: 'setup' }])
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the enumeration', () => {
  it('takes every admin route from the build and leaves out only the named half-session routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(35)
    const skipped = routes.map((r) => r.id).filter((id) => !guarded.some((g) => g.id === id))
    expect(skipped.sort()).toEqual([...HALF_SESSION_ROUTES].sort())
    for (const id of ['routes/admin', 'routes/admin._index', 'routes/admin.organizers', 'routes/admin.security', 'routes/admin.security-policy', 'routes/admin.campaigns.$id.donations[.]csv']) {
      expect(guarded.map((r) => r.id), id).toContain(id)
    }
    expect(guarded.filter((r) => !r.isPage).length, 'resource routes').toBeGreaterThanOrEqual(3)
    expect(guarded.filter((r) => r.hasAction).length, 'routes with an action').toBeGreaterThanOrEqual(10)
  })

  it("reaches each route's own loader with a full session (so the refusals below are the guard's)", async () => {
    for (const route of guarded) {
      const response = await request(route.isPage ? dataUrl(route) : route.url, { cookie: cookies.full })
      expect(response.status, `full ${route.isPage ? dataUrl(route) : route.url}: ${server.output().slice(-1500)}`).toBe(200)
      await response.arrayBuffer()
    }
  })
})

describe.each(['setup', 'password'] as const)("a session at level '%s'", (level) => {
  it('is sent to its page from every route: the document, with a way back, and no data', async () => {
    for (const route of guarded) {
      const response = await request(route.url, { cookie: cookies[level] })
      const label = `${level} GET ${route.url} (${route.id})`
      expectSentTo(response, level, asked(route) === '/admin' ? null : asked(route), label)
      expectNoData(await response.text(), label)
    }
  })

  it("is sent to its page from every route's own loader (`.data`, that route alone)", async () => {
    for (const route of guarded) {
      const url = dataUrl(route)
      await expectDataSentTo(await request(url, { cookie: cookies[level] }), level, `${level} GET ${url} (${route.id})`)
    }
  })

  it('changes nothing by posting to any route, documents and `.data` alike', async () => {
    const before = await snapshot()
    for (const route of guarded) {
      const label = `${level} POST ${route.url} (${route.id})`
      const response = await request(route.url, { cookie: cookies[level], method: 'POST', body: effectiveBody(route) })
      if (route.hasAction) {
        expectSentTo(response, level, asked(route) === '/admin' ? null : asked(route), label)
        expectNoData(await response.text(), label)
        const url = dataUrl(route)
        await expectDataSentTo(await request(url, { cookie: cookies[level], method: 'POST', body: effectiveBody(route) }), level, `${level} POST ${url} (${route.id})`)
      } else if (response.status === 302) {
        // No action: Remix refuses the method, and the layout's loader (for the error page) sends the session on.
        expectSentTo(response, level, asked(route) === '/admin' ? null : asked(route), label)
      } else {
        expect([404, 405], `${label} answered ${response.status}`).toContain(response.status)
        expectNoData(await response.text(), label)
      }
    }
    expect(await snapshot()).toEqual(before)
  })
})

describe('the half-session routes', () => {
  it('send a full session that strays onto them back to the back office', async () => {
    for (const page of [TWO_FACTOR, SETUP]) {
      const response = await request(page, { cookie: cookies.full })
      expect(response.status, page).toBe(302)
      expect(response.headers.get('location'), page).toBe('/admin')
    }
  })

  it('send each half session to its own page, and anonymous visitors to the login page', async () => {
    expectSentTo(await request(TWO_FACTOR, { cookie: cookies.setup }), 'setup', null, 'setup on the two-factor page')
    expectSentTo(await request(SETUP, { cookie: cookies.password }), 'password', null, 'password on the set-up page')
    expect((await request(SETUP, { cookie: cookies.setup })).status).toBe(200)
    expect((await request(TWO_FACTOR, { cookie: cookies.password })).status).toBe(200)
    for (const page of [TWO_FACTOR, SETUP]) {
      const response = await request(page)
      expect(response.status, page).toBe(302)
      expect(response.headers.get('location'), page).toBe('/admin/login')
    }
  })

  it('answer the WebAuthn endpoint, the login and the set-password pages without data and without a 500', async () => {
    for (const level of ['setup', 'password'] as const) {
      for (const url of ['/admin/webauthn', '/admin/login', '/admin/set-password/no-such-token']) {
        const response = await request(url, { cookie: cookies[level] })
        expect(response.status, `${level} GET ${url}`).toBeLessThan(500)
        expectNoData(await response.text(), `${level} GET ${url}`)
      }
    }
  })

  it('leave both half sessions where they were: nothing above raised them', async () => {
    expect(await db.all(`select level from sessions order by level`)).toEqual([{ level: 'full' }, { level: 'password' }, { level: 'setup' }])
  })

  it('let a half session log out', async () => {
    const { cookie } = await signIn(OLGA)
    const out = await request('/admin/logout', { cookie, method: 'POST', body: new URLSearchParams() })
    expect(out.status).toBe(302)
    expect(out.headers.get('location')).toBe('/admin/login')
    expect((await request(SETUP, { cookie })).headers.get('location')).toBe('/admin/login')
  })
})

describe('a campaign page', () => {
  it('is real: the full session sees the title the half sessions never saw', async () => {
    expect(await (await request(`/admin/campaigns/${campaignId}`, { cookie: cookies.full })).text()).toContain(campaignTitle)
  })
})
