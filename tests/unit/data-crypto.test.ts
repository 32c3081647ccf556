import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, type DataKey, loadEnv, parseDataKeys } from '~/utils/config.server.ts'
import { createDataCrypto, DataCryptoError, dataCrypto, lookupHash, open, sameLookupHash, seal } from '~/utils/data-crypto.server.ts'
import { TEST_DATA_KEY } from '../helpers/data-key.ts'

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-data-key-')), 'vigil.db')
const rawKey = () => crypto.randomBytes(32).toString('base64')
const key = (id: string): DataKey => ({ id, key: crypto.randomBytes(32) })
const email = { table: 'supporters', column: 'email' }
const LIVE = {
  STRIPE_SECRET_KEY: 'sk_live_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  RESEND_API_KEY: 're_x',
  RESEND_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  MAIL_FROM: 'Team <team@example.org>',
  SESSION_SECRET: 'x'.repeat(40),
  PUBLIC_URL: 'https://campaigns.example.org',
}

function reasonOf(run: () => unknown) {
  try {
    run()
  } catch (error) {
    if (error instanceof DataCryptoError) return error.reason
    throw error
  }
  return 'opened'
}

describe('VIGIL_DATA_KEY', () => {
  it('takes one base64 key of 32 bytes as key "1", or several id:key newest first', () => {
    const one = rawKey()
    expect(parseDataKeys(one)).toEqual([{ id: '1', key: Buffer.from(one, 'base64') }])
    const [newer, older] = [rawKey(), rawKey()]
    const keys = parseDataKeys(`2026-12:${newer}, 1:${older}`)
    expect(keys.map((k) => k.id)).toEqual(['2026-12', '1'])
    expect(keys[0]!.key.equals(Buffer.from(newer, 'base64'))).toBe(true)
    // A key without an id behind a newer one keeps its name "1".
    expect(parseDataKeys(`2:${newer},${older}`).map((k) => k.id)).toEqual(['2', '1'])
    // URL-safe base64 without padding is the same key.
    expect(parseDataKeys(Buffer.from(newer, 'base64').toString('base64url'))[0]!.key.equals(Buffer.from(newer, 'base64'))).toBe(true)
  })

  it('refuses at start what is not a key, naming the variable and never quoting it', () => {
    const secret = rawKey()
    const cases: [string, RegExp][] = [
      ['tooshort', /key 1 is 6 bytes long/],
      [crypto.randomBytes(16).toString('base64'), /key 1 is 16 bytes long/],
      [`${secret},`, /key 2 is empty/],
      ['not base64 at all!', /key 1 is not base64/],
      [`bad id:${secret}`, /key 1 has an id/],
      [`${'x'.repeat(17)}:${secret}`, /key 1 has an id/],
      [`${rawKey()},${secret}`, /the id "1" is given twice/],
      [`2:${secret},1:${secret}`, /key 2 is the same key/],
    ]
    for (const [value, message] of cases) {
      const run = () => loadEnv({ DATABASE_PATH: tmp(), VIGIL_DATA_KEY: value })
      expect(run).toThrow(ConfigError)
      expect(run).toThrow(/^VIGIL_DATA_KEY must be a base64 key of 32 bytes/)
      expect(run).toThrow(message)
      try {
        run()
      } catch (error) {
        expect((error as Error).message).not.toContain(secret)
      }
    }
  })

  it('in demo mode generates one key into the data folder, readable by its owner only, and keeps it', () => {
    const DATABASE_PATH = tmp()
    const first = loadEnv({ DATABASE_PATH }).dataKeys!
    expect(first).toHaveLength(1)
    expect(first[0]!.key).toHaveLength(32)
    const file = path.join(path.dirname(DATABASE_PATH), 'data-key')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(loadEnv({ DATABASE_PATH }).dataKeys![0]!.key.equals(first[0]!.key)).toBe(true)
    // The variable wins over the file.
    const given = rawKey()
    expect(loadEnv({ DATABASE_PATH, VIGIL_DATA_KEY: given }).dataKeys![0]!.key.equals(Buffer.from(given, 'base64'))).toBe(true)
  })

  it('refuses to start on a damaged demo key file rather than sealing under a new key', () => {
    const DATABASE_PATH = tmp()
    fs.writeFileSync(path.join(path.dirname(DATABASE_PATH), 'data-key'), 'garbled')
    expect(() => loadEnv({ DATABASE_PATH })).toThrow(/data-key does not hold a valid data key: restore it from a backup, or set VIGIL_DATA_KEY/)
    expect(fs.readFileSync(path.join(path.dirname(DATABASE_PATH), 'data-key'), 'utf8')).toBe('garbled')
  })

  it('in live mode writes no key beside the database: a copy of the folder must not hold it', () => {
    const DATABASE_PATH = tmp()
    // Live mode never generates one: it refuses to start without the variable, naming it.
    expect(() => loadEnv({ DATABASE_PATH, ...LIVE })).toThrow(/Live mode .* needs VIGIL_DATA_KEY/)
    expect(fs.existsSync(path.join(path.dirname(DATABASE_PATH), 'data-key'))).toBe(false)
    expect(loadEnv({ DATABASE_PATH, ...LIVE, VIGIL_DATA_KEY: rawKey() }).dataKeys).toHaveLength(1)
    expect(fs.existsSync(path.join(path.dirname(DATABASE_PATH), 'data-key'))).toBe(false)
  })
})

