/**
 * `npm run organizer:reset-2fa -- --email …` (ADR 019 §15), run as the operator would: a child
 * process against a server's data, on either engine. It removes the authenticator app,
 * passkeys, recovery codes and sessions, audits it as the operator, names the organiser and
 * never the email, and exits 0, 1 (no such organiser) or 2 (bad usage). The factors are rows
 * inserted by SQL: the flows that make them are tried in their own suites.
 */
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganiser } from '../helpers/organisers.ts'
import { databaseEnv, ROOT, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const RITA = { email: 'Rita.Reset@script.example', name: 'Rita Reset', password: 'a passphrase for the reset script' }
const SCRIPT = 'scripts/organizer-reset-2fa.ts'

let server: RunningServer
let db: ServerSql

const reset = (args: string[]) => runScript(SCRIPT, args, databaseEnv(server))

async function ritaId() {
  return (await db.get<{ id: number }>('select id from organizers where email = ?', RITA.email.toLowerCase()))!.id
}

async function signIn() {
  const response = await fetch(`${server.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url },
    body: new URLSearchParams({ email: RITA.email, password: RITA.password }),
  })
  expect(response.status).toBe(302)
  return /(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!
}

async function factorCounts(id: number) {
  const counts: Record<string, number> = {}
  for (const table of ['organizer_totp', 'organizer_passkeys', 'organizer_recovery_codes', 'sessions']) {
    counts[table] = Number((await db.get<{ n: number }>(`select count(*) as n from ${table} where organizer_id = ?`, id))!.n)
  }
  return counts
}

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  expect((await createOrganiser(server, RITA)).status).toBe(302)
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('npm run organizer:reset-2fa', () => {
  it('exits 2 with the usage on bad usage, and changes nothing', async () => {
    const before = JSON.stringify(await db.all('select id, action from audit_log order by id'))
    for (const args of [[], ['--email'], ['--email', 'not-an-address'], ['--bogus', 'x'], ['--email', RITA.email, 'extra']]) {
      const run = await reset(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain('usage: npm run organizer:reset-2fa -- --email')
    }
    expect(JSON.stringify(await db.all('select id, action from audit_log order by id'))).toBe(before)
  })

  it('exits 1 for an address no organiser has, without repeating it', async () => {
    const run = await reset(['--email', 'nobody@script.example'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('organizer:reset-2fa: no organiser has this email; nothing was changed')
    expect(run.stdout + run.stderr).not.toContain('nobody@script.example')
    // The same through npm, as the README writes it: its exit code is the script's.
    const viaNpm = spawnSync('npm', ['run', '--silent', 'organizer:reset-2fa', '--', '--email', 'nobody@script.example'], {
      cwd: ROOT,
      env: { ...process.env, ...databaseEnv(server) },
      encoding: 'utf8',
    })
    expect(viaNpm.status, viaNpm.stderr).toBe(1)
    expect(viaNpm.stderr).toContain('no organiser has this email')
  })

  it("removes the app, passkeys, recovery codes and sessions, audited as the operator's, naming the organiser and not the email", async () => {
    const id = await ritaId()
    await db.run(`insert into organizer_totp (organizer_id, sealed, data_key_id, confirmed_at, last_time_step) values (?, 'sealed-secret-stand-in', 'k1', 1, 1)`, id)
    await db.run(`insert into organizer_passkeys (organizer_id, credential_id, public_key, name) values (?, 'cred-script-1', 'pk1', 'Laptop'), (?, 'cred-script-2', 'pk2', 'Phone')`, id, id)
    await db.run(`insert into organizer_recovery_codes (organizer_id, code_hash, used_at) values (?, 'script-code-1', null), (?, 'script-code-2', 7)`, id, id)
    const cookie = await signIn()
    await signIn()
    expect(await factorCounts(id)).toEqual({ organizer_totp: 1, organizer_passkeys: 2, organizer_recovery_codes: 2, sessions: 2 })

    // Any case and spacing of the address finds her.
    const run = await reset(['--email', `  ${RITA.email.toUpperCase()} `])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('organizer:reset-2fa: removed the authenticator app, 2 passkeys and 1 recovery code of "Rita Reset" and ended 2 sessions')
    expect((run.stdout + run.stderr).toLowerCase()).not.toContain(RITA.email.toLowerCase())
    expect(await factorCounts(id)).toEqual({ organizer_totp: 0, organizer_passkeys: 0, organizer_recovery_codes: 0, sessions: 0 })

    const ended = await fetch(`${server.url}/admin`, { redirect: 'manual', headers: { Cookie: cookie } })
    expect(ended.status).toBe(302)
    expect(new URL(ended.headers.get('location')!, server.url).pathname).toBe('/admin/login')

    const audit = await db.all<{ organizer_id: number | null; details: string | Record<string, unknown> }>(
      `select organizer_id, details from audit_log where action = 'organizer.factors_reset' and subject_id = ?`,
      String(id),
    )
    expect(audit.map((a) => ({ actor: a.organizer_id, details: typeof a.details === 'string' ? JSON.parse(a.details) : a.details }))).toEqual([
      { actor: null, details: { by: 'operator', totp: true, passkeys: 2, recoveryCodes: 1, sessions: 2 } },
    ])

    // Again, with nothing left: it says so in the same words, and exits 0.
    const again = await reset(['--email', RITA.email])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('removed 0 passkeys and 0 recovery codes of "Rita Reset" and ended 0 sessions')
  })
})
