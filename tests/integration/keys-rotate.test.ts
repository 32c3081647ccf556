/**
 * `npm run keys:rotate` (ADR 017, "Rotating keys"), on either engine (VIGIL_TEST_ENGINE=postgres):
 * a database sealed under one key is served with a new key first, and while signatures arrive
 * (new addresses and addresses already held) the rotation seals every row again under the new key,
 * makes every hash again (supporters' address and domain, suppressions, name words), leaves no
 * address twice among the supporters, and says the old key is no longer used; the server then
 * starts with the new key alone and My data still shows the same names. `--new` prints a fresh
 * key and the steps.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { generate } from 'otplib'
import { afterAll, describe, expect, it } from 'vitest'
import { parseDataKeys } from '~/utils/config.server.ts'
import { createDataCrypto } from '~/utils/data-crypto.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { closeDatabase, getDb, openDatabase, openPostgres } from '#db/client.server.ts'
import { nameWords, sealSupporter } from '~/models/personal-data.server.ts'
import { TEST_DATA_KEY } from '../helpers/data-key.ts'
import { createTestDatabase, dropTestDatabase, onPostgres } from '../helpers/engine.ts'
import { rawSql } from '../helpers/mail-worker.ts'
import { fillPlainDatabase, migrateBeforeSealing, myDataPage } from '../helpers/sealed-data.ts'
import { databaseEnv, makeDataDir, runScript, startServer, type RunningServer } from '../helpers/server.ts'
import { createOrganiser } from '../helpers/organisers.ts'

const cleanUps: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp()
})

const NEW_KEY = `2:${crypto.randomBytes(32).toString('base64')}`
const BOTH = `${NEW_KEY},${TEST_DATA_KEY}`
// The test opens and hashes with explicit keys: its own process holds only the old one.
const both = createDataCrypto(parseDataKeys(BOTH))
const newOnly = createDataCrypto(parseDataKeys(NEW_KEY))
const SUPPORTER = { table: 'supporters', column: 'sealed' }
const SUPPRESSION = { table: 'suppressed_addresses', column: 'sealed' }
const SIGNATURE = { table: 'signatures', column: 'sealed' }

describe('npm run keys:rotate', () => {
  it('seals every row again under the new key while signatures arrive, with no supporter twice', async () => {
    const dir = makeDataDir()
    cleanUps.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const databaseUrl = onPostgres ? await createTestDatabase() : null
    if (databaseUrl) cleanUps.push(() => dropTestDatabase(databaseUrl))
    const open = () => (databaseUrl ? openPostgres(databaseUrl, 2) : openDatabase(path.join(dir, 'vigil.db')))
    const seed = open()
    await migrateBeforeSealing(seed)
    await fillPlainDatabase(seed, { signers: 1_500 })
    await closeDatabase(seed)
    const target = { databasePath: path.join(dir, 'vigil.db'), databaseUrl }

    // Sealed under the old key by the start-up step.
    const first = await startServer({ seed: false, dir, env: { DATABASE_URL: databaseUrl ?? '' } })
    await first.stop({ keepData: true })

    // Step 2 of the rotation: the new key first, the old one after it.
    const env = { DATABASE_URL: databaseUrl ?? '', VIGIL_DATA_KEY: BOTH, TRUST_PROXY: '1', SIGN_LIMIT_PER_10_MIN: '10000', SIGN_LIMIT_PER_DAY: '10000' }
    const server: RunningServer = await startServer({ seed: false, dir, env })
    cleanUps.push(() => server.stop({ keepData: true }))
    const sign = (i: number, email: string) =>
      fetch(`${server.url}/c/upgrade`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'X-Forwarded-For': `10.88.${i % 250}.${Math.floor(i / 250) + 1}` },
        body: new URLSearchParams({ firstName: `Rotated${i}`, lastName: 'Signer', email, country: 'DE' }),
      })

    // Signers arrive all through the rotation: new addresses, and addresses held under the old key (to the other campaign's page they already signed, so: re-signs).
    let signing = true
    const signed: number[] = []
    const signers = (async () => {
      for (let i = 1; signing || i <= 40; i++) {
        const email = i % 2 === 0 ? `fresh.${i}@example.org` : `SIGNER.${1_500 - i}@example.org`
        signed.push((await sign(i, email)).status)
      }
    })()
    const rotated = await runScript('scripts/keys-rotate.ts', [], { ...databaseEnv(target), VIGIL_DATA_KEY: BOTH })
    signing = false
    await signers
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(signed.every((status) => status === 303), JSON.stringify(signed)).toBe(true)
    expect(rotated.stdout).toMatch(/keys:rotate: supporters [\d,]+ \/ [\d,]+ under key "2"/)
    // Nothing of anyone in its output.
    expect(rotated.stdout).not.toMatch(/@|Quillfeather|Ysolde/)

    // Whatever arrived during the first pass is already under the new key: a second pass finds nothing.
    const again = await runScript('scripts/keys-rotate.ts', [], { ...databaseEnv(target), VIGIL_DATA_KEY: BOTH })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('key "test" is no longer used: remove it from VIGIL_DATA_KEY and restart')
    expect(again.stdout).not.toMatch(/sealed again under key/)

    const db = open()
    cleanUps.push(() => closeDatabase(db))
    const q = rawSql(db)
    for (const table of ['supporters', 'signatures', 'donations', 'replies', 'email_messages', 'suppressed_addresses']) {
      expect(await q.all(`select data_key_id from ${table} where data_key_id is not null and data_key_id <> '2'`), table).toEqual([])
    }
    // Every supporter: sealed under key 2, its hashes those of key 2, and no address twice.
    const supporters = await q.all<{ id: number; sealed: string | null; email_hash: string; email_domain_hash: string; email_normalized: string | null }>(
      `select id, sealed, email_hash, email_domain_hash, email_normalized from supporters`,
    )
    const addresses = new Set<string>()
    for (const row of supporters) {
      // A signature written by code that does not seal yet (before the signing part is merged) keeps its plain address.
      const address = row.sealed ? normalizeEmail((JSON.parse(both.open(row.sealed, SUPPORTER)) as { email: string }).email) : row.email_normalized!
      expect(addresses.has(address), `two supporters for one address (supporter ${row.id})`).toBe(false)
      addresses.add(address)
      if (!row.sealed) continue
      expect(both.keyIdOf(row.sealed)).toBe('2')
      expect(row.email_hash).toBe(newOnly.lookupHash(address, 'email'))
      expect(row.email_domain_hash).toBe(newOnly.lookupHash(address.split('@')[1]!, 'email-domain'))
    }
    expect(addresses.size).toBe(supporters.length)
    expect(supporters.length).toBeGreaterThanOrEqual(1_500 + 20)

    const suppressed = await q.all<{ email_hash: string; sealed: string }>(`select email_hash, sealed from suppressed_addresses`)
    expect(suppressed).toHaveLength(2)
    for (const row of suppressed) {
      const { emailNormalized } = JSON.parse(newOnly.open(row.sealed, SUPPRESSION)) as { emailNormalized: string }
      expect(row.email_hash).toBe(newOnly.lookupHash(emailNormalized, 'email'))
    }

    // Name words: made again from the names of every confirmed signature, under the new key; none for a
    // pending one, whether signed during this run or sealed at the upgrade (it gets them when confirmed, ADR 017).
    expect(await q.all(`select w.signature_id from signature_name_words w join signatures s on s.id = w.signature_id where s.status <> 'confirmed'`)).toEqual([])
    const signatures = await q.all<{ id: number; sealed: string }>(`select id, sealed from signatures where sealed is not null and status = 'confirmed' order by id`)
    expect(signatures.length).toBeGreaterThanOrEqual(1_500)
    for (const row of signatures.filter((_, i) => i % 97 === 0)) {
      const { firstName, lastName } = JSON.parse(newOnly.open(row.sealed, SIGNATURE)) as { firstName: string; lastName: string }
      const words = await q.all<{ word_hash: string }>(`select word_hash from signature_name_words where signature_id = ?`, row.id)
      expect(words.map((w) => w.word_hash).sort()).toEqual(nameWords(firstName, lastName).map((w) => newOnly.lookupHash(w, 'name-word')).sort())
    }
    const oldWordHash = both.lookupHashes('quillfeather', 'name-word').find((h) => h.keyId === 'test')!.hash
    expect(await q.all(`select signature_id from signature_name_words where word_hash = ?`, oldWordHash)).toEqual([])
    await server.stop({ keepData: true })

    // Step 4: the old key removed. Everything still opens, and My data finds the address by its new hash.
    const last = await startServer({ seed: false, dir, env: { ...env, VIGIL_DATA_KEY: NEW_KEY } })
    cleanUps.push(() => last.stop({ keepData: true }))
    // The server seals the link's outbox row under key "2", which this process does not hold: open it with the new key.
    const me = await myDataPage(db, last.url, 'signer.3@example.org', 3, newOnly)
    expect(me.status).toBe(200)
    for (const text of ['Signer.3@Example.org', 'Ysolde3', 'Marker message 3 for Quillfeather', 'Thank you, Quillfeather reply marker']) expect(me.html, text).toContain(text)
  }, 240_000)

  it('reports two supporters holding one address instead of failing, and leaves both as they were', async () => {
    // This file's own database (tests/helpers/setup-env.ts). A writer that did not look up every
    // key's hash made a second supporter for an address under the new key.
    const q = rawSql(getDb())
    const address = 'twice.held@example.org'
    const old = sealSupporter({ email: address, firstName: 'Old', lastName: 'Row' })
    await q.run(`insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, 'DE', 'en')`, old.emailHash, old.emailDomainHash, old.sealed, old.dataKeyId)
    const fresh = newOnly.seal(JSON.stringify({ email: address, firstName: 'New', lastName: 'Row' }), SUPPORTER)
    await q.run(
      `insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, '2', 'DE', 'en')`,
      newOnly.lookupHash(address, 'email'),
      newOnly.lookupHash('example.org', 'email-domain'),
      fresh,
    )
    const rotated = await runScript('scripts/keys-rotate.ts', [], { VIGIL_DATA_KEY: BOTH })
    expect(rotated.code, rotated.stderr).toBe(1)
    expect(rotated.stdout).toContain('supporters: 1 supporter(s) share their address with another supporter and stay under the old key')
    expect(rotated.stdout).not.toContain(address)
    expect(await q.all(`select data_key_id as "keyId", sealed from supporters order by id`)).toEqual([
      { keyId: 'test', sealed: old.sealed },
      { keyId: '2', sealed: fresh },
    ])
  })

  it('seals an authenticator secret again, so the app still works once the old key is removed', async () => {
    // Issue 18 (ADR 019): a secret left under a removed key would lock its organiser out of the app.
    const owner = { email: 'rotating.owner@keys.example', name: 'Rotating Owner', password: 'a rotating owner passphrase', role: 'owner' as const }
    const first = await startServer()
    const databaseUrl = first.databaseUrl
    if (databaseUrl) cleanUps.push(() => dropTestDatabase(databaseUrl))
    cleanUps.push(() => fs.rmSync(first.dir, { recursive: true, force: true }))
    expect((await createOrganiser(first, { ...owner, secondFactorPolicy: 'owners' })).status).toBe(302)
    const post = (url: string, fields: Record<string, string>, cookie = '') =>
      fetch(url, { method: 'POST', redirect: 'manual', headers: { Origin: new URL(url).origin, Cookie: cookie }, body: new URLSearchParams(fields) })
    const cookieOf = (response: Response) => /(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!
    // The set-up, through the forms.
    const login = await post(`${first.url}/admin/login`, { email: owner.email, password: owner.password })
    expect(login.headers.get('location')).toBe('/admin/two-factor-setup')
    const setupCookie = cookieOf(login)
    const page = await (await post(`${first.url}/admin/two-factor-setup`, { intent: 'totp-start' }, setupCookie)).text()
    const secret = /data-testid="totp-key">([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '')
    const confirmedAt = Date.now()
    const confirmed = await post(`${first.url}/admin/two-factor-setup`, { intent: 'totp-confirm', code: await generate({ secret, epoch: Math.floor(confirmedAt / 1000) }) }, setupCookie)
    expect(confirmed.status).toBe(200)
    await first.stop({ keepData: true })
    const target = { databasePath: first.databasePath, databaseUrl }
    const db = databaseUrl ? openPostgres(databaseUrl, 2) : openDatabase(first.databasePath)
    cleanUps.push(() => closeDatabase(db))
    const q = rawSql(db)
    const before = await q.get<{ sealed: string; data_key_id: string }>('select sealed, data_key_id from organizer_totp')
    expect(before!.data_key_id).toBe('test')

    const rotated = await runScript('scripts/keys-rotate.ts', [], { ...databaseEnv(target), VIGIL_DATA_KEY: BOTH })
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(rotated.stdout).toContain('keys:rotate: organizer_totp 1 / 1 under key "2"')
    expect(rotated.stdout).not.toContain(secret)
    const after = await q.get<{ sealed: string; data_key_id: string }>('select sealed, data_key_id from organizer_totp')
    expect(after!.data_key_id).toBe('2')
    expect(both.keyIdOf(after!.sealed)).toBe('2')
    expect(after!.sealed).not.toBe(before!.sealed)
    const again = await runScript('scripts/keys-rotate.ts', [], { ...databaseEnv(target), VIGIL_DATA_KEY: BOTH })
    expect(again.stdout).toContain('key "test" is no longer used')

    // The old key removed: the app's next code still signs the owner in.
    const last = await startServer({ seed: false, dir: first.dir, env: { DATABASE_URL: databaseUrl ?? '', VIGIL_DATA_KEY: NEW_KEY } })
    cleanUps.push(() => last.stop({ keepData: true }))
    const signIn = await post(`${last.url}/admin/login`, { email: owner.email, password: owner.password })
    expect(signIn.headers.get('location')).toBe('/admin/two-factor')
    // A step after the one the set-up used (that one is spent), at most one step ahead of now.
    const step = Math.max(Math.floor(confirmedAt / 30_000) + 1, Math.floor(Date.now() / 30_000))
    const code = await generate({ secret, epoch: step * 30 })
    const passed = await post(`${last.url}/admin/two-factor`, { intent: 'totp', code }, cookieOf(signIn))
    expect(passed.status, await passed.clone().text()).toBe(302)
    expect((await fetch(`${last.url}/admin`, { redirect: 'manual', headers: { Cookie: cookieOf(passed) } })).status).toBe(200)
  }, 120_000)

  it('prints a fresh key and the steps with --new, and no key it already holds', async () => {
    const result = await runScript('scripts/keys-rotate.ts', ['--new'], { VIGIL_DATA_KEY: BOTH })
    expect(result.code, result.stderr).toBe(0)
    const line = /^\s+(3:[A-Za-z0-9+/]{43}=)$/m.exec(result.stdout)
    expect(line, result.stdout).not.toBeNull()
    const [fresh] = parseDataKeys(line![1]!)
    expect(fresh!.key).toHaveLength(32)
    expect(result.stdout).toContain('add it AFTER the current key(s) and restart every process')
    expect(result.stdout).toContain('put it FIRST and restart every process again')
    expect(result.stdout).toContain('npm run keys:rotate')
    for (const held of BOTH.split(',').map((entry) => entry.split(':')[1]!)) expect(result.stdout).not.toContain(held)
  })
})
