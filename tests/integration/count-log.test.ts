/**
 * The public count log (ADR 018) against the production build and a real database (SQLite
 * file or Postgres). The hourly job's work runs here with a stepped clock through
 * `appendDueCountLogEntries`, on the server's own database; the server's job itself runs after
 * a restart on the same data. The JSON is read over HTTP, and `npm run verify-count-log` checks
 * a saved copy and copies changed in each way it must catch. The tests run in order and build
 * on each other.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendCountLogEntry, appendDueCountLogEntries, COUNT_LOG_PERIOD_MS, listCountLog } from '~/models/count-log.server.ts'
import { invalidateSignatures } from '~/models/signatures-admin.server.ts'
import { entryHash, GENESIS_PREV, shortCode, verifyChain, type CountLogEntry } from '~/utils/count-log-chain.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { petitionClient } from '../helpers/petition.ts'
import { databaseEnv, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, sortedRows, type ServerSql } from '../helpers/sql.ts'

const HOUR = 60 * 60 * 1000
// The stepped clock starts half a day back, so the restarted server's own job finds every live head an hour old.
const BASE = Date.now() - 12 * HOUR
const QUIET = { VIGIL_COUNT_LOG: 'off', VIGIL_RETENTION: 'off', VIGIL_REMINDERS: 'off', PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' }
const CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=600, stale-if-error=1500'

let server: RunningServer
let q: ServerSql
let freeAndry = 0
let closedSlug = ''
let closedId = 0
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-count-log-'))

type Row = { campaign_id: number; seq: number; at: number; confirmed: number; invalidated: number; reason: string; milestone: number | null; prev_hash: string; hash: string }
const rows = (campaignId?: number) =>
  campaignId === undefined
    ? q.all<Row>(`select * from count_log_entries order by campaign_id, seq`)
    : q.all<Row>(`select * from count_log_entries where campaign_id = ? order by seq`, campaignId)
const counters = async (campaignId: number) =>
  (await q.get<{ confirmed: number; invalidated: number }>(`select confirmed, invalidated from campaign_counters where campaign_id = ?`, campaignId)) ?? { confirmed: 0, invalidated: 0 }
const idOf = async (slug: string) => (await q.get<{ id: number }>(`select id from campaigns where slug = ?`, slug))!.id
const entriesOf = async (slug: string) => (await listCountLog(q.db, { slug }))!.entries

async function addCampaign(slug: string, status: 'draft' | 'live' | 'closed') {
  const org = (await q.get<{ id: number }>(`select id from organizations order by id limit 1`))!.id
  const { id } = (await q.get<{ id: number }>(
    `insert into campaigns (organization_id, slug, status, default_locale, published_at, closed_at) values (?, ?, ?, 'en', ?, ?) returning id`,
    org,
    slug,
    status,
    status === 'draft' ? null : BASE - 30 * 24 * HOUR,
    status === 'closed' ? BASE - 24 * HOUR : null,
  ))!
  await q.run(`insert into campaign_translations (campaign_id, locale, title, petition_text) values (?, 'en', ?, 'Let them go.')`, id, `Campaign ${slug}`)
  return id
}

/** Confirmed signatures as retention leaves them (anonymised: no supporter, nothing sealed), with their counters. */
async function addAnonymisedSignatures(campaignId: number, n: number) {
  for (let i = 0; i < n; i++) {
    await q.run(`insert into signatures (campaign_id, status, country, locale, created_at, confirmed_at) values (?, 'confirmed', 'DE', 'en', ?, ?)`, campaignId, BASE - 40 * 24 * HOUR, BASE - 40 * 24 * HOUR)
  }
  await q.run(`insert into campaign_counters (campaign_id, confirmed, pending) values (?, ?, 0)`, campaignId, n)
  await q.run(`insert into country_counters (campaign_id, country, confirmed) values (?, 'DE', ?)`, campaignId, n)
}

beforeAll(async () => {
  server = await startServer({ env: QUIET })
  q = openServerSql(server)
  freeAndry = await idOf('free-andry')
  closedSlug = 'closed-count'
  closedId = await addCampaign(closedSlug, 'closed')
  await addAnonymisedSignatures(closedId, 3)
  await addCampaign('a-draft', 'draft')
  // Two real signatures, confirmed through the pages.
  const client = petitionClient(server, q)
  const cookie = await client.login()
  for (const firstName of ['Grace', 'Alan']) await client.signAndConfirm(client.person({ firstName }), cookie)
})

