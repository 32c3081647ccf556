/**
 * The dashboard over HTTP: per campaign the organiser may see (ADR 011), signatures confirmed
 * today and in the last seven days, the totals, signers still to confirm, messages to
 * moderate, money per fund, the outbox's state, and a "last change" taken from what really
 * happened (a signature, a donation, an edit), not from the campaign row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../helpers/html.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { closeDatabase, openServerDatabase } from '../helpers/engine.ts'
import { rawSql } from '../helpers/mail-worker.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import type { DB } from '#db/client.server.ts'

const DAY = 86_400_000
const EDITOR = { email: 'erin.editor@dashboard.example', name: 'Erin Editor', password: 'a long editor passphrase 42' }
let server: RunningServer
let db: DB
let ownerCookie: string
let editorCookie: string
const ids = { watched: 0, other: 0, fund: 0 }

async function logIn(email: string, password: string) {
  const response = await fetch(`${server.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: new URLSearchParams({ email, password }) })
  expect(response.status).toBe(302)
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!
}

async function campaign(slug: string, title: string, updatedAt: number) {
  const id = await rawSql(db).insert(
    `insert into campaigns (organization_id, slug, status, created_at, updated_at) values ((select id from organizations limit 1), ?, 'live', ?, ?)`,
    slug,
    updatedAt,
    updatedAt,
  )
  await rawSql(db).run(`insert into campaign_translations (campaign_id, locale, title, updated_at) values (?, 'en', ?, ?)`, id, title, updatedAt)
  return id
}

async function signatures(campaignId: number, { n, status = 'confirmed', at, message = null }: { n: number; status?: string; at: number; message?: string | null }) {
  const insert = `insert into signatures (campaign_id, status, first_name, last_name, country, locale, created_at, confirmed_at, message, message_status) values (?, ?, 'A', 'B', 'DE', 'en', ?, ?, ?, ?)`
  for (let i = 0; i < n; i++) await rawSql(db).run(insert, campaignId, status, at - 1000, status === 'confirmed' ? at : null, message, message ? 'pending' : null)
  const field = status === 'confirmed' ? 'confirmed' : 'pending'
  await rawSql(db).run(
    `insert into campaign_counters (campaign_id, ${field}) values (?, ?) on conflict (campaign_id) do update set ${field} = campaign_counters.${field} + excluded.${field}`,
    campaignId,
    n,
  )
}

async function dashboard(cookie: string) {
  const response = await fetch(`${server.url}/admin`, { headers: { Cookie: cookie } })
  expect(response.status).toBe(200)
  return response.text()
}

/** The text of one campaign's block, and what its figures say. */
function block(html: string, campaignId: number) {
  const start = html.indexOf(`data-testid="campaign-${campaignId}"`)
  if (start < 0) return null
  const rest = html.slice(start)
  const end = rest.indexOf('data-testid="campaign-', 10)
  const part = end < 0 ? rest : rest.slice(0, end)
  const figure = (name: string) => textOf(new RegExp(`data-testid="${name}">([\\s\\S]*?)</dd>`).exec(part)?.[1] ?? '')
  return {
    text: textOf(part),
    today: figure('today'),
    week: figure('week'),
    total: figure('total'),
    waiting: figure('waiting'),
    messages: figure('messages'),
    lastChange: textOf(/data-testid="last-change">([\s\S]*?)<\/p>/.exec(part)?.[1] ?? ''),
  }
}

