import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { createTestDatabase, copyTestDatabase, dropTestDatabase } from './engine.ts'

/**
 * Work a test run would otherwise repeat for every server and test file, done once per run and
 * copied: the demo seed (a process of its own, ~1.5 s of CPU on a 2-core machine, before most
 * of the ~150 servers a run starts) and, on Postgres, the migrations (~0.8 s per database).
 * A copy is the real seed's or migrator's result: a file copy on SQLite, `CREATE DATABASE …
 * TEMPLATE` on Postgres.
 *
 * The copies live in VIGIL_TEST_RUN_DIR, which the vitest configs' global setup
 * (tests/helpers/global-setup.ts) makes and removes with its templates; without it (a bench, a
 * script) nothing is cached and every server seeds its own data.
 */

// What makes one server's environment differ from another's without touching what the seed writes.
const PER_SERVER = new Set(['PORT', 'HOST', 'PUBLIC_URL', 'DATABASE_PATH', 'DATABASE_URL', 'UPLOADS_PATH', 'VIGIL_QUIET_LOG'])

function runDir() {
  const dir = process.env.VIGIL_TEST_RUN_DIR
  return dir && fs.existsSync(dir) ? dir : null
}

/** The run's tag in template names: from the run folder's name, so teardown finds them. */
export function runTag(dir: string) {
  return path.basename(dir).replace(/\W/g, '').slice(-12).toLowerCase()
}

function keyOf(kind: string, env: Record<string, string>) {
  const relevant = Object.entries(env).filter(([name]) => !PER_SERVER.has(name)).sort(([a], [b]) => a.localeCompare(b))
  return crypto.createHash('sha256').update(JSON.stringify([kind, relevant])).digest('hex').slice(0, 12)
}

/**
 * The demo seed's result for `env`, copied from the run's copy (made by `seed` the first time):
 * to `databasePath` on SQLite (a file that must not exist yet), or into a new database on
 * Postgres, whose URL it gives. False when nothing is cached (no run folder): the caller seeds.
 */
export async function seededCopy(
  engine: 'sqlite' | 'postgres',
  databasePath: string,
  env: Record<string, string>,
  seed: (data: { DATABASE_PATH: string; DATABASE_URL: string }) => Promise<void>,
): Promise<{ databaseUrl: string | null } | false> {
  const dir = runDir()
  if (!dir) return false
  const key = keyOf('seed', env)
  if (engine === 'postgres') {
    const template = await postgresTemplate(dir, `seed_${key}`, (url) => seed({ DATABASE_PATH: databasePath, DATABASE_URL: url }))
    return { databaseUrl: await copyTestDatabase(template) }
  }
  const file = path.join(dir, `seeded-${key}.db`)
  if (!fs.existsSync(file)) {
    const scratch = fs.mkdtempSync(path.join(dir, 'seeding-'))
    await seed({ DATABASE_PATH: path.join(scratch, 'vigil.db'), DATABASE_URL: '' })
    // The seed closed its connection, which folds the WAL back into the file.
    if (fs.existsSync(path.join(scratch, 'vigil.db-wal'))) throw new Error('the seeded SQLite file still has a WAL beside it')
    // Atomic: a test file running beside this one finds the whole file or none.
    fs.renameSync(path.join(scratch, 'vigil.db'), file)
    fs.rmSync(scratch, { recursive: true, force: true })
  }
  fs.copyFileSync(file, databasePath)
  return { databaseUrl: null }
}

/** A new Postgres database, migrated: from the run's migrated template when there is one. */
export async function migratedPostgres(migrate: (url: string) => Promise<void>): Promise<string> {
  const dir = runDir()
  if (!dir) {
    const url = await createTestDatabase()
    await migrate(url)
    return url
  }
  return copyTestDatabase(await postgresTemplate(dir, 'migrated', migrate))
}

/**
 * The run's template database of that name, made by `fill` the first time; a marker file in the
 * run folder says it is complete (a template half-filled by a test that failed is never used).
 */
async function postgresTemplate(dir: string, name: string, fill: (url: string) => Promise<void>) {
  const marker = path.join(dir, `pg-${name}.url`)
  if (fs.existsSync(marker)) return fs.readFileSync(marker, 'utf8')
  // The process id in the name: two test files making the same template side by side do not collide.
  const url = await createTestDatabase(`tpl_${runTag(dir)}_${name}_${process.pid}`)
  try {
    await fill(url)
  } catch (error) {
    await dropTestDatabase(url)
    throw error
  }
  fs.writeFileSync(`${marker}.${process.pid}`, url)
  fs.renameSync(`${marker}.${process.pid}`, marker)
  return url
}
