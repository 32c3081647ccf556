import { eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { closeDatabase, getDb, openDatabase, openPostgres, type DB } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { emailMessages } from '#db/schema.ts'
import { CLAIM_TIMEOUT_MS, claimDueMessages, claimNextWork, openMessage, queueEmail } from '~/models/outbox.server.ts'
import { sealEmail } from '~/models/personal-data.server.ts'
import { startUpdateSend } from '~/models/update-sends.server.ts'
import { resendTransport, sendNextOnce, startSender, type Transport } from '~/workflows/mail-sender.server.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { onPostgres } from '../helpers/engine.ts'
import { addUpdateReaders, mailCampaign, queueConfirmations, rawSql, waitFor } from '../helpers/mail-worker.ts'

let resend: ResendStandIn
let transport: Transport
let n = 0

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  resend = await startResendStandIn()
  transport = resendTransport({ apiKey: resend.apiKey, from: 'Vigil <team@example.org>', baseUrl: resend.url })
})

afterAll(async () => {
  await resend?.close()
})

beforeEach(async () => {
  resend.reset()
  await execute(getDb().delete(emailMessages))
})

// These emails go alone (`POST /emails`): what Resend refuses in a batch (attachments, scheduled sends).
// Batches are tested in mail-batches.test.ts.
async function queue(count = 1) {
  const keys: string[] = []
  await transaction(getDb(), async (tx) => {
    for (let i = 0; i < count; i++) {
      const key = `test:${++n}`
      keys.push(key)
      await queueEmail(tx, {
        template: 'already-signed',
        to: `person${n}@example.org`,
        locale: 'de',
        idempotencyKey: key,
        props: { firstName: 'Eva', campaignTitle: 'Gerechtigkeit für Andry', organizationName: 'Demo Reporting Collective', campaignSlug: 'free-andry' },
        batchable: false,
      })
    }
  })
  return keys
}

const row = async (key: string) => (await firstRow(getDb().select().from(emailMessages).where(eq(emailMessages.idempotencyKey, key))))!

describe('an email that cannot go in a batch, sent alone', () => {
  it('sends each queued email once, with its idempotency key, in the recipient’s language, and records the provider id', async () => {
    const [key] = await queue()
    expect(await sendNextOnce(getDb(), transport)).toBe(1)
    const sent = resend.sent()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.idempotencyKey).toBe(key)
    expect(sent[0]!.email.to).toEqual(`person${n}@example.org`)
    expect(String(sent[0]!.email.subject)).toContain('Gerechtigkeit für Andry')
    expect(String(sent[0]!.email.html)).toContain('lang="de"')
    expect(String(sent[0]!.email.text)).toContain('http')
    expect(resend.rejected()).toEqual([])
    expect(await row(key!)).toMatchObject({ status: 'sent', providerId: sent[0]!.id, attempts: 1 })
    expect(await sendNextOnce(getDb(), transport)).toBe(0)
  })

  it('a repeated idempotency key queues nothing new', async () => {
    const [key] = await queue()
    const again = await transaction(getDb(), (tx) =>
      queueEmail(tx, { template: 'already-signed', to: 'x@example.org', locale: 'en', idempotencyKey: key!, props: {} }),
    )
    expect(again).toBe(false)
    expect(await allRows(getDb().select().from(emailMessages))).toHaveLength(1)
  })

  it('waits as long as Retry-After says after a 429, then sends', async () => {
    const [key] = await queue()
    resend.failNext(1, { status: 429, retryAfterSeconds: 30 })
    const before = Date.now()
    await sendNextOnce(getDb(), transport)
    const waiting = (await row(key!))
    expect(waiting.status).toBe('queued')
    expect(waiting.lastError).toMatch(/429/)
    expect(waiting.nextAttemptAt).toBeGreaterThanOrEqual(before + 30_000)
    expect(waiting.nextAttemptAt).toBeLessThan(before + 31_000)
    // Not due yet: nothing is sent early.
    expect(await sendNextOnce(getDb(), transport)).toBe(0)
    expect(await sendNextOnce(getDb(), transport, waiting.nextAttemptAt)).toBe(1)
    expect((await row(key!)).status).toBe('sent')
    expect(resend.sent()).toHaveLength(1)
  })

  it('backs off after a server error and retries with the same key', async () => {
    const [key] = await queue()
    resend.failNext(1, { status: 500 })
    await sendNextOnce(getDb(), transport)
    const waiting = (await row(key!))
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1 })
    await sendNextOnce(getDb(), transport, waiting.nextAttemptAt)
    expect(await row(key!)).toMatchObject({ status: 'sent', attempts: 2 })
    const keys = resend.requests().map((r) => r.idempotencyKey)
    expect(keys).toEqual([key, key])
  })

  it('fails an email the provider refuses for good, with the reason', async () => {
    await transaction(getDb(), (tx) =>
      queueEmail(tx, {
        template: 'already-signed',
        to: 'not an address',
        locale: 'en',
        idempotencyKey: 'test:bad-address',
        props: { firstName: 'X', campaignTitle: 'Y', organizationName: 'Z', campaignSlug: 'free-andry' },
        batchable: false,
      }),
    )
    await sendNextOnce(getDb(), transport)
    expect((await row('test:bad-address'))).toMatchObject({ status: 'failed' })
    expect((await row('test:bad-address')).lastError).toMatch(/422/)
  })

  it('delivers exactly once when the answer was lost: the retry reuses the key', async () => {
    const [key] = await queue()
    resend.dropResponseNext(1)
    await sendNextOnce(getDb(), transport)
    const waiting = (await row(key!))
    expect(waiting.status).toBe('queued')
    await sendNextOnce(getDb(), transport, waiting.nextAttemptAt)
    expect((await row(key!)).status).toBe('sent')
    expect(resend.sent()).toHaveLength(1)
  })

  it('resumes after a crash mid-send without sending anything twice', async () => {
    const keys = await queue(5)
    // A sender claims the batch and sends two of them, then dies before recording anything.
    const claimed = await claimDueMessages(getDb(), { limit: 10 })
    expect(claimed).toHaveLength(5)
    for (const message of claimed.slice(0, 2)) await transport.send(getDb(), openMessage(message))
    expect(resend.sent()).toHaveLength(2)
    // Until the claim times out nobody else takes those messages.
    expect(await sendNextOnce(getDb(), transport)).toBe(0)
    // A restarted sender picks them up again once the claim is stale.
    const later = Date.now() + CLAIM_TIMEOUT_MS + 1
    for (let i = 0; i < 5; i++) expect(await sendNextOnce(getDb(), transport, later)).toBe(1)
    expect(await sendNextOnce(getDb(), transport, later)).toBe(0)
    expect(resend.sent().map((s) => s.idempotencyKey).sort()).toEqual([...keys].sort())
    for (const key of keys) expect((await (await row(key))).status).toBe('sent')
  })
})

