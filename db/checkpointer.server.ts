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
// Only changes are reported: a failure once, and the recovery after it.
let failing = ''
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    if (failing) parentPort.postMessage({ recovered: failing })
    failing = ''
  } catch (error) {
    const code = error && error.code ? error.code : 'error'
    if (code !== failing) parentPort.postMessage({ error: code })
    failing = code
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
  worker.on('message', (message: { error?: string; recovered?: string }) => {
    if (message.error) console.error(`vigil: WAL checkpoint failed (${message.error}); the server checkpoints itself past ${SAFETY_NET_PAGES} pages`)
    if (message.recovered) console.log(`vigil: WAL checkpoints work again (after ${message.recovered})`)
  })
  worker.on('error', (error) => console.error(`vigil: the WAL checkpointer stopped (${error.name})`))
  worker.unref()
  let stopping = false
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      // Gone without being asked: the serving connection checkpoints as SQLite does by default
      // again (every 1,000 pages), rather than stalling for 10,000 at a time.
      if (!stopping) {
        console.error('vigil: the WAL checkpointer ended; the server checkpoints itself again')
        try {
          sqlite.pragma('wal_autocheckpoint = 1000')
        } catch {
          // The database is closing: nothing left to checkpoint for.
        }
      }
      resolve()
    }),
  )
  return {
    /** A last checkpoint, then the worker's connection closes. */
    async stop() {
      // Held until it has ended: a shutdown awaiting this must not see the event loop run dry first.
      stopping = true
      worker.ref()
      worker.postMessage('stop')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))])
      clearTimeout(timer)
      await worker.terminate()
    },
  }
}
