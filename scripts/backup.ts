/** Online backup of the live database (SQLite's backup API: consistent while the app keeps writing). */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { configuredDatabase, databasePath } from '../db/client.server.ts'

const { values } = parseArgs({ options: { out: { type: 'string' } } })
// After moving up, the old SQLite file may still be there: a backup of it would look fine and be stale.
if (configuredDatabase().engine === 'postgres') {
  console.error('backup: this instance is on Postgres (DATABASE_URL): back it up with pg_dump (README, Backups)')
  process.exit(1)
}
const source = databasePath()
if (!fs.existsSync(source)) {
  console.error(`backup: no database at ${source} (set DATABASE_PATH)`)
  process.exit(1)
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const dir = path.resolve(values.out ?? path.join(path.dirname(source), 'backups'))
fs.mkdirSync(dir, { recursive: true })
const target = path.join(dir, `vigil-${stamp}.db`)
const db = new Database(source, { readonly: true, fileMustExist: true })
db.pragma('busy_timeout = 5000')
await db.backup(target)
db.close()
const check = new Database(target, { readonly: true })
const integrity = check.pragma('integrity_check', { simple: true })
check.close()
if (integrity !== 'ok') {
  console.error(`backup: wrote ${target} but its integrity check says: ${String(integrity)}`)
  process.exit(1)
}
console.log(`backup: wrote ${target} (${fs.statSync(target).size} bytes, integrity ok)`)
