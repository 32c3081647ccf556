/**
 * The second-factor policy (issue 18, ADR 019 §5–6), against the production build over real
 * HTTP: an owner sets it on /admin/security-policy (a plain form: no JavaScript needed); each
 * value decides who signs in at 'setup'; the page names exactly those still without a factor;
 * the demo organiser is exempt and the page says so; a change moves open sessions at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attr, tagsOf, textOf } from '../helpers/html.ts'
import { createOrganiser, grantCampaignRole, sessionPair, type SecondFactorPolicy } from '../helpers/organisers.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026', name: 'Demo Organiser' }
const OWNER = { email: 'otto.owner@policy.example', name: 'Otto Owner', password: 'an owner passphrase of some length', role: 'owner' as const }
const MANAGER = { email: 'mia.manager@policy.example', name: 'Mia Manager', password: 'a manager passphrase of some length' }
const EDITOR = { email: 'eve.editor@policy.example', name: 'Eve Editor', password: 'an editor passphrase of some length' }
/** An owner with a confirmed authenticator app: never "not covered", always asked for the factor. */
const FACTOR = { email: 'fay.factor@policy.example', name: 'Fay Factor', password: 'a factor passphrase of some length', role: 'owner' as const }
const SETUP = '/admin/two-factor-setup'
const TWO_FACTOR = '/admin/two-factor'
const POLICIES: SecondFactorPolicy[] = ['none', 'owners', 'owners_managers', 'everyone']

let server: RunningServer
let db: ServerSql
let demoCookie: string

function request(url: string, { cookie, method = 'GET', body, lang }: { cookie?: string; method?: string; body?: URLSearchParams; lang?: string } = {}) {
  const headers: Record<string, string> = { Origin: server.url }
  if (cookie) headers.Cookie = cookie
  if (lang) headers['Accept-Language'] = lang
  return fetch(server.url + url, { method, body, headers, redirect: 'manual' })
}

async function signIn({ email, password }: { email: string; password: string }) {
  const response = await request('/admin/login', { method: 'POST', body: new URLSearchParams({ email, password }) })
  expect(response.status, email).toBe(302)
  return { cookie: sessionPair(response), location: response.headers.get('location') }
}

/** Saved the way an owner does it: the form's POST. */
async function choose(policy: string, cookie = demoCookie) {
  const response = await request('/admin/security-policy', { cookie, method: 'POST', body: new URLSearchParams({ policy }) })
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe('/admin/security-policy?saved=1')
}

/** The names under "Who still has to set one up". */
async function uncoveredNames(lang = 'en') {
  const response = await request('/admin/security-policy', { cookie: demoCookie, lang })
  expect(response.status).toBe(200)
  const html = await response.text()
  const section = /<section[^>]*aria-labelledby="uncovered-title"[^>]*>([\s\S]*?)<\/section>/.exec(html)?.[1]
  if (section === undefined) throw new Error('no uncovered section on the policy page')
  return { names: [...section.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => textOf(m[1]!)), html, section: textOf(section) }
}

