/**
 * The backlog made visible, over real HTTP against the production build in live mode: the
 * outbox page's figures, the dashboard's banner when confirmations wait too long, and what a
 * signer is told after signing while the queue is long. The queue is written straight into
 * the server's database (its sender is off, so nothing drains it); the server memoises the
 * figures for a second, so each change waits that long before it is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { closeDatabase, openServerDatabase } from '../helpers/engine.ts'
import { rawSql } from '../helpers/mail-worker.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import type { DB } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'

const MIN = 60_000
const OWNER = { email: 'olga.owner@backlog.example', name: 'Olga Owner', password: 'an owner passphrase of some length', role: 'owner' as const }
const EDITOR = { email: 'eddi.editor@backlog.example', name: 'Eddi Editor', password: 'an editor passphrase of some length' }
const form = (fields: Record<string, string>) => new URLSearchParams(fields)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let server: RunningServer
let db: DB
const cookies = { owner: '', editor: '' }
let signers = 0

function cookieFrom(response: Response) {
  const match = /(?:^|,\s*)(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')
  if (!match?.[1]) throw new Error(`no session cookie in a ${response.status} answer`)
  return match[1]
}

async function logIn({ email, password }: { email: string; password: string }) {
  const response = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: form({ email, password }) })
  expect(response.status).toBe(302)
  return cookieFrom(response)
}

async function page(who: keyof typeof cookies, path: string) {
  const response = await fetch(server.url + path, { headers: { Cookie: cookies[who], 'Accept-Language': 'en' }, redirect: 'manual' })
  expect(response.status, path).toBe(200)
  return response.text()
}

/**
 * The outbox as the test wants it: `confirmations` queued (the oldest `oldestMs` old, with
 * addresses no page may show), 3 other emails queued, 250 update emails in two batches, and
 * a transactional batch of `acceptedLastMinute` emails taken by the provider 30 s ago.
 */
async function setQueue({ confirmations, oldestMs, acceptedLastMinute = 0 }: { confirmations: number; oldestMs: number; acceptedLastMinute?: number }) {
  const now = Date.now()
  await transaction(db, async (tx) => {
    const q = rawSql(tx)
    await q.run(`delete from email_messages`)
    await q.run(`delete from email_batches`)
    const messages: unknown[][] = []
    for (let i = 0; i < confirmations; i++) messages.push(['confirm-signature', `queued.${i}@example.org`, `backlog:${i}`, now - oldestMs + i, 0])
    for (let i = 0; i < 3; i++) messages.push(['already-signed', `other.${i}@example.org`, `backlog:other:${i}`, now, 1])
    await insertMessages(tx, messages)
    const send = (await q.get<{ id: number }>(`select id from update_sends limit 1`))!
    const batch = `insert into email_batches (send_id, priority, idempotency_key, status, size, submitted_at) values (?, ?, ?, ?, ?, ?)`
    await q.run(batch, send.id, 2, 'mail:update:1', 'pending', 100, null)
    await q.run(batch, send.id, 2, 'mail:update:2', 'pending', 150, null)
    if (acceptedLastMinute) await q.run(batch, null, 0, 'mail:accepted', 'submitted', acceptedLastMinute, now - 30_000)
  })
  // The server computes the figures at most once a second.
  await sleep(1100)
}

/** Queued messages, [template, to, key, createdAt, priority] each, five hundred a statement (Postgres' round trips). */
async function insertMessages(tx: Parameters<typeof rawSql>[0], rows: unknown[][]) {
  for (let from = 0; from < rows.length; from += 500) {
    const chunk = rows.slice(from, from + 500)
    await rawSql(tx).run(
      `insert into email_messages (template, to_email, locale, props, idempotency_key, created_at, priority) values ${chunk.map(() => `(?, ?, 'en', '{}', ?, ?, ?)`).join(', ')}`,
      ...chunk.flat(),
    )
  }
}

