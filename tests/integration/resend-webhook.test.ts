import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { emailHash, openSuppression, sealEmail, sealSupporter } from '~/models/personal-data.server.ts'

/**
 * Resend's webhook at /webhooks/resend over real HTTP against the production build. Deliveries
 * are signed here the Standard Webhooks (Svix) way, from the scheme rather than the SDK, so the
 * server's verification is checked against the specification: HMAC-SHA256 with the base64 key
 * after `whsec_`, over `${svix-id}.${svix-timestamp}.${body}`, sent as `v1,<base64>`.
 */
const KEY = crypto.randomBytes(24)
const SECRET = `whsec_${KEY.toString('base64')}`

let server: RunningServer
let db: ServerSql
let n = 0

beforeAll(async () => {
  server = await startServer({ env: { RESEND_WEBHOOK_SECRET: SECRET } })
  db = openServerSql(server)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

// ——— helpers ———

const addresses: string[] = []

/** An email we sent, as the sender leaves it: status sent, with Resend's id. */
async function sentMessage(to = `reader.${++n}@example.org`) {
  const providerId = crypto.randomUUID()
  addresses.push(to)
  const sealed = sealEmail({ to, props: {} })
  const { id } = (await db.get<{ id: number }>(
    `insert into email_messages (template, sealed, data_key_id, locale, props, idempotency_key, status, provider_id, sent_at) values ('campaign-update', ?, ?, 'en', '{}', ?, 'sent', ?, ?) returning id`,
    sealed.sealed,
    sealed.dataKeyId,
    `test:${providerId}`,
    providerId,
    Date.now(),
  ))!
  return { id, providerId, to }
}

const delivery = async (messageId: number) =>
  (await db.get(`select delivery_status as status, delivery_at as at from email_messages where id = ?`, messageId)) as { status: string | null; at: number | null }
// By the keyed hash of the normalised address (ADR 017), as the sender and /me look it up.
const suppression = async (email: string) =>
  ((await db.get(`select reason from suppressed_addresses where email_hash = ?`, emailHash(email))) as { reason: string } | undefined)?.reason ?? null
const counts = async () =>
  (await db.get(
    `select (select count(*) from resend_events) as events, (select count(*) from suppressed_addresses) as suppressions, (select count(*) from email_messages where delivery_status is not null) as marked`,
  )) as {
    events: number
    suppressions: number
    marked: number
  }

function event(type: string, message: { providerId: string; to: string }, extra: Record<string, unknown> = {}, createdAt = new Date()) {
  return {
    type,
    created_at: createdAt.toISOString(),
    data: {
      email_id: message.providerId,
      created_at: new Date(createdAt.getTime() - 60_000).toISOString(),
      from: 'Vigil <team@example.org>',
      to: [message.to],
      subject: 'News about the campaign',
      ...extra,
    },
  }
}

function signature(id: string, timestamp: number, body: string, key = KEY) {
  return `v1,${crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

type Delivery = { id?: string; timestamp?: number; body?: string; headers?: Record<string, string | undefined> }

async function deliver(payload: unknown, { id = `msg_${crypto.randomBytes(12).toString('hex')}`, timestamp = Math.floor(Date.now() / 1000), body, headers }: Delivery = {}) {
  const raw = body ?? JSON.stringify(payload)
  const all: Record<string, string | undefined> = {
    'Content-Type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(timestamp),
    'svix-signature': signature(id, timestamp, raw),
    ...headers,
  }
  const res = await fetch(`${server.url}/webhooks/resend`, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    body: raw,
  })
  return { status: res.status, text: await res.text(), id }
}

const bounce = (type: 'Permanent' | 'Transient' | 'Undetermined') => ({
  bounce: { type, subType: type === 'Permanent' ? 'General' : 'MailboxFull', message: 'The recipient’s server said no.', diagnosticCode: ['smtp; 550 5.1.1 user unknown'] },
})

// ——— tests ———

describe('verified events', () => {
  it('records a delivery on the message Resend names, and only on it', async () => {
    const [a, b] = [await sentMessage(), await sentMessage()]
    const at = new Date(Date.now() - 5000)
    const answer = await deliver(event('email.delivered', a, {}, at))
    expect(answer).toMatchObject({ status: 200, text: 'recorded' })
    expect(await delivery(a.id)).toEqual({ status: 'delivered', at: at.getTime() })
    expect(await delivery(b.id)).toEqual({ status: null, at: null })
    expect(await suppression(a.to)).toBeNull()
  })

  it('suppresses the normalised address after a hard bounce, so no update goes there again', async () => {
    const message = await sentMessage('Ana.Lopez+news@GoogleMail.com')
    const sealed = sealSupporter({ email: 'Ana.Lopez+news@GoogleMail.com', firstName: 'Ana', lastName: 'L' })
    const supporter = (await db.get<{ id: number }>(
      `insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, 'ES', 'es') returning id`,
      sealed.emailHash,
      sealed.emailDomainHash,
      sealed.sealed,
      sealed.dataKeyId,
    ))!.id
    expect((await deliver(event('email.bounced', message, bounce('Permanent')))).status).toBe(200)
    expect((await delivery(message.id)).status).toBe('bounced')
    expect(await suppression('analopez@gmail.com')).toBe('bounce')
    // Kept by its keyed hash; the address itself only sealed (keys:rotate re-hashes it from there).
    const row = (await db.get<{ sealed: string; dataKeyId: string }>(`select sealed, data_key_id as "dataKeyId" from suppressed_addresses where email_hash = ?`, emailHash('analopez@gmail.com')))!
    expect(row.sealed).not.toMatch(/lopez|gmail/i)
    expect(openSuppression(row.sealed)).toEqual({ emailNormalized: 'analopez@gmail.com' })
    expect(row.dataKeyId).toBe(sealed.dataKeyId)
    // The sender's rule (db/sql/mail.server.ts) joins suppressed_addresses on the supporter's address hash.
    const blocked = await db.get(`select 1 from supporters s join suppressed_addresses x on x.email_hash = s.email_hash where s.id = ?`, supporter)
    expect(blocked).toBeDefined()
  })

  it('records a soft bounce without suppressing the address', async () => {
    for (const type of ['Transient', 'Undetermined'] as const) {
      const message = await sentMessage()
      expect((await deliver(event('email.bounced', message, bounce(type)))).status).toBe(200)
      expect((await delivery(message.id)).status).toBe('bounced')
      expect(await suppression(message.to)).toBeNull()
    }
  })

  it('suppresses after a complaint, and a late "delivered" does not undo the complaint', async () => {
    const message = await sentMessage()
    await deliver(event('email.delivered', message, {}, new Date(Date.now() - 20_000)))
    const complained = new Date(Date.now() - 10_000)
    expect((await deliver(event('email.complained', message, {}, complained))).text).toBe('recorded')
    expect(await delivery(message.id)).toEqual({ status: 'complained', at: complained.getTime() })
    expect(await suppression(message.to)).toBe('complaint')
    // Out of order: another delivered event (a different id) arrives after the complaint.
    expect((await deliver(event('email.delivered', message))).status).toBe(200)
    expect(await delivery(message.id)).toEqual({ status: 'complained', at: complained.getTime() })
  })

  it('applies a redelivered event (same svix-id) once', async () => {
    const message = await sentMessage()
    const first = await deliver(event('email.delivered', message))
    const before = await counts()
    // Svix retries with the same id; even a different body under that id changes nothing.
    const again = await deliver(event('email.delivered', message), { id: first.id })
    const other = await deliver(event('email.complained', message), { id: first.id })
    expect([again.status, again.text, other.status, other.text]).toEqual([200, 'duplicate', 200, 'duplicate'])
    expect(await counts()).toEqual(before)
    expect((await delivery(message.id)).status).toBe('delivered')
    expect(await suppression(message.to)).toBeNull()
  })

  it('accepts any of several signatures (a secret being rotated) and the webhook-* header names', async () => {
    const message = await sentMessage()
    const id = 'msg_rotation'
    const timestamp = Math.floor(Date.now() / 1000)
    const body = JSON.stringify(event('email.delivered', message))
    const old = signature(id, timestamp, body, crypto.randomBytes(24))
    const answer = await deliver(undefined, { id, timestamp, body, headers: { 'svix-signature': `${old} ${signature(id, timestamp, body)}` } })
    expect(answer.status).toBe(200)
    const standard = await sentMessage()
    const raw = JSON.stringify(event('email.delivered', standard))
    const answer2 = await deliver(undefined, {
      body: raw,
      headers: { 'svix-id': undefined, 'svix-timestamp': undefined, 'svix-signature': undefined, 'webhook-id': 'msg_std', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature('msg_std', timestamp, raw) },
    })
    expect(answer2.status).toBe(200)
    expect([(await delivery(message.id)).status, (await delivery(standard.id)).status]).toEqual(['delivered', 'delivered'])
  })

  it('acknowledges event types it does not use and writes nothing', async () => {
    const message = await sentMessage()
    const before = await counts()
    for (const type of ['email.opened', 'email.sent', 'email.delivery_delayed', 'contact.created']) {
      expect(await deliver(event(type, message))).toMatchObject({ status: 200, text: 'ignored' })
    }
    expect(await counts()).toEqual(before)
    expect((await delivery(message.id)).status).toBeNull()
  })
})

describe('unverified requests', () => {
  it('are refused with 400 and write nothing', async () => {
    const message = await sentMessage()
    const payload = event('email.complained', message)
    const body = JSON.stringify(payload)
    const now = Math.floor(Date.now() / 1000)
    const before = await counts()
    const attempts: Delivery[] = [
      { headers: { 'svix-signature': signature('x', now, body, crypto.randomBytes(24)) } },
      { headers: { 'svix-signature': 'v1,' } },
      { headers: { 'svix-signature': signature('msg_a', now, body).replace('v1,', 'v2,') } },
      { body: body.replace('email.complained', 'email.delivered'), headers: { 'svix-signature': signature('msg_b', now, body), 'svix-id': 'msg_b' } },
      { id: 'msg_c', headers: { 'svix-signature': signature('msg_other', now, body) } },
      { headers: { 'svix-signature': undefined } },
      { headers: { 'svix-id': undefined } },
      { headers: { 'svix-timestamp': undefined } },
      // Correctly signed, but six minutes old or six minutes ahead.
      { timestamp: now - 360 },
      { timestamp: now + 360 },
      { timestamp: Number.NaN },
    ]
    for (const attempt of attempts) {
      const answer = await deliver(payload, attempt)
      expect(answer.status, JSON.stringify(attempt)).toBe(400)
    }
    expect(await counts()).toEqual(before)
    expect((await delivery(message.id)).status).toBeNull()
    expect(await suppression(message.to)).toBeNull()
  })

  it('refuses a verified event of a handled type without an email id, and anything but POST', async () => {
    const before = await counts()
    expect((await deliver({ type: 'email.bounced', created_at: new Date().toISOString(), data: { to: ['x@example.org'] } })).status).toBe(400)
    expect((await fetch(`${server.url}/webhooks/resend`)).status).toBe(405)
    expect(await counts()).toEqual(before)
  })
})

describe('the log', () => {
  it('holds no recipient address', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200))
    const log = server.output().toLowerCase()
    expect(log).toMatch(/post \/webhooks\/resend 200/)
    for (const email of addresses) expect(log).not.toContain(email.toLowerCase())
  })
})
