/**
 * Milestones fire once (ADR 018), tried through the production build: signers confirm through the
 * real confirmation page, organisers set milestones and invalidate signatures on the real back-office
 * pages, and the rows are read back with plain SQL. On Postgres, two server processes on one database
 * also race to confirm across a threshold.
 *
 * Targets are inserted straight into campaign_targets: their pages belong to another part, and what
 * is tested here is that every target with an address gets one email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { campaigns, organizations, organizers } from '#db/schema.ts'
import { hashPassword } from '~/models/organizers.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { startStripeStandIn, type StripeStandIn } from '../../stand-ins/stripe/index.ts'
import { WEBHOOK_SECRET } from '../helpers/donations.ts'
import { onPostgres } from '../helpers/engine.ts'
import { textOf } from '../helpers/html.ts'
import { outboxRows, waitFor } from '../helpers/mail-worker.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, sqlOn, type ServerSql, type Sql } from '../helpers/sql.ts'
import { startPair, type Instance } from '../helpers/two-servers.ts'

const SLUG = 'free-andry'
const PEOPLE = {
  editor: { email: 'erika.editor@milestones.example', name: 'Erika Editor', password: 'an editor passphrase for milestones 1' },
  manager: { email: 'mona.manager@milestones.example', name: 'Mona Manager', password: 'a manager passphrase for milestones 1' },
  viewer: { email: 'viktor.viewer@milestones.example', name: 'Viktor Viewer', password: 'a viewer passphrase for milestones 1' },
}

type MilestoneRow = { id: number; threshold: number; reached_at: number | null; reached_count: number | null; reached_by: string | null; draft_update_id: number | null; email_target: number }

/** The milestone emails of one milestone, opened (addresses are sealed in the outbox, ADR 017). */
async function milestoneEmails(db: Sql, milestoneId: number) {
  return outboxRows(db, 'm.idempotency_key like ?', `milestone:${milestoneId}:%`)
}

/** Two targets with an address (one writes in German) and one without: inserted as the targets page would. */
async function addTargets(db: Sql, campaignId: number) {
  // Only these: the demo seed's own targets (with addresses) would be emailed too.
  await db.run('delete from campaign_targets where campaign_id = ?', campaignId)
  const ids: number[] = []
  for (const [i, target] of [
    { email: 'office@dhs.example.gov', locale: 'en', names: { en: 'Department of Homeland Security' } },
    { email: 'buero@bundestag.example.de', locale: 'de', names: { en: 'Committee on Petitions', de: 'Petitionsausschuss' } },
    { email: null, locale: 'en', names: { en: 'Congress' } },
  ].entries()) {
    const row = (await db.get<{ id: number }>('insert into campaign_targets (campaign_id, email, locale, position) values (?, ?, ?, ?) returning id', campaignId, target.email, target.locale, i))!
    for (const [locale, name] of Object.entries(target.names)) {
      await db.run('insert into campaign_target_translations (target_id, locale, name) values (?, ?, ?)', row.id, locale, name)
    }
    ids.push(row.id)
  }
  return { dhs: ids[0]!, committee: ids[1]!, congress: ids[2]! }
}

