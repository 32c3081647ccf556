import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { onPostgres } from '../helpers/engine.ts'
import { emailHash } from '../helpers/sealed.ts'
import { sqlOn } from '../helpers/sql.ts'
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
    // SQLite commits the burst as one group, in order; on Postgres each is its own transaction and
    // the database decides which of the three arrives first: one is created, the others are repeats.
    const seen = outcomes.map((o) => o.outcome)
    expect(onPostgres ? seen.sort() : seen).toEqual(['created', 'resent', 'resent'])
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
})
