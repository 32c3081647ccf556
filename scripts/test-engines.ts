/**
 * The unit and integration suites on both engines, as `npm test` runs them: unit + integration
 * on SQLite and, where a Postgres is reachable, the integration suite again on Postgres
 * (VIGIL_TEST_ENGINE=postgres: tests/helpers/engine.ts gives every test file and server a
 * database of its own). The two run side by side, each with vitest's default forks (cores − 1:
 * one on a 2-core machine), so both cores are busy and `npm test` stays well under 20 minutes; VIGIL_TEST_SERIAL=1 runs
 * them one after the other. A failure on either engine fails the run. With no Postgres it
 * says so plainly and still runs SQLite.
 *
 *   tsx scripts/test-engines.ts [--sqlite-only | --postgres-only] [--e2e] [vitest filters…]
 *
 * With --e2e (npm test) the browser suite runs too, on SQLite, once the SQLite run has passed:
 * in four parts, each taken by whichever run is free (SQLite's first; the Postgres run, the
 * longer one, takes what is left when it ends), so both cores stay busy to the end. Serially,
 * or with no Postgres, it runs last, whole.
 *
 * Servers' logs of both runs go to VIGIL_LOG_AUDIT_DIR when it is set (npm test sets it), so the
 * log audit reads both.
 *
 * An integration test whose subject cannot depend on the engine (HTTP parsing, the request
 * guard, compression, the stand-ins) says so on a line of its own, `// sqlite-only: <why>`, and
 * runs on SQLite only: the Postgres run is the longer one, so what it skips is wall time saved.
 * VIGIL_TEST_ENGINE=postgres npx vitest run <file> still runs such a file on Postgres.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
const DEFAULT_URL = 'postgres://vigil:vigil@127.0.0.1:5432/postgres'

type Engine = 'sqlite' | 'postgres' | 'e2e'
type Outcome = { engine: Engine; part: string; code: number; seconds: number; failures: string[] }

// How many parts the browser suite is cut into when it runs beside the Postgres run.
const E2E_PARTS = 4

const ANSI = /\x1b\[[0-9;]*m/g

/**
 * Collects vitest's " FAIL  file > test" lines and the error line after each, so the run's last
 * lines name what failed: CI keeps only the tail of a long, interleaved output.
 */
export function failureRecap() {
  const lines: string[] = []
  let awaitingError = false
  return {
    lines,
    read(raw: string) {
      const line = raw.replace(ANSI, '').trimEnd()
      if (/^\s*FAIL\s+\S/.test(line)) {
        const entry = line.trim()
        if (!lines.includes(entry)) lines.push(entry)
        awaitingError = true
      } else if (awaitingError && /^\s*\w*(Error|Exception)\b/.test(line)) {
        lines.push(`  ${line.trim().slice(0, 300)}`)
        awaitingError = false
      } else if (awaitingError && /^\s*(❯|⎯)/.test(line)) awaitingError = false
    },
  }
}

/** The URL without its password, to name it in messages. */
export function maskedUrl(url: string) {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(not a URL)'
  }
}

/** Null when the tests can use the Postgres at `url` (reachable, and the role may create databases), else why not. */
export async function postgresUnavailable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    const { rows } = await client.query<{ may: boolean }>('select rolsuper or rolcreatedb as may from pg_roles where rolname = current_user')
    if (!rows[0]?.may) return `the role at ${maskedUrl(url)} may not create databases`
    return null
  } catch (error) {
    const reason = error instanceof Error ? (error as NodeJS.ErrnoException).code || error.message : String(error)
    return `no Postgres answered at ${maskedUrl(url)}: ${reason}`
  } finally {
    await client.end().catch(() => {})
  }
}

/** Integration test files marked `// sqlite-only: <why>` (relative to the root), which the Postgres run leaves out. */
export function sqliteOnlyFiles(root = ROOT) {
  const dir = path.join(root, 'tests/integration')
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts') && /^\/\/ sqlite-only: \S/m.test(fs.readFileSync(path.join(dir, name), 'utf8')))
    .map((name) => `tests/integration/${name}`)
    .sort()
}

function runSuite(engine: Engine, args: string[], prefix: boolean): Promise<Outcome> {
  const started = Date.now()
  const config = engine === 'e2e' ? ['--config', 'vitest.e2e.config.ts'] : []
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...config, ...args], {
    cwd: ROOT,
    // The browser suite runs on SQLite.
    env: { ...process.env, VIGIL_TEST_ENGINE: engine === 'e2e' ? 'sqlite' : engine },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const recap = failureRecap()
  // Side by side, each line says which engine's run it comes from.
  for (const stream of [child.stdout, child.stderr]) {
    const out = stream === child.stdout ? process.stdout : process.stderr
    readline.createInterface({ input: stream }).on('line', (line) => {
      recap.read(line)
      out.write(prefix ? `[${engine}] ${line}\n` : `${line}\n`)
    })
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ engine, part: args.find((a) => a.startsWith('--shard='))?.slice('--shard='.length) ?? '', code: code ?? (signal ? 1 : 0), seconds: Math.round((Date.now() - started) / 1000), failures: recap.lines }),
    )
  })
}