describe('milestones on one server', () => {
  let server: RunningServer
  let db: ServerSql
  let client: ReturnType<typeof petitionClient>
  let cookie = ''
  let campaignId = 0
  let targets: Awaited<ReturnType<typeof addTargets>>
  const team = new Map<string, number>()
  let signers = 0

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { redirect: 'manual', ...init, headers: { Cookie: cookie, Origin: server.url, ...(init.headers ?? {}) } })
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) => admin(path, { method: 'POST', body: new URLSearchParams(fields), headers })
  const milestones = () => db.all<MilestoneRow>('select id, threshold, reached_at, reached_count, reached_by, draft_update_id, email_target from campaign_milestones where campaign_id = ? order by threshold', campaignId)
  const milestoneAt = async (threshold: number) => (await milestones()).find((m) => m.threshold === threshold)!
  const confirmed = async () => (await client.counters()).confirmed

  /** Sign `n` people at `domain` and return their confirmation links, unused. */
  async function pendingSigners(n: number, domain: string) {
    const links: string[] = []
    for (let i = 0; i < n; i++) {
      const email = `signer.${++signers}@${domain}`
      expect((await client.sign(client.person({ email }))).status).toBe(303)
      const [message] = await client.waitForEmails(email)
      links.push((await client.linksOf(message!.id, cookie))[0]!)
    }
    return links
  }
  const confirmAll = (links: string[]) =>
    Promise.all(links.map((link) => fetch(link, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) }).then((r) => r.status)))

  async function saveMilestone(fields: Record<string, string>) {
    return post(`/admin/campaigns/${campaignId}/milestones`, { intent: 'save', ...fields })
  }

  beforeAll(async () => {
    server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', SIGN_LIMIT_PER_10_MIN: '1000', SIGN_LIMIT_PER_DAY: '1000', TRUST_PROXY: '1' } })
    db = openServerSql(server)
    client = petitionClient(server, db)
    cookie = await client.login()
    campaignId = (await db.get<{ id: number }>('select id from campaigns where slug = ?', SLUG))!.id
    for (const role of ['editor', 'manager', 'viewer'] as const) {
      expect((await createOrganiser(server, { ...PEOPLE[role], campaignRoles: [{ slug: SLUG, role }] })).status).toBe(302)
    }
    for (const row of await db.all<{ id: number; email: string }>('select id, email from organizers')) team.set(row.email, row.id)
    targets = await addTargets(db, campaignId)
  }, 90_000)

  afterAll(async () => {
    await client?.close()
    await db?.close()
    await server?.stop()
  })

  it('seeds the demo with the suggested milestones, none of them reached by a count', async () => {
    const seeded = await milestones()
    expect(seeded.map((m) => m.threshold)).toEqual([1_000, 10_000, 100_000])
    expect(seeded.filter((m) => m.reached_by === 'count')).toEqual([])
    expect(seeded.map((m) => m.email_target)).toEqual([0, 1, 1])
    // Out of the way: the thresholds below are set next to the demo's small count.
    await db.run('delete from campaign_milestones where campaign_id = ?', campaignId)
  })

  it('fires a milestone once when two confirmations cross it at once', async () => {
    const links = await pendingSigners(8, 'race.example.net')
    const before = await confirmed()
    const threshold = before + 3
    const saved = await saveMilestone({ threshold: String(threshold), emailTarget: 'on', 'texts.en.happens': 'we deliver the petition to the Department of Homeland Security', 'texts.de.happens': 'übergeben wir die Petition an das Heimatschutzministerium' })
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toContain('done=saved')
    const milestone = await milestoneAt(threshold)
    expect(milestone.reached_at).toBeNull()

    expect(await confirmAll(links)).toEqual(links.map(() => 303))
    expect(await confirmed()).toBe(before + 8)

    // Reached once, by a count at or above the threshold, with one draft.
    const reached = await milestoneAt(threshold)
    expect(reached.reached_by).toBe('count')
    expect(reached.reached_at).not.toBeNull()
    expect(reached.reached_count).toBeGreaterThanOrEqual(threshold)
    expect(reached.reached_count).toBeLessThanOrEqual(before + 8)
    const drafts = await db.all<{ id: number; published_at: number | null; author_id: number | null }>("select id, published_at, author_id from updates where campaign_id = ? and kind = 'milestone'", campaignId)
    expect(drafts).toEqual([{ id: reached.draft_update_id, published_at: null, author_id: null }])
    const titles = await db.all<{ locale: string; title: string; body_md: string }>('select locale, title, body_md from update_translations where update_id = ? order by locale', reached.draft_update_id)
    expect(titles.map((r) => r.locale)).toEqual(['de', 'en', 'es'])
    expect(titles.find((r) => r.locale === 'en')!.body_md).toContain('we deliver the petition to the Department of Homeland Security.')
    expect(titles.find((r) => r.locale === 'de')!.body_md).toContain('übergeben wir die Petition an das Heimatschutzministerium.')
    // Spanish has no text of its own: the campaign's default language's.
    expect(titles.find((r) => r.locale === 'es')!.body_md).toContain('we deliver the petition to the Department of Homeland Security')

    // One email per target with an address, in its language; one per owner, manager and editor.
    const emails = await milestoneEmails(db, reached.id)
    const toTargets = emails.filter((e) => e.template === 'milestone-target')
    expect(toTargets.map((e) => [e.idempotencyKey, e.to, e.locale]).sort()).toEqual(
      [
        [`milestone:${reached.id}:target:${targets.dhs}`, 'office@dhs.example.gov', 'en'],
        [`milestone:${reached.id}:target:${targets.committee}`, 'buero@bundestag.example.de', 'de'],
      ].sort(),
    )
    expect(toTargets.find((e) => e.locale === 'de')!.props.targetName).toBe('Petitionsausschuss')
    const toTeam = emails.filter((e) => e.template === 'milestone-team')
    const expectedTeam = ['demo@vigil.example', PEOPLE.editor.email, PEOPLE.manager.email].map((email) => team.get(email)!).sort((a, b) => a - b)
    expect(toTeam.map((e) => e.idempotencyKey).sort()).toEqual(expectedTeam.map((id) => `milestone:${reached.id}:team:${id}`).sort())
    expect(toTeam.map((e) => e.to)).not.toContain(PEOPLE.viewer.email)
    expect(emails).toHaveLength(5)
    // Each renders: the demo sender captures it (a row that did not render would be failed).
    await waitFor(async () => (await milestoneEmails(db, reached.id)).every((e) => e.status === 'captured'), 10_000, async () => JSON.stringify((await milestoneEmails(db, reached.id)).map((e) => [e.template, e.status, e.lastError])), 100)

    const audit = await db.all<{ organizer_id: number | null; details: unknown }>("select organizer_id, details from audit_log where action = 'milestone.reach' and subject_id = ?", String(campaignId))
    expect(audit).toHaveLength(1)
    expect(audit[0]!.organizer_id).toBeNull()
    // One count-log entry for the milestone, however many confirmations crossed it.
    const logged = await db.get<{ n: number }>("select count(*) as n from count_log_entries where campaign_id = ? and reason = 'milestone' and milestone = ?", campaignId, threshold)
    expect(Number(logged!.n)).toBe(1)
  })

  it('does not fire again when invalidations take the count below and new signatures cross it again', async () => {
    const [reached] = (await milestones()).filter((m) => m.reached_by === 'count')
    const emailsBefore = (await milestoneEmails(db, reached!.id)).length
    const draftsBefore = await db.all("select id from updates where campaign_id = ? and kind = 'milestone'", campaignId)

    // The team invalidates the whole burst on the signatures page: the count falls below the threshold.
    const invalidated = await post(`/admin/campaigns/${campaignId}/signatures`, { intent: 'invalidate', reason: 'Bot burst', emailDomain: 'race.example.net' })
    expect(invalidated.status).toBe(200)
    expect(await confirmed()).toBeLessThan(reached!.threshold)
    expect(await db.get<{ invalidated: number }>('select invalidated from campaign_counters where campaign_id = ?', campaignId)).toEqual({ invalidated: 8 })

    // New signers cross it again.
    const links = await pendingSigners(9, 'again.example.net')
    expect(await confirmAll(links)).toEqual(links.map(() => 303))
    expect(await confirmed()).toBeGreaterThanOrEqual(reached!.threshold)

    expect(await milestoneAt(reached!.threshold)).toEqual(reached)
    expect(await milestoneEmails(db, reached!.id)).toHaveLength(emailsBefore)
    expect(await db.all("select id from updates where campaign_id = ? and kind = 'milestone'", campaignId)).toEqual(draftsBefore)
    expect(await db.all("select id from audit_log where action = 'milestone.reach'")).toHaveLength(1)
  })

  it('records a milestone set below the count as already passed, with no email', async () => {
    const now = await confirmed()
    const saved = await saveMilestone({ threshold: String(now - 1), emailTarget: 'on', 'texts.en.happens': 'we celebrate' })
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toContain('done=passed')
    const passed = await milestoneAt(now - 1)
    expect(passed).toMatchObject({ reached_by: 'setup', reached_count: now, draft_update_id: null })
    // Another confirmation changes nothing about it.
    expect(await confirmAll(await pendingSigners(1, 'later.example.net'))).toEqual([303])
    expect(await milestoneAt(now - 1)).toEqual(passed)
    expect(await milestoneEmails(db, passed.id)).toEqual([])
    const page = textOf(await (await admin(`/admin/campaigns/${campaignId}/milestones`)).text())
    expect(page).toContain('Already passed when it was set')
    expect(page).toContain('Reached on')
  })

  it('keeps the threshold of a reached milestone, and keeps it on record', async () => {
    const [reached] = (await milestones()).filter((m) => m.reached_by === 'count')
    const moved = await saveMilestone({ id: String(reached!.id), threshold: String(reached!.threshold + 1000), 'texts.en.happens': 'moved' })
    expect(moved.status).toBe(409)
    expect(textOf(await moved.text())).toContain('This milestone has been reached: its count can no longer change.')
    const deleted = await post(`/admin/campaigns/${campaignId}/milestones`, { intent: 'delete', id: String(reached!.id) })
    expect(deleted.status).toBe(409)
    expect(await milestoneAt(reached!.threshold)).toEqual(reached)
    // Its words may still change.
    const reworded = await saveMilestone({ id: String(reached!.id), threshold: String(reached!.threshold), 'texts.en.happens': 'we handed the petition to the Department' })
    expect(reworded.status).toBe(302)
    expect(await db.get('select happens from campaign_milestone_translations where milestone_id = ? and locale = ?', reached!.id, 'en')).toEqual({ happens: 'we handed the petition to the Department' })
    expect(await milestoneAt(reached!.threshold)).toMatchObject({ reached_at: reached!.reached_at, reached_count: reached!.reached_count })
  })

  it('deletes an upcoming milestone and refuses a second one at the same count', async () => {
    const threshold = (await confirmed()) + 500
    expect((await saveMilestone({ threshold: String(threshold) })).status).toBe(302)
    const again = await saveMilestone({ threshold: String(threshold) })
    expect(again.status).toBe(409)
    expect(textOf(await again.text())).toContain('There is already a milestone at this count.')
    const upcoming = await milestoneAt(threshold)
    const deleted = await post(`/admin/campaigns/${campaignId}/milestones`, { intent: 'delete', id: String(upcoming.id) })
    expect(deleted.status).toBe(302)
    expect((await milestones()).map((m) => m.threshold)).not.toContain(threshold)
  })

  it('lists every problem of a refused form in a summary that works without JavaScript, in the organiser’s language', async () => {
    const before = await milestones()
    for (const [lng, problem, summary] of [
      ['en', 'Please enter a whole number.', 'There is a problem'],
      ['de', 'Bitte geben Sie eine ganze Zahl ein.', 'Es gibt ein Problem'],
      ['es', 'Ingresa un número entero.', 'Hay un problema'],
    ] as const) {
      const refused = await post(`/admin/campaigns/${campaignId}/milestones?lng=${lng}`, { intent: 'save', threshold: '12.5', 'texts.en.happens': 'x'.repeat(301) })
      expect(refused.status).toBe(400)
      const html = await refused.text()
      expect(html).toContain('class="error-summary"')
      // Server-rendered: the summary takes the focus without a script, and links to each field.
      expect(html).toMatch(/class="error-summary"[^>]*autofocus|autofocus[^>]*class="error-summary"/i)
      expect(html).toContain('href="#milestone-new-threshold"')
      expect(html).toContain('href="#milestone-new-texts.en.happens"')
      const text = textOf(html)
      expect(text, lng).toContain(summary)
      expect(text, lng).toContain(problem)
    }
    const zero = await saveMilestone({ threshold: '0' })
    expect(zero.status).toBe(400)
    expect(await milestones()).toEqual(before)
  })

  it('suggests defaults from the rising goal when there are none', async () => {
    const other = await post('/admin/campaigns/new', { title: 'Quiet case', summary: '', slug: 'quiet-case', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' })
    expect(other.status).toBe(302)
    const quiet = (await db.get<{ id: number }>("select id from campaigns where slug = 'quiet-case'"))!.id
    const page = textOf(await (await admin(`/admin/campaigns/${quiet}/milestones`)).text())
    expect(page).toContain('Adds 1,000, 10,000, and 100,000 signatures')
    const suggested = await post(`/admin/campaigns/${quiet}/milestones`, { intent: 'defaults' })
    expect(suggested.status).toBe(302)
    const rows = await db.all<{ threshold: number; email_target: number; happens: string }>(
      "select m.threshold, m.email_target, t.happens from campaign_milestones m join campaign_milestone_translations t on t.milestone_id = m.id and t.locale = 'en' where m.campaign_id = ? order by m.threshold",
      quiet,
    )
    expect(rows.map((r) => [r.threshold, r.email_target])).toEqual([[1_000, 0], [10_000, 1], [100_000, 1]])
    expect(rows[1]!.happens).toMatch(/^we deliver the petition to /)
  })

  it('shows the next milestone and what happens there on the campaign page, in en, de and es', async () => {
    const now = await confirmed()
    const threshold = now + 1234
    expect((await saveMilestone({ threshold: String(threshold), 'texts.en.happens': 'we deliver the petition to Congress', 'texts.de.happens': 'übergeben wir die Petition dem Kongress' })).status).toBe(302)
    const pageIn = async (lng: string) => textOf(await (await fetch(`${server.url}/c/${SLUG}?lng=${lng}`)).text())
    const remaining = threshold - now
    const en = await pageIn('en')
    expect(en).toContain(`At ${threshold.toLocaleString('en')} signatures we deliver the petition to Congress`)
    expect(en).toContain(`${remaining.toLocaleString('en')} signatures to go`)
    const de = await pageIn('de')
    expect(de).toContain(`Bei ${threshold.toLocaleString('de')} Unterschriften übergeben wir die Petition dem Kongress`)
    // Spanish has no text: the campaign's default language's, marked as such.
    const esHtml = await (await fetch(`${server.url}/c/${SLUG}?lng=es`)).text()
    expect(textOf(esHtml)).toContain(`Con ${threshold.toLocaleString('es')} firmas we deliver the petition to Congress`)
    expect(esHtml).toContain('<span lang="en">we deliver the petition to Congress</span>')
    await db.run('delete from campaign_milestones where threshold = ?', threshold)
  })
})