beforeAll(async () => {
  server = await startServer({
    seed: false,
    env: {
      STRIPE_SECRET_KEY: 'sk_test_backlog',
      STRIPE_WEBHOOK_SECRET: 'whsec_backlog',
      RESEND_API_KEY: 're_backlog',
      RESEND_WEBHOOK_SECRET: 'whsec_YmFja2xvZy10ZXN0LXNlY3JldA==',
      MAIL_FROM: 'Vigil <team@example.org>',
      SESSION_SECRET: 'a session secret for the backlog test, long enough',
      RESEND_REQUESTS_PER_SECOND: '2',
      // Nothing drains the queue but the test.
      VIGIL_SENDER: 'off',
      VIGIL_RETENTION: 'off',
      PAGE_CACHE_TTL_MS: '0',
      SIGN_LIMIT_PER_10_MIN: '1000',
      SIGN_LIMIT_PER_DAY: '1000',
    },
  })
  db = openServerDatabase(server)
  await rawSql(db).run(`insert into organizations (slug, name) values ('team', 'The Team')`)
  expect((await createOrganiser(server, OWNER)).status).toBe(302)
  cookies.owner = await logIn(OWNER)
  const created = await fetch(`${server.url}/admin/campaigns/new`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, Cookie: cookies.owner },
    body: form({ title: 'A live case', summary: '', slug: 'live-case', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' }),
  })
  expect(created.status).toBe(302)
  expect((await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'live-case', role: 'editor' }] })).status).toBe(302)
  cookies.editor = await logIn(EDITOR)
  // An update send for the update batches to belong to.
  const campaignId = (await rawSql(db).get<{ id: number }>(`select id from campaigns where slug = 'live-case'`))!.id
  const updateId = await rawSql(db).insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-20', ?)`, campaignId, Date.now())
  await rawSql(db).run(`insert into update_sends (update_id, campaign_id, audience, recipients) values (?, ?, '{}', 250)`, updateId, campaignId)
}, 60_000)

afterAll(async () => {
  if (db) await closeDatabase(db)
  await server?.stop()
})

describe('the outbox page', () => {
  it('shows where the queue stands at the top: waiting mail, update mail, the oldest confirmation, the last minute, the estimate', async () => {
    // 1,100 confirmations, the oldest 10 minutes old; 60 emails accepted in the last minute: 1 a second.
    await setQueue({ confirmations: 1100, oldestMs: 10 * MIN, acceptedLastMinute: 60 })
    const text = textOf(await page('owner', '/admin/outbox'))
    expect(text).toContain('Confirmations waiting1,100')
    expect(text).toContain('Other emails waiting3')
    expect(text).toContain('Update emails left to send250')
    expect(text).toContain('Oldest confirmation waiting for10 minutes')
    expect(text).toContain('Accepted by Resend in the last minute60')
    // (1,100 + 3) emails at 1 a second: 18 minutes 23 seconds.
    expect(text).toContain('Waiting emails sent in about19 minutes')
    expect(text).toContain('With update emails, in about23 minutes')
    expect(text.indexOf('Confirmations waiting')).toBeLessThan(text.indexOf('Queued'))
  })

  it('shows editors the transactional queue, not the update mail of campaigns that are not theirs, and no address of anyone waiting', async () => {
    await setQueue({ confirmations: 1100, oldestMs: 10 * MIN, acceptedLastMinute: 60 })
    const html = await page('editor', '/admin/outbox')
    const text = textOf(html)
    expect(text).toContain('Confirmations waiting1,100')
    expect(text).toContain('Oldest confirmation waiting for10 minutes')
    // How many receive another campaign's update says how large its audience is (ADR 011).
    expect(text).not.toContain('Update emails left to send')
    expect(text).not.toContain('With update emails')
    expect(html).not.toContain('"updatesRemaining":250')
    expect(html).not.toContain('@example.org')
    expect(html).not.toContain('queued.')
  })

  it('estimates from the configured pace while nothing has been measured', async () => {
    // Nothing accepted yet, a queue younger than a minute: 2 requests a second × 100 emails; 23,003 emails in 115 s.
    await setQueue({ confirmations: 23_000, oldestMs: 20_000 })
    const text = textOf(await page('owner', '/admin/outbox'))
    expect(text).toContain('Accepted by Resend in the last minute0')
    expect(text).toContain('Waiting emails sent in about2 minutes')
    expect(text).toContain('at the configured pace (RESEND_REQUESTS_PER_SECOND = 2, 200 emails a second)')
  })
})

