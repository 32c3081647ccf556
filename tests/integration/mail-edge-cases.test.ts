import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { seedDemo } from '#db/seed.ts'
import { CLAIM_TIMEOUT_MS, claimDueMessages, queueEmail } from '~/models/outbox.server.ts'
import { startUpdateSend } from '~/models/update-sends.server.ts'
import { captureTransport, resendTransport, sendNextOnce, type Transport } from '~/services/mail-sender.server.ts'
import { sha256 } from '~/services/crypto.server.ts'
import { signatureToken } from '~/services/tokens.server.ts'
import { startResendStandIn, type ResendStandIn } from '../fakes/resend-stand-in.ts'

// Found by an attacker's review of issue 11 (mail under a surge); each failed before its fix.
let resend: ResendStandIn
let transport: Transport
let campaignId: number
let n = 0
const sql = () => getDb().$client

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  campaignId = (sql().prepare(`select id from campaigns where slug = 'free-andry'`).get() as { id: number }).id
  resend = await startResendStandIn()
  transport = resendTransport({ apiKey: resend.apiKey, from: 'Vigil <team@example.org>', baseUrl: resend.url })
})

afterAll(async () => {
  await resend?.close()
})

beforeEach(() => {
  resend.reset()
  sql().exec(`delete from email_messages; delete from email_batches; delete from update_sends`)
})

function confirmations(count: number) {
  const keys: string[] = []
  getDb().transaction(() => {
    for (let i = 0; i < count; i++) {
      const key = `signature:${++n}:confirm:1`
      keys.push(key)
      queueEmail({
        template: 'confirm-signature',
        to: `signer${n}@example.org`,
        locale: 'en',
        campaignId,
        idempotencyKey: key,
        props: { tokenSeed: `seed-${n}-0123456789abcdef`, firstName: 'Ana', campaignTitle: 'Free Andry', petitionText: 'Free him.', organizationName: 'Demo' },
      })
    }
  })
  return keys
}

describe('exactly-once and priorities at the edges', () => {
  it('a batch of confirmations that meets a 429 eight times (two senders sharing one account) is not failed for good', async () => {
    confirmations(10)
    // Each 429 has Retry-After 1 s; the sender honours it and comes back 2 s later.
    resend.failNext(8, { status: 429, retryAfterSeconds: 1 })
    let now = Date.now()
    for (let i = 0; i < 8; i++) {
      await sendNextOnce(transport, now)
      now += 2_000
    }
    const statuses = sql().prepare(`select status, count(*) as n from email_messages group by status`).all()
    // A rate limit is the provider saying "later", not "never": the confirmations must still go.
    expect(statuses, 'confirmations failed for good after 429s').not.toContainEqual(expect.objectContaining({ status: 'failed' }))
    await sendNextOnce(transport, now)
    expect(resend.sent()).toHaveLength(10)
  })

  it('a batch whose key is still being answered eight times over (a hung request of a dead sender) is not failed for good', async () => {
    confirmations(5)
    resend.failNext(8, { status: 409 })
    let now = Date.now()
    for (let i = 0; i < 8; i++) {
      await sendNextOnce(transport, now)
      now += 2_000
    }
    expect(sql().prepare(`select count(*) as n from email_messages where status = 'failed'`).get()).toEqual({ n: 0 })
    await sendNextOnce(transport, now)
    expect(resend.sent()).toHaveLength(5)
  })

  it('an update’s batch goes out while only a trickle of confirmations is due (one per request)', async () => {
    getDb().transaction(() => {
      for (let i = 0; i < 150; i++) {
        const address = `reader-trickle${++n}@example.org`
        const id = Number(
          sql().prepare(`insert into supporters (email_normalized, email, first_name, last_name, country, locale) values (?, ?, 'P', 'Q', 'DE', 'en')`).run(address, address).lastInsertRowid,
        )
        sql().prepare(`insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale) values (?, ?, 'confirmed', 'P', 'Q', 'DE', 'en')`).run(campaignId, id)
        sql().prepare(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, 1, 'petition_form')`).run(id, campaignId)
      }
    })
    const updateId = Number(sql().prepare(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-22', ?)`).run(campaignId, Date.now()).lastInsertRowid)
    sql().prepare(`insert into update_translations (update_id, locale, title, body_md) values (?, 'en', 'Hearing tomorrow', 'Thank you.')`).run(updateId)
    const started = await startUpdateSend({ updateId, campaignId, audience: { signers: true, donors: 'none' }, organizerId: null })
    expect(started.status).toBe('started')
    // After the surge: one signer every half second, the pacer's turn at 2 requests/s. 20 requests
    // carry 20 emails; the provider would have taken 2,000.
    for (let i = 0; i < 20; i++) {
      confirmations(1)
      await sendNextOnce(captureTransport)
    }
    const submitted = (sql().prepare(`select count(*) as n from email_batches where send_id is not null and status = 'submitted'`).get() as { n: number }).n
    expect(submitted, 'update batches sent in 20 requests that carried 20 confirmations').toBeGreaterThan(0)
  })

  it('a batchable message left `sending` by the single path (e.g. the sender before this release) is resent under its own key', async () => {
    const [key] = confirmations(1)
    const t0 = Date.now()
    // The sender before the upgrade claimed it alone and sent it under its own key, then died.
    expect(await claimDueMessages({ limit: 1, now: t0 })).toHaveLength(1)
    await sendNextOnce(transport, t0 + CLAIM_TIMEOUT_MS + 1)
    const request = resend.requests().at(-1)!
    // Under any other key Resend cannot recognise the resend: the signer gets it twice.
    expect(request.idempotencyKey, 'the key the email was first sent under').toBe(key)
  })

  it('leaves out a reminder whose signer confirmed (or withdrew) after it was queued, and sends one still wanted', async () => {
    const signature = (status: 'pending' | 'confirmed', seed: string) => {
      const address = `reminded${++n}@example.org`
      const supporter = Number(
        sql().prepare(`insert into supporters (email_normalized, email, first_name, last_name, country, locale) values (?, ?, 'R', 'S', 'DE', 'en')`).run(address, address).lastInsertRowid,
      )
      const id = Number(
        sql()
          .prepare(
            `insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale, token_hash, token_expires_at, reminded_at) values (?, ?, ?, 'R', 'S', 'DE', 'en', ?, ?, ?)`,
          )
          .run(campaignId, supporter, status, status === 'pending' ? sha256(signatureToken(seed)) : null, Date.now() + 86_400_000, Date.now()).lastInsertRowid,
      )
      getDb().transaction(() =>
        queueEmail({ template: 'confirm-reminder', to: address, locale: 'en', campaignId, idempotencyKey: `signature:${id}:reminder`, props: { tokenSeed: seed, firstName: 'R', campaignTitle: 'Free Andry', organizationName: 'Demo' } }),
      )
      return address
    }
    const wanted = signature('pending', 'still-wanted-seed-0123456789')
    const confirmedMeanwhile = signature('confirmed', 'confirmed-seed-0123456789ab')
    expect(await sendNextOnce(transport)).toBe(2)
    expect(resend.sent().map((s) => s.email.to)).toEqual([wanted])
    const skipped = sql().prepare(`select status, last_error as error from email_messages where to_email = ?`).get(confirmedMeanwhile) as { status: string; error: string }
    expect(skipped.status).toBe('failed')
    expect(skipped.error).toMatch(/^not sent: no longer wanted/)
  })
})
