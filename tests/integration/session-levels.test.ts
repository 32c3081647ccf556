/**
 * Session levels and the guard (issue 18, ADR 019), against the production build over real
 * HTTP: a sign-in whose password passed starts at 'password' (a factor is owed), 'setup' (the
 * policy requires one and there is none) or 'full'; requireOrganizer sends a half session to
 * its page, for documents, `.data` requests and actions alike; raiseSession rotates the token;
 * logging out ends a half session; the upgrade's migration ends every session.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrate as migrateSqliteTo } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgresTo } from 'drizzle-orm/node-postgres/migrator'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDatabase, driverOf, openDatabase, openPostgres, sqliteOf, type DB } from '#db/client.server.ts'
import { migrateDatabase, migrationsFolder, postgresMigrationsFolder } from '#db/migrate.ts'
import { raiseSession } from '~/workflows/session.server.ts'
import { createTestDatabase, dropTestDatabase, onPostgres, openServerDatabase } from '../helpers/engine.ts'
import { rawSql } from '../helpers/mail-worker.ts'
import { createOrganiser, sessionPair, setSecondFactorPolicy } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const OWNER = { email: 'olga.owner@levels.example', name: 'Olga Owner', password: 'an owner passphrase of some length', role: 'owner' as const }
const EDITOR = { email: 'edith.editor@levels.example', name: 'Edith Editor', password: 'an editor passphrase of some length' }
const PAULA = { email: 'paula.pending@levels.example', name: 'Paula Pending', password: 'a pending passphrase of some length' }
const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }
const SETUP = '/admin/two-factor-setup'
const TWO_FACTOR = '/admin/two-factor'

let server: RunningServer
let db: ServerSql
let campaignId: number
let campaignTitle: string

function get(pathname: string, cookie?: string) {
  return fetch(server.url + pathname, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} })
}

function post(pathname: string, fields: Record<string, string>, cookie?: string) {
  return fetch(server.url + pathname, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields),
  })
}

async function signIn({ email, password }: { email: string; password: string }) {
  const response = await post('/admin/login', { email, password })
  expect(response.status).toBe(302)
  return { cookie: sessionPair(response), location: response.headers.get('location') }
}

async function levelsOf(email: string) {
  return (await db.all<{ level: string }>(
    'select sessions.level from sessions join organizers on organizers.id = sessions.organizer_id where organizers.email = ? order by sessions.created_at',
    email,
  )).map((r) => r.level)
}

function expectRedirect(response: Response, pathname: string, redirectTo: string | null) {
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location') ?? '', server.url)
  expect(location.pathname).toBe(pathname)
  expect(location.searchParams.get('redirectTo')).toBe(redirectTo)
}

/** Single fetch answers a thrown redirect on a `.data` request with 202 and the redirect in the body. */
async function expectDataRedirect(response: Response, pathname: string) {
  expect(response.status).toBe(202)
  const body = await response.text()
  expect(body).toContain(pathname)
  expect(body).not.toContain(campaignTitle)
  expect(body).not.toContain('demo@vigil.example')
}

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  const campaign = await db.get<{ id: number; title: string }>(
    `select campaigns.id, campaign_translations.title from campaigns join campaign_translations on campaign_translations.campaign_id = campaigns.id
     where campaigns.slug = 'free-andry' and campaign_translations.locale = 'en'`,
  )
  if (!campaign) throw new Error('the seed did not create the demo campaign')
  campaignId = campaign.id
  campaignTitle = campaign.title
  // Made with the policy left alone: new instances and upgrades alike start at 'owners'.
  for (const person of [OWNER, EDITOR, PAULA]) {
    expect((await createOrganiser(server, { ...person, secondFactorPolicy: null })).status).toBe(302)
  }
  expect(await db.get('select second_factor_policy from instance_settings where id = 1')).toEqual({ second_factor_policy: 'owners' })
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe("the default policy 'owners'", () => {
  it('gives an owner without a factor a setup session that reaches only the set-up page', async () => {
    const { cookie, location } = await signIn(OWNER)
    expect(location).toBe(SETUP)
    expect(await levelsOf(OWNER.email)).toEqual(['setup'])
    const audit = await db.get<{ details: string }>(
      `select details from audit_log where action = 'organizer.login' and subject_id = (select cast(id as text) from organizers where email = ?)`,
      OWNER.email,
    )
    expect(JSON.parse(String(audit?.details))).toEqual({ level: 'setup', method: 'password' })

    expectRedirect(await get('/admin', cookie), SETUP, null)
    const campaignPath = `/admin/campaigns/${campaignId}`
    const page = await get(campaignPath, cookie)
    expectRedirect(page, SETUP, campaignPath)
    expect(await page.text()).not.toContain(campaignTitle)
    await expectDataRedirect(await get(`${campaignPath}.data`, cookie), SETUP)
    // A resource route and an action: the same redirect, nothing written.
    expectRedirect(await get(`${campaignPath}/export.csv`, cookie), SETUP, `${campaignPath}/export.csv`)
    const before = await db.get<{ n: number }>('select count(*) as n from organizers')
    expectRedirect(await post('/admin/organizers', { intent: 'create', email: 'sneaky@levels.example', name: 'Sneaky', role: 'owner' }, cookie), SETUP, '/admin/organizers')
    expect(await db.get<{ n: number }>('select count(*) as n from organizers')).toEqual(before)

    // Its own page answers; the other half-session page and the login page send it back here.
    const setup = await get(SETUP, cookie)
    expect(setup.status).toBe(200)
    expect(await setup.text()).toContain('<h1>Set up a second factor</h1>')
    expectRedirect(await get(TWO_FACTOR, cookie), SETUP, null)
    expectRedirect(await get('/admin/login', cookie), SETUP, null)
    // The header does not name a half-signed-in organiser.
    expect(await (await get('/', cookie)).text()).not.toContain(OWNER.name)
  })

  it('keeps redirectTo through the sign-in', async () => {
    const response = await post('/admin/login', { ...OWNER, redirectTo: `/admin/campaigns/${campaignId}` })
    expectRedirect(response, SETUP, `/admin/campaigns/${campaignId}`)
  })

  it('gives an editor a full session', async () => {
    const { cookie, location } = await signIn(EDITOR)
    expect(location).toBe('/admin')
    expect(await levelsOf(EDITOR.email)).toEqual(['full'])
    expect((await get('/admin', cookie)).status).toBe(200)
    expectRedirect(await get(SETUP, cookie), '/admin', null)
    expectRedirect(await get(TWO_FACTOR, cookie), '/admin', null)
  })

  it('exempts the demo organiser, an owner whose password is published', async () => {
    const { cookie, location } = await signIn(DEMO)
    expect(location).toBe('/admin')
    expect((await get(`/admin/campaigns/${campaignId}`, cookie)).status).toBe(200)
  })
})

