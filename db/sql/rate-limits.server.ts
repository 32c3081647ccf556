import type pg from 'pg'
import { driverOf, engineOf, statementName, type Tx } from '../client.server.ts'
import { onPostgres } from '../query.server.ts'
import { rawStatement } from './statement.server.ts'

/**
 * The rate limiter's hot write (app/models/rate-limits.server.ts decides what it means): for
 * each window, forget the attempts that left it, record this one, count what is in it.
 * SQLite runs three statements per window, one after another. Postgres runs all of it as one
 * statement (a round trip per signature instead of three per limit); its statements share one
 * snapshot, so this attempt is added to the count rather than counted.
 */
export type HitWindow = { bucket: string; keyHash: string; since: number }

const sqlite = {
  forget: rawStatement(`delete from rate_limit_hits where bucket = ? and key_hash = ? and at < ?`),
  record: rawStatement(`insert into rate_limit_hits (bucket, key_hash, at) values (?, ?, ?)`),
  count: rawStatement<{ n: number }>(`select count(*) as n from rate_limit_hits where bucket = ? and key_hash = ? and at > ?`),
}

/**
 * The CTEs that, on Postgres, forget the attempts that left each window, record this one and
 * count (`counted(position, n)`, this attempt included), for a statement of its own or one that
 * acts on the outcome in the same round trip (a first signature, db/sql/signatures.server.ts).
 * The windows are parameters $p, $p+1, $p+2 (hitWindowValues), the time of the attempt $now.
 * A window listed twice counts the attempt twice, as the statements one after another would.
 */
export function hitWindowsSql(p: number, now: number) {
  return `windows as (
    select * from unnest($${p}::text[], $${p + 1}::text[], $${p + 2}::bigint[]) with ordinality as w(bucket, key_hash, since, position)
  ), forgotten as (
    delete from rate_limit_hits h using windows w where h.bucket = w.bucket and h.key_hash = w.key_hash and h.at < w.since
  ), recorded as (
    insert into rate_limit_hits (bucket, key_hash, at) select bucket, key_hash, $${now}::bigint from windows order by position
  ), counted as (
    select w.position,
           (select count(*) from rate_limit_hits h where h.bucket = w.bucket and h.key_hash = w.key_hash and h.at > w.since)
         + (select count(*) from windows v where v.bucket = w.bucket and v.key_hash = w.key_hash and v.position <= w.position) as n
    from windows w
  )`
}

export function hitWindowValues(windows: HitWindow[]) {
  return [windows.map((w) => w.bucket), windows.map((w) => w.keyHash), windows.map((w) => w.since)]
}

const POSTGRES_TEXT = `with ${hitWindowsSql(1, 4)} select n from counted order by position`
const POSTGRES_NAME = statementName(POSTGRES_TEXT)

/** Record an attempt at `now` in each window; how many attempts each window then holds, this one included. */
export async function recordHitsInWindows(tx: Tx, windows: HitWindow[], now: number): Promise<number[]> {
  if (windows.length === 0) return []
  if (engineOf(tx) === 'postgres') {
    const values = [...hitWindowValues(windows), now]
    const result = await onPostgres(() => (driverOf(tx) as pg.PoolClient).query<{ n: number }>({ name: POSTGRES_NAME, text: POSTGRES_TEXT, values }))
    return result.rows.map((row) => Number(row.n))
  }
  const counts: number[] = []
  for (const { bucket, keyHash, since } of windows) {
    await sqlite.forget.run(tx, [bucket, keyHash, since])
    await sqlite.record.run(tx, [bucket, keyHash, now])
    counts.push((await sqlite.count.get(tx, [bucket, keyHash, since]))?.n ?? 0)
  }
  return counts
}
