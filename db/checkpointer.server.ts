import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { type DB, engineOf, sqliteOf } from './client.server.ts'

/**
 * WAL checkpoints off the request path (SQLite only; docs/decisions/016-two-engines.md).
 *
 * By default the connection that commits past `wal_autocheckpoint` pages copies the whole WAL
 * back into the database file and fsyncs both, inside that COMMIT: every few signing batches the
 * event loop stood still for it (a third of the signing time in a profile). Here a worker thread
 * with its own connection runs PASSIVE checkpoints every `intervalMs`: it never waits for the
 * writer or readers and the writer never waits for it; the writer only appends to the WAL (no
 * fsync in WAL mode with synchronous = NORMAL). The serving connection keeps a far higher
 * `wal_autocheckpoint` as a safety net, should the worker fall behind or stop.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (error) {
    parentPort.postMessage({ error: error && error.code ? error.code : 'error' })
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  checkpoint()
  db.close()
  parentPort.close()
})
`

/** The serving connection checkpoints itself only past this many WAL pages (about 40 MB). */
export const SAFETY_NET_PAGES = 10_000

/** On SQLite, start the worker (stop() it before closing the database); on Postgres, nothing to do. */
export function startCheckpointer(db: DB, { intervalMs = 250 }: { intervalMs?: number } = {}) {
  if (engineOf(db) !== 'sqlite') return undefined
  const sqlite = sqliteOf(db)
  sqlite.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`)
  const worker = new Worker(WORKER, {
    eval: true,
    // The same driver the app loaded, found from here (a worker's require starts at the process's cwd).
    workerData: { file: sqlite.name, intervalMs, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    // Not the app's loaders (tsx): the worker is plain CommonJS.
    execArgv: [],
  })
  let lastError = ''
  worker.on('message', (message: { error?: string }) => {
    // Once per kind of failure, not every 250 ms: SQLITE_BUSY from a long read is expected and passes.
    if (message.error && message.error !== lastError && message.error !== 'SQLITE_BUSY') console.error(`vigil: WAL checkpoint failed (${message.error}); the server checkpoints itself past ${SAFETY_NET_PAGES} pages`)
    lastError = message.error ?? ''
  })
  worker.on('error', (error) => console.error(`vigil: the WAL checkpointer stopped (${error.name}); the server checkpoints itself past ${SAFETY_NET_PAGES} pages`))
  worker.unref()
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    /** A last checkpoint, then the worker's connection closes. */
    async stop() {
      // Held until it has ended: a shutdown awaiting this must not see the event loop run dry first.
      worker.ref()
      worker.postMessage('stop')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))])
      clearTimeout(timer)
      await worker.terminate()
    },
  }
}
