import pg from 'pg'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { closeDatabase, openPostgres } from '#db/client.server.ts'
import { withJobLock } from '#db/locks.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { adminUrl, onPostgres } from '../helpers/engine.ts'
import { sqlOn } from '../helpers/sql.ts'

// A connection the app holds (a job's advisory lock, an open transaction) can be ended by
// Postgres between two of its queries: a restart, a failover, pg_terminate_backend. The pool
// listens for errors only on the connections it holds itself; on a held one, such an error had
// no listener and stopped the process (CI's health test: the server died when its database was
// dropped while the retention job held its lock).
const db = onPostgres ? openPostgres(process.env.DATABASE_URL, 3) : null
afterAll(async () => {
  if (db) await closeDatabase(db)
})

/** End the backend, and wait until it is gone: by then it has sent the held connection its FATAL message. */
async function terminate(pid: number) {
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  try {
    await admin.query('select pg_terminate_backend($1)', [pid])
    for (let i = 0; i < 100 && (await admin.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    await admin.end()
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
}

// The error reached the connection while it was held (not after, when the pool listens again).
const logged = vi.spyOn(console, 'error')
afterEach(() => logged.mockClear())
const noticed = () => expect(logged.mock.calls.flat().join('\n')).toMatch(/a Postgres connection in use failed \(57P01\)/)

const backendsHolding = async (lock: string) =>
  (await sqlOn(db!).column<number>(`select l.pid from pg_locks l where l.locktype = 'advisory' and l.objid = hashtext(?)`, lock)).map(Number)

describe.skipIf(!onPostgres)('a held Postgres connection that Postgres ends', () => {
  it('does not stop the process when it held a job lock: the job finishes, and the pool carries on', async () => {
    const outcome = await withJobLock(db!, 'connection-lost-test', async () => {
      const [pid] = await backendsHolding('job:connection-lost-test')
      expect(pid, 'the lock is held by a backend').toBeTypeOf('number')
      await terminate(pid!)
      noticed()
      return 'finished'
    })
    expect(outcome).toEqual({ skipped: false, result: 'finished' })
    expect(await sqlOn(db!).get('select 1 as one')).toEqual({ one: 1 })
    // The lock went with its connection: the job can run again.
    expect(await withJobLock(db!, 'connection-lost-test', async () => 'again')).toEqual({ skipped: false, result: 'again' })
  })

  it('does not stop the process when it held a transaction: the transaction fails with the reason, and the pool carries on', async () => {
    const run = transaction(db!, async (tx) => {
      const pid = (await sqlOn(tx as never).get<{ pid: number }>('select pg_backend_pid() as pid'))!.pid
      await terminate(Number(pid))
      noticed()
      return 'committed'
    })
    await expect(run).rejects.toThrow(/terminat|Connection terminated|not queryable/i)
    expect(await sqlOn(db!).get('select 1 as one')).toEqual({ one: 1 })
  })
})