async function main(argv: string[]) {
  const only = argv.includes('--sqlite-only') ? 'sqlite' : argv.includes('--postgres-only') ? 'postgres' : null
  const e2e = argv.includes('--e2e')
  if (e2e) {
    // Chromium present (installed where missing) before any suite starts, not in the middle of them.
    const ready = await new Promise<number>((resolve) => spawn('bash', ['scripts/ensure-chromium.sh'], { cwd: ROOT, stdio: 'inherit' }).on('close', (code) => resolve(code ?? 1)))
    if (ready !== 0) return ready
  }
  const filters = argv.filter((a) => !a.startsWith('--'))
  const url = process.env.VIGIL_TEST_POSTGRES_URL || DEFAULT_URL
  process.env.VIGIL_TEST_POSTGRES_URL = url

  let postgres = only !== 'sqlite'
  if (postgres) {
    const why = await postgresUnavailable(url)
    if (why) {
      if (only === 'postgres') {
        console.error(`Postgres: ${why}`)
        return 1
      }
      console.log(`Postgres: skipped (${why}; start one, e.g. \`bash .ci/run\` does, or set VIGIL_TEST_POSTGRES_URL). Running SQLite only.`)
      postgres = false
    } else console.log(`Postgres: the integration suite runs on ${maskedUrl(url)} too, but for ${sqliteOnlyFiles().length} files marked sqlite-only`)
  }

  // SQLite: unit and integration tests (the vitest config's include); Postgres: the integration tests.
  const sqliteArgs = filters.length ? filters : []
  const postgresArgs = [...(filters.length ? filters : ['tests/integration']), ...sqliteOnlyFiles().flatMap((file) => ['--exclude', file])]
  const runs: { engine: Engine; args: string[] }[] = []
  if (only !== 'postgres') runs.push({ engine: 'sqlite', args: sqliteArgs })
  if (postgres) runs.push({ engine: 'postgres', args: postgresArgs })

  const serial = process.env.VIGIL_TEST_SERIAL === '1' || runs.length < 2
  const outcomes: Outcome[] = []
  if (serial) {
    for (const run of runs) outcomes.push(await runSuite(run.engine, run.args, false))
    if (e2e && outcomes.every((o) => o.code === 0)) outcomes.push(await runSuite('e2e', [], false))
  } else {
    // The browser suite in E2E_PARTS parts (vitest --shard), each taken by whichever engine's run
    // is free once SQLite has passed: SQLite's run ends minutes before the Postgres one, which
    // then takes the last parts, and both cores stay busy to the end.
    const parts = e2e ? Array.from({ length: E2E_PARTS }, (_, i) => `--shard=${i + 1}/${E2E_PARTS}`) : []
    // Settles as soon as SQLite's own run ends (or at once without one: nothing then runs the browser suite).
    let settleSqlite: (passed: boolean) => void = () => {}
    const sqlitePassed = runs.some((run) => run.engine === 'sqlite') ? new Promise<boolean>((resolve) => (settleSqlite = resolve)) : Promise.resolve(false)
    const lane = async (run: { engine: Engine; args: string[] }) => {
      const done = [await runSuite(run.engine, run.args, true)]
      if (run.engine === 'sqlite') settleSqlite(done[0]!.code === 0)
      if (!(await sqlitePassed)) return done
      for (let part = parts.shift(); part; part = parts.shift()) done.push(await runSuite('e2e', [part, '--passWithNoTests'], true))
      return done
    }
    outcomes.push(...(await Promise.all(runs.map(lane))).flat())
  }

  console.log('')
  for (const o of outcomes) {
    console.log(`${o.engine}${o.part ? ` ${o.part}` : ''}: ${o.code === 0 ? 'passed' : `FAILED (exit ${o.code})`} in ${Math.floor(o.seconds / 60)} min ${o.seconds % 60} s`)
    for (const line of o.code === 0 ? [] : o.failures.slice(0, 40)) console.log(`  ${line}`)
  }
  if (!postgres && only !== 'sqlite') console.log('postgres: skipped (see above)')
  return outcomes.every((o) => o.code === 0) ? 0 : 1
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2))
}