const pair = onPostgres ? describe : describe.skip

pair('milestones with two app servers on one Postgres', () => {
  const OWNER = { email: 'olga.owner@milestones.example', password: 'an owner passphrase for milestones 15' }
  let resend: ResendStandIn
  let stripe: StripeStandIn
  let servers: Instance[] = []
  let campaignId = 0
  const sql = () => sqlOn(getDb())

  beforeAll(async () => {
    // The test file's own database (tests/helpers/setup-env.ts) is the one both servers use.
    await seedDemo(getDb(), { demoOrganizer: false })
    const organizationId = (await firstRow(getDb().select({ id: organizations.id }).from(organizations)))!.id
    await execute(getDb().insert(organizers).values({ organizationId, email: OWNER.email, name: 'Olga Owner', role: 'owner', passwordHash: await hashPassword(OWNER.password) }))
    campaignId = (await firstRow(getDb().select({ id: campaigns.id }).from(campaigns)))!.id
    resend = await startResendStandIn()
    stripe = await startStripeStandIn({ deliver: false, webhookSecret: WEBHOOK_SECRET })
    servers = await startPair({ databaseUrl: process.env.DATABASE_URL!, resend, stripe })
  }, 90_000)

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await resend?.close()
    await stripe?.close()
  })

  it('fires a milestone once when confirmations on two servers cross it at once', { timeout: 60_000 }, async () => {
    const db = sql()
    const targets = await addTargets(db, campaignId)
    const addresses = Array.from({ length: 12 }, (_, i) => `pair.${i}@example.org`)
    const posted = await Promise.all(
      addresses.map((email, i) =>
        fetch(`${servers[i % 2]!.url}/c/${SLUG}?lng=en`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'X-Forwarded-For': `10.17.0.${i + 1}` },
          body: new URLSearchParams({ firstName: 'Ana', lastName: 'Pérez', email, country: 'DE' }),
        }),
      ),
    )
    expect(posted.map((r) => r.status)).toEqual(addresses.map(() => 303))
    const sentTo = (address: string) => resend.sent().filter((s) => String(s.email.to) === address)
    await waitFor(() => addresses.every((a) => sentTo(a).length > 0), 30_000, () => 'confirmation emails not sent', 100)
    const tokens = addresses.map((a) => /\/confirm\/([A-Za-z0-9_-]+)/.exec(String(sentTo(a)[0]!.email.html))![1]!)

    const before = (await db.get<{ confirmed: number }>('select confirmed from campaign_counters where campaign_id = ?', campaignId))!.confirmed
    await db.run('delete from campaign_milestones where campaign_id = ?', campaignId)
    const milestone = (await db.get<{ id: number }>('insert into campaign_milestones (campaign_id, threshold, email_target) values (?, ?, ?) returning id', campaignId, before + 5, true))!

    // Every link on the server it was not signed on, all at once: the threshold is crossed mid-burst on either.
    const statuses = await Promise.all(tokens.map((token, i) => fetch(`${servers[(i + 1) % 2]!.url}/confirm/${token}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) }).then((r) => r.status)))
    expect(statuses).toEqual(tokens.map(() => 303))

    const row = await db.get<MilestoneRow>('select id, threshold, reached_at, reached_count, reached_by, draft_update_id, email_target from campaign_milestones where id = ?', milestone.id)
    expect(row!.reached_by).toBe('count')
    expect(await db.all("select id from updates where campaign_id = ? and kind = 'milestone'", campaignId)).toEqual([{ id: row!.draft_update_id }])
    const emails = await milestoneEmails(db, milestone.id)
    expect(emails.filter((e) => e.template === 'milestone-target').map((e) => e.idempotencyKey).sort()).toEqual(
      [`milestone:${milestone.id}:target:${targets.dhs}`, `milestone:${milestone.id}:target:${targets.committee}`].sort(),
    )
    const ownerId = (await db.get<{ id: number }>('select id from organizers where email = ?', OWNER.email))!.id
    expect(emails.filter((e) => e.template === 'milestone-team').map((e) => e.idempotencyKey)).toEqual([`milestone:${milestone.id}:team:${ownerId}`])
    expect(await db.all("select id from audit_log where action = 'milestone.reach'")).toHaveLength(1)
    // And the provider got each once.
    await waitFor(() => sentTo('office@dhs.example.gov').length > 0 && sentTo('buero@bundestag.example.de').length > 0, 20_000, () => 'target emails not sent', 100)
    expect(sentTo('office@dhs.example.gov')).toHaveLength(1)
    expect(sentTo('buero@bundestag.example.de')).toHaveLength(1)
  })
})