beforeAll(async () => {
  server = await startServer()
  db = openServerDatabase(server)
  const now = Date.now()
  const todayStart = Math.floor(now / DAY) * DAY
  const longAgo = now - 60 * DAY
  ids.watched = await campaign('dashboard-watched', 'Watched campaign', longAgo)
  ids.other = await campaign('dashboard-other', 'Other campaign', longAgo)
  // Today 3, earlier this week 4 (two days before today), long ago 5; 2 waiting, one with a message; 1 confirmed with a message (both wait for moderation).
  await signatures(ids.watched, { n: 3, at: todayStart + 1000 })
  await signatures(ids.watched, { n: 4, at: todayStart - 2 * DAY })
  await signatures(ids.watched, { n: 5, at: now - 30 * DAY })
  // The latest activity is a signature made after today's confirmations, also in the first hour of a UTC day.
  await signatures(ids.watched, { n: 1, status: 'pending', at: Math.max(now - 10 * 60_000, todayStart + 2500), message: 'Stay strong' })
  await signatures(ids.watched, { n: 1, status: 'pending', at: Math.max(now - 60 * 60_000, todayStart + 2500) })
  await signatures(ids.watched, { n: 1, at: now - 40 * DAY, message: 'We are with you' })
  await signatures(ids.other, { n: 9, at: todayStart + 2000 })
  ids.fund = await rawSql(db).insert(`insert into funds (campaign_id, slug, goal_minor, currency, updated_at) values (?, 'trip', 500000, 'EUR', ?)`, ids.watched, longAgo)
  await rawSql(db).run(`insert into fund_translations (fund_id, locale, title) values (?, 'en', 'The reporting trip')`, ids.fund)
  await rawSql(db).run(`insert into fund_counters (fund_id, raised_minor, donations, donors) values (?, 123456, 3, 3)`, ids.fund)
  await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'dashboard-watched', role: 'editor' }] })
  ownerCookie = await logIn('demo@vigil.example', 'vigil-demo-2026')
  editorCookie = await logIn(EDITOR.email, EDITOR.password)
})

afterAll(async () => {
  if (db) await closeDatabase(db)
  await server?.stop()
})

describe('the dashboard', () => {
  it('shows per campaign the signatures confirmed today and this week, the totals, those waiting and the messages to moderate', async () => {
    const watched = block(await dashboard(ownerCookie), ids.watched)
    expect(watched).not.toBeNull()
    expect(watched!.today).toBe('3')
    expect(watched!.week).toBe('7')
    expect(watched!.total).toBe('13')
    expect(watched!.waiting).toBe('2')
    expect(watched!.messages).toBe('2')
    expect(watched!.text).toContain('The reporting trip — €1,234.56 of €5,000.00')
  })

  it('shows an editor only the campaigns they have a role on, and their figures', async () => {
    const html = await dashboard(editorCookie)
    expect(block(html, ids.watched)?.today).toBe('3')
    expect(block(html, ids.other)).toBeNull()
    expect(html).not.toContain('Other campaign')
    const owners = await dashboard(ownerCookie)
    expect(block(owners, ids.other)?.today).toBe('9')
  })

  it('dates the last change by real activity: the latest signature, then a donation, then an edit', async () => {
    const lastSignature = block(await dashboard(ownerCookie), ids.watched)!.lastChange
    expect(lastSignature).toMatch(/^Last change: a signature, /)
    await rawSql(db).run(
      `insert into donations (campaign_id, fund_id, interval, gift_minor, amount_minor, currency, locale, email, created_at) values (?, ?, 'one_time', 1000, 1000, 'EUR', 'en', 'd@example.org', ?)`,
      ids.watched,
      ids.fund,
      Date.now(),
    )
    expect(block(await dashboard(ownerCookie), ids.watched)!.lastChange).toMatch(/^Last change: a donation started, /)
    await rawSql(db).run(`update campaign_translations set updated_at = ? where campaign_id = ?`, Date.now() + 1000, ids.watched)
    expect(block(await dashboard(ownerCookie), ids.watched)!.lastChange).toMatch(/^Last change: an edit by the team, /)
  })

  it('says what waits in the outbox, and links to it', async () => {
    await rawSql(db).run(
      `insert into email_messages (template, to_email, locale, props, idempotency_key, status, priority, created_at) values ('confirm-signature', 'w@example.org', 'en', '{}', 'dash:1', 'queued', 0, ?)`,
      Date.now() - 7 * 60_000,
    )
    const html = await dashboard(editorCookie)
    const outbox = textOf(/data-testid="dashboard-outbox">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '')
    expect(outbox).toMatch(/Outbox: \d+ confirmation emails? and \d+ other emails waiting\./)
    expect(html).toContain('href="/admin/outbox"')
  })
})
