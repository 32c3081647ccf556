import { driverOf, engineOf, type DB, type Tx } from './client.server.ts'
import { isTx, transaction } from './transaction.server.ts'

/**
 * Group commit. A commit writes every page a job touched to the WAL; jobs that arrive
 * together share one commit, each in its own savepoint so that one failure cannot undo
 * another: a job that throws is rolled back alone and its caller gets the error, the rest
 * of its batch commits. Nobody hears back before the commit that holds their job. Idle, a
 * batch is one job. The queue is per connection; a batch is at most `maxBatch` jobs.
 *
 * On Postgres each job is a transaction of its own: the pool runs them side by side, and
 * several app servers share the commits' cost.
 */
export function batchedWriter<Job, Result>(
  write: (tx: Tx, job: Job) => Promise<Result>,
  { maxBatch = 64 }: { maxBatch?: number } = {},
): (db: DB, job: Job) => Promise<Result> {
  type Queued = { job: Job; resolve: (result: Result) => void; reject: (error: unknown) => void }
  const queues = new WeakMap<object, Queued[]>()

  async function flush(db: DB, queued: Queued[]) {
    const batch = queued.splice(0, maxBatch)
    if (queued.length > 0) setImmediate(() => void flush(db, queued))
    let results: ({ ok: true; result: Result } | { ok: false; error: unknown })[]
    try {
      results = await transaction(db, async (tx) => {
        const settled: typeof results = []
        for (const { job } of batch) {
          try {
            settled.push({ ok: true, result: await transaction(tx, (savepoint) => write(savepoint, job)) })
          } catch (error) {
            settled.push({ ok: false, error })
          }
        }
        return settled
      })
    } catch (error) {
      for (const job of batch) job.reject(error)
      return
    }
    results.forEach((settled, i) => (settled.ok ? batch[i]!.resolve(settled.result) : batch[i]!.reject(settled.error)))
  }

  return (db, job) =>
    new Promise((resolve, reject) => {
      // A batch is a transaction of its own: it cannot join the caller's.
      if (isTx(db)) throw new Error('batchedWriter: pass the database, not a transaction')
      if (engineOf(db) === 'postgres') return void transaction(db, (tx) => write(tx, job)).then(resolve, reject)
      let queued = queues.get(driverOf(db))
      if (!queued) queues.set(driverOf(db), (queued = []))
      if (queued.push({ job, resolve, reject }) === 1) setImmediate(() => void flush(db, queued))
    })
}
