/**
 * Upgrading a database from before encryption at rest (ADR 017), on either engine
 * (VIGIL_TEST_ENGINE=postgres): a database migrated to the release before (SQLite 0020, Postgres
 * 0003) holding plain rows of every personal table is started, and before the server listens every
 * personal field is sealed, the plain columns are null, the old suppressions have moved, the counts
 * are unchanged, My data shows the same names, and (SQLite) the file and its WAL hold none of the
 * plaintext. A start killed mid-way leaves no half-written row and the next start finishes.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closeDatabase, openDatabase, openPostgres, type DB } from '#db/client.server.ts'
import { emailHashes, nameWordHashes, openDonation, openEmail, openReply, openResubmitted, openSignature, openSupporter, openSuppression } from '~/models/personal-data.server.ts'
import { createTestDatabase, dropTestDatabase, onPostgres } from '../helpers/engine.ts'
import { rawSql } from '../helpers/mail-worker.ts'
import { fillPlainDatabase, migrateBeforeSealing, myDataPage, PLAIN_MARKERS } from '../helpers/sealed-data.ts'
import { entryArgs, makeDataDir, ROOT, startServer, type RunningServer } from '../helpers/server.ts'
import { TEST_DATA_KEY } from '../helpers/data-key.ts'

type Target = { dir: string; databaseUrl: string | null; db: DB; close: () => Promise<void> }
const cleanUps: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp()
})

/** An empty database (a data folder; on Postgres a database of its own) at the release before ADR 017. */
async function oldDatabase(): Promise<Target> {
  const dir = makeDataDir()
  cleanUps.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const databaseUrl = onPostgres ? await createTestDatabase() : null
  if (databaseUrl) cleanUps.push(() => dropTestDatabase(databaseUrl))
  const db = databaseUrl ? openPostgres(databaseUrl, 2) : openDatabase(path.join(dir, 'vigil.db'))
  await migrateBeforeSealing(db)
  // Closed by the test before a server starts on it.
  return { dir, databaseUrl, db, close: () => closeDatabase(db) }
}

const started: RunningServer[] = []
let upgraded: Target | null = null
afterAll(async () => {
  for (const server of started) await server.stop({ keepData: true })
})

async function start(target: Target) {
  const server = await startServer({ seed: false, dir: target.dir, env: { DATABASE_URL: target.databaseUrl ?? '' } })
  started.push(server)
  return server
}

const TABLES = ['supporters', 'signatures', 'donations', 'replies', 'email_messages', 'consents', 'campaigns']

async function counts(db: DB) {
  const q = rawSql(db)
  const out: Record<string, number> = {}
  for (const table of TABLES) out[table] = Number((await q.get<{ n: number }>(`select count(*) as n from ${table}`))!.n)
  return out
}

/** Every byte of the SQLite file and its WAL, as latin1 text (UTF-8 markers in ASCII match as they are). */
function fileBytes(dir: string) {
  return ['vigil.db', 'vigil.db-wal']
    .map((name) => path.join(dir, name))
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file).toString('latin1'))
    .join('\n')
}

