import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { startResendStandIn, type RecordedRequest, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { sqlOn } from '../helpers/sql.ts'
import { killWorkers, mailCampaign, outboxRows, queueConfirmations, recipientsOf, seededRandom, sleep, startWorker, waitFor } from '../helpers/mail-worker.ts'

// A surge's confirmations travel in batches of up to 100, each persisted with its own
// idempotency key before it is sent. Here `npm run worker` drains 3,000 of them and is killed
// with SIGKILL 6 times on the way, most often while a batch request is out, then restarted:
// every signer must get their confirmation exactly once. The kill schedule comes from a seed
// that is printed; CONFIRMATION_CRASH_SEED=<seed> replays it (the same offsets, not the same bytes).
// Six kills: five inside a request the stand-in holds, one anywhere (10 kills of 5,000 took 30 s a run).
const CONFIRMATIONS = 3_000
const KILLS = 6
const MAX_BATCH = 100
// A kill may leave a half-formed group behind that the sender forms again under a new key.
const NEW_KEYS_PER_KILL = 2
// Claims older than this are taken over: shorter than a restart (about 3 s), far longer than a request.
const CLAIM_TIMEOUT_MS = 1_000
// The stand-in holds each answer this long: the window in which a kill finds a request out.
const STAND_IN_DELAY_MS = 250
const seed = Number(process.env.CONFIRMATION_CRASH_SEED || Math.floor(Math.random() * 2 ** 32))

let resend: ResendStandIn
const addresses: string[] = []
const sql = () => sqlOn(getDb())

async function confirmationsUnsent() {
  return (await sql().get<{ n: number }>(`select count(*) as n from email_messages where template = 'confirm-signature' and status <> 'sent'`))!.n
}

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  for (let i = 0; i < CONFIRMATIONS; i++) addresses.push(`signer.${i}@example.org`)
  await queueConfirmations(getDb(), { campaign: await mailCampaign('free-andry'), addresses, keyPrefix: 'crash-signature' })
  resend = await startResendStandIn()
})

afterAll(async () => {
  await killWorkers()
  await resend?.close()
})

