import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb, type Tx } from '#db/client.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { transaction } from '#db/transaction.server.ts'
import { startUpdateSend } from '~/models/update-sends.server.ts'
import { startResendStandIn, type RecordedRequest, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { addUpdateReaders, killWorkers, mailCampaign, outboxRows, queueAlreadySigned, queueConfirmations, rawSql, recipientsOf, refusedAddresses, startWorker, waitFor, type MailCampaign, type Worker } from '../helpers/mail-worker.ts'

// One sender spends the provider's requests on confirmations first, then other
// transactional mail, then update batches; transactional mail goes in permissive batches.
// Watched at the Resend stand-in with `npm run worker` sending one request at a time
// (VIGIL_SENDER_CONCURRENCY=1) and the stand-in answering after a short delay, so the order
// the stand-in sees is the order the sender chose.
const UPDATE_RECIPIENTS = 10_000
const SURGE = 1_000
const MAX_BATCH = 100
const STAND_IN_DELAY_MS = 40
// Queued while the update is under way: the batch already out, and perhaps one the sender had
// claimed before it saw the surge, may still go first; nothing more.
const UPDATE_BATCHES_AHEAD = 3
// An address signing accepts from no one, but that reaches the outbox from elsewhere (an
// import, an old row) and Resend refuses: the domain has no dot.
const REFUSED = 'ana.perez@example'

let resend: ResendStandIn
let worker: Worker
let campaign: MailCampaign
const updateAddresses: string[] = []
const sql = () => rawSql(getDb())

/** How many of the messages whose keys start with `prefix` the sender has not settled yet. */
async function unsettled(prefix: string) {
  return (await sql().get<{ n: number }>(`select count(*) as n from email_messages where idempotency_key like ? and status not in ('sent', 'failed')`, `${prefix}:%`))!.n
}

async function batchesLeft(sendId: number) {
  return (await sql().get<{ n: number }>(`select count(*) as n from email_batches where send_id = ? and status <> 'submitted'`, sendId))!.n
}

/** Where in the stand-in's request log each address was first accepted (its email sent). */
function firstAccepted(requests: RecordedRequest[]) {
  const at = new Map<string, number>()
  requests.forEach((request, index) => {
    if (request.outcome !== 'accepted') return
    for (const to of recipientsOf(request)) if (!at.has(to)) at.set(to, index)
  })
  return at
}

/** Each of `addresses` accepted exactly once at the stand-in. */
function expectEachOnce(addresses: string[]) {
  const wanted = new Set(addresses)
  const perRecipient = new Map<string, number>()
  for (const s of resend.sent()) if (wanted.has(String(s.email.to))) perRecipient.set(String(s.email.to), (perRecipient.get(String(s.email.to)) ?? 0) + 1)
  expect(
    [...perRecipient].filter(([, n]) => n !== 1),
    'addresses sent more than once',
  ).toEqual([])
  expect(
    addresses.filter((a) => !perRecipient.has(a)),
    'addresses never sent',
  ).toEqual([])
}

/** The database agrees: each message sent, with the id the provider gave that recipient's email. */
async function expectSentAsRecorded(prefix: string, count: number, { except }: { except?: string } = {}) {
  // Opened: the addresses are sealed (ADR 017).
  const messages = (await outboxRows(sql(), `m.idempotency_key like ?`, `${prefix}:%`)).filter((m) => m.to !== except).map((m) => ({ email: m.to, status: m.status, providerId: m.providerId }))
  expect(messages).toHaveLength(except === undefined ? count : count - 1)
  const providerIds = new Map(resend.sent().map((s) => [String(s.email.to), s.id]))
  expect(
    messages.filter((m) => m.status !== 'sent' || m.providerId !== providerIds.get(m.email)),
    'messages not recorded as the provider sent them',
  ).toEqual([])
}

/** Queue and wait until the sender has settled every message (sent or failed). */
async function queueAndDrain(prefixes: string[], queue: (tx: Tx) => Promise<void>) {
  const before = resend.requests().length
  await transaction(getDb(), queue)
  await waitFor(
    async () => (await Promise.all(prefixes.map(unsettled))).every((n) => n === 0),
    45_000,
    async () => `${(await Promise.all(prefixes.map(async (p) => `${await unsettled(p)} ${p}`))).join(', ')} messages unsettled:\n${worker.output()}`,
    25,
  )
  return resend.requests().slice(before)
}

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  campaign = await mailCampaign('free-andry')
  for (let i = 0; i < UPDATE_RECIPIENTS; i++) updateAddresses.push(`update.${i}@example.org`)
  await addUpdateReaders(getDb(), { campaignId: campaign.id, addresses: updateAddresses, localeOf: (i) => (['en', 'de', 'es'] as const)[i % 3]! })
  resend = await startResendStandIn()
  resend.delay(STAND_IN_DELAY_MS)
  worker = startWorker(resend, { VIGIL_SENDER_CONCURRENCY: '1' })
  await worker.ready
})

