import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { startUpdateSend, type Audience } from '~/models/update-sends.server.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { addUpdateReaders, killWorkers, outboxRows, rawSql, seededRandom, sleep, startWorker, waitFor } from '../helpers/mail-worker.ts'

// The batch sender as `npm run worker` runs it, killed with SIGKILL at random moments in
// the middle of a 2,500-recipient update and restarted: the idempotency keys and claim
// timeouts must still deliver every recipient exactly once. The kill schedule comes from a
// seed that is printed; SENDER_CRASH_SEED=<seed> replays it (the timing of the machine
// still varies, so a replay lands the kills at the same offsets, not on the same bytes).
// 25 batches and 8 kills: each kill lands at a random moment of its own, and a kill after the
// first is already a restart over another's leftovers (20 kills of a 5,000 send took 45 s a run).
const RECIPIENTS = 2_500
const KILLS = 8
// Claims older than this are taken over: shorter than a restart, far longer than a batch request.
const CLAIM_TIMEOUT_MS = 1_000
// The stand-in holds each answer this long, so a kill often lands while a request is out; and at
// most two batches complete within the longest kill window (400 ms from a worker's first request),
// so all 8 kills land before the send is done (16 of its 25 batches at most).
const STAND_IN_DELAY_MS = 150
const seed = Number(process.env.SENDER_CRASH_SEED || Math.floor(Math.random() * 2 ** 32))

const signers: Audience = { signers: true, donors: 'none' }
let resend: ResendStandIn
let campaignId: number
const addresses: string[] = []
const sql = () => rawSql(getDb())
// One batch in flight at a time, so that 20 kills with the stand-in's delay all land before the send is done.
const startOneLaneWorker = (env: Record<string, string> = {}) => startWorker(resend, { VIGIL_SENDER_CONCURRENCY: '1', ...env })

async function newUpdate(title: string) {
  const id = Number((await sql().insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-22', ?)`, campaignId, Date.now())))
  const translation = `insert into update_translations (update_id, locale, title, body_md) values (?, ?, ?, ?)`
  await sql().run(translation, id, 'en', title, 'The court hearing is **tomorrow**. Thank you for standing with Andry.')
  await sql().run(translation, id, 'de', `DE ${title}`, 'Die Anhörung ist **morgen**. Danke, dass Sie an Andrys Seite stehen.')
  return id
}

async function startSend(updateId: number) {
  const started = await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })
  if (started.status !== 'started') throw new Error(`the send did not start: ${started.status}`)
  expect(started.recipients).toBe(RECIPIENTS)
  return started.sendId
}

async function batchesLeft(sendId: number) {
  return ((await sql().get(`select count(*) as n from email_batches where send_id = ? and status <> 'submitted'`, sendId)) as { n: number }).n
}

const waitUntilSent = (sendId: number, timeoutMs: number) => waitFor(async () => (await batchesLeft(sendId)) === 0, timeoutMs, () => 'batches still unsent')

/** What the stand-in received for one send: emails sent, and batch requests by idempotency key. */
async function receivedFor(sendId: number) {
  // The keys as the database holds them.
  const keys = new Set(((await sql().all(`select idempotency_key as key from email_batches where send_id = ?`, sendId)) as { key: string }[]).map((b) => b.key))
  const sent = resend.sent().filter((s) => keys.has(s.idempotencyKey ?? ''))
  const requests = resend.requests().filter((r) => keys.has(r.idempotencyKey ?? ''))
  const perKey = new Map<string, typeof requests>()
  for (const request of requests) perKey.set(request.idempotencyKey!, [...(perKey.get(request.idempotencyKey!) ?? []), request])
  const perRecipient = new Map<string, number>()
  for (const s of sent) perRecipient.set(String(s.email.to), (perRecipient.get(String(s.email.to)) ?? 0) + 1)
  return { sent, requests, perKey, perRecipient }
}

/** Every recipient once, no one missing, and the database agrees with the provider about each message. */
async function expectEachRecipientOnce(sendId: number) {
  const { sent, perRecipient } = await receivedFor(sendId)
  expect([...perRecipient].filter(([, n]) => n !== 1)).toEqual([])
  expect(addresses.filter((a) => !perRecipient.has(a))).toEqual([])
  expect(sent).toHaveLength(RECIPIENTS)

  const batches = (await sql().all(`select status, count(*) as n from email_batches where send_id = ? group by status`, sendId))
  expect(batches).toEqual([{ status: 'submitted', n: RECIPIENTS / 100 }])
  // Opened as the sender opens them: an update's message goes to its supporter's sealed address.
  const messages = (await outboxRows(sql(), `m.batch_id in (select id from email_batches where send_id = ?)`, sendId)).map((m) => ({ email: m.to, status: m.status, providerId: m.providerId }))
  expect(messages).toHaveLength(RECIPIENTS)
  expect(messages.filter((m) => m.status !== 'sent' || m.providerId === null)).toEqual([])
  // The id recorded is the one the provider gave that recipient's email (a replayed answer maps back correctly).
  const providerIds = new Map(sent.map((s) => [String(s.email.to), s.id]))
  expect(messages.filter((m) => providerIds.get(m.email) !== m.providerId)).toEqual([])
}

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  campaignId = ((await sql().get(`select id from campaigns where slug = 'free-andry'`)) as { id: number }).id
  for (let i = 0; i < RECIPIENTS; i++) addresses.push(`crash.${i}@example.org`)
  await addUpdateReaders(getDb(), { campaignId, addresses, localeOf: (i) => (['en', 'de', 'es'] as const)[i % 3]! })
  resend = await startResendStandIn()
})

