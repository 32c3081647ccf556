/**
 * The one reminder to confirm. The production build and this process share one
 * database (a SQLite file, or a Postgres database): signers sign through the real page or the real signing model, the reminder
 * job's model runs here with explicit times (a day later without waiting a day), and the
 * reminder's link is followed through the real confirm page. The job itself is checked in
 * `npm run worker`, and the setting through the settings form.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { withdrawUpdates } from '~/models/consents.server.ts'
import { sendDueReminders } from '~/models/reminders.server.ts'
import { confirmSignature, discardSignature, getPendingConfirmation, signPetition } from '~/models/signatures.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { emailHash, openSignature, sealResubmitted, type SignatureData } from '~/models/personal-data.server.ts'
import { queueEmail } from '~/models/outbox.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { sha256 } from '~/utils/crypto.server.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { onPostgres } from '../helpers/engine.ts'
import { insertSignature, insertSupporter, outboxRows, rawSql, suppressAddress } from '../helpers/mail-worker.ts'
import { petitionClient } from '../helpers/petition.ts'
import { entryArgs, captureForLogAudit, ROOT, startServer, type RunningServer } from '../helpers/server.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

let server: RunningServer
let owner = ''

beforeAll(async () => {
  server = await startServer({
    // This test file's own database (tests/helpers/setup-env.ts): the server and the model here share it.
    dir: path.dirname(process.env.DATABASE_PATH!),
    env: {
      SESSION_SECRET: process.env.SESSION_SECRET!,
      VIGIL_RETENTION: 'off',
      // Only the worker's test runs the job by the clock; the others run the model with explicit times.
      VIGIL_REMINDERS: 'off',
      TRUST_PROXY: '1',
      PAGE_CACHE_TTL_MS: '0',
      VIGIL_QUIET_LOG: '1',
      ...(onPostgres ? { DATABASE_URL: process.env.DATABASE_URL! } : {}),
    },
  })
  owner = await petitionClient(server).login()
})

afterAll(async () => {
  // setup-env removes the folder once this process closes its connection.
  await server?.stop({ keepData: true })
})

// ——— Setting up ———

type Row = Record<string, unknown>
const one = async (query: string, ...params: unknown[]) => await rawSql(getDb()).get<Row>(query, ...params)
const all = async (query: string, ...params: unknown[]) => await rawSql(getDb()).all<Row>(query, ...params)

async function campaign(slug: string, { reminder = true }: { reminder?: boolean } = {}) {
  const org = Number((await one(`select id from organizations limit 1`))!.id)
  const id = Number(
    (await rawSql(getDb()).insert(`insert into campaigns (organization_id, slug, status, default_locale, published_at, confirmation_reminder) values (?, ?, 'live', 'en', ?, ?)`, org, slug, Date.now(), reminder ? 1 : 0)),
  )
  for (const [locale, title] of [
    ['en', `Justice ${slug}`],
    ['de', `Gerechtigkeit ${slug}`],
    ['es', `Justicia ${slug}`],
  ]) {
    await rawSql(getDb()).run(`insert into campaign_translations (campaign_id, locale, title, petition_text) values (?, ?, ?, 'Let them go.')`, id, locale, title)
  }
  return id
}

let people = 0
const address = (name: string) => `${name.toLowerCase()}.${++people}@example.org`

async function sign(slug: string, email: string, { now = Date.now(), lang = 'en', firstName = 'Ana' }: { now?: number; lang?: Locale; firstName?: string } = {}) {
  const found = await getSigningCampaign(getDb(), { slug, lang })
  if (!found) throw new Error(`no campaign ${slug}`)
  return signPetition(getDb(), {
    campaign: found,
    input: { firstName, lastName: 'Signer', email, country: 'DE', showName: false, updates: true },
    locale: lang,
    ipHash: null,
    now,
  })
}

/** The signature of this address on this campaign (found by the address's keyed hash, ADR 017), its names opened. */
async function signatureOf(email: string, slug: string) {
  const row = await one(
    `select s.* from signatures s join supporters p on p.id = s.supporter_id join campaigns c on c.id = s.campaign_id
     where p.email_hash = ? and c.slug = ?`,
    emailHash(email),
    slug,
  )
  return row && (Object.assign({}, row, { opened: openSignature((row.sealed as string | null) ?? null) }) as Row & { opened: SignatureData | null })
}

