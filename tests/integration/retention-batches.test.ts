/**
 * Retention prunes the sender's transactional batches (`email_batches` with no send: one row per
 * 100 confirmations and other mail, ADR 013) once none of their messages is left, as it deletes
 * those messages (ADR 010). Real batches: `npm run worker` in live mode groups the queued mail
 * and sends it to the Resend stand-in; retention runs as an operator runs it, `npm run retention`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb, type Tx } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { queueEmail } from '~/models/outbox.server.ts'
import { nameWordHashes, sealSignature, sealSupporter } from '~/models/personal-data.server.ts'
import { pruneSpentMailBatches } from '~/models/retention.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { killWorkers, rawSql, startWorker, waitFor, type Worker } from '../helpers/mail-worker.ts'
import { runScript } from '../helpers/server.ts'

const DAY = 86_400_000
const sql = () => rawSql(getDb())

let resend: ResendStandIn
let worker: Worker
let org = 0
let people = 0

async function campaign(slug: string) {
  const { id } = (await sql().get<{ id: number }>(
    `insert into campaigns (organization_id, slug, status, default_locale, published_at) values (?, ?, 'live', 'en', ?) returning id`,
    org,
    slug,
    Date.now() - 400 * DAY,
  ))!
  await sql().run(`insert into campaign_translations (campaign_id, locale, title, petition_text) values (?, 'en', ?, 'Let them go.')`, id, `Campaign ${slug}`)
  return id
}

/** `count` signers of the campaign, each with a pending signature and its confirmation email queued, as signing leaves them. */
async function signers(tx: Tx, campaignId: number, count: number) {
  const q = rawSql(tx)
  for (let i = 0; i < count; i++) {
    const email = `signer.${++people}@example.org`
    const supporter = sealSupporter({ email, firstName: 'Ana', lastName: 'Pérez' })
    const supporterId = (await q.get<{ id: number }>(
      `insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, 'VE', 'en') returning id`,
      supporter.emailHash,
      supporter.emailDomainHash,
      supporter.sealed,
      supporter.dataKeyId,
    ))!.id
    const signature = sealSignature({ firstName: 'Ana', lastName: 'Pérez', postalCode: null, message: null })
    const signatureId = (await q.get<{ id: number }>(
      `insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, created_at, confirmed_at)
       values (?, ?, 'confirmed', ?, ?, 'VE', 'en', ?, ?) returning id`,
      campaignId,
      supporterId,
      signature.sealed,
      signature.dataKeyId,
      Date.now(),
      Date.now(),
    ))!.id
    for (const word of nameWordHashes('Ana', 'Pérez')) {
      await q.run(`insert into signature_name_words (campaign_id, word_hash, signature_id) values (?, ?, ?)`, campaignId, word, signatureId)
    }
    await queueEmail(tx, {
      template: 'confirm-signature',
      to: email,
      locale: 'en',
      campaignId,
      idempotencyKey: `signature:${signatureId}:confirm:1`,
      props: { tokenSeed: `seed-${signatureId}`, firstName: 'Ana', campaignTitle: 'A campaign', petitionText: 'Let them go.', organizationName: 'Demo' },
    })
  }
}

/** Queue in one transaction (so the sender groups it together) and wait until the sender has settled all of it. */
async function queueAndSend(queue: (tx: Tx) => Promise<void>) {
  await transaction(getDb(), queue)
  await waitFor(
    async () => (await sql().get<{ n: number }>(`select count(*) as n from email_messages where status not in ('sent', 'failed')`))!.n === 0,
    30_000,
    () => `mail left unsent:\n${worker.output()}`,
    25,
  )
}

/** The transactional batches (no send), each with how many of its messages are left. */
async function transactionalBatches() {
  return await sql().all<{ id: number; size: number; status: string; left: number }>(
    `select b.id, b.size, b.status, (select count(*) from email_messages m where m.batch_id = b.id) as "left"
     from email_batches b where b.send_id is null order by b.id`,
  )
}