afterAll(async () => {
  await killWorkers()
  await resend?.close()
})

describe('the batch sender killed mid-send', () => {
  it(`delivers each of ${RECIPIENTS} recipients exactly once through ${KILLS} SIGKILLs and restarts`, { timeout: 240_000 }, async () => {
    const random = seededRandom(seed)
    const updateId = await newUpdate('Hearing tomorrow')
    const sendId = await startSend(updateId)
    resend.delay(STAND_IN_DELAY_MS)
    const env = { VIGIL_BATCH_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS) }

    const rounds: { killAfterMs: number; batchesLeft: number }[] = []
    for (let round = 0; round < KILLS; round++) {
      const requestsBefore = resend.requests().length
      const worker = startOneLaneWorker(env)
      await worker.ready
      // Counted from its first request: before that a fresh worker is importing (about 3 s) and
      // rendering its first batch cold, and kills there would only ever interrupt the start.
      await waitFor(() => resend.requests().length > requestsBefore, 30_000, () => 'the restarted worker sent nothing')
      const killAfterMs = 50 + Math.floor(random() * 351)
      await sleep(killAfterMs)
      await worker.kill('SIGKILL')
      expect(worker.output()).not.toMatch(/error/i)
      rounds.push({ killAfterMs, batchesLeft: await batchesLeft(sendId) })
    }
    // The kills are over: the last worker drains what is left without the stand-in's hold.
    resend.delay(0)
    const last = startOneLaneWorker(env)
    await last.ready
    await waitUntilSent(sendId, 60_000)
    await last.kill('SIGTERM')
    expect(last.output()).not.toMatch(/error/i)

    const { requests, perKey } = await receivedFor(sendId)
    const resent = [...perKey.values()].filter((r) => r.length > 1)
    const replayed = requests.filter((r) => r.outcome === 'replayed').length
    console.log(
      `sender-crash: seed ${seed} (replay: SENDER_CRASH_SEED=${seed}); kills after ${rounds.map((r) => r.killAfterMs).join(', ')} ms; ` +
        `batches left after each: ${rounds.map((r) => r.batchesLeft).join(', ')}; ` +
        `${requests.length} batch requests for ${perKey.size} keys, ${resent.length} keys sent more than once, ${replayed} answers replayed`,
    )

    await expectEachRecipientOnce(sendId)
    // The kills did interrupt sends: batches went again under their key, and the stand-in
    // answered them from its idempotency store instead of sending again.
    expect(resent.length).toBeGreaterThan(0)
    expect(replayed).toBeGreaterThan(0)
    // A retry carried the very same request (same content under the same key).
    expect(requests.filter((r) => r.outcome === 'conflict' && (r.responseBody as { name?: string }).name === 'invalid_idempotent_request')).toEqual([])
    // And every kill interrupted a send still under way.
    expect(rounds.filter((r) => r.batchesLeft === 0)).toEqual([])
  })

  it('never lets two workers running at once send the same batch', { timeout: 120_000 }, async () => {
    resend.delay(20)
    const workers = [startOneLaneWorker({ RESEND_USER_AGENT: 'vigil-worker-a' }), startOneLaneWorker({ RESEND_USER_AGENT: 'vigil-worker-b' })]
    await Promise.all(workers.map((w) => w.ready))
    // Both are polling before there is anything to send, so both take part.
    const updateId = await newUpdate('Released')
    const sendId = await startSend(updateId)
    await waitUntilSent(sendId, 60_000)
    await Promise.all(workers.map((w) => w.kill('SIGTERM')))
    for (const worker of workers) expect(worker.output()).not.toMatch(/error/i)

    const { requests, perKey } = await receivedFor(sendId)
    expect(perKey.size).toBe(RECIPIENTS / 100)
    expect([...perKey].filter(([, r]) => r.length !== 1 || r[0]!.outcome !== 'accepted').map(([key]) => key)).toEqual([])
    const byWorker = new Map<string, number>()
    for (const r of requests) byWorker.set(r.headers['user-agent'] ?? '', (byWorker.get(r.headers['user-agent'] ?? '') ?? 0) + 1)
    console.log(`sender-crash: two workers sent ${[...byWorker].map(([ua, n]) => `${n} batches (${ua})`).join(' and ')}`)
    expect([...byWorker.keys()].sort()).toEqual(['vigil-worker-a', 'vigil-worker-b'])
    await expectEachRecipientOnce(sendId)
  })
})