describe('confirmations sent in batches by a worker killed mid-drain', () => {
  it(`delivers each of ${CONFIRMATIONS} confirmations exactly once through ${KILLS} SIGKILLs and a restart`, { timeout: 150_000 }, async () => {
    const random = seededRandom(seed)
    resend.delay(STAND_IN_DELAY_MS)
    const env = { VIGIL_BATCH_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS), VIGIL_SENDER_CONCURRENCY: '1' }

    const rounds: { plan: string; requestOut: boolean; unsent: number }[] = []
    for (let round = 0; round < KILLS; round++) {
      const before = resend.requests().length
      const worker = startWorker(resend, env)
      await worker.ready
      // Four kills in five land inside a request the stand-in holds: `wait` ms after the worker's
      // nth request arrived. The others land anywhere from 50 to 450 ms after its first request.
      const inFlight = round % 5 !== 4
      // Up to 4 batches a round, 24 in all: every kill lands before the 30th batch is out.
      const nth = inFlight ? 1 + Math.floor(random() * 4) : 1
      const wait = inFlight ? Math.floor(random() * (STAND_IN_DELAY_MS - 80)) : 50 + Math.floor(random() * 401)
      await waitFor(
        () => resend.requests().length >= before + nth,
        30_000,
        () => `the worker of round ${round} sent ${resend.requests().length - before} requests, not ${nth}:\n${worker.output()}`,
      )
      await sleep(wait)
      const requestOut = resend
        .requests()
        .slice(before)
        .some((r) => r.outcome === 'pending')
      await worker.kill('SIGKILL')
      expect(worker.output()).not.toMatch(/error/i)
      rounds.push({ plan: inFlight ? `${wait} ms into request ${nth}` : `${wait} ms after request 1`, requestOut, unsent: await confirmationsUnsent() })
      if (round === 0) {
        // Fails fast on a sender that sends confirmations one per request: 3,000 would take minutes.
        const paths = resend.requests().map((r) => r.path)
        expect(paths, 'confirmations go to Resend in batches, not one email per request').toEqual(paths.map(() => '/emails/batch'))
      }
    }
    // The kills are over: the last worker drains what is left without the stand-in's hold.
    resend.delay(0)
    const last = startWorker(resend, env)
    await last.ready
    // (mail-worker's waitFor takes a synchronous check; reading the database is not one on Postgres.)
    for (const until = Date.now() + 60_000; (await confirmationsUnsent()) > 0; await sleep(5)) {
      if (Date.now() > until) throw new Error(`${await confirmationsUnsent()} confirmations still unsent (after 60000 ms)`)
    }
    await last.kill('SIGTERM')
    expect(last.output()).not.toMatch(/error/i)
    // Addresses never reach the logs.
    expect(last.output()).not.toMatch(/signer\.\d+@/)

    const requests = resend.requests()
    const perKey = new Map<string, RecordedRequest[]>()
    for (const request of requests) perKey.set(request.idempotencyKey ?? '', [...(perKey.get(request.idempotencyKey ?? '') ?? []), request])
    const resent = [...perKey.values()].filter((r) => r.length > 1)
    const replayed = requests.filter((r) => r.outcome === 'replayed').length
    console.log(
      `confirmation-crash: seed ${seed} (replay: CONFIRMATION_CRASH_SEED=${seed}); kills ${rounds.map((r) => `${r.plan}${r.requestOut ? ' (request out)' : ''}`).join(', ')}; ` +
        `confirmations unsent after each: ${rounds.map((r) => r.unsent).join(', ')}; ` +
        `${requests.length} requests for ${perKey.size} keys, ${resent.length} keys sent more than once, ${replayed} answers replayed`,
    )

    // Every signer once at the provider, nobody missing.
    const sent = resend.sent()
    const perRecipient = new Map<string, number>()
    for (const s of sent) perRecipient.set(String(s.email.to), (perRecipient.get(String(s.email.to)) ?? 0) + 1)
    expect(
      [...perRecipient].filter(([, n]) => n !== 1),
      'addresses sent their confirmation more than once',
    ).toEqual([])
    expect(
      addresses.filter((a) => !perRecipient.has(a)),
      'addresses never sent their confirmation',
    ).toEqual([])
    expect(sent).toHaveLength(CONFIRMATIONS)
    expect(resend.rejected()).toEqual([])

    // In batches: every request to the batch endpoint, under a key, with at most 100 emails, and
    // hardly more keys than ceil(3,000 / 100) however the kills fell.
    expect(requests.filter((r) => r.path !== '/emails/batch' || r.idempotencyKey === null || recipientsOf(r).length > MAX_BATCH)).toEqual([])
    expect(perKey.size).toBeLessThanOrEqual(Math.ceil(CONFIRMATIONS / MAX_BATCH) + KILLS * NEW_KEYS_PER_KILL)

    // A batch resent after a kill is the same batch: its key, its recipients, in the same order,
    // and no address ever went out under a second key.
    const changed = [...perKey].filter(([, r]) => r.some((request) => recipientsOf(request).join() !== recipientsOf(r[0]!).join()))
    expect(
      changed.map(([key]) => key),
      'keys resent with other recipients',
    ).toEqual([])
    const keysPerRecipient = new Map<string, Set<string>>()
    for (const request of requests) for (const to of recipientsOf(request)) keysPerRecipient.set(to, (keysPerRecipient.get(to) ?? new Set()).add(request.idempotencyKey ?? ''))
    expect(
      [...keysPerRecipient].filter(([, keys]) => keys.size !== 1).map(([to]) => to),
      'addresses sent under more than one key',
    ).toEqual([])
    expect(requests.filter((r) => r.outcome === 'conflict' && (r.responseBody as { name?: string }).name === 'invalid_idempotent_request')).toEqual([])
    // The kills did interrupt requests: the stand-in answered their resends from its idempotency store.
    expect(resent.length).toBeGreaterThan(0)
    expect(replayed).toBeGreaterThan(0)
    // Most kills found a request out, and every kill interrupted a drain still under way.
    expect(rounds.filter((r) => r.requestOut).length).toBeGreaterThan(KILLS / 2)
    expect(rounds.filter((r) => r.unsent === 0)).toEqual([])

    // The database agrees with the provider: each message sent, with the id the provider gave that email.
    const messages = (await outboxRows(sql(), `m.template = 'confirm-signature'`)).map((m) => ({ email: m.to, status: m.status, providerId: m.providerId }))
    expect(messages).toHaveLength(CONFIRMATIONS)
    const providerIds = new Map(sent.map((s) => [String(s.email.to), s.id]))
    expect(
      messages.filter((m) => m.status !== 'sent' || m.providerId !== providerIds.get(m.email)),
      'messages not recorded as the provider sent them',
    ).toEqual([])
  })
})