describe('seal and open', () => {
  it('opens what it sealed, for any text, and seals the same text differently each time', () => {
    const box = createDataCrypto([key('1')])
    for (const value of ['', 'ana@example.org', 'Żaneta Ćwikła-Núñez', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✊🏽', 'x'.repeat(15), 'x'.repeat(16), 'm'.repeat(5000), 'ends with zero\u0000']) {
      const envelope = box.seal(value, email)
      expect(envelope).toMatch(/^v1\.1\.[A-Za-z0-9_-]+$/)
      expect(box.open(envelope, email)).toBe(value)
    }
    expect(box.seal('ana@example.org', email)).not.toBe(box.seal('ana@example.org', email))
  })

  it('shows a text\'s length only to the next 16 bytes', () => {
    const box = createDataCrypto([key('1')])
    const size = (value: string) => box.seal(value, email).length
    expect(size('Al')).toBe(size('Maximiliana Fe'))
    expect(size('a'.repeat(16))).toBeGreaterThan(size('a'.repeat(15)))
  })

  it('does not open an envelope moved to another column or row', () => {
    const box = createDataCrypto([key('1')])
    const first = box.seal('Ana', { table: 'signatures', column: 'first_name', row: 7 })
    expect(box.open(first, { table: 'signatures', column: 'first_name', row: 7 })).toBe('Ana')
    expect(box.open(first, { table: 'signatures', column: 'first_name', row: '7' })).toBe('Ana')
    expect(reasonOf(() => box.open(first, { table: 'signatures', column: 'last_name', row: 7 }))).toBe('not-authentic')
    expect(reasonOf(() => box.open(first, { table: 'signatures', column: 'first_name', row: 8 }))).toBe('not-authentic')
    expect(reasonOf(() => box.open(first, { table: 'signatures', column: 'first_name' }))).toBe('not-authentic')
    expect(reasonOf(() => box.open(first, { table: 'donations', column: 'first_name', row: 7 }))).toBe('not-authentic')
  })

  it('refuses an envelope that was altered anywhere, without saying what it held', () => {
    const box = createDataCrypto([key('1')])
    const envelope = box.seal('ana@example.org', email)
    const bytes = Buffer.from(envelope.split('.')[2]!, 'base64url')
    for (const at of [0, 11, 12, bytes.length - 17, bytes.length - 1]) {
      const altered = Buffer.from(bytes)
      altered[at]! ^= 1
      expect(reasonOf(() => box.open(`v1.1.${altered.toString('base64url')}`, email))).toBe('not-authentic')
    }
    try {
      box.open(`v1.1.${Buffer.concat([bytes.subarray(0, 20), Buffer.from([bytes[20]! ^ 1]), bytes.subarray(21)]).toString('base64url')}`, email)
    } catch (error) {
      expect((error as Error).message).toBe('A value in supporters.email does not open: it was altered, or sealed for another column or row')
    }
    // Cut short, or blocks dropped: not a whole envelope.
    expect(reasonOf(() => box.open(`v1.1.${bytes.subarray(0, 30).toString('base64url')}`, email))).toBe('malformed')
    expect(reasonOf(() => box.open(`v1.1.${bytes.subarray(0, bytes.length - 1).toString('base64url')}`, email))).toBe('malformed')
  })

  it('says which of its keys is missing, which version it does not know and what is not an envelope', () => {
    const older = key('1')
    const envelope = createDataCrypto([older]).seal('Ana', email)
    expect(reasonOf(() => createDataCrypto([key('2')]).open(envelope, email))).toBe('unknown-key')
    expect(() => createDataCrypto([key('2')]).open(envelope, email)).toThrow('sealed under data key "1", which VIGIL_DATA_KEY does not hold')
    // The same id with another key is not the key: the tag says so.
    expect(reasonOf(() => createDataCrypto([key('1')]).open(envelope, email))).toBe('not-authentic')
    expect(reasonOf(() => createDataCrypto([older]).open(envelope.replace(/^v1\./, 'v2.'), email))).toBe('unsupported-version')
    for (const text of ['ana@example.org', '', 'v1.1', 'v1..abc', 'v1.1.abc.def', 'x1.1.abc', 'v1.1.not base64!']) {
      expect(reasonOf(() => createDataCrypto([older]).open(text, email))).toBe('malformed')
    }
  })

  it('seals under the newest key and still opens what older keys sealed (rotation)', () => {
    const [older, newer] = [key('1'), key('2')]
    const before = createDataCrypto([older])
    const sealedBefore = before.seal('Ana', email)
    const during = createDataCrypto([newer, older])
    expect(during.keyIds).toEqual(['2', '1'])
    expect(during.open(sealedBefore, email)).toBe('Ana')
    expect(during.keyIdOf(sealedBefore)).toBe('1')
    const sealedAgain = during.seal(during.open(sealedBefore, email), email)
    expect(during.keyIdOf(sealedAgain)).toBe('2')
    // Once every value is sealed again the old key can go.
    expect(createDataCrypto([newer]).open(sealedAgain, email)).toBe('Ana')
    expect(reasonOf(() => before.open(sealedAgain, email))).toBe('unknown-key')
  })

  it('refuses a purpose that is not a table and a column, since nothing could open what it sealed', () => {
    const box = createDataCrypto([key('1')])
    expect(() => box.seal('Ana', { table: 'Supporters', column: 'email' })).toThrow(TypeError)
    expect(() => box.seal('Ana', { table: 'supporters', column: 'e-mail' })).toThrow(TypeError)
    expect(() => box.open('v1.1.x', { table: '', column: 'email' })).toThrow(TypeError)
  })
})

describe('lookupHash', () => {
  it('is the same for the same value and purpose, differs by purpose and key, and hides the value', () => {
    const [older, newer] = [key('1'), key('2')]
    const box = createDataCrypto([older])
    const hash = box.lookupHash('ana@example.org', 'email')
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(box.lookupHash('ana@example.org', 'email')).toBe(hash)
    expect(createDataCrypto([older]).lookupHash('ana@example.org', 'email')).toBe(hash)
    expect(box.lookupHash('ana@example.org', 'email-domain')).not.toBe(hash)
    expect(box.lookupHash('ana@example.or', 'email')).not.toBe(hash)
    expect(createDataCrypto([newer]).lookupHash('ana@example.org', 'email')).not.toBe(hash)
    // Keyed: the plain SHA-256 of the value (what a copy of the database could be searched with) is not it.
    expect(hash).not.toBe(crypto.createHash('sha256').update('ana@example.org').digest('base64url'))
    // Purpose and value cannot be traded for one another.
    expect(box.lookupHash('b', 'a')).not.toBe(box.lookupHash('', 'a.b'))
    expect(() => box.lookupHash('x', 'E-mail')).toThrow(TypeError)
  })

  it('during a rotation gives every loaded key\'s hash, newest first, so rows not yet re-hashed are still found', () => {
    const [older, newer] = [key('1'), key('2')]
    const oldHash = createDataCrypto([older]).lookupHash('ana@example.org', 'email')
    const during = createDataCrypto([newer, older])
    const hashes = during.lookupHashes('ana@example.org', 'email')
    expect(hashes.map((h) => h.keyId)).toEqual(['2', '1'])
    expect(hashes[1]!.hash).toBe(oldHash)
    expect(hashes[0]!.hash).toBe(during.lookupHash('ana@example.org', 'email'))
  })

  it('compares hashes in constant time, whatever their lengths', () => {
    const box = createDataCrypto([key('1')])
    const hash = box.lookupHash('ana@example.org', 'email')
    expect(sameLookupHash(hash, box.lookupHash('ana@example.org', 'email'))).toBe(true)
    expect(sameLookupHash(hash, box.lookupHash('bo@example.org', 'email'))).toBe(false)
    expect(sameLookupHash(hash, hash.slice(1))).toBe(false)
    expect(sameLookupHash(hash, 'é')).toBe(false)
  })
})

describe('the process\'s keys', () => {
  it('seal, open and hash under the keys the configuration loaded (tests: VIGIL_DATA_KEY from tests/helpers/data-key.ts)', () => {
    const envelope = seal('ana@example.org', email)
    expect(open(envelope, email)).toBe('ana@example.org')
    expect(dataCrypto().keyIdOf(envelope)).toBe(TEST_DATA_KEY.split(':')[0])
    expect(lookupHash('ana@example.org', 'email')).toBe(dataCrypto().lookupHash('ana@example.org', 'email'))
  })

  it('in demo mode without VIGIL_DATA_KEY seal under the generated key "1"', () => {
    const saved = globalThis.__vigilEnv
    try {
      globalThis.__vigilEnv = loadEnv({ DATABASE_PATH: tmp() })
      expect(dataCrypto().keyIdOf(seal('Ana', email))).toBe('1')
    } finally {
      globalThis.__vigilEnv = saved
    }
  })
})
