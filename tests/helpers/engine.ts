import crypto from 'node:crypto'
import pg from 'pg'
import { closeDatabase, openDatabase, openPostgres, type DB } from '#db/client.server.ts'

/**
 * Which engine this test run is on: SQLite unless VIGIL_TEST_ENGINE=postgres (npm test runs the
 * integration suite once per engine, scripts/test-engines.ts). On Postgres every test file, and
 * every server a test starts, gets a database of its own, made on the server that
 * VIGIL_TEST_POSTGRES_URL names (a role that may create databases) and dropped afterwards.
 */
export const testEngine: 'sqlite' | 'postgres' = process.env.VIGIL_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite'
export const onPostgres = testEngine === 'postgres'

export function adminUrl() {
  return process.env.VIGIL_TEST_POSTGRES_URL || 'postgres://vigil:vigil@127.0.0.1:5432/postgres'
}

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Why no Postgres answers at the admin URL, or null when one does. */
export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    return null
  } catch (error) {
    return `no Postgres at VIGIL_TEST_POSTGRES_URL (${(error as Error).message})`
  } finally {
    await client.end().catch(() => {})
  }
}

/** Whether a Postgres answers at the admin URL (tests that need one whatever the engine skip without it). */
export async function postgresReachable() {
  return (await postgresUnavailable()) === null
}

/** A new, empty database (named vigil_t_<name>, or by process and chance); its URL. */
export async function createTestDatabase(name = `${process.pid}_${crypto.randomBytes(4).toString('hex')}`): Promise<string> {
  const full = `vigil_t_${name}`
  testDatabaseName(`postgres:///${full}`)
  await asAdmin((client) => client.query(`create database "${full}"`))
  const url = new URL(adminUrl())
  url.pathname = `/${full}`
  return url.toString()
}

function testDatabaseName(url: string) {
  const name = new URL(url).pathname.slice(1)
  if (!/^vigil_t_\w+$/.test(name)) throw new Error(`not a test database: ${name}`)
  return name
}

/**
 * A new database holding what the test database at `url` holds (what copying a SQLite data
 * folder is on Postgres); nothing may be connected to the source meanwhile.
 */
export async function copyTestDatabase(url: string): Promise<string> {
  const source = testDatabaseName(url)
  const name = `vigil_t_${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  const copy = new URL(adminUrl())
  copy.pathname = `/${name}`
  await asAdmin(async (client) => {
    // A pool closed a moment ago may still have a backend going away.
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.query(`create database "${name}" template "${source}"`)
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  })
  return copy.toString()
}

export async function dropTestDatabase(url: string) {
  const name = testDatabaseName(url)
  await asAdmin((client) => client.query(`drop database if exists "${name}" with (force)`))
}

/** A handle on a running server's database (its SQLite file, or its Postgres database). */
export function openServerDatabase(server: { databasePath: string; databaseUrl: string | null }): DB {
  return server.databaseUrl ? openPostgres(server.databaseUrl, 2) : openDatabase(server.databasePath)
}

export { closeDatabase }
