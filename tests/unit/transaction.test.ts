/**
 * The one way to open a transaction (db/transaction.server.ts), on a real SQLite file and on a
 * real Postgres database (one of its own, whichever engine the run is on, when a Postgres is
 * reachable: the Postgres body is a different function, with its own failure modes).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDatabase, driverOf, openDatabase, openPostgres, type DB, type Tx, sqliteOf } from '#db/client.server.ts'
import { isTx, transaction, TransactionAwaitedIoError } from '#db/transaction.server.ts'
import { rawExecute, rawFirstRow, rawRows } from '#db/query.server.ts'
import { createTestDatabase, dropTestDatabase, onPostgres, postgresUnavailable } from '../helpers/engine.ts'

let dir: string
let db: DB

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-tx-'))
  db = openDatabase(path.join(dir, 'tx.db'))
  await rawExecute(db, sql`create table notes (id integer primary key, text text not null)`)
})

afterAll(() => {
  sqliteOf(db).close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const note = async (tx: Tx, text: string) => await rawExecute(tx, sql`insert into notes (text) values (${text})`)
const texts = async () => (await rawRows<{ text: string }>(db, sql`select text from notes order by id`)).map((r) => r.text)
const clear = async () => await rawExecute(db, sql`delete from notes`)

describe('transaction() on SQLite', () => {
  it('commits what the work wrote when it resolves, and gives back its result', async () => {
    await clear()
    const result = await transaction(db, async (tx) => {
      expect(isTx(tx)).toBe(true)
      await note(tx, 'a')
      await note(tx, 'b')
      return 42
    })
    expect(result).toBe(42)
    expect(await texts()).toEqual(['a', 'b'])
    expect(isTx(db)).toBe(false)
  })

  it('rolls everything back when the work throws, and rethrows', async () => {
    await clear()
    await expect(
      transaction(db, async (tx) => {
        await note(tx, 'lost')
        throw new Error('refused')
      }),
    ).rejects.toThrow('refused')
    expect(await texts()).toEqual([])
    expect(sqliteOf(db).inTransaction).toBe(false)
  })

  it('nests as a savepoint: the inner work rolls back alone', async () => {
    await clear()
    await transaction(db, async (tx) => {
      await note(tx, 'outer')
      await expect(
        transaction(tx, async (inner) => {
          await note(inner, 'inner')
          throw new Error('inner refused')
        }),
      ).rejects.toThrow('inner refused')
      await transaction(tx, async (inner) => note(inner, 'second inner'))
    })
    expect(await texts()).toEqual(['outer', 'second inner'])
  })

  it('runs overlapping transactions one after the other, never inside each other', async () => {
    await clear()
    const order: string[] = []
    const work = (name: string) =>
      transaction(db, async (tx) => {
        order.push(`${name} begins`)
        await note(tx, name)
        await Promise.resolve()
        order.push(`${name} ends`)
      })
    await Promise.all([work('first'), work('second'), work('third')])
    expect(order).toEqual(['first begins', 'first ends', 'second begins', 'second ends', 'third begins', 'third ends'])
    expect(await texts()).toEqual(['first', 'second', 'third'])
  })

  it('refuses work that waits for I/O while the transaction is open, and rolls it back', async () => {
    await clear()
    await expect(
      transaction(db, async (tx) => {
        await note(tx, 'written before the wait')
        await new Promise((resolve) => setTimeout(resolve, 5))
      }),
    ).rejects.toBeInstanceOf(TransactionAwaitedIoError)
    expect(await texts()).toEqual([])
    // The lock was released: the next transaction runs.
    await transaction(db, async (tx) => note(tx, 'after'))
    expect(await texts()).toEqual(['after'])
  })

  it('refuses a transaction opened on the database inside one (it would wait for itself) instead of hanging', async () => {
    await clear()
    await expect(
      transaction(db, async (tx) => {
        await note(tx, 'outer')
        await transaction(db, async (inner) => note(inner, 'inner'))
      }),
    ).rejects.toThrow('pass the tx to nest')
    expect(await texts()).toEqual([])
  })
})

// Always on a Postgres test run; on a SQLite run when a Postgres answers.
const skipPostgres = onPostgres ? null : await postgresUnavailable()
if (skipPostgres) console.warn(`transaction() on Postgres: skipped, ${skipPostgres}`)

/** Resolves once `count` callers have arrived: lines two transactions up at the same point. */
function barrier(count: number) {
  let arrived = 0
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return () => {
    if (++arrived === count) open()
    return opened
  }
}