afterAll(async () => {
  await q?.close()
  await server?.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('the count log', () => {
  it('serves an empty log before the first run', async () => {
    const response = await fetch(`${server.url}/c/free-andry/count-log.json`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ format: 'vigil-count-log/1', campaign: 'free-andry', url: `${server.url}/c/free-andry`, head: null, entries: [] })
  })

  it('chains hourly entries', async () => {
    const publicSlugs = await q.column<string>(`select slug from campaigns where status in ('live', 'closed', 'won') order by id`)
    expect(publicSlugs).toContain(closedSlug)
    // First run: every public campaign starts its log; the draft does not.
    const first = await appendDueCountLogEntries(q.db, { now: BASE })
    expect(first.map((a) => a.slug)).toEqual(publicSlugs)
    expect(first.every((a) => a.seq === 0)).toBe(true)
    expect(await q.column(`select count(*) from count_log_entries e join campaigns c on c.id = e.campaign_id where c.status = 'draft'`)).toEqual([0])
    // Not an hour yet: nothing.
    expect(await appendDueCountLogEntries(q.db, { now: BASE + COUNT_LOG_PERIOD_MS - 1 })).toEqual([])
    // Each hour the live campaign gets an entry; the closed one, whose counts stay, does not.
    expect(await appendDueCountLogEntries(q.db, { now: BASE + HOUR })).toEqual([{ campaignId: freeAndry, slug: 'free-andry', seq: 1 }])
    expect(await appendDueCountLogEntries(q.db, { now: BASE + 2 * HOUR })).toEqual([{ campaignId: freeAndry, slug: 'free-andry', seq: 2 }])
    // A stop asked for before the first campaign: nothing is written.
    expect(await appendDueCountLogEntries(q.db, { now: BASE + 3 * HOUR, shouldStop: () => true })).toEqual([])

    const log = await rows(freeAndry)
    const { confirmed, invalidated } = await counters(freeAndry)
    expect(log.map((r) => [r.seq, r.reason, r.at, r.confirmed, r.invalidated, r.milestone])).toEqual([
      [0, 'genesis', BASE, confirmed, invalidated, null],
      [1, 'hourly', BASE + HOUR, confirmed, invalidated, null],
      [2, 'hourly', BASE + 2 * HOUR, confirmed, invalidated, null],
    ])
    expect(confirmed).toBeGreaterThan(0)
    expect(log[0]!.prev_hash).toBe(GENESIS_PREV)
    expect(log[1]!.prev_hash).toBe(log[0]!.hash)
    expect(log[2]!.prev_hash).toBe(log[1]!.hash)
    const entries = await entriesOf('free-andry')
    for (const e of entries) expect(entryHash(e)).toBe(e.hash)
    expect(verifyChain(entries)).toEqual({ problems: [], head: entries[2] })

    // A closed campaign gets an entry only once its counts changed (an invalidation after it closed).
    const signature = (await q.get<{ id: number }>(`select id from signatures where campaign_id = ? and status = 'confirmed' order by id limit 1`, closedId))!
    const owner = (await q.get<{ id: number }>(`select id from organizers order by id limit 1`))!.id
    expect(await invalidateSignatures(q.db, { actorId: owner, campaignId: closedId, filter: { signatureIds: [signature.id] }, reason: 'Counted twice (test)' })).toBe(1)
    const after = await appendDueCountLogEntries(q.db, { now: BASE + 3 * HOUR })
    expect(after).toEqual([
      { campaignId: freeAndry, slug: 'free-andry', seq: 3 },
      { campaignId: closedId, slug: closedSlug, seq: 1 },
    ])
    const closedLog = await entriesOf(closedSlug)
    expect([closedLog[1]!.confirmed, closedLog[1]!.invalidated]).toEqual([closedLog[0]!.confirmed - 1, closedLog[0]!.invalidated + 1])
    expect(verifyChain(closedLog).problems).toEqual([])
  })

  it('appends at a milestone in the caller\'s transaction (as a confirmation does), after a genesis entry when there is none', async () => {
    // A real confirmation moves the count first.
    const client = petitionClient(server, q)
    const cookie = await client.login()
    const before = await counters(freeAndry)
    await client.signAndConfirm(client.person({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada.lovelace@example.org' }), cookie)
    expect((await counters(freeAndry)).confirmed).toBe(before.confirmed + 1)

    const head = (await rows(freeAndry)).at(-1)!
    const entry = await transaction(q.db, (tx) => appendCountLogEntry(tx, { campaignId: freeAndry, reason: 'milestone', milestone: 1000, now: BASE + 3.5 * HOUR }))
    expect(entry).toMatchObject({ seq: head.seq + 1, reason: 'milestone', milestone: 1000, confirmed: before.confirmed + 1, invalidated: before.invalidated, prev: head.hash })
    expect(entry.at).toBe(new Date(BASE + 3.5 * HOUR).toISOString())
    expect(entry.hash).toBe(entryHash(entry))
    // A clock behind the head's (another server's) never puts an entry before it.
    const behind = await transaction(q.db, (tx) => appendCountLogEntry(tx, { campaignId: freeAndry, reason: 'milestone', milestone: 2000, now: BASE }))
    expect(behind).toMatchObject({ seq: head.seq + 2, at: entry.at, prev: entry.hash })
    expect((await rows(freeAndry)).at(-1)).toMatchObject({ seq: head.seq + 2, reason: 'milestone', milestone: 2000, hash: behind.hash })

    // A campaign without a log: its genesis entry, then the milestone's.
    const fresh = await addCampaign('fresh-count', 'live')
    const first = await transaction(q.db, (tx) => appendCountLogEntry(tx, { campaignId: fresh, reason: 'milestone', milestone: 100, now: BASE + 3.5 * HOUR }))
    expect(first.seq).toBe(1)
    expect((await rows(fresh)).map((r) => [r.seq, r.reason, r.milestone])).toEqual([
      [0, 'genesis', null],
      [1, 'milestone', 100],
    ])
    expect(verifyChain(await entriesOf('fresh-count')).problems).toEqual([])
    // A rolled-back confirmation leaves no entry behind.
    await expect(
      transaction(q.db, async (tx) => {
        await appendCountLogEntry(tx, { campaignId: fresh, reason: 'milestone', milestone: 200, now: BASE + 3.5 * HOUR })
        throw new Error('confirmation failed')
      }),
    ).rejects.toThrow('confirmation failed')
    expect((await rows(fresh)).length).toBe(2)

    // Writers at once (on Postgres, connections of their own): each entry after the one before, none lost.
    await Promise.all([300, 400, 500, 600].map((milestone) => transaction(q.db, (tx) => appendCountLogEntry(tx, { campaignId: fresh, reason: 'milestone', milestone, now: BASE + 3.5 * HOUR }))))
    const raced = await entriesOf('fresh-count')
    expect(raced.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5])
    expect(raced.slice(2).map((e) => e.milestone).sort()).toEqual([300, 400, 500, 600])
    expect(verifyChain(raced).problems).toEqual([])
    // Two runs of the job at once append once per due campaign.
    const [a, b] = await Promise.all([appendDueCountLogEntries(q.db, { now: BASE + 4.5 * HOUR }), appendDueCountLogEntries(q.db, { now: BASE + 4.5 * HOUR })])
    expect(sortedRows([...a!, ...b!])).toEqual(sortedRows([
      { campaignId: freeAndry, slug: 'free-andry', seq: behind.seq + 1 },
      { campaignId: fresh, slug: 'fresh-count', seq: 6 },
    ]))
  })

  it('shows an invalidation as a rise in invalidated, never a rewritten entry', async () => {
    const snapshot = sortedRows(await rows())
    const head = (await rows(freeAndry)).at(-1)!
    const signature = (await q.get<{ id: number }>(`select id from signatures where campaign_id = ? and status = 'confirmed' order by id limit 1`, freeAndry))!
    const owner = (await q.get<{ id: number }>(`select id from organizers order by id limit 1`))!.id
    expect(await invalidateSignatures(q.db, { actorId: owner, campaignId: freeAndry, filter: { signatureIds: [signature.id] }, reason: 'Counted twice (test)' })).toBe(1)
    // Nothing in the log moved with it.
    expect(sortedRows(await rows())).toEqual(snapshot)

    const appended = await appendDueCountLogEntries(q.db, { now: BASE + 6 * HOUR })
    expect(appended).toContainEqual({ campaignId: freeAndry, slug: 'free-andry', seq: head.seq + 1 })
    const after = await rows()
    // Every earlier row is there, unchanged; the new one shows the invalidation.
    const keys = new Set(snapshot.map((r) => `${r.campaign_id}:${r.seq}`))
    expect(sortedRows(after.filter((r) => keys.has(`${r.campaign_id}:${r.seq}`)))).toEqual(snapshot)
    const latest = after.filter((r) => r.campaign_id === freeAndry).at(-1)!
    expect([latest.confirmed, latest.invalidated]).toEqual([head.confirmed - 1, head.invalidated + 1])
    expect(verifyChain(await entriesOf('free-andry')).problems).toEqual([])

    // And nothing in the app could do otherwise: no UPDATE or DELETE on the table anywhere.
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name)
        if (entry.isDirectory()) walk(file)
        else if (/\.(ts|tsx)$/.test(entry.name)) {
          const text = fs.readFileSync(file, 'utf8')
          if (/\.(update|delete)\(\s*countLogEntries\b|(update|delete\s+from)\s+"?count_log_entries\b/i.test(text)) offenders.push(path.relative(ROOT, file))
        }
      }
    }
    for (const dir of ['app', 'db', 'server', 'scripts']) walk(path.join(ROOT, dir))
    expect(offenders).toEqual([])
  })

  it('answers GET with CORS, Cache-Control, an ETag and 304; 404 for a draft or an unknown slug; and never writes', async () => {
    const before = sortedRows(await rows())
    const response = await fetch(`${server.url}/c/free-andry/count-log.json`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('cache-control')).toBe(CACHE_CONTROL)
    const body = (await response.json()) as { format: string; campaign: string; url: string; head: { seq: number; hash: string; code: string }; entries: CountLogEntry[] }
    const entries = await entriesOf('free-andry')
    const head = entries.at(-1)!
    expect(response.headers.get('etag')).toBe(`"${head.hash}"`)
    expect(body).toEqual({ format: 'vigil-count-log/1', campaign: 'free-andry', url: `${server.url}/c/free-andry`, head: { seq: head.seq, hash: head.hash, code: shortCode(head.hash) }, entries })
    expect(body.entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i))

    const again = await fetch(`${server.url}/c/free-andry/count-log.json`, { headers: { 'If-None-Match': `"${head.hash}"` } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(`"${head.hash}"`)
    expect(again.headers.get('cache-control')).toBe(CACHE_CONTROL)
    expect(await again.text()).toBe('')
    // An older ETag gets the whole log.
    expect((await fetch(`${server.url}/c/free-andry/count-log.json`, { headers: { 'If-None-Match': `"${entries[0]!.hash}"` } })).status).toBe(200)

    for (const [url, message] of [
      ['/c/a-draft/count-log.json', 'No such campaign'],
      ['/c/no-such-thing/count-log.json', 'No such campaign'],
      ['/c/a-draft/count-log.json?lng=de', 'Diese Kampagne gibt es nicht'],
      ['/c/no-such-thing/count-log.json?lng=es', 'Esta campaña no existe'],
    ] as const) {
      const missing = await fetch(`${server.url}${url}`)
      expect(missing.status, url).toBe(404)
      expect(missing.headers.get('cache-control')).toBe('no-store')
      expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(await missing.json()).toEqual({ error: message })
    }
    const posted = await fetch(`${server.url}/c/free-andry/count-log.json`, { method: 'POST', headers: { Origin: server.url }, body: new URLSearchParams({ a: 'b' }) })
    expect(posted.status).toBe(405)
    expect(sortedRows(await rows())).toEqual(before)
  })

  describe('npm run verify-count-log', () => {
    let saved: { format: string; campaign: string; head: { seq: number; hash: string; code: string }; entries: CountLogEntry[] }
    const write = (name: string, log: unknown) => {
      const file = path.join(tmp, name)
      fs.writeFileSync(file, JSON.stringify(log, null, 2))
      return file
    }
    const verify = (...args: string[]) => runScript('scripts/verify-count-log.ts', args, {})
    const copy = () => structuredClone(saved)

    beforeAll(async () => {
      saved = (await (await fetch(`${server.url}/c/free-andry/count-log.json`)).json()) as typeof saved
      expect(saved.entries.length).toBeGreaterThanOrEqual(6)
    })

    it('says OK for the log as served, from a file and from its URL', async () => {
      const head = saved.entries.at(-1)!
      const file = write('as-served.json', saved)
      const result = await verify(file)
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(
        [
          `count log of free-andry: ${saved.entries.length} entries, ${saved.entries[0]!.at} … ${head.at}`,
          `head: seq ${head.seq} at ${head.at}: ${head.confirmed.toLocaleString('en-US')} confirmed, ${head.invalidated} invalidated`,
          `verification code: ${shortCode(head.hash)}  (full: ${head.hash})`,
          `OK: every entry's hash matches its contents and names the entry before it; the counts never go backwards.`,
          '',
        ].join('\n'),
      )
      const fetched = await verify(`${server.url}/c/free-andry/count-log.json`, '--expect', saved.head.code)
      expect(fetched.code).toBe(0)
      expect(fetched.stdout).toContain(`expected code ${head.hash.slice(0, 16)}: found at seq ${head.seq} (${head.at}); it is the head.`)
      // Through npm, as the README says.
      const npm = await new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile('npm', ['run', '--silent', 'verify-count-log', '--', file], { cwd: ROOT }, (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout })),
      )
      expect(npm.code).toBe(0)
      expect(npm.stdout).toContain('OK: every entry')
    })

    it('finds a changed count', async () => {
      const log = copy()
      log.entries[2]!.confirmed += 1
      const result = await verify(write('changed.json', log))
      expect(result.code).toBe(1)
      expect(result.stdout).toContain(`BROKEN at seq 2 (${log.entries[2]!.at}): the hash does not match the contents (the entry was changed)`)
      expect(result.stdout).not.toContain('OK:')
    })

    it('finds a removed entry', async () => {
      const log = copy()
      const [gone] = log.entries.splice(3, 1)
      const result = await verify(write('removed.json', log))
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('BROKEN at seq 4: seq 3 is missing before it (entries were removed)')
      expect(result.stdout).toContain(`BROKEN at seq 4: prev is ${gone!.hash.slice(0, 4)}… but the entry before it (seq 2) has hash ${log.entries[2]!.hash.slice(0, 4)}… (an entry was removed, inserted or reordered)`)
    })

    it('finds two swapped entries', async () => {
      const log = copy()
      ;[log.entries[1], log.entries[2]] = [log.entries[2]!, log.entries[1]!]
      const result = await verify(write('swapped.json', log))
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('BROKEN at seq 1: seq 2 comes before seq 1 (entries reordered)')
    })

    it('passes --expect with an older head, and catches a log rewritten since that code was printed', async () => {
      const older = saved.entries[2]!
      const result = await verify(write('as-served.json', saved), '--expect', shortCode(older.hash))
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`expected code ${older.hash.slice(0, 16)}: found at seq 2 (${older.at}); the log has grown since, and the chain from there holds.`)
      // The code as printed, in groups, unquoted.
      expect((await verify(write('as-served.json', saved), '--expect', ...shortCode(older.hash).split(' '))).code).toBe(0)

      // Someone inflates every count from seq 1 on and recomputes the hashes: the chain holds, the printed code is gone.
      const rewritten = copy()
      for (let i = 1; i < rewritten.entries.length; i++) {
        const e = rewritten.entries[i]!
        e.confirmed += 100
        e.prev = rewritten.entries[i - 1]!.hash
        e.hash = entryHash(e)
      }
      rewritten.head = { seq: rewritten.entries.at(-1)!.seq, hash: rewritten.entries.at(-1)!.hash, code: shortCode(rewritten.entries.at(-1)!.hash) }
      const caught = await verify(write('rewritten.json', rewritten), '--expect', shortCode(older.hash))
      expect(caught.code).toBe(1)
      expect(caught.stdout).toContain('OK: every entry')
      expect(caught.stdout).toContain(`expected code ${older.hash.slice(0, 16)}: NOT FOUND in this log`)
    })

    it('refuses what it cannot read with exit 2', async () => {
      const notJson = path.join(tmp, 'not.json')
      fs.writeFileSync(notJson, '<html>')
      for (const args of [[], [path.join(tmp, 'missing.json')], [notJson], [write('other.json', { entries: 'x' })], [write('ok.json', saved), '--expect', 'xyz'], [write('ok.json', saved), '--nope']]) {
        const result = await verify(...args)
        expect(result.code, args.join(' ')).toBe(2)
        expect(result.stderr).toMatch(/^verify-count-log: /)
      }
      expect((await verify(`${server.url}/c/no-such-thing/count-log.json`)).code).toBe(2)
    })
  })

  it('shows a recount that repaired confirmed as a recount entry, the one kind that may go down', async () => {
    // Drift in pending only: repaired, nothing to show in the log.
    await q.run(`update campaign_counters set pending = pending + 1 where campaign_id = ?`, closedId)
    const before = (await rows(closedId)).length
    const quiet = await runScript('scripts/recount.ts', [], databaseEnv(server))
    expect(quiet.code).toBe(0)
    expect(quiet.stdout).toContain(`recount: campaign ${closedId} pending: stored 1, actual 0 (repaired)`)
    expect(quiet.stdout).not.toContain('count log')
    expect((await rows(closedId)).length).toBe(before)

    // A stored count 2 above the rows: the repair lowers it, openly.
    const { confirmed } = await counters(closedId)
    await q.run(`update campaign_counters set confirmed = confirmed + 2 where campaign_id = ?`, closedId)
    await appendDueCountLogEntries(q.db, { now: BASE + 8 * HOUR })
    const inflated = (await rows(closedId)).at(-1)!
    expect(inflated.confirmed).toBe(confirmed + 2)
    const result = await runScript('scripts/recount.ts', [], databaseEnv(server))
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`recount: campaign ${closedId} count log: entry ${inflated.seq + 1} (recount) with ${confirmed} confirmed`)
    const log = await entriesOf(closedSlug)
    expect(log.at(-1)).toMatchObject({ seq: inflated.seq + 1, reason: 'recount', confirmed, prev: inflated.hash })
    expect(verifyChain(log).problems).toEqual([])
  })

  it('survives a restart: the server\'s own job continues each chain at seq + 1', async () => {
    const heads = new Map<number, Row>()
    for (const r of await rows()) heads.set(r.campaign_id, r)
    await q.close()
    await server.stop({ keepData: true })
    // The same data, the job on (the default).
    const env: Record<string, string> = { ...QUIET, DATABASE_URL: server.databaseUrl ?? '' }
    delete env.VIGIL_COUNT_LOG
    server = await startServer({ seed: false, dir: server.dir, env })
    q = openServerSql(server)
    const old = heads.get(freeAndry)!
    let latest: Row | undefined
    // The run's lines are printed once it has gone through every campaign.
    const logged = `vigil: count-log: campaign ${freeAndry} (free-andry): entry ${old.seq + 1}`
    for (let i = 0; i < 100 && !(latest && latest.seq > old.seq && server.output().includes(logged)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      latest = (await rows(freeAndry)).at(-1)
    }
    expect(latest).toMatchObject({ seq: old.seq + 1, reason: 'hourly', prev_hash: old.hash })
    expect(latest!.at).toBeGreaterThan(Date.now() - 60_000)
    expect(server.output()).toContain(logged)
    // One entry per live campaign, none for the closed one whose counts did not change since its last.
    const now = await rows()
    expect(now.filter((r) => r.campaign_id === freeAndry && r.seq > old.seq).length).toBe(1)
    expect(now.filter((r) => r.campaign_id === closedId).length).toBe(heads.get(closedId)!.seq + 1)
    const log = (await (await fetch(`${server.url}/c/free-andry/count-log.json`)).json()) as { head: { hash: string }; entries: CountLogEntry[] }
    expect(verifyChain(log.entries).problems).toEqual([])
    expect(log.head.hash).toBe(latest!.hash)
    // The job stops with the server, within its graceful stop.
    await server.stop({ keepData: true })
    expect(server.output()).toMatch(/vigil: stopped\n/)
  })
})