async function runRetention() {
  const result = await runScript('scripts/retention.ts', [], { DATABASE_PATH: process.env.DATABASE_PATH!, DATABASE_URL: process.env.DATABASE_URL ?? '' })
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

const close = (campaignId: number, daysAgo: number) =>
  sql().run(`update campaigns set status = 'closed', closed_at = ? where id = ?`, Date.now() - daysAgo * DAY, campaignId)

let due = 0 // closed 200 days ago: its signatures and their mail go
let live = 0 // still collecting
let earlier = 0 // its mail was deleted before this version pruned batches
let before: Awaited<ReturnType<typeof transactionalBatches>>

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  org = (await sql().get<{ id: number }>(`select id from organizations order by id limit 1`))!.id
  due = await campaign('closed-long-ago')
  live = await campaign('still-live')
  earlier = await campaign('emptied-earlier')
  resend = await startResendStandIn()
  worker = startWorker(resend)
  await worker.ready
  // 150 of the due campaign's confirmations: a batch of 100 and one of 50.
  await queueAndSend((tx) => signers(tx, due, 150))
  // 30 more of its confirmations in one batch with 30 of the live campaign's and an organiser's invitation.
  await queueAndSend(async (tx) => {
    await signers(tx, due, 30)
    await signers(tx, live, 30)
    await queueEmail(tx, {
      template: 'organizer-invite',
      to: 'new.organiser@example.org',
      locale: 'en',
      idempotencyKey: 'organizer:999:invite',
      props: { tokenSeed: 'seed-invite', name: 'Noor', invitedBy: 'Demo', organizationName: 'Demo' },
    })
  })
  // 20 confirmations whose messages an earlier version's retention deleted, leaving their batch behind.
  await queueAndSend((tx) => signers(tx, earlier, 20))
  await sql().run(`delete from email_messages where campaign_id = ?`, earlier)
  await worker.kill('SIGTERM')
  before = await transactionalBatches()
}, 120_000)

afterAll(async () => {
  await killWorkers()
  await resend?.close()
})

describe('retention and the transactional batches', () => {
  it('starts from batches as the sender made them', () => {
    expect(before.map((b) => [b.size, b.status, b.left])).toEqual([
      [100, 'submitted', 100],
      [50, 'submitted', 50],
      [61, 'submitted', 61],
      [20, 'submitted', 0],
    ])
  })

  it('deletes a batch once none of its messages is left, and keeps one whose messages are still there', async () => {
    await close(due, 200)
    expect(await runRetention()).toContain(`campaign ${due} (closed-long-ago): 180 signature(s) anonymised`)
    const after = await transactionalBatches()
    // The due campaign's two batches and the one emptied earlier are gone; the mixed one stays with what is left of it.
    expect(after.map((b) => [b.id, b.left])).toEqual([[before[2]!.id, 31]])
    expect((await sql().get<{ n: number }>(`select count(*) as n from email_messages where campaign_id = ?`, due))!.n).toBe(0)
    expect((await sql().get<{ n: number }>(`select count(*) as n from email_messages where campaign_id = ? and batch_id = ?`, live, before[2]!.id))!.n).toBe(30)
  })

  it('deletes the last batch when its last messages go, and then changes nothing more', async () => {
    await close(live, 200)
    await sql().run(`delete from email_messages where template = 'organizer-invite'`)
    expect(await runRetention()).toContain(`campaign ${live} (still-live): 30 signature(s) anonymised`)
    expect(await transactionalBatches()).toEqual([])
    expect(await runRetention()).toBe('retention: nothing is due\n')
  })

  it('goes through many a page at a time, deleting only the empty transactional batches', async () => {
    // 1,200 left empty (as years of an instance before this version leave them), with a batch that still
    // holds a message, and an update's batch, among them.
    await transaction(getDb(), async (tx) => {
      const q = rawSql(tx)
      for (let i = 0; i < 1_200; i++) {
        await q.run(`insert into email_batches (idempotency_key, status, size, submitted_at) values (?, 'submitted', 100, ?)`, `mail:old-${i}`, Date.now() - 300 * DAY)
        if (i === 700) {
          const kept = (await q.get<{ id: number }>(`insert into email_batches (idempotency_key, status, size) values ('mail:kept', 'submitted', 1) returning id`))!.id
          await q.run(
            `insert into email_messages (template, to_email, locale, props, idempotency_key, status, batch_id) values ('organizer-invite', 'kept@example.org', 'en', '{}', 'organizer:1000:invite', 'sent', ?)`,
            kept,
          )
        }
      }
      // An update's batch without messages: its send's to keep or delete, not retention's.
      const updateId = (await q.get<{ id: number }>(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-06-01', ?) returning id`, due, Date.now()))!.id
      const sendId = (await q.get<{ id: number }>(`insert into update_sends (update_id, campaign_id, audience, recipients) values (?, ?, '{}', 0) returning id`, updateId, due))!.id
      await q.run(`insert into email_batches (send_id, idempotency_key, status, size) values (?, 'update:keep:batch:0', 'submitted', 0)`, sendId)
    })
    const updateBatches = (await sql().get<{ n: number }>(`select count(*) as n from email_batches where send_id is not null`))!.n
    expect(updateBatches).toBe(1)
    expect(await pruneSpentMailBatches(getDb())).toBe(1_200)
    expect((await transactionalBatches()).map((b) => [b.size, b.left])).toEqual([[1, 1]])
    expect((await sql().get<{ n: number }>(`select count(*) as n from email_batches where send_id is not null`))!.n).toBe(updateBatches)
    expect(await pruneSpentMailBatches(getDb())).toBe(0)
  })
})
