import { beforeAll, describe, expect, it } from 'vitest'
import { batchedWriter } from '#db/batched-writer.server.ts'
import { closeDatabase, getDb, openPostgres, type Tx } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { onPostgres } from '../helpers/engine.ts'
import { emailHash } from '../helpers/sealed.ts'
import { sqlOn } from '../helpers/sql.ts'
import { getSignatureCounters, moveSignatureCounters, recountSignatures } from '~/models/counters.server.ts'
import { signPetition, type SignInput, type SignRequest } from '~/models/signatures.server.ts'

// Signatures submitted together share one commit (app/models/signatures.server.ts); each
// must still come out exactly as if it had been alone.
let campaign: SignRequest['campaign']
let n = 0

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  const row = (await sqlOn(getDb()).get<{ id: number; slug: string }>(`SELECT id, slug FROM campaigns WHERE slug = 'free-andry'`))!
  campaign = { ...row, title: 'Free Andry', petitionText: 'Bring him home.', organizationName: 'Demo Reporting Collective' }
})

function input(over: Partial<SignInput> = {}): SignInput {
  n++
  return { firstName: 'Ana', lastName: 'Pérez', email: `group.${n}@example.org`, country: 'VE', showName: false, updates: n % 2 === 0, ...over }
}

const count = async (sql: string, ...params: unknown[]) => (await sqlOn(getDb()).get<{ n: number }>(sql, ...params))!.n
const pending = async () => await count(`SELECT coalesce((SELECT pending FROM campaign_counters WHERE campaign_id = ?), 0) AS n`, campaign.id)