describe('upgrading a database that holds plaintext', () => {
  it('seals every personal field before serving, keeps every row, and My data shows the same names', async () => {
    const target = await oldDatabase()
    const plain = await fillPlainDatabase(target.db, { signers: 1_203 })
    const before = await counts(target.db)
    const q = rawSql(target.db)
    const originalSignatures = await q.all<{ id: number; first_name: string; last_name: string; postal_code: string | null; message: string | null }>(
      `select id, first_name, last_name, postal_code, message from signatures order by id`,
    )
    await target.close()
    // Without sealing, a copy of the file names everyone: what this test must see disappear.
    if (!onPostgres) expect(fileBytes(target.dir)).toContain('Quillfeather')

    const server = await start(target)
    expect(server.output()).toMatch(/sealed 1,203 supporters row/)
    expect(server.output()).toContain('moved 2 suppression(s) to suppressed_addresses')
    // Sealing came before listening.
    expect(server.output().indexOf('sealed 1,203 supporters')).toBeLessThan(server.output().indexOf('listening on'))
    // No address, name or message in the log.
    for (const marker of PLAIN_MARKERS) expect(server.output()).not.toContain(marker)
    await server.stop({ keepData: true })

    if (!onPostgres) {
      const bytes = fileBytes(target.dir)
      for (const marker of PLAIN_MARKERS) expect(bytes, marker).not.toContain(marker)
    }

    const db = target.databaseUrl ? openPostgres(target.databaseUrl, 2) : openDatabase(path.join(target.dir, 'vigil.db'))
    cleanUps.push(() => closeDatabase(db))
    const s = rawSql(db)
    expect(await counts(db)).toEqual(before)

    // No plain column holds anything; every row that had personal data has its envelope and key.
    expect(await s.all(`select id from supporters where email is not null or email_normalized is not null or first_name is not null or last_name is not null or sealed is null or email_hash is null or email_domain_hash is null or data_key_id is null`)).toEqual([])
    expect(await s.all(`select id from signatures where first_name is not null or last_name is not null or postal_code is not null or message is not null or resubmitted_details is not null or data_key_id is null`)).toEqual([])
    expect(await s.all(`select id from donations where email is not null or receipt_name is not null or public_name is not null or message is not null`)).toEqual([])
    expect(await s.all(`select id from replies where body is not null or sealed is null`)).toEqual([])
    expect(await s.all(`select id from email_messages where to_email is not null`)).toEqual([])
    expect(await s.all(`select email_normalized from suppressions`)).toEqual([])

    // What was sealed opens to what was plain.
    const supporter1 = (await s.get<{ id: number; sealed: string }>(`select id, sealed from supporters where email_hash in (${emailHashes('signer.1@example.org').map(() => '?').join(', ')})`, ...emailHashes('signer.1@example.org')))!
    expect(openSupporter(supporter1.sealed)).toEqual({ email: 'Signer.1@Example.org', firstName: 'Ysolde1', lastName: 'Quillfeather' })
    const sealedSignatures = await s.all<{ id: number; sealed: string | null; resubmitted_sealed: string | null; campaign_id: number }>(`select id, sealed, resubmitted_sealed, campaign_id from signatures order by id`)
    for (const [i, row] of sealedSignatures.entries()) {
      const was = originalSignatures[i]!
      expect(row.id).toBe(was.id)
      if (was.first_name === '') expect(row.sealed).toBeNull()
      else expect(openSignature(row.sealed)).toEqual({ firstName: was.first_name, lastName: was.last_name, postalCode: was.postal_code, message: was.message })
    }
    const resubmitted = sealedSignatures.find((r) => r.resubmitted_sealed !== null)!
    expect(openResubmitted(resubmitted.resubmitted_sealed)).toMatchObject({ firstName: 'Resubmitted', postalCode: 'QXRESUB', message: 'Resubmitted marker message' })
    // One name-word row per word, for every confirmed signature with names, so the back office finds
    // them; none for the pending one (it gets them when confirmed, ADR 017).
    const words = await s.all<{ word_hash: string }>(`select word_hash from signature_name_words where signature_id = ?`, sealedSignatures[0]!.id)
    expect(words.map((w) => w.word_hash).sort()).toEqual(nameWordHashes('Ysolde1', 'Quillfeather').sort())
    expect(Number((await s.get<{ n: number }>(`select count(distinct signature_id) as n from signature_name_words`))!.n)).toBe(plain.signers)
    expect(await s.all(`select w.signature_id from signature_name_words w join signatures g on g.id = w.signature_id where g.status <> 'confirmed'`)).toEqual([])

    const donationRows = await s.all<{ sealed: string | null; receipt_number: number }>(`select sealed, receipt_number from donations order by receipt_number`)
    expect(donationRows.map((d) => openDonation(d.sealed))).toEqual([
      { email: 'Signer.1@Example.org', receiptName: 'Receipt Quillfeather 1', publicName: 'Wall Quillfeather 1', message: 'Donor marker message 1' },
      { email: 'Signer.2@Example.org', receiptName: 'Receipt Quillfeather 2', publicName: 'Wall Quillfeather 2', message: 'Donor marker message 2' },
      { email: 'Signer.3@Example.org', receiptName: 'Receipt Quillfeather 3', publicName: 'Wall Quillfeather 3', message: 'Donor marker message 3' },
      null,
    ])
    expect(openReply((await s.get<{ sealed: string }>(`select sealed from replies`))!.sealed)).toEqual({ body: 'Thank you, Quillfeather reply marker' })
    const confirmation = (await s.get<{ sealed: string; props: unknown }>(`select sealed, props from email_messages where idempotency_key = 'signature:1:confirm'`))!
    expect(openEmail(confirmation.sealed)).toMatchObject({ to: 'Signer.1@Example.org', props: { firstName: 'Ysolde1', tokenSeed: 'seed-1' } })
    expect(typeof confirmation.props === 'string' ? JSON.parse(confirmation.props) : confirmation.props).toEqual({})
    // An update's row names nobody: it keeps its ids and goes to its supporter's address.
    const update = (await s.get<{ sealed: string | null; props: unknown; supporter_id: number }>(`select sealed, props, supporter_id from email_messages where idempotency_key = 'update:1:3'`))!
    expect(update.sealed).toBeNull()
    expect(typeof update.props === 'string' ? JSON.parse(update.props) : update.props).toEqual({ updateId: 1, supporterId: 3 })
    const suppressed = await s.all<{ sealed: string; reason: string; email_hash: string }>(`select email_hash, sealed, reason from suppressed_addresses order by reason`)
    expect(suppressed.map((r) => [r.reason, openSuppression(r.sealed).emailNormalized])).toEqual([
      ['bounce', 'bounced.quillfeather@example.org'],
      ['complaint', 'signer.4@example.org'],
    ])
    expect(emailHashes('Signer.4@Example.org')).toContain(suppressed[1]!.email_hash)

    // A second start has nothing left to do and says nothing about it.
    const again = await start(target)
    expect(again.output()).not.toMatch(/sealed \d/)
    const me = await myDataPage(db, again.url, 'signer.3@example.org', 3)
    expect(me.status).toBe(200)
    for (const text of ['Signer.3@Example.org', 'Ysolde3', 'Quillfeather', 'QX3', 'Marker message 3 for Quillfeather', 'Thank you, Quillfeather reply marker']) {
      expect(me.html, text).toContain(text)
    }
    const exported = (await (await fetch(`${again.url}/me/export.json`, { headers: { Cookie: me.cookie } })).json()) as { donations: { receiptName: string; publicName: string; message: string }[] }
    expect(exported.donations).toEqual([expect.objectContaining({ receiptName: 'Receipt Quillfeather 3', publicName: 'Wall Quillfeather 3', message: 'Donor marker message 3' })])
    await again.stop({ keepData: true })
    upgraded = target
  }, 120_000)

  // The public readers of signers' names are other parts' (ADR 017: every reader opens `sealed`): this passes once they are merged.
  it('shows the same names and messages on the campaign page after the upgrade', async () => {
    expect(upgraded, 'the upgrade test above ran').not.toBeNull()
    const server = await start(upgraded!)
    const page = await (await fetch(`${server.url}/c/upgrade`)).text()
    await server.stop({ keepData: true })
    // Recent signers as the page shows them (first name, last initial), and approved messages of support.
    expect(page).toMatch(/Ysolde\d+ Q\./)
    expect(page).toMatch(/Marker message \d+ for Quillfeather/)
  }, 60_000)

  it('survives a kill mid-way: no row is half-written, and the next start finishes the work', async () => {
    const target = await oldDatabase()
    // Enough rows that sealing takes a while after its first progress line (every 5,000 rows).
    await fillPlainDatabase(target.db, { signers: 7_000 })
    const before = await counts(target.db)
    await target.close()

    // `npm run db:migrate` seals as the server's start does; killed (SIGKILL) once it is under way.
    const child = spawn(process.execPath, entryArgs('scripts/migrate.ts'), {
      cwd: ROOT,
      env: { ...process.env, DATABASE_PATH: path.join(target.dir, 'vigil.db'), DATABASE_URL: target.databaseUrl ?? '', VIGIL_DATA_KEY: TEST_DATA_KEY, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const killed = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString()
        if (/sealing supporters: [\d,]+ rows so far/.test(output) && child.exitCode === null) {
          child.kill('SIGKILL')
          resolve(true)
        }
      })
      child.stderr.on('data', (d: Buffer) => (output += d.toString()))
      child.on('exit', () => resolve(false))
    })
    expect(killed, output).toBe(true)
    await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(null)))

    const db = target.databaseUrl ? openPostgres(target.databaseUrl, 2) : openDatabase(path.join(target.dir, 'vigil.db'))
    const s = rawSql(db)
    // Each row is wholly plain or wholly sealed: a batch commits whole or not at all.
    const states = await s.all<{ state: string; n: number }>(
      `select case when sealed is null and email_normalized is not null and email_hash is null then 'plain'
                   when sealed is not null and email_normalized is null and email is null and first_name is null and email_hash is not null then 'sealed'
                   else 'half' end as state, count(*) as n
       from supporters group by 1 order by 1`,
    )
    expect(states.map((r) => r.state)).toEqual(['plain', 'sealed'])
    expect(Number((await s.get<{ n: number }>(`select count(*) as n from signatures where sealed is null and first_name is not null`))!.n)).toBeGreaterThan(0)
    await closeDatabase(db)

    const server = await start(target)
    expect(server.output()).toContain('every personal field is now sealed')
    await server.stop({ keepData: true })
    const after = target.databaseUrl ? openPostgres(target.databaseUrl, 2) : openDatabase(path.join(target.dir, 'vigil.db'))
    cleanUps.push(() => closeDatabase(after))
    const a = rawSql(after)
    expect(await counts(after)).toEqual(before)
    expect(await a.all(`select id from supporters where sealed is null or email_normalized is not null`)).toEqual([])
    expect(await a.all(`select id from signatures where first_name is not null or (sealed is null and anonymised_at is null)`)).toEqual([])
    expect(Number((await a.get<{ n: number }>(`select count(*) as n from supporters`))!.n)).toBe(7_000)
    if (!onPostgres) {
      const bytes = fileBytes(target.dir)
      for (const marker of PLAIN_MARKERS) expect(bytes, marker).not.toContain(marker)
    }
  }, 240_000)
})
