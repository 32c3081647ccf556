import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { emailMessages } from '#db/schema.ts'
import { CLAIM_TIMEOUT_MS, claimDueMessages, queueEmail } from '~/models/outbox.server.ts'
import { resendTransport, sendNextOnce, type Transport } from '~/workflows/mail-sender.server.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'

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
    for (const message of claimed.slice(0, 2)) await transport.send(getDb(), message)
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
    await transport.send(getDb(), message!)
    // The same key with a different body: what a changed template produces after a crash.
    await execute(getDb().update(emailMessages).set({ props: { firstName: 'Eva (neu)', campaignTitle: 'Gerechtigkeit für Andry', organizationName: 'Demo Reporting Collective', campaignSlug: 'free-andry' } }).where(eq(emailMessages.idempotencyKey, key!)))
    await sendNextOnce(getDb(), transport, Date.now() + CLAIM_TIMEOUT_MS + 1)
    expect(resend.requests().at(-1)!.status).toBe(409)
    expect((await row(key!)).status).toBe('sent')
    expect(resend.sent()).toHaveLength(1)
  })
})