async function policyRow() {
  return (await db.get<{ second_factor_policy: string }>('select second_factor_policy from instance_settings where id = 1'))?.second_factor_policy
}

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0' } })
  db = openServerSql(server)
  for (const person of [OWNER, MANAGER, EDITOR, FACTOR]) expect((await createOrganiser(server, { ...person, secondFactorPolicy: null })).status).toBe(302)
  await grantCampaignRole(server, { email: MANAGER.email, slug: 'free-andry', role: 'manager' })
  await grantCampaignRole(server, { email: EDITOR.email, slug: 'free-andry', role: 'editor' })
  // Fay's app is written here (its secret is never opened: she is only ever asked for it); totp.test.ts sets one up for real.
  await db.run(
    `insert into organizer_totp (organizer_id, sealed, data_key_id, confirmed_at, last_time_step)
     select id, 'not-a-real-envelope', 'k0', 1700000000000, 0 from organizers where email = ?`,
    FACTOR.email,
  )
  // The demo organiser is an owner exempt from every policy: the one who changes it here.
  const demo = await signIn(DEMO)
  expect(demo.location).toBe('/admin')
  demoCookie = demo.cookie
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the policy page', () => {
  it('offers the four choices as a plain form, the saved one checked, each with its sentence', async () => {
    expect(await policyRow()).toBe('owners')
    const response = await request('/admin/security-policy', { cookie: demoCookie })
    expect(response.status).toBe(200)
    const html = await response.text()
    const form = tagsOf(html, 'form').find((tag) => attr(tag, 'method') === 'post')
    expect(form, 'a form that posts without JavaScript').toBeDefined()
    const radios = tagsOf(html, 'input').filter((tag) => attr(tag, 'type') === 'radio')
    expect(radios.map((tag) => attr(tag, 'value'))).toEqual(POLICIES)
    expect(radios.every((tag) => attr(tag, 'name') === 'policy')).toBe(true)
    expect(radios.filter((tag) => /\schecked=""/.test(tag)).map((tag) => attr(tag, 'value'))).toEqual(['owners'])
    const text = textOf(html)
    for (const sentence of [
      'A password alone is enough for everyone.',
      'Owners can add organisers and reach every campaign',
      'Also everyone who manages a campaign',
      'The safest choice for a team under pressure',
    ]) expect(text).toContain(sentence)
  })

  it('speaks German and Spanish', async () => {
    const de = textOf(await (await request('/admin/security-policy', { cookie: demoCookie, lang: 'de' })).text())
    expect(de).toContain('Anmelderegeln')
    expect(de).toContain('Leitung und Kampagnenleitung')
    expect(de).toContain('Das Demo-Konto ist bei jeder Wahl ausgenommen')
    const es = textOf(await (await request('/admin/security-policy', { cookie: demoCookie, lang: 'es' })).text())
    expect(es).toContain('Reglas de acceso')
    expect(es).toContain('Responsables y coordinación de campañas')
    expect(es).toContain('La cuenta de demostración queda exenta')
  })

  it('is for owners only', async () => {
    await choose('none')
    const { cookie } = await signIn(EDITOR)
    expect((await request('/admin/security-policy', { cookie })).status).toBe(403)
    const post = await request('/admin/security-policy', { cookie, method: 'POST', body: new URLSearchParams({ policy: 'none' }) })
    expect(post.status).toBe(403)
    await choose('owners')
  })

  it('refuses anything but the four choices with a 400 in the visitor’s language, changing nothing', async () => {
    const audits = await db.get<{ n: number }>('select count(*) as n from audit_log')
    for (const [body, lang, message] of [
      [new URLSearchParams({ policy: 'nobody-at-all' }), 'en', 'Choose one of the four options.'],
      [new URLSearchParams({}), 'de', 'Bitte wählen Sie eine der vier Möglichkeiten.'],
      // Two answers at once is no answer.
      [new URLSearchParams([['policy', 'none'], ['policy', 'everyone']]), 'es', 'Elige una de las cuatro opciones.'],
    ] as const) {
      const response = await request('/admin/security-policy', { cookie: demoCookie, method: 'POST', body, lang })
      expect(response.status).toBe(400)
      expect(textOf(await response.text())).toContain(message)
    }
    expect(await policyRow()).toBe('owners')
    expect(await db.get<{ n: number }>('select count(*) as n from audit_log')).toEqual(audits)
  })
})

describe('each choice', () => {
  const forced: Record<SecondFactorPolicy, string[]> = {
    none: [],
    owners: [OWNER.name],
    owners_managers: [MANAGER.name, OWNER.name],
    everyone: [EDITOR.name, MANAGER.name, OWNER.name],
  }

  it.each(POLICIES)("'%s' decides who must set up a factor at sign-in, and the page names exactly them", async (policy) => {
    await choose(policy)
    expect(await policyRow()).toBe(policy)
    for (const person of [OWNER, MANAGER, EDITOR]) {
      const { location } = await signIn(person)
      expect(location, `${person.name} under '${policy}'`).toBe(forced[policy].includes(person.name) ? SETUP : '/admin')
    }
    // Whoever has a factor is asked for it, under every choice; the demo organiser never is.
    expect((await signIn(FACTOR)).location).toBe(TWO_FACTOR)
    expect((await signIn(DEMO)).location).toBe('/admin')
    const { names, section } = await uncoveredNames()
    expect(names).toEqual(forced[policy])
    if (policy === 'none') expect(section).toContain('With this choice, nobody is asked for a second factor.')
    else expect(section).toContain('they are asked to set one up at their next request')
    expect(section).not.toContain(FACTOR.name)
  })

  it('tells the demo organiser it is exempt under every choice', async () => {
    for (const policy of POLICIES) {
      await choose(policy)
      const { names, section } = await uncoveredNames()
      expect(names).not.toContain(DEMO.name)
      expect(section).toContain('The demo organiser is exempt under every choice: its password is published')
    }
    await choose('owners')
  })
})