/** Fails instead of hanging when transactions that should run side by side wait for each other. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)))
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

describe.skipIf(skipPostgres)('transaction() on Postgres', () => {
  let url: string
  // Two pools on one database: two app servers.
  let pgDb: DB
  let other: DB

  beforeAll(async () => {
    url = await createTestDatabase()
    pgDb = openPostgres(url, 4)
    other = openPostgres(url, 2)
    await rawExecute(pgDb, sql`create table notes (id bigint generated by default as identity primary key, text text not null unique)`)
    await rawExecute(pgDb, sql`create table accounts (id integer primary key, balance integer not null)`)
  })

  afterAll(async () => {
    if (pgDb) await closeDatabase(pgDb)
    if (other) await closeDatabase(other)
    if (url) await dropTestDatabase(url)
  })

  const note = async (tx: Tx, text: string) => await rawExecute(tx, sql`insert into notes (text) values (${text})`)
  const texts = async (handle: DB = pgDb) => (await rawRows<{ text: string }>(handle, sql`select text from notes order by id`)).map((r) => r.text)
  const clear = async () => await rawExecute(pgDb, sql`delete from notes`)
  const pool = () => driverOf(pgDb) as pg.Pool

  it('commits what the work wrote when it resolves, unseen by other connections until then, and gives back its result', async () => {
    await clear()
    const result = await transaction(pgDb, async (tx) => {
      expect(isTx(tx)).toBe(true)
      await note(tx, 'a')
      await note(tx, 'b')
      expect(await texts(other)).toEqual([])
      return 42
    })
    expect(result).toBe(42)
    expect(await texts(other)).toEqual(['a', 'b'])
    expect(isTx(pgDb)).toBe(false)
    // The pooled connection went back to the pool.
    expect(pool().idleCount).toBe(pool().totalCount)
  })

  it('rolls everything back when the work throws, rethrows, and gives the connection back clean', async () => {
    await clear()
    await expect(
      transaction(pgDb, async (tx) => {
        await note(tx, 'lost')
        throw new Error('refused')
      }),
    ).rejects.toThrow('refused')
    expect(await texts()).toEqual([])
    expect(pool().idleCount).toBe(pool().totalCount)
    // No connection was left inside the failed transaction.
    expect(await rawFirstRow(other, sql`select count(*) as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`)).toEqual({ n: 0 })
  })

  it('nests as a savepoint: the inner work rolls back alone', async () => {
    await clear()
    await transaction(pgDb, async (tx) => {
      await note(tx, 'outer')
      await expect(
        transaction(tx, async (inner) => {
          await note(inner, 'inner')
          throw new Error('inner refused')
        }),
      ).rejects.toThrow('inner refused')
      await transaction(tx, async (inner) => note(inner, 'second inner'))
    })
    expect(await texts()).toEqual(['outer', 'second inner'])
  })

  it('rolls back a nested level alone after Postgres refused a statement in it, and the outer work goes on', async () => {
    await clear()
    await transaction(pgDb, async (tx) => {
      await note(tx, 'outer')
      await transaction(tx, async (middle) => {
        await note(middle, 'middle')
        // A unique violation: without the savepoint, Postgres would refuse every later statement of the transaction.
        await expect(
          transaction(middle, async (inner) => {
            await note(inner, 'inner')
            await note(inner, 'outer')
          }),
        ).rejects.toMatchObject({ cause: { code: '23505' } })
        await note(middle, 'after the refusal')
      })
      await note(tx, 'last')
    })
    expect(await texts()).toEqual(['outer', 'middle', 'after the refusal', 'last'])
  })

  it('runs two transactions on two pooled connections side by side, each unseen by the other until it commits', async () => {
    await clear()
    const order: string[] = []
    const bothWrote = barrier(2)
    const bothRead = barrier(2)
    const work = (name: string) =>
      transaction(pgDb, async (tx) => {
        order.push(`${name} begins`)
        await note(tx, name)
        const pid = (await rawFirstRow<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`))!.pid
        // Each waits until the other has begun and written, and read: one after the other, this would never end.
        await bothWrote()
        const seen = await rawRows<{ text: string }>(tx, sql`select text from notes order by id`)
        await bothRead()
        order.push(`${name} ends`)
        return { pid, seen: seen.map((r) => r.text) }
      })
    const [first, second] = await within(5000, Promise.all([work('first'), work('second')]))
    expect(first!.pid).not.toBe(second!.pid)
    expect(first!.seen).toEqual(['first'])
    expect(second!.seen).toEqual(['second'])
    expect(order.slice(0, 2).sort()).toEqual(['first begins', 'second begins'])
    expect((await texts()).sort()).toEqual(['first', 'second'])
  })

  it('runs a transaction again, whole, when Postgres broke a deadlock by ending it (40P01)', async () => {
    await rawExecute(pgDb, sql`delete from accounts`)
    await rawExecute(pgDb, sql`insert into accounts (id, balance) values (1, 100), (2, 100)`)
    const attempts = { a: 0, b: 0 }
    const bothLocked = barrier(2)
    // Two servers move money between the same two rows in opposite order.
    const move = (name: 'a' | 'b', handle: DB, from: number, to: number, amount: number) =>
      transaction(handle, async (tx) => {
        attempts[name]++
        await rawExecute(tx, sql`update accounts set balance = balance - ${amount} where id = ${from}`)
        if (attempts[name] === 1) await bothLocked()
        await rawExecute(tx, sql`update accounts set balance = balance + ${amount} where id = ${to}`)
      })
    await within(15_000, Promise.all([move('a', pgDb, 1, 2, 10), move('b', other, 2, 1, 30)]))
    // One of them was the deadlock's victim and ran once more; neither move was lost or doubled.
    expect(attempts.a + attempts.b).toBe(3)
    expect(await rawRows(pgDb, sql`select id, balance from accounts order by id`)).toEqual([
      { id: 1, balance: 120 },
      { id: 2, balance: 80 },
    ])
  })

  it('runs a transaction again, whole, after a serialization failure (40001) at SERIALIZABLE', async () => {
    await clear()
    const attempts = { a: 0, b: 0 }
    const bothRead = barrier(2)
    // Write skew: each reads who is on call, then adds itself counting what it read. Serially, the second sees the first.
    const goOnCall = (name: 'a' | 'b', handle: DB) =>
      transaction(handle, async (tx) => {
        attempts[name]++
        await rawExecute(tx, sql`set transaction isolation level serializable`)
        const { n } = (await rawFirstRow<{ n: number }>(tx, sql`select count(*) as n from notes where text like 'on call%'`))!
        if (attempts[name] === 1) await bothRead()
        await note(tx, `on call ${name} after ${n}`)
      })
    await within(15_000, Promise.all([goOnCall('a', pgDb), goOnCall('b', other)]))
    expect(attempts.a + attempts.b).toBe(3)
    expect((await texts()).map((t) => t.slice(-7))).toEqual(['after 0', 'after 1'])
  })

  it('gives up after a few attempts when the conflict persists, and does not retry other errors', async () => {
    let conflicts = 0
    const refused = transaction(pgDb, async (tx) => {
      conflicts++
      await rawExecute(tx, sql.raw(`do $$ begin raise exception 'still conflicting' using errcode = 'serialization_failure'; end $$`))
    })
    await expect(refused).rejects.toMatchObject({ cause: { code: '40001' } })
    expect(conflicts).toBe(5)

    await clear()
    let violations = 0
    await expect(
      transaction(pgDb, async (tx) => {
        violations++
        await note(tx, 'twice')
        await note(tx, 'twice')
      }),
    ).rejects.toMatchObject({ cause: { code: '23505' } })
    expect(violations).toBe(1)
    expect(await texts()).toEqual([])
  })
})
