/** The one way to open a transaction (db/transaction.server.ts), on a real SQLite file. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type DB, type Tx, sqliteOf } from '#db/client.server.ts'
import { isTx, transaction, TransactionAwaitedIoError } from '#db/transaction.server.ts'
import { rawExecute, rawRows } from '#db/query.server.ts'

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

describe('transaction()', () => {
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