describe('an email resent after a deploy changed its template', () => {
  it('counts as sent when Resend says the key was already used, instead of failing or sending twice', async () => {
    const [key] = await queue()
    const [message] = await claimDueMessages(getDb(), { limit: 1 })
    const opened = openMessage(message!)
    await transport.send(getDb(), opened)
    // The same key with a different body: what a changed template produces after a crash.
    const changed = sealEmail({ to: opened.to, props: { firstName: 'Eva (neu)', campaignTitle: 'Gerechtigkeit für Andry', organizationName: 'Demo Reporting Collective', campaignSlug: 'free-andry' } })
    await execute(getDb().update(emailMessages).set({ sealed: changed.sealed }).where(eq(emailMessages.idempotencyKey, key!)))
    await sendNextOnce(getDb(), transport, Date.now() + CLAIM_TIMEOUT_MS + 1)
    expect(resend.requests().at(-1)!.status).toBe(409)
    expect((await row(key!)).status).toBe('sent')
    expect(resend.sent()).toHaveLength(1)
  })
})

// Several app servers on one Postgres each run a sender: two senders with pools of their own
// claim from one outbox at the same moment. Postgres only: two SQLite connections in one process
// cannot overlap transactions (the second's BEGIN IMMEDIATE blocks the event loop the first needs
// to finish); two senders on SQLite are two processes, as in sender-crash.test.ts.
describe.skipIf(!onPostgres)('two senders on one outbox at once', () => {
  const UPDATE_READERS = 450
  let senders: DB[] = []
  let updates = 0

  /** A database handle of its own on this test file's database: another process's pool, in effect. */
  const ownHandle = () => (process.env.DATABASE_URL ? openPostgres(process.env.DATABASE_URL, 4) : openDatabase(process.env.DATABASE_PATH!))

  /** 600 confirmations and 40 emails that go alone, then an update to UPDATE_READERS readers in batches. */
  async function queueEverything(prefix: string) {
    const campaign = await mailCampaign('free-andry')
    await queueConfirmations(getDb(), { campaign, addresses: Array.from({ length: 600 }, (_, i) => `${prefix}.confirm.${i}@example.org`), keyPrefix: `${prefix}:confirm` })
    await transaction(getDb(), async (tx) => {
      for (let i = 0; i < 40; i++) {
        await queueEmail(tx, {
          template: 'already-signed',
          to: `${prefix}.alone.${i}@example.org`,
          locale: 'de',
          idempotencyKey: `${prefix}:alone:${i}`,
          props: { firstName: 'Eva', campaignTitle: 'Gerechtigkeit für Andry', organizationName: 'Demo Reporting Collective', campaignSlug: 'free-andry' },
          batchable: false,
        })
      }
    })
    const readers = Array.from({ length: UPDATE_READERS }, (_, i) => `${prefix}.reader.${i}@example.org`)
    await addUpdateReaders(getDb(), { campaignId: campaign.id, addresses: readers, localeOf: (i) => (['en', 'de', 'es'] as const)[i % 3]! })
    const updateId = await rawSql().insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-22', ?)`, campaign.id, Date.now() - 1000)
    await rawSql().run(`insert into update_translations (update_id, locale, title, body_md) values (?, 'en', ?, 'Thank you.')`, updateId, `Update ${++updates}`)
    const started = await startUpdateSend(getDb(), { updateId, campaignId: campaign.id, audience: { signers: true, donors: 'none' }, organizerId: null })
    expect(started).toMatchObject({ status: 'started' })
    // Earlier tests' readers are in the audience too: every message of this send counts.
    return (await rawSql().get<{ n: number }>(`select count(*) as n from email_messages`))!.n
  }

  beforeEach(async () => {
    await rawSql().run(`delete from email_batches`)
    await rawSql().run(`delete from update_sends`)
    senders = [ownHandle(), ownHandle()]
  })

  afterEach(async () => {
    for (const db of senders) await closeDatabase(db)
  })

  it('never claims a message or a batch twice when both claim at the same moment', async () => {
    const total = await queueEverything('claims')
    // Past GATHER_MS, so no short group waits; claims are made and never settled.
    const now = Date.now() + 10_000
    const claimedMessages: number[] = []
    const claimedBatches: number[] = []
    let rounds = 0
    for (;;) {
      const works = await Promise.all(senders.map((db) => claimNextWork(db, { now })))
      for (const work of works) {
        if (work?.kind === 'single') claimedMessages.push(work.message.id)
        if (work?.kind === 'batch') {
          claimedBatches.push(work.batch.id)
          claimedMessages.push(...work.messages.map((m) => m.id))
        }
      }
      if (works.every((w) => w === null)) break
      rounds++
    }
    const twice = (ids: number[]) => ids.filter((id, i) => ids.indexOf(id) !== i)
    expect(twice(claimedBatches), 'batches claimed twice').toEqual([])
    expect(twice(claimedMessages), 'messages claimed twice').toEqual([])
    expect(claimedMessages).toHaveLength(total)
    expect(rounds).toBeGreaterThan(1)
  })

  it('delivers every message exactly once when both senders run', { timeout: 60_000 }, async () => {
    const total = await queueEverything('running')
    const perSender = [0, 0]
    const counting = (i: number): Transport => ({
      ...transport,
      send: (db, message) => ((perSender[i]! += 1), transport.send(db, message)),
      sendBatch: (emails, key) => ((perSender[i]! += 1), transport.sendBatch(emails, key)),
    })
    const running = senders.map((db, i) => startSender({ db, transport: counting(i), perSecond: 0, intervalMs: 10, concurrency: 4 }))
    const unsettled = async () => (await rawSql().get<{ n: number }>(`select count(*) as n from email_messages where status not in ('sent', 'failed')`))!.n
    try {
      await waitFor(async () => (await unsettled()) === 0, 45_000, async () => `${await unsettled()} messages unsettled`, 50)
    } finally {
      for (const sender of running) sender.stop()
      await Promise.all(running.map((sender) => sender.stopped()))
    }
    // Each key reached the provider once: a batch or an email claimed twice would have gone twice under its key.
    const perKey = new Map<string, number>()
    for (const r of resend.requests()) perKey.set(r.idempotencyKey ?? '', (perKey.get(r.idempotencyKey ?? '') ?? 0) + 1)
    expect([...perKey].filter(([, n]) => n !== 1), 'keys requested more than once').toEqual([])
    const perRecipient = new Map<string, number>()
    for (const s of resend.sent()) perRecipient.set(String(s.email.to), (perRecipient.get(String(s.email.to)) ?? 0) + 1)
    expect([...perRecipient].filter(([, n]) => n !== 1), 'recipients sent more than once').toEqual([])
    expect(perRecipient.size).toBe(total)
    expect(await rawSql().get(`select count(*) as n from email_messages where status <> 'sent'`)).toEqual({ n: 0 })
    // Both took part (with 30 batches and 40 single emails, one alone would be a surprise).
    expect(perSender.every((n) => n > 0), `requests per sender: ${perSender.join(', ')}`).toBe(true)
  })
})
