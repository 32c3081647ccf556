import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { adminUrl, onPostgres } from './engine.ts'
import { runTag } from './templates.ts'

/**
 * Once per vitest run, in the main process: the run folder where tests/helpers/templates.ts keeps
 * what it makes once per run (the test files' processes inherit VIGIL_TEST_RUN_DIR). Afterwards
 * the folder goes, and on Postgres the run's template databases with it.
 */
export default function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-run-'))
  process.env.VIGIL_TEST_RUN_DIR = dir
  return async () => {
    fs.rmSync(dir, { recursive: true, force: true })
    if (!onPostgres) return
    const client = new pg.Client({ connectionString: adminUrl() })
    await client.connect()
    try {
      const { rows } = await client.query<{ name: string }>('select datname as name from pg_database where datname like $1', [`vigil_t_tpl_${runTag(dir)}_%`])
      for (const { name } of rows) await client.query(`drop database if exists "${name}" with (force)`)
    } finally {
      await client.end()
    }
  }
}
