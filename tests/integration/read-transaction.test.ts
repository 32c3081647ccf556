import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { getDb, sqliteOf } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { onPostgres } from '../helpers/engine.ts'
import { sqlOn } from '../helpers/sql.ts'

// `deferred` transactions read figures that must agree with each other (the dashboard's counts,
// the outbox's, signatures by source against the counter): every read in one sees the same
// moment, even when another connection commits in between.
let n = 0
const batchCount = async (handle = getDb()) => (await sqlOn(handle as never).get<{ n: number }>('select count(*) as n from email_batches'))!.n

/** A row committed by another connection, now. SQLite's is synchronous: the transaction must not wait for I/O. */
function commitElsewhere(): Promise<unknown> | void {
  n++
  const insert = `insert into email_batches (send_id, priority, idempotency_key, status, size) values (null, 0, 'read-tx:${n}', 'pending', 1)`
  if (onPostgres) return sqlOn(getDb()).run(insert)
  const other = new Database(sqliteOf(getDb()).name)
  try {
    other.exec(insert)
  } finally {
    other.close()
  }
}

describe('a read transaction', () => {
  it('sees one moment: a row another connection commits in between is not in its second read', async () => {
    const before = await batchCount()
    const [first, second] = await transaction(
      getDb(),
      async (tx) => {
        const first = await batchCount(tx)
        await commitElsewhere()
        return [first, await batchCount(tx)]
      },
      { behavior: 'deferred' },
    )
    expect(first).toBe(before)
    expect(second, 'the second read saw the row committed after the first').toBe(before)
    expect(await batchCount()).toBe(before + 1)
  })

  // Postgres' read committed; SQLite's write transaction holds the lock, so nothing commits in between there.
  it.skipIf(!onPostgres)('leaves the ordinary transaction as it was: it reads what was committed before each statement', async () => {
    const before = await batchCount()
    const second = await transaction(getDb(), async (tx) => {
      await batchCount(tx)
      await commitElsewhere()
      return await batchCount(tx)
    })
    expect(second).toBe(before + 1)
  })
})