describe('a session that owes its second factor', () => {
  it("is sent to /admin/two-factor (level 'password', set by SQL until a factor can be added)", async () => {
    const { cookie } = await signIn(PAULA)
    await db.run(`update sessions set level = 'password' where organizer_id = (select id from organizers where email = ?)`, PAULA.email)
    const campaignPath = `/admin/campaigns/${campaignId}`
    expectRedirect(await get('/admin', cookie), TWO_FACTOR, null)
    expectRedirect(await get(campaignPath, cookie), TWO_FACTOR, campaignPath)
    await expectDataRedirect(await get(`${campaignPath}.data`, cookie), TWO_FACTOR)
    expect((await get(TWO_FACTOR, cookie)).status).toBe(200)
    expectRedirect(await get(`${SETUP}?redirectTo=%2Fadmin%2Foutbox`, cookie), TWO_FACTOR, '/admin/outbox')
  })

  it('is raised under a new token: the old cookie no longer works, the new one does', async () => {
    const { cookie } = await signIn(PAULA)
    await db.run(`update sessions set level = 'password' where organizer_id = (select id from organizers where email = ?)`, PAULA.email)
    const handle: DB = openServerDatabase(server)
    let raised: { setCookie: string }
    try {
      raised = await raiseSession(handle, new Request(`${server.url}${TWO_FACTOR}`, { headers: { Cookie: cookie } }), { method: 'totp' })
    } finally {
      await closeDatabase(handle)
    }
    const fresh = raised.setCookie.split(';')[0]!
    expect(fresh).not.toBe(cookie)
    expect((await get('/admin', fresh)).status).toBe(200)
    expectRedirect(await get('/admin', cookie), '/admin/login', null)
    const rows = await db.all<{ level: string; second_factor: string | null }>(
      `select level, second_factor from sessions where organizer_id = (select id from organizers where email = ?) order by created_at`,
      PAULA.email,
    )
    // The first test's session is still 'password'; this one's old row is gone, the new one full.
    expect(rows).toEqual([{ level: 'password', second_factor: null }, { level: 'full', second_factor: 'totp' }])
    const audit = await db.get<{ details: string }>(`select details from audit_log where action = 'organizer.second_factor' order by id desc limit 1`)
    expect(JSON.parse(String(audit?.details))).toEqual({ method: 'totp' })
  })
})