describe('group commit', () => {
  it('stores every signature of a burst, with its email, and counts each once', async () => {
    const before = { pending: await pending(), emails: await count(`SELECT count(*) AS n FROM email_messages`) }
    const inputs = Array.from({ length: 150 }, () => input())
    const outcomes = await Promise.all(inputs.map((i) => signPetition(getDb(), { campaign, input: i, locale: 'en', ipHash: null })))
    expect(outcomes.every((o) => o.outcome === 'created')).toBe(true)
    expect(await pending()).toBe(before.pending + 150)
    expect(await count(`SELECT count(*) AS n FROM email_messages`)).toBe(before.emails + 150)
    for (const i of inputs) {
      expect(await count(`SELECT count(*) AS n FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE p.email_hash = ?`, emailHash(i.email))).toBe(1)
    }
  })

  it('treats a repeat inside the same burst as a repeat, not a second signature', async () => {
    const same = input()
    const outcomes = await Promise.all([0, 1, 2].map(() => signPetition(getDb(), { campaign, input: same, locale: 'de', ipHash: null })))
    // Both engines commit the burst as one group, in order: the first is created, the others are repeats.
    expect(outcomes.map((o) => o.outcome)).toEqual(['created', 'resent', 'resent'])
    expect(await count(`SELECT count(*) AS n FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE p.email_hash = ?`, emailHash(same.email))).toBe(1)
  })

  it('counts rate limits across a burst from one address', async () => {
    const limits = [{ bucket: 'test:group', keyHash: 'one-household', limit: 5, windowMs: 60_000 }]
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => signPetition(getDb(), { campaign, input: input(), locale: 'en', ipHash: 'h', limits })))
    expect(outcomes.filter((o) => o.outcome === 'created')).toHaveLength(5)
    expect(outcomes.filter((o) => o.outcome === 'rate-limited')).toHaveLength(3)
    // The refused attempts were recorded too, so the window stays shut.
    expect(await count(`SELECT count(*) AS n FROM rate_limit_hits WHERE bucket = 'test:group'`)).toBe(8)
  })

  it('lets one failing signature fail alone: the others in its batch are kept', async () => {
    const before = await pending()
    const good = [input(), input()]
    const doomed = input()
    const results = await Promise.allSettled([
      signPetition(getDb(), { campaign, input: good[0]!, locale: 'en', ipHash: null }),
      // No such campaign: the insert breaks a foreign key inside the batch.
      signPetition(getDb(), { campaign: { ...campaign, id: 999_999 }, input: doomed, locale: 'en', ipHash: null }),
      signPetition(getDb(), { campaign, input: good[1]!, locale: 'en', ipHash: null }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await pending()).toBe(before + 2)
    // Nothing of the failed one is left half-written: its supporter row went with it.
    expect(await count(`SELECT count(*) AS n FROM supporters WHERE email_hash = ?`, emailHash(doomed.email))).toBe(0)
    expect(await count(`SELECT count(*) AS n FROM supporters WHERE email_hash IN (?, ?)`, emailHash(good[0]!.email), emailHash(good[1]!.email))).toBe(2)
  })

  it('takes back the counter moves of a job rolled back, and keeps those of the jobs committed beside it', async () => {
    const before = await pending()
    // Moves its counter first and fails after: only a savepoint that is kept may count.
    const moveThenMaybeFail = batchedWriter(async (tx: Tx, fail: boolean) => {
      await moveSignatureCounters(tx, campaign.id, { pending: 1 })
      if (fail) throw new Error('refused after moving the counter')
      return 'kept'
    })
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => moveThenMaybeFail(getDb(), i % 3 === 0)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6)
    expect(await pending()).toBe(before + 6)
    // Those moves counted no signature: back to what the rows say, for the tests after.
    await transaction(getDb(), (tx) => moveSignatureCounters(tx, campaign.id, { pending: -6 }))
  })

  it('runs one batch at a time on SQLite and at most two at once on Postgres, each of at most 64 jobs', async () => {
    const jobs = new Map<object, number>()
    const open = new Set<object>()
    const txOf = new Map<number, object>()
    let most = 0
    const record = batchedWriter(async (tx: Tx, i: number) => {
      open.add(tx)
      txOf.set(i, tx)
      most = Math.max(most, open.size)
      jobs.set(tx, (jobs.get(tx) ?? 0) + 1)
      // A real statement: on Postgres the event loop turns here, and another batch can run.
      await sqlOn(tx).get(`SELECT ? AS n`, i)
      return i
    })
    // A batch is open from its first job until its commit, after which its jobs are answered.
    const settle = (i: number) => record(getDb(), i).then((n) => (open.delete(txOf.get(i)!), n))
    expect(await Promise.all(Array.from({ length: 200 }, (_, i) => settle(i)))).toEqual(Array.from({ length: 200 }, (_, i) => i))
    expect(jobs.size).toBeGreaterThanOrEqual(4)
    expect(most).toBe(onPostgres ? 2 : 1)
    for (const n of jobs.values()) expect(n).toBeLessThanOrEqual(64)
  })

  it.skipIf(!onPostgres)('lets two processes\' batches whose jobs take the same locks in crossing order finish without a deadlock', async () => {
    const databaseUrl = new URL(process.env.DATABASE_URL!)
    databaseUrl.searchParams.set('application_name', 'vigil-crossing')
    const processes = [openPostgres(databaseUrl.toString(), 2), openPostgres(databaseUrl.toString(), 2)]
    const deadlocks = async () => (await sqlOn(getDb()).get<{ n: number }>(`SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()`))!.n
    const before = { deadlocks: await deadlocks(), pending: await pending() }
    const keys = Array.from({ length: 16 }, (_, i) => `crossing-${i}`)
    const limits = (key: string) => [{ bucket: 'test:crossing', keyHash: key, limit: 1000, windowMs: 60_000 }]
    try {
      // The first process's jobs lock the keys one way, the second's the other way round: taken
      // job by job, each batch would hold half of the keys and wait for the other's half.
      const outcomes = await Promise.all([
        ...keys.map((key) => signPetition(processes[0]!, { campaign, input: input(), locale: 'en', ipHash: null, limits: limits(key) })),
        ...keys.toReversed().map((key) => signPetition(processes[1]!, { campaign, input: input(), locale: 'en', ipHash: null, limits: limits(key) })),
      ])
      expect(outcomes.every((o) => o.outcome === 'created')).toBe(true)
    } finally {
      await Promise.all(processes.map((db) => closeDatabase(db)))
    }
    // A backend adds its deadlocks to the statistics when it ends: wait for both pools' to end.
    for (let tries = 0; tries < 100; tries++) {
      const left = await sqlOn(getDb()).get<{ n: number }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'vigil-crossing'`)
      if (left!.n === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await deadlocks()).toBe(before.deadlocks)
    expect(await pending()).toBe(before.pending + 2 * keys.length)
    expect(await recountSignatures(getDb())).toEqual([])
    expect(await getSignatureCounters(getDb(), campaign.id)).toMatchObject({ pending: before.pending + 2 * keys.length })
  })
})
