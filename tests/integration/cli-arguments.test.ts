/**
 * The commands that take no arguments and change data when run (demo:remove, retention,
 * recount, db:migrate) answer `--help` with what they do, and anything else with what they did
 * not understand (exit 2), and change nothing either way: an operator typing `npm run
 * demo:remove -- --help` used to remove the demo. On either engine.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, onPostgres } from '../helpers/engine.ts'
import { databaseEnv, makeDataDir, runScript } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const COMMANDS = [
  ['scripts/demo-remove.ts', 'demo:remove'],
  ['scripts/retention.ts', 'retention'],
  ['scripts/recount.ts', 'recount'],
  ['scripts/migrate.ts', 'db:migrate'],
] as const

let data: { databasePath: string; databaseUrl: string | null }
let env: Record<string, string>
let db: ServerSql

beforeAll(async () => {
  data = { databasePath: path.join(makeDataDir(), 'vigil.db'), databaseUrl: onPostgres ? await createTestDatabase() : null }
  env = { ...databaseEnv(data), NODE_ENV: 'production', STRIPE_SECRET_KEY: '', RESEND_API_KEY: '' }
  const seeded = await runScript('scripts/seed/seed.ts', [], env)
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`)
  db = openServerSql(data)
}, 60_000)

afterAll(async () => {
  await db?.close()
  if (data?.databaseUrl) await dropTestDatabase(data.databaseUrl)
})

async function demoStillThere() {
  const campaigns = await db.get<{ n: number }>(`SELECT count(*) AS n FROM campaigns WHERE slug = 'free-andry'`)
  const organisers = await db.get<{ n: number }>(`SELECT count(*) AS n FROM organizers WHERE email = 'demo@vigil.example'`)
  return [Number(campaigns!.n), Number(organisers!.n)]
}

describe('a command that takes no arguments', () => {
  it.each(COMMANDS)('%s answers --help with what it does, and changes nothing', async (script, command) => {
    const result = await runScript(script, ['--help'], env)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`usage: npm run ${command}`)
    expect(result.stdout).not.toMatch(/removed|repaired|anonymised|up to date/)
    expect(await demoStillThere()).toEqual([1, 1])
  })

  it.each(COMMANDS)('%s refuses an argument it does not know, with exit 2, and changes nothing', async (script, command) => {
    const result = await runScript(script, ['--yes', 'now'], env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${command}: did not understand "--yes" "now"; nothing was changed`)
    expect(await demoStillThere()).toEqual([1, 1])
  })

  it('still runs without arguments (demo:remove removes the demo)', async () => {
    const result = await runScript('scripts/demo-remove.ts', [], env)
    expect(result.code).toBe(0)
    expect(await demoStillThere()).toEqual([0, 0])
  })
})
