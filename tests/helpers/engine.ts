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

/** A new, empty database; its URL. */
export async function createTestDatabase(): Promise<string> {
  const name = `vigil_t_${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  await asAdmin((client) => client.query(`create database "${name}"`))
  const url = new URL(adminUrl())
  url.pathname = `/${name}`
  return url.toString()
}

export async function dropTestDatabase(url: string) {
  const name = new URL(url).pathname.slice(1)
  if (!/^vigil_t_\w+$/.test(name)) throw new Error(`dropTestDatabase: not a test database: ${name}`)
  await asAdmin((client) => client.query(`drop database if exists "${name}" with (force)`))
}

/** A handle on a running server's database (its SQLite file, or its Postgres database). */
export function openServerDatabase(server: { databasePath: string; databaseUrl: string | null }): DB {
  return server.databaseUrl ? openPostgres(server.databaseUrl, 2) : openDatabase(server.databasePath)
}

export { closeDatabase }