afterAll(async () => {
  await killWorkers()
  await resend?.close()
})

describe('mail priorities and transactional batches', () => {
  it('delivers the other 99 of a batch with one address Resend refuses, and fails that one with the provider’s reason', async () => {
    const addresses = Array.from({ length: MAX_BATCH }, (_, i) => (i === 37 ? REFUSED : `refused-batch.${i}@example.org`))
    const requests = await queueAndDrain(['refused'], (tx) => queueConfirmations(tx, { campaign, addresses, keyPrefix: 'refused' }))

    // Queued at once, the 100 went together: one permissive batch request (twice under its key at most, had it been retried).
    const sizes = requests.map((r) => `${r.path}: ${recipientsOf(r).length}`)
    expect(sizes, 'the 100 confirmations went to Resend as one batch').toEqual(requests.map(() => `/emails/batch: ${MAX_BATCH}`))
    expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1)
    expect(requests[0]!.headers['x-batch-validation']).toBe('permissive')

    expectEachOnce(addresses.filter((a) => a !== REFUSED))
    expect(resend.sent().filter((s) => s.email.to === REFUSED)).toEqual([])
    await expectSentAsRecorded('refused', MAX_BATCH, { except: REFUSED })
    // The refused one is failed for good, with the reason Resend gave for its index.
    const reason = refusedAddresses(resend.rejected()).filter((r) => r.to === REFUSED)
    expect(reason).toHaveLength(1)
    const refused = (await outboxRows(sql())).find((m) => m.to === REFUSED)!
    expect(refused.status).toBe('failed')
    expect(refused.lastError).toContain(reason[0]!.message)
  })

  it('sends confirmations before other transactional mail queued with them', async () => {
    const others = Array.from({ length: 150 }, (_, i) => `already.${i}@example.org`)
    const confirmations = Array.from({ length: 150 }, (_, i) => `first.${i}@example.org`)
    // The "already signed" emails are older: a sender that went by age would send them first.
    const requests = await queueAndDrain(['already', 'first'], async (tx) => {
      await queueAlreadySigned(tx, { campaign, addresses: others, keyPrefix: 'already' })
      await queueConfirmations(tx, { campaign, addresses: confirmations, keyPrefix: 'first' })
    })

    const at = firstAccepted(requests)
    const lastConfirmation = Math.max(...confirmations.map((a) => at.get(a) ?? Infinity))
    expect(
      others.filter((a) => (at.get(a) ?? Infinity) < lastConfirmation),
      '"already signed" emails sent before the last confirmation',
    ).toEqual([])
    expect(requests.filter((r) => r.path !== '/emails/batch' || recipientsOf(r).length > MAX_BATCH)).toEqual([])
    expectEachOnce([...others, ...confirmations])
    await expectSentAsRecorded('already', others.length)
    await expectSentAsRecorded('first', confirmations.length)
  })

  describe(`a surge of ${SURGE} confirmations during an update to ${UPDATE_RECIPIENTS} recipients`, () => {
    let sendId = 0
    const surge = Array.from({ length: SURGE }, (_, i) => `surge.${i}@example.org`)

    it('sends every confirmation of the surge before the update’s last batch', { timeout: 90_000 }, async () => {
      const updateId = await sql().insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-22', ?)`, campaign.id, Date.now())
      const translation = `insert into update_translations (update_id, locale, title, body_md) values (?, ?, ?, ?)`
      await sql().run(translation, updateId, 'en', 'Hearing tomorrow', 'The court hearing is **tomorrow**. Thank you for standing with Andry.')
      await sql().run(translation, updateId, 'de', 'Anhörung morgen', 'Die Anhörung ist **morgen**. Danke, dass Sie an Andrys Seite stehen.')
      const snapshotStart = performance.now()
      const started = await startUpdateSend(getDb(), { updateId, campaignId: campaign.id, audience: { signers: true, donors: 'none' }, organizerId: null })
      const snapshotMs = Math.round(performance.now() - snapshotStart)
      if (started.status !== 'started') throw new Error(`the send did not start: ${started.status}`)
      expect(started.recipients).toBe(UPDATE_RECIPIENTS)
      sendId = started.sendId
      const updateKeys = new Set((await sql().all<{ key: string }>(`select idempotency_key as key from email_batches where send_id = ?`, sendId)).map((b) => b.key))
      const isUpdate = (r: RecordedRequest) => updateKeys.has(r.idempotencyKey ?? '')

      // The surge arrives once the update is under way.
      await waitFor(
        () => resend.requests().filter(isUpdate).length >= 5,
        30_000,
        () => `the update did not start going out:\n${worker.output()}`,
        25,
      )
      const updateBatchesLeft = await batchesLeft(sendId)
      const surgeStart = performance.now()
      await queueConfirmations(getDb(), { campaign, addresses: surge, keyPrefix: 'surge' })
      // Queued when its transaction commits (on Postgres 1,000 inserts take a moment; until the
      // commit no sender can see them).
      const queuedAt = resend.requests().length
      // Until the surge is out or the update is: a sender that makes the surge wait fails here, not after a minute.
      await waitFor(
        async () => (await unsettled('surge')) === 0 || (await batchesLeft(sendId)) === 0,
        60_000,
        async () => `${await unsettled('surge')} confirmations and ${await batchesLeft(sendId)} update batches left`,
        25,
      )
      const surgeMs = Math.round(performance.now() - surgeStart)

      const requests = resend.requests()
      const at = firstAccepted(requests)
      let lastUpdateBatch = Infinity
      if ((await batchesLeft(sendId)) === 0) lastUpdateBatch = requests.findLastIndex((r) => isUpdate(r) && r.outcome === 'accepted')
      const lastConfirmation = Math.max(...surge.map((a) => at.get(a) ?? Infinity))
      const updateBatchesAhead = requests.slice(queuedAt, lastConfirmation === Infinity ? undefined : lastConfirmation).filter(isUpdate).length
      console.log(
        `mail-priorities: snapshot of ${UPDATE_RECIPIENTS} recipients in ${snapshotMs} ms; surge queued with ${updateBatchesLeft} update batches left; ` +
          `${SURGE - (await unsettled('surge'))} of ${SURGE} confirmations out ${surgeMs} ms later, ${updateBatchesAhead} update batches went while they waited`,
      )

      // Meaningful only if the update still had far to go when the surge came.
      expect(updateBatchesLeft).toBeGreaterThan(UPDATE_RECIPIENTS / MAX_BATCH / 2)
      expect(surge.filter((a) => !((at.get(a) ?? Infinity) < lastUpdateBatch)).length, 'confirmations not at the stand-in before the update’s last batch').toBe(0)
      expect(updateBatchesAhead, 'update batches sent while the surge waited').toBeLessThanOrEqual(UPDATE_BATCHES_AHEAD)
      expect(requests.slice(queuedAt).filter((r) => !isUpdate(r) && (r.path !== '/emails/batch' || recipientsOf(r).length > MAX_BATCH))).toEqual([])
    })

    it('finishes the update once the surge is over, every recipient once', { timeout: 90_000 }, async () => {
      expect(sendId, 'the update was started by the test before').toBeGreaterThan(0)
      await waitFor(
        async () => (await batchesLeft(sendId)) === 0 && (await unsettled('surge')) === 0,
        60_000,
        async () => `${await batchesLeft(sendId)} update batches left, ${await unsettled('surge')} confirmations`,
        25,
      )
      expectEachOnce(updateAddresses)
      expectEachOnce(surge)
      await expectSentAsRecorded('surge', SURGE)
      await expectSentAsRecorded('update', UPDATE_RECIPIENTS)
      expect(refusedAddresses(resend.rejected()).map((r) => r.to)).toEqual([REFUSED])
      // Addresses never reach the logs, not even the refused one.
      expect(worker.output()).not.toMatch(/@example/)
    })
  })
})