const idOf = async (email: string, slug: string) => Number((await signatureOf(email, slug))!.id)
/** Outbox rows, opened (their address and props are sealed). */
const remindersOf = async (signatureId: number) => await outboxRows(rawSql(getDb()), `m.idempotency_key = ?`, `signature:${signatureId}:reminder`)
const seedOf = async (signatureId: number, attempt: number) =>
  String((await outboxRows(rawSql(getDb()), `m.idempotency_key = ?`, `signature:${signatureId}:confirm:${attempt}`))[0]!.props.tokenSeed)

// ——— The reminder ———

describe('one reminder to confirm', () => {
  it('goes to a signer who has not confirmed a day later, once, in their language, and its link confirms through the real page', async () => {
    const client = petitionClient(server)
    const person = client.person({ firstName: 'Jonas' })
    expect((await client.sign(person, { lang: 'de' })).status).toBe(303)
    const [confirmation] = await client.waitForEmails(person.email)
    const signed = Date.now()
    const id = (await idOf(person.email, 'free-andry'))

    await sendDueReminders(getDb(), { now: signed + 23 * HOUR })
    expect((await remindersOf(id))).toHaveLength(0)

    await sendDueReminders(getDb(), { now: signed + 25 * HOUR })
    await sendDueReminders(getDb(), { now: signed + 26 * HOUR })
    await sendDueReminders(getDb(), { now: signed + 3 * DAY })
    const [reminder, ...more] = (await remindersOf(id))
    expect(more).toHaveLength(0)
    expect(reminder).toMatchObject({ template: 'confirm-reminder', locale: 'de', to: person.email, campaignId: 1 })
    expect((await signatureOf(person.email, 'free-andry'))!.reminded_at).toBe(signed + 25 * HOUR)
    // The link already in the signer's inbox, not a new one.
    expect(reminder!.props.tokenSeed).toBe((await seedOf(id, 1)))

    const [, captured] = await client.waitForEmails(person.email, 2)
    expect(captured!.template).toBe('confirm-reminder')
    const links = await client.linksOf(captured!.id, owner)
    expect(links).toEqual([...(await client.linksOf(confirmation!.id, owner))])
    const [confirmUrl, notMeUrl] = links
    expect(notMeUrl).toBe(`${confirmUrl}?not-me`)
    const page = await fetch(confirmUrl!, { headers: { 'Accept-Language': 'de' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('name="intent" value="confirm"')
    const confirmed = await fetch(confirmUrl!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('location')).toBe('/thanks/free-andry?lng=de')
    expect((await signatureOf(person.email, 'free-andry'))!.status).toBe('confirmed')
  })

  it('is not sent before 24 hours, nor for a closed campaign, a campaign that turned it off, a suppressed or unsubscribed address, after "this wasn’t me", or for a confirmed or expired signature', async () => {
    const T = Date.now()
    await campaign('reminded')
    await campaign('closing')
    await campaign('quiet', { reminder: false })
    await campaign('other')

    const control = address('control')
    await sign('reminded', control, { now: T - 2 * HOUR })
    const early = address('early')
    await sign('reminded', early, { now: T + 30 * 60_000 })

    const closed = address('closed')
    await sign('closing', closed, { now: T })
    await rawSql(getDb()).run(`update campaigns set status = 'closed', closed_at = ? where slug = 'closing'`, T + HOUR)

    const off = address('off')
    await sign('quiet', off, { now: T })

    const bounced = address('bounced')
    const complained = address('complained')
    await sign('reminded', bounced, { now: T })
    await sign('reminded', complained, { now: T })
    // As the provider reported them: another case and a +tag, the same keyed hash.
    await suppressAddress(rawSql(getDb()), bounced.toUpperCase(), 'bounce')
    await suppressAddress(rawSql(getDb()), complained.replace('@', '+x@'), 'complaint')

    // Unsubscribed from another campaign's news: this address gets no more mail than it must.
    const unsubscribed = address('unsubscribed')
    await sign('other', unsubscribed, { now: T - DAY })
    await confirmSignature(getDb(), { token: signatureToken((await seedOf((await idOf(unsubscribed, 'other')), 1))), now: T - DAY + HOUR })
    const supporterId = Number((await signatureOf(unsubscribed, 'other'))!.supporter_id)
    await withdrawUpdates(getDb(), { supporterId, campaignId: Number((await one(`select id from campaigns where slug = 'other'`))!.id), source: 'unsubscribe_link', now: T - HOUR })
    await sign('reminded', unsubscribed, { now: T })

    // "This wasn't me" on one campaign: that pending signature is gone, and the address's pending one elsewhere gets no reminder either.
    const notMe = address('notme')
    await sign('other', notMe, { now: T })
    await sign('reminded', notMe, { now: T })
    expect(await discardSignature(getDb(), { token: signatureToken((await seedOf((await idOf(notMe, 'other')), 1))), now: T + HOUR })).not.toBeNull()

    // Signed again, and "this wasn't me" on the second email: the link the signer got last no longer works.
    const resubmittedNotMe = address('resubmitted')
    await sign('reminded', resubmittedNotMe, { now: T })
    await sign('reminded', resubmittedNotMe, { now: T + HOUR, firstName: 'Other' })
    const resubmittedId = (await idOf(resubmittedNotMe, 'reminded'))
    expect(await discardSignature(getDb(), { token: signatureToken((await seedOf(resubmittedId, 2))), now: T + 2 * HOUR })).not.toBeNull()

    const confirmed = address('confirmed')
    await sign('reminded', confirmed, { now: T })
    expect(await confirmSignature(getDb(), { token: signatureToken((await seedOf((await idOf(confirmed, 'reminded')), 1))), now: T + HOUR })).not.toBeNull()

    const expired = address('expired')
    await sign('reminded', expired, { now: T - 7 * DAY })

    await sendDueReminders(getDb(), { now: T + 23 * HOUR })
    expect((await remindersOf((await idOf(control, 'reminded'))))).toHaveLength(1)
    expect((await remindersOf((await idOf(early, 'reminded'))))).toHaveLength(0)

    await sendDueReminders(getDb(), { now: T + 25 * HOUR })
    expect((await remindersOf((await idOf(control, 'reminded'))))).toHaveLength(1)
    expect((await remindersOf((await idOf(early, 'reminded'))))).toHaveLength(1)
    for (const [email, slug] of [
      [closed, 'closing'],
      [off, 'quiet'],
      [bounced, 'reminded'],
      [complained, 'reminded'],
      [unsubscribed, 'reminded'],
      [notMe, 'reminded'],
      [resubmittedNotMe, 'reminded'],
      [confirmed, 'reminded'],
      [expired, 'reminded'],
    ] as const) {
      const signature = (await signatureOf(email, slug))!
      expect((await remindersOf(Number(signature.id))), `${email} on ${slug}`).toHaveLength(0)
      expect(signature.reminded_at, `${email} on ${slug}`).toBeNull()
    }
    expect((await signatureOf(notMe, 'other'))).toBeUndefined()
  })

  it('uses the link of the latest confirmation email, and leaves the earlier link working', async () => {
    await campaign('latest')
    const T = Date.now()
    const email = address('typo')
    await sign('latest', email, { now: T, firstName: 'Anna' })
    await sign('latest', email, { now: T + HOUR, firstName: 'Ana', lang: 'es' })
    const id = (await idOf(email, 'latest'))
    await sendDueReminders(getDb(), { now: T + 25 * HOUR })
    const [reminder] = (await remindersOf(id))
    expect(reminder).toMatchObject({ locale: 'es' })
    const props = reminder!.props as { tokenSeed: string; firstName: string; campaignTitle: string }
    expect(props).toMatchObject({ tokenSeed: (await seedOf(id, 2)), firstName: 'Ana', campaignTitle: 'Justicia latest' })
    expect(await getPendingConfirmation(getDb(), { token: signatureToken((await seedOf(id, 1))), now: T + 26 * HOUR })).not.toBeNull()
    expect(await confirmSignature(getDb(), { token: signatureToken(props.tokenSeed), now: T + 26 * HOUR })).toMatchObject({ firstName: 'Ana' })
    expect((await signatureOf(email, 'latest'))).toMatchObject({ status: 'confirmed', opened: { firstName: 'Ana' }, locale: 'es' })
  })

  it('works through a large backlog in chunks, lets signing in between, and two runs at once remind each signer once', async () => {
    await campaign('backlog')
    const T = Date.now()
    await Promise.all(Array.from({ length: 1_100 }, (_, i) => sign('backlog', `crowd.${i}@example.org`, { now: T })))
    const order: string[] = []
    const runs = Promise.all([sendDueReminders(getDb(), { now: T + 25 * HOUR }), sendDueReminders(getDb(), { now: T + 25 * HOUR })]).then(() => order.push('reminders'))
    const signing = sign('backlog', address('during'), { now: T + 25 * HOUR }).then(() => order.push('signed'))
    await Promise.all([runs, signing])
    expect(order).toEqual(['signed', 'reminders'])
    const campaignId = Number((await one(`select id from campaigns where slug = 'backlog'`))!.id)
    expect((await one(`select count(*) as n from email_messages where campaign_id = ? and template = 'confirm-reminder'`, campaignId))!.n).toBe(1_100)
    expect((await one(`select count(*) as n from signatures where campaign_id = ? and reminded_at is not null`, campaignId))!.n).toBe(1_100)
  })
})

describe('on sealed rows', () => {
  /** A pending signature and its confirmation email as the database holds them (ADR 017), without the signing code. */
  async function pending(slug: string, email: string, { now, seed, locale = 'en' }: { now: number; seed: string; locale?: Locale }) {
    const q = rawSql(getDb())
    const campaignId = Number((await one(`select id from campaigns where slug = ?`, slug))!.id)
    const supporterId = await insertSupporter(q, { email, firstName: 'Lucía', lastName: 'Núñez', locale })
    const id = await insertSignature(q, { campaignId, supporterId, status: 'pending', firstName: 'Lucía', lastName: 'Núñez', locale })
    await q.run(`update signatures set token_hash = ?, token_expires_at = ?, created_at = ? where id = ?`, sha256(signatureToken(seed)), now + 7 * DAY, now, id)
    await transaction(getDb(), (tx) =>
      queueEmail(tx, {
        template: 'confirm-signature',
        to: email,
        locale,
        campaignId,
        idempotencyKey: `signature:${id}:confirm:1`,
        props: { tokenSeed: seed, firstName: 'Lucía', campaignTitle: `Justicia ${slug}`, organizationName: 'Demo', petitionText: 'Let them go.' },
      }),
    )
    return id
  }

  it('opens the address and the link from the latest confirmation email, leaves out an address suppressed by its keyed hash, and opens re-signed details to check their link', async () => {
    await campaign('sealed-rows')
    const T = Date.now()
    const wanted = address('Sealed')
    const wantedId = await pending('sealed-rows', wanted, { now: T, seed: 'sealed-seed-wanted-0123456', locale: 'es' })
    const bounced = address('SealedBounced')
    const bouncedId = await pending('sealed-rows', bounced, { now: T, seed: 'sealed-seed-bounced-012345' })
    await suppressAddress(rawSql(getDb()), bounced.toUpperCase(), 'bounce')
    // Signed again with other details; their link (the second email) expired: the reminder's link is the second one.
    const resigned = address('Resigned')
    const resignedId = await pending('sealed-rows', resigned, { now: T, seed: 'sealed-seed-first-01234567' })
    await rawSql(getDb()).run(
      `update signatures set resubmitted_token_hash = ?, resubmitted_sealed = ? where id = ?`,
      sha256(signatureToken('sealed-seed-second-0123456')),
      sealResubmitted({ firstName: 'Lu', lastName: 'N', country: 'ES', postalCode: null, locale: 'es', showName: false, message: null, updates: false, expiresAt: T + 2 * HOUR }),
      resignedId,
    )
    await transaction(getDb(), (tx) =>
      queueEmail(tx, {
        template: 'confirm-signature',
        to: resigned,
        locale: 'es',
        idempotencyKey: `signature:${resignedId}:confirm:2`,
        props: { tokenSeed: 'sealed-seed-second-0123456', firstName: 'Lu', campaignTitle: 'Justicia sealed-rows', organizationName: 'Demo', petitionText: 'Let them go.' },
      }),
    )

    await sendDueReminders(getDb(), { now: T + 25 * HOUR })
    const [reminder, ...more] = await remindersOf(wantedId)
    expect(more).toHaveLength(0)
    expect(reminder).toMatchObject({ template: 'confirm-reminder', locale: 'es', to: wanted, props: { tokenSeed: 'sealed-seed-wanted-0123456', firstName: 'Lucía' } })
    // The reminder's row is sealed like any other: no address or name in it.
    const stored = (await one(`select to_email as "toEmail", props, sealed from email_messages where idempotency_key = ?`, `signature:${wantedId}:reminder`))!
    expect(stored.toEmail).toBeNull()
    expect(JSON.stringify(stored)).not.toMatch(/sealed\.|Lucía|sealed-seed/i)
    expect(await remindersOf(bouncedId)).toHaveLength(0)
    expect(await remindersOf(resignedId)).toHaveLength(0)

    // While the re-signed details' link still works, that signer is reminded with it.
    await rawSql(getDb()).run(
      `update signatures set resubmitted_sealed = ? where id = ?`,
      sealResubmitted({ firstName: 'Lu', lastName: 'N', country: 'ES', postalCode: null, locale: 'es', showName: false, message: null, updates: false, expiresAt: T + 3 * DAY }),
      resignedId,
    )
    await sendDueReminders(getDb(), { now: T + 26 * HOUR })
    expect(await remindersOf(resignedId)).toMatchObject([{ to: resigned, props: { tokenSeed: 'sealed-seed-second-0123456', firstName: 'Lu' } }])
  })
})

// ——— The job ———

describe('the job', () => {
  it('runs by itself in `npm run worker`', async () => {
    await campaign('for-the-worker')
    const email = address('worker')
    await sign('for-the-worker', email)
    const id = (await idOf(email, 'for-the-worker'))
    await rawSql(getDb()).run(`update signatures set created_at = ? where id = ?`, Date.now() - 25 * HOUR, id)
    const worker = spawn(process.execPath, entryArgs('scripts/worker.ts'), {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', DATABASE_PATH: server.databasePath, STRIPE_SECRET_KEY: '', RESEND_API_KEY: '', VIGIL_RETENTION: 'off', VIGIL_REMINDERS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    worker.stdout.on('data', (d: Buffer) => (output += d.toString()))
    worker.stderr.on('data', (d: Buffer) => (output += d.toString()))
    captureForLogAudit(worker, 'worker')
    try {
      for (let i = 0; i < 200 && (await remindersOf(id)).length === 0; i++) await new Promise((r) => setTimeout(r, 100))
      expect((await remindersOf(id)), output).toHaveLength(1)
      expect(output).toContain('reminders every 5 minutes')
      expect(output).not.toContain(email)
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.kill('SIGTERM')
      await exited
    }
  })
})

// ——— The setting ———

describe('the campaign setting', () => {
  const settingsPath = '/admin/campaigns/1?index'

  async function form(overrides: Record<string, string> = {}) {
    const row = (await one(`select slug, status, default_locale, currency, signature_goal, target, retention_days from campaigns where id = 1`))!
    return {
      slug: String(row.slug),
      status: String(row.status),
      defaultLocale: String(row.default_locale),
      currency: String(row.currency),
      signatureGoal: row.signature_goal === null ? '' : String(row.signature_goal),
      target: String(row.target),
      retentionDays: String(row.retention_days),
      ...overrides,
    }
  }

  const post = (fields: Record<string, string>, cookie = owner) =>
    fetch(server.url + settingsPath, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: server.url }, body: new URLSearchParams(fields) })
  const page = (lang = 'en', cookie = owner) => fetch(server.url + settingsPath, { headers: { Cookie: cookie, 'Accept-Language': lang } }).then((r) => r.text())
  const reminderOn = async () => (await one(`select confirmation_reminder as on_ from campaigns where id = 1`))!.on_
  const checkbox = (html: string) => /<input[^>]*name="confirmationReminder"[^>]*>/.exec(html)?.[0] ?? ''

  it('is a checkbox in the settings, on by default, saved and audited, in the organiser’s language', async () => {
    expect((await reminderOn())).toBe(1)
    const before = await page()
    expect(checkbox(before)).toContain('checked')
    expect(before).toContain('Remind signers once')
    expect(await page('de')).toContain('Unterzeichnende einmal an die Bestätigung erinnern')
    expect(await page('es')).toContain('Recordar una vez')

    const mark = Number((await one(`select coalesce(max(id), 0) as id from audit_log`))!.id)
    const off = await post((await form()))
    expect(off.status).toBe(302)
    expect((await reminderOn())).toBe(0)
    expect(checkbox(await page())).not.toContain('checked')
    const audit = (await all(`select action, subject_id as subjectId, details from audit_log where id > ?`, mark))
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ action: 'campaign.update', subjectId: '1' })
    expect(JSON.parse(String(audit[0]!.details))).toEqual({ confirmationReminder: [true, false] })

    expect((await post((await form({ confirmationReminder: 'on' })))).status).toBe(302)
    expect((await reminderOn())).toBe(1)
    expect(checkbox(await page())).toContain('checked')
  })

  it('is refused to a role that may not change settings', async () => {
    const email = 'editor.reminders@example.org'
    const password = 'a long editor password'
    expect((await createOrganiser(server, { email, name: 'Eddie', password, campaignRoles: [{ slug: 'free-andry', role: 'editor' }] })).status).toBe(302)
    const editor = await petitionClient(server).login(email, password)
    const mark = Number((await one(`select coalesce(max(id), 0) as id from audit_log`))!.id)
    const refused = await post((await form()), editor)
    expect(refused.status).toBe(403)
    expect((await reminderOn())).toBe(1)
    expect((await all(`select 1 from audit_log where id > ? and action = 'campaign.update'`, mark))).toHaveLength(0)
    // The editor sees the setting but cannot change it.
    expect(checkbox(await page('en', editor))).toContain('checked')
  })
})
