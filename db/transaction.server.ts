import pg from 'pg'
import { driverOf, handleForConnection, holdConnection, sqliteOf, type DB, type Handle, type Tx } from './client.server.ts'
import { retryableConflict } from './errors.server.ts'

/**
 * The one way to open a transaction: `await transaction(db, async (tx) => { … })`. The work
 * gets `tx` and passes it to every function that writes; it commits when the work resolves
 * and rolls back when it throws. Called with a `tx`, it nests as a savepoint: the inner work
 * rolls back alone, the outer decides the commit.
 *
 * On Postgres every transaction has a pooled connection of its own; several app servers may
 * write at once, so a transaction Postgres gives up on (a deadlock, a serialization failure)
 * runs again, whole, up to a few times: the work must not have done anything outside it.
 * The rules below are SQLite's, and the code keeps them on both engines.
 *
 * SQLite has one connection per process, so a transaction is the connection's state, not an
 * object: two must not overlap (a lock per connection orders them), and the work must not
 * wait for I/O (a timer, the network, a file), or another request's statements would run
 * inside it. The work awaits only the database, whose calls settle at once; if the event
 * loop turned before it finished, the transaction rolls back with an error that says so.
 * `immediate` (the default) takes the write lock at the start, so a transaction that reads
 * and then writes never fails half-way on a lock held by another process (the worker);
 * `deferred` is for reads that must agree with each other: on both engines they see one moment
 * (SQLite's read snapshot; on Postgres a repeatable-read, read-only transaction, where the
 * default read committed would let each statement see what committed after the one before).
 */
export async function transaction<T>(handle: Handle, work: (tx: Tx) => Promise<T> | T, { behavior = 'immediate' }: { behavior?: 'immediate' | 'deferred' } = {}): Promise<T> {
  const driver = driverOf(handle)
  if (!(driver instanceof pg.Pool || driver instanceof pg.Client)) return sqliteTransaction(handle, work, behavior)
  return isTx(handle) ? postgresSavepoint(handle, driver, work) : postgresTransaction(driver as pg.Pool, work, behavior)
}

async function sqliteTransaction<T>(handle: Handle, work: (tx: Tx) => Promise<T> | T, behavior: 'immediate' | 'deferred'): Promise<T> {
  const state = stateOf(handle)
  if (isTx(handle)) return savepoint(handle, state, work)
  const previous = state.lock
  let release!: () => void
  state.lock = new Promise<void>((resolve) => (release = resolve))
  try {
    await turnAfter(previous)
  } catch (error) {
    // This one gives up; the next still waits for the transaction ahead to end.
    void previous.then(release)
    throw error
  }
  const sqlite = sqliteOf(handle)
  const tx = Object.create(handle, { [TX]: { value: true } }) as Tx
  let turned = false
  const probe = setImmediate(() => (turned = true))
  let began = false
  try {
    // Inside the try: a BEGIN that fails (SQLITE_BUSY after busy_timeout) must release the lock too.
    sqlite.exec(behavior === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN')
    began = true
    const result = await work(tx)
    if (turned) throw new TransactionAwaitedIoError()
    sqlite.exec('COMMIT')
    return result
  } catch (error) {
    if (began && sqlite.inTransaction) sqlite.exec('ROLLBACK')
    throw error
  } finally {
    clearImmediate(probe)
    release()
  }
}

export class TransactionAwaitedIoError extends Error {
  constructor() {
    super('transaction: the work waited for I/O while the transaction was open; it was rolled back (do the I/O before or after it)')
    this.name = 'TransactionAwaitedIoError'
  }
}

const TX = Symbol('vigil.tx')

/**
 * Wait for the transaction ahead on this connection. It never stays open across a turn of the
 * event loop, so if the loop turns while this one waits, the one ahead is stuck: most likely
 * its work opened this transaction on the database instead of nesting on its `tx`, and would
 * wait for itself forever. Failing this one lets that work fail and roll back instead.
 */
function turnAfter(previous: Promise<void>) {
  return new Promise<void>((resolve, reject) => {
    const stuck = setImmediate(() =>
      reject(new Error('transaction: the transaction ahead on this connection is still open after the event loop turned (called with the database inside a transaction on it? pass the tx to nest)')),
    )
    void previous.then(() => {
      clearImmediate(stuck)
      resolve()
    })
  })
}

export function isTx(handle: Handle): handle is Tx {
  return (handle as unknown as Record<symbol, unknown>)[TX] === true
}

type ConnectionState = { lock: Promise<void>; savepoints: number }
const states = new WeakMap<object, ConnectionState>()

function stateOf(handle: Handle): ConnectionState {
  let state = states.get(driverOf(handle))
  if (!state) states.set(driverOf(handle), (state = { lock: Promise.resolve(), savepoints: 0 }))
  return state
}

async function savepoint<T>(tx: Tx, state: ConnectionState, work: (tx: Tx) => Promise<T> | T): Promise<T> {
  const name = `vigil_${++state.savepoints}`
  const sqlite = sqliteOf(tx)
  sqlite.exec(`SAVEPOINT ${name}`)
  try {
    const result = await work(tx)
    sqlite.exec(`RELEASE ${name}`)
    return result
  } catch (error) {
    sqlite.exec(`ROLLBACK TO ${name}`)
    sqlite.exec(`RELEASE ${name}`)
    throw error
  } finally {
    state.savepoints--
  }
}

const CONFLICT_ATTEMPTS = 5


async function postgresTransaction<T>(pool: pg.Pool, work: (tx: Tx) => Promise<T> | T, behavior: 'immediate' | 'deferred'): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { client, release } = await holdConnection(pool)
    const tx = Object.create(handleForConnection(client), { [TX]: { value: true } }) as Tx
    let broken: Error | undefined
    try {
      await client.query(behavior === 'deferred' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN')
      const result = await work(tx)
      await client.query('COMMIT')
      return result
    } catch (error) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackError) {
        // The connection is gone; the pool must not hand it out again.
        broken = rollbackError as Error
      }
      if (attempt < CONFLICT_ATTEMPTS && retryableConflict(error)) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt))
        continue
      }
      throw error
    } finally {
      release(broken)
    }
  }
}

const pgSavepoints = new WeakMap<object, number>()

async function postgresSavepoint<T>(tx: Tx, client: pg.Pool | pg.Client, work: (tx: Tx) => Promise<T> | T): Promise<T> {
  const depth = (pgSavepoints.get(client) ?? 0) + 1
  pgSavepoints.set(client, depth)
  const name = `vigil_${depth}`
  await client.query(`SAVEPOINT ${name}`)
  try {
    const result = await work(tx)
    await client.query(`RELEASE SAVEPOINT ${name}`)
    return result
  } catch (error) {
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`)
    await client.query(`RELEASE SAVEPOINT ${name}`)
    throw error
  } finally {
    pgSavepoints.set(client, depth - 1)
  }
}

/** For code that holds the database and needs to say "this is not inside a transaction". */
export type { DB, Handle, Tx }
