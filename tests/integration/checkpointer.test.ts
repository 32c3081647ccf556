// sqlite-only: the WAL and its checkpoints are SQLite's; on Postgres startCheckpointer does nothing.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startCheckpointer, SAFETY_NET_PAGES } from '#db/checkpointer.server.ts'
import { closeDatabase, openDatabase, sqliteOf, type DB } from '#db/client.server.ts'

// A database whose WAL holds `pages` pages of committed rows that no checkpoint has copied back.
function databaseWithWal(pages: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-checkpointer-'))
  const db = openDatabase(path.join(dir, 'vigil.db'))
  const sqlite = sqliteOf(db)
  sqlite.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`)
  sqlite.exec('create table filler (id integer primary key, body blob)')
  const insert = sqlite.prepare('insert into filler (body) values (zeroblob(3000))')
  sqlite.transaction(() => {
    for (let i = 0; i < pages; i++) insert.run()
  })()
  return { dir, db, file: path.join(dir, 'vigil.db') }
}

const opened: { dir: string; db: DB }[] = []
afterEach(async () => {
  for (const { dir, db } of opened.splice(0)) {
    await closeDatabase(db)
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

describe('the WAL checkpointer', () => {
  it('copies committed pages back into the database file in its worker, not in the writer’s COMMIT', async () => {
    const target = databaseWithWal(2_000)
    opened.push(target)
    // Below the safety net nothing has been copied back: the file is still the empty schema.
    const before = fs.statSync(target.file).size
    expect(before).toBeLessThan(100_000)
    expect(fs.statSync(`${target.file}-wal`).size).toBeGreaterThan(2_000 * 3_000)

    const checkpointer = startCheckpointer(target.db, { intervalMs: 50 })!
    await expect.poll(() => fs.statSync(target.file).size, { timeout: 5_000 }).toBeGreaterThan(2_000 * 3_000)
    await checkpointer.stop()

    // The serving connection still writes and reads, and a stopped checkpointer lets it close.
    sqliteOf(target.db).prepare('insert into filler (body) values (zeroblob(10))').run()
    expect(sqliteOf(target.db).prepare('select count(*) as n from filler').get()).toEqual({ n: 2_001 })
  })

  it('without it, the same WAL stays uncopied (the safety net is far above)', async () => {
    const target = databaseWithWal(2_000)
    opened.push(target)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(fs.statSync(target.file).size).toBeLessThan(100_000)
  })
})