describe('logging out', () => {
  it('ends a half session', async () => {
    const { cookie } = await signIn(OWNER)
    const before = (await levelsOf(OWNER.email)).length
    const out = await post('/admin/logout', {}, cookie)
    expect(out.status).toBe(302)
    expect(out.headers.get('location')).toBe('/admin/login')
    expect(out.headers.get('set-cookie')).toMatch(/^vigil_session=;/)
    expect((await levelsOf(OWNER.email)).length).toBe(before - 1)
    expectRedirect(await get(SETUP, cookie), '/admin/login', null)
  })
})

describe("the policy 'none'", () => {
  it('lets an owner without a factor in, as before issue 18', async () => {
    await setSecondFactorPolicy(server, 'none')
    try {
      const { cookie, location } = await signIn(OWNER)
      expect(location).toBe('/admin')
      expect((await get('/admin', cookie)).status).toBe(200)
    } finally {
      await setSecondFactorPolicy(server, 'owners')
    }
  })
})

/** This engine's migrations folder, its journal cut before issue 18's migration. */
function migrationsBeforeIssue18() {
  const folder = onPostgres ? postgresMigrationsFolder : migrationsFolder
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-migrations-'))
  fs.cpSync(folder, copy, { recursive: true })
  const journalFile = path.join(copy, 'meta', '_journal.json')
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] }
  const at = journal.entries.findIndex((entry) => entry.tag.endsWith('_organiser_authentication'))
  if (at < 0) throw new Error(`no organiser_authentication migration in ${folder}`)
  journal.entries = journal.entries.slice(0, at)
  fs.writeFileSync(journalFile, JSON.stringify(journal))
  return copy
}

describe('the upgrade', () => {
  it('ends every session (they have no level, device or last-seen time)', async () => {
    const before = migrationsBeforeIssue18()
    let handle: DB
    let cleanUp: () => Promise<void> | void
    if (onPostgres) {
      const url = await createTestDatabase()
      handle = openPostgres(url, 2)
      cleanUp = () => dropTestDatabase(url)
      const client = await (driverOf(handle) as pg.Pool).connect()
      try {
        await migratePostgresTo(drizzlePostgres(client), { migrationsFolder: before })
      } finally {
        client.release()
      }
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-upgrade-'))
      handle = openDatabase(path.join(dir, 'vigil.db'))
      cleanUp = () => fs.rmSync(dir, { recursive: true, force: true })
      sqliteOf(handle).pragma('foreign_keys = OFF')
      migrateSqliteTo(handle, { migrationsFolder: before })
      sqliteOf(handle).pragma('foreign_keys = ON')
    }
    try {
      const q = rawSql(handle)
      const organization = await q.insert(`insert into organizations (slug, name) values ('o', 'O')`)
      const organizer = await q.insert(`insert into organizers (organization_id, email, name, role) values (?, 'o@example.org', 'O', 'owner')`, organization)
      await q.run(`insert into sessions (id_hash, organizer_id, expires_at) values ('a', ?, 9999999999999), ('b', ?, 9999999999999)`, organizer, organizer)
      expect(await q.all('select id_hash from sessions')).toHaveLength(2)
      await migrateDatabase(handle)
      expect(await q.all('select id_hash from sessions')).toEqual([])
      expect(await q.get(`select second_factor_policy from instance_settings`)).toBeUndefined()
      // The organiser is kept; only the sessions went.
      expect(await q.all('select id from organizers')).toHaveLength(1)
    } finally {
      await closeDatabase(handle)
      fs.rmSync(before, { recursive: true, force: true })
      await cleanUp()
    }
  })
})