describe('changing the policy', () => {
  it('sends signed-in organisers it now covers, without a factor, to set-up at their next request, and lets them in again when it no longer does', async () => {
    await choose('owners')
    const editor = await signIn(EDITOR)
    const manager = await signIn(MANAGER)
    const factor = await signIn(FACTOR)
    expect((await request('/admin', { cookie: editor.cookie })).status).toBe(200)
    expect((await request('/admin', { cookie: manager.cookie })).status).toBe(200)

    await choose('owners_managers')
    const held = await request(`/admin/outbox`, { cookie: manager.cookie })
    expect(held.status).toBe(302)
    expect(held.headers.get('location')).toBe(`${SETUP}?redirectTo=%2Fadmin%2Foutbox`)
    expect((await request('/admin', { cookie: editor.cookie })).status).toBe(200)
    // The demo organiser's own session is untouched; Fay's still owes her factor.
    expect((await request('/admin', { cookie: demoCookie })).status).toBe(200)
    expect((await request('/admin', { cookie: factor.cookie })).headers.get('location')).toBe(TWO_FACTOR)

    await choose('everyone')
    expect((await request('/admin', { cookie: editor.cookie })).headers.get('location')).toBe(SETUP)

    await choose('owners')
    // No longer covered and still without a factor: as a sign-in now would, they are let in.
    expect((await request('/admin', { cookie: editor.cookie })).status).toBe(200)
    expect((await request('/admin', { cookie: manager.cookie })).status).toBe(200)
    expect((await request('/admin', { cookie: factor.cookie })).headers.get('location')).toBe(TWO_FACTOR)
  })

  it('moves open sessions when a new role brings an organiser under the policy, or out of it', async () => {
    await choose('owners_managers')
    const eve = (await db.get<{ id: number }>('select id from organizers where email = ?', EDITOR.email))!.id
    const campaign = (await db.get<{ id: number }>(`select id from campaigns where slug = 'free-andry'`))!.id
    const organizers = (fields: Record<string, string>) =>
      request('/admin/organizers', { cookie: demoCookie, method: 'POST', body: new URLSearchParams({ organizerId: String(eve), ...fields }) })
    const editor = await signIn(EDITOR)
    expect(editor.location).toBe('/admin')
    // Made manager of a campaign on the Organisers page: covered from her next request.
    expect((await organizers({ intent: 'campaignRoles', [`campaign-${campaign}`]: 'manager' })).status).toBe(200)
    expect((await request('/admin', { cookie: editor.cookie })).headers.get('location')).toBe(SETUP)
    expect((await organizers({ intent: 'campaignRoles', [`campaign-${campaign}`]: 'editor' })).status).toBe(200)
    expect((await request('/admin', { cookie: editor.cookie })).status).toBe(200)
    // Made an owner under 'owners', then an editor again.
    await choose('owners')
    expect((await organizers({ intent: 'role', role: 'owner' })).status).toBe(200)
    expect((await request('/admin', { cookie: editor.cookie })).headers.get('location')).toBe(SETUP)
    expect((await organizers({ intent: 'role', role: 'editor' })).status).toBe(200)
    expect((await request('/admin', { cookie: editor.cookie })).status).toBe(200)
  })

  it('covers the owner who saves it, at once, when they have no factor', async () => {
    await choose('none')
    const otto = await signIn(OWNER)
    expect(otto.location).toBe('/admin')
    const { names } = await uncoveredNames()
    expect(names).toEqual([])
    const page = await request('/admin/security-policy', { cookie: otto.cookie })
    expect(page.status).toBe(200)
    await choose('owners', otto.cookie)
    const next = await request('/admin/security-policy?saved=1', { cookie: otto.cookie })
    expect(next.status).toBe(302)
    expect(next.headers.get('location')).toBe(`${SETUP}?redirectTo=%2Fadmin%2Fsecurity-policy%3Fsaved%3D1`)
  })

  it('marks the owner looking at the page among those not yet covered', async () => {
    await choose('none')
    const otto = await signIn(OWNER)
    const html = await (await request('/admin/security-policy', { cookie: otto.cookie })).text()
    // Under 'none' the list is for the saved choice (empty); under 'owners' Otto would see himself.
    expect(textOf(html)).toContain('With this choice, nobody is asked for a second factor.')
    await db.run(`update instance_settings set second_factor_policy = 'owners' where id = 1`)
    // Sessions are moved by the save, not by the row: Otto's stays full until a save or his next sign-in.
    const again = textOf(await (await request('/admin/security-policy', { cookie: otto.cookie })).text())
    expect(again).toContain(`${OWNER.name} (you)`)
    await choose('owners')
  })

  it('is audited with the choice before and after, once per change', async () => {
    await choose('everyone')
    await choose('everyone')
    await choose('owners')
    const rows = await db.all<{ organizer_id: number; subject_type: string; details: string }>(
      `select organizer_id, subject_type, details from audit_log where action = 'settings.second_factor_policy' order by id desc limit 2`,
    )
    const demoId = (await db.get<{ id: number }>('select id from organizers where email = ?', DEMO.email))!.id
    expect(rows.map((r) => ({ ...r, details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details }))).toEqual([
      { organizer_id: demoId, subject_type: 'instance', details: { policy: ['everyone', 'owners'] } },
      { organizer_id: demoId, subject_type: 'instance', details: { policy: ['owners', 'everyone'] } },
    ])
    const audit = textOf(await (await request('/admin/audit', { cookie: demoCookie })).text())
    expect(audit).toContain('changed the sign-in policy for second factors')
  })
})

describe("the policy 'none'", () => {
  it('lets an owner without a factor in with the password alone', async () => {
    await choose('none')
    const { cookie, location } = await signIn(OWNER)
    expect(location).toBe('/admin')
    expect((await request('/admin/organizers', { cookie })).status).toBe(200)
    await choose('owners')
  })
})