describe('the dashboard banner', () => {
  it('tells owners when the oldest confirmation has waited more than 5 minutes, and what to do', async () => {
    await setQueue({ confirmations: 1100, oldestMs: 6 * MIN, acceptedLastMinute: 60 })
    const html = await page('owner', '/admin')
    const text = textOf(html)
    expect(text).toContain('Confirmation emails are late: the oldest has been waiting for 6 minutes, and 1,100 are queued.')
    expect(text).toContain('Ask Resend to raise your account’s rate limit, then set RESEND_REQUESTS_PER_SECOND to the new limit and restart Vigil.')
    expect(html).toMatch(/<a [^>]*href="\/admin\/outbox"[^>]*>See the outbox<\/a>/)
  })

  it('tells editors too, in counts, with who can act', async () => {
    await setQueue({ confirmations: 1100, oldestMs: 6 * MIN, acceptedLastMinute: 60 })
    const html = await page('editor', '/admin')
    const text = textOf(html)
    expect(text).toContain('Confirmation emails are late: the oldest has been waiting for 6 minutes, and 1,100 are queued.')
    expect(text).toContain('An instance owner can ask Resend to raise the account’s rate limit.')
    expect(text).not.toContain('RESEND_REQUESTS_PER_SECOND')
    expect(html).not.toContain('@example.org')
  })

  it('says when nothing was sent at all in the last minute: then the sender, not the limit, is the thing to check', async () => {
    await setQueue({ confirmations: 1100, oldestMs: 6 * MIN })
    const owner = textOf(await page('owner', '/admin'))
    expect(owner).toContain('1,100 are queued. Nothing was sent in the last minute.')
    expect(owner).toContain('Check that a sender is running (the web server, or npm run worker when VIGIL_SENDER=off) and read its log.')
    expect(owner).not.toContain('Ask Resend')
    expect(textOf(await page('editor', '/admin'))).toContain('An instance owner can check that the sender is running.')
  })

  it('is not there while the oldest confirmation is younger than 5 minutes', async () => {
    await setQueue({ confirmations: 1100, oldestMs: 4 * MIN, acceptedLastMinute: 60 })
    for (const who of ['owner', 'editor'] as const) expect(textOf(await page(who, '/admin'))).not.toContain('Confirmation emails are late')
  })
})

describe('after signing', () => {
  const said = {
    en: 'Many people are signing right now. The email may take about 20 minutes to arrive.',
    de: 'Gerade unterschreiben sehr viele Menschen. Die E-Mail kann etwa 20 Minuten brauchen, bis sie ankommt.',
    es: 'Ahora mismo está firmando muchísima gente. El correo puede tardar unos 20 minutos en llegar.',
  }
  const checkInbox = { en: 'Please check your inbox', de: 'Bitte sehen Sie in Ihr Postfach', es: 'Revisa tu correo' }

  /** Signs with JavaScript (the page comes back with the action's answer) and without (303, then the page); returns both pages' text. */
  async function sign(lang: 'en' | 'de' | 'es') {
    const pages: string[] = []
    for (const js of [true, false]) {
      signers++
      const fields = { firstName: 'Sam', lastName: 'Signer', email: `signer.${signers}@example.net`, country: 'DE', ...(js ? { _js: '1' } : {}) }
      const headers = { Origin: server.url, 'Accept-Language': lang }
      const response = await fetch(`${server.url}/c/live-case`, { method: 'POST', redirect: 'manual', headers, body: form(fields) })
      if (js) {
        expect(response.status).toBe(200)
        pages.push(textOf(await response.text()))
      } else {
        expect(response.status).toBe(303)
        const location = new URL(response.headers.get('location')!, server.url)
        pages.push(textOf(await (await fetch(location, { headers })).text()))
      }
    }
    return pages
  }

  it('tells the signer how long the email may take while the queue is long, in their language', async () => {
    // 1,100 confirmations ahead at 1 a second: about 18 minutes, said as 20.
    await setQueue({ confirmations: 1100, oldestMs: 10 * MIN, acceptedLastMinute: 60 })
    for (const lang of ['en', 'de', 'es'] as const) {
      for (const text of await sign(lang)) {
        expect(text).toContain(checkInbox[lang])
        expect(text).toContain(said[lang])
      }
    }
  })

  it('says nothing about waiting in demo mode, where mail is captured at once', async () => {
    const demo = await startServer({ env: { VIGIL_SENDER: 'off', PAGE_CACHE_TTL_MS: '0' } })
    try {
      const demoDb = openServerDatabase(demo)
      const queued = Array.from({ length: 30_000 }, (_, i) => ['confirm-signature', `queued.${i}@example.org`, `demo-backlog:${i}`, Date.now() - 10 * MIN, 0])
      await transaction(demoDb, (tx) => insertMessages(tx, queued))
      await closeDatabase(demoDb)
      const headers = { Origin: demo.url, 'Accept-Language': 'en' }
      const fields = { firstName: 'Dana', lastName: 'Demo', email: 'dana.demo@example.net', country: 'DE', _js: '1' }
      const response = await fetch(`${demo.url}/c/free-andry`, { method: 'POST', redirect: 'manual', headers, body: form(fields) })
      expect(response.status).toBe(200)
      const text = textOf(await response.text())
      expect(text).toContain(checkInbox.en)
      expect(text).not.toContain('Many people are signing')
    } finally {
      await demo.stop()
    }
  })

  it('says nothing about waiting while the queue is short', async () => {
    await setQueue({ confirmations: 30, oldestMs: 2 * MIN, acceptedLastMinute: 60 })
    for (const lang of ['en', 'de', 'es'] as const) {
      for (const text of await sign(lang)) {
        expect(text).toContain(checkInbox[lang])
        expect(text).not.toContain(said[lang].slice(0, 20))
      }
    }
  })
})
