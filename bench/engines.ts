import fs from 'node:fs'
import { createTestDatabase, dropTestDatabase, postgresUnavailable } from '../tests/helpers/engine.ts'

/**
 * Which engines a bench runs on, from its command line (`npm run bench:x -- --engine …`):
 *   --engine sqlite         (the default) today's run on SQLite alone, printed as before
 *   --engine postgres       SQLite first, then the same runs on Postgres with one and with two
 *                           app processes, in one session, printed side by side: the figures to
 *                           compare come from the same machine at the same time
 *   --engine postgres-only  Postgres alone (one and two processes), for short checks
 */
export type EngineChoice = { sqlite: boolean; postgres: boolean; label: 'sqlite' | 'postgres' | 'postgres-only' }

export function engineChoice(argv = process.argv.slice(2)): EngineChoice {
  const at = argv.findIndex((a) => a === '--engine' || a.startsWith('--engine='))
  const value = at < 0 ? 'sqlite' : argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1]
  if (value === 'sqlite') return { sqlite: true, postgres: false, label: 'sqlite' }
  if (value === 'postgres' || value === 'both') return { sqlite: true, postgres: true, label: 'postgres' }
  if (value === 'postgres-only') return { sqlite: false, postgres: true, label: 'postgres-only' }
  console.error(`--engine must be sqlite (the default), postgres (SQLite, then Postgres beside it) or postgres-only, got "${value}"`)
  process.exit(2)
}

/** The Postgres the tests use (VIGIL_TEST_POSTGRES_URL), or a plain reason why it cannot be reached. */
export async function requirePostgres() {
  const unavailable = await postgresUnavailable()
  if (!unavailable) return
  console.error(`Postgres: ${unavailable}; set VIGIL_TEST_POSTGRES_URL`)
  process.exit(1)
}

/** A fresh database of the bench's own (dropped by `drop`), on the tests' Postgres. */
export async function benchDatabase() {
  const url = await createTestDatabase()
  return { url, name: new URL(url).pathname.slice(1), drop: () => dropTestDatabase(url) }
}

/**
 * CPU time (ms) of the Postgres backends serving one database, from /proc: the server's share
 * of a request's cost that the app process's own CPU time does not show. A backend that ends
 * during a run takes its time with it (pooled connections live on under load, so little is lost).
 */
export function postgresCpu(database: string) {
  const title = ` ${database} `
  const read = () => {
    const byPid = new Map<string, number>()
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        if (!cmdline.startsWith('postgres:') || !cmdline.includes(title)) continue
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        byPid.set(entry, (Number(fields[11]) + Number(fields[12])) * 10)
      } catch {
        // gone, or not ours to read
      }
    }
    return byPid
  }
  return {
    /** Starts a measurement; the function it returns gives the backends' CPU ms since. */
    start() {
      const before = read()
      return () => {
        let sum = 0
        for (const [pid, ms] of read()) sum += ms - (before.get(pid) ?? 0)
        return sum
      }
    },
  }
}

/** Whether a figure improved on a goal, for the verdict lines. */
export const met = (ok: boolean) => (ok ? 'met' : 'MISSED')
