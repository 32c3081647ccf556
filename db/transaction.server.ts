import type { DB, Handle, Tx } from './client.server.ts'

/**
 * The one way to open a transaction: `await transaction(db, async (tx) => { … })`. The work
 * gets `tx` and passes it to every function that writes; it commits when the work resolves
 * and rolls back when it throws. Called with a `tx`, it nests as a savepoint: the inner work
 * rolls back alone, the outer decides the commit.
 *
 * SQLite has one connection per process, so a transaction is the connection's state, not an
 * object: two must not overlap (a lock per connection orders them), and the work must not
 * wait for I/O (a timer, the network, a file), or another request's statements would run
 * inside it. The work awaits only the database, whose calls settle at once; if the event
 * loop turned before it finished, the transaction rolls back with an error that says so.
 * `immediate` (the default) takes the write lock at the start, so a transaction that reads
 * and then writes never fails half-way on a lock held by another process (the worker);
 * `deferred` is for reads that must agree with each other.
 */
export async function transaction<T>(handle: Handle, work: (tx: Tx) => Promise<T> | T, { behavior = 'immediate' }: { behavior?: 'immediate' | 'deferred' } = {}): Promise<T> {
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
  const sqlite = handle.$client
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
  let state = states.get(handle.$client)
  if (!state) states.set(handle.$client, (state = { lock: Promise.resolve(), savepoints: 0 }))
  return state
}

async function savepoint<T>(tx: Tx, state: ConnectionState, work: (tx: Tx) => Promise<T> | T): Promise<T> {
  const name = `vigil_${++state.savepoints}`
  const sqlite = tx.$client
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

/** For code that holds the database and needs to say "this is not inside a transaction". */
export type { DB, Handle, Tx }
