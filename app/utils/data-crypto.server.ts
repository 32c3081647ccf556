import crypto from 'node:crypto'
import { type DataKey, getEnv } from './config.server.ts'
import { randomBytes } from './crypto.server.ts'

/**
 * Encryption at rest for supporters' personal data (docs/decisions/017-encryption-at-rest.md).
 *
 * `seal(value, purpose)` turns a text into an envelope, `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`:
 * AES-256-GCM under the newest key of VIGIL_DATA_KEY with a random 96-bit nonce, the text padded to a
 * multiple of 16 bytes (so a name's length shows only roughly), and the key id, table, column and, when
 * given, the row bound in as associated data: an envelope moved to another column or row does not open.
 * `open(envelope, purpose)` opens it under whichever loaded key it names, so data sealed before a rotation
 * keeps opening until it is sealed again. `lookupHash(value, purpose)` is a keyed HMAC-SHA256 for finding
 * and keeping unique what is sealed (a normalised address), never reversible without the key.
 *
 * Each key gives two subkeys (HKDF-SHA256): one seals, one hashes, so neither use weakens the other.
 */

export type SealPurpose = {
  table: string
  column: string
  /** What ties the envelope to its row, when the row has a key known before it is written (e.g. the address hash). */
  row?: string | number
}

export type DataCryptoErrorReason = 'no-keys' | 'malformed' | 'unsupported-version' | 'unknown-key' | 'not-authentic'

/** An envelope that cannot be opened. The message names the key id and column, never a value. */
export class DataCryptoError extends Error {
  constructor(
    readonly reason: DataCryptoErrorReason,
    message: string,
  ) {
    super(message)
    this.name = 'DataCryptoError'
  }
}

export type LookupHash = { keyId: string; hash: string }

export type DataCrypto = {
  /** The loaded key ids, newest (the one new data is sealed under) first. */
  keyIds: readonly string[]
  seal(value: string, purpose: SealPurpose): string
  open(envelope: string, purpose: SealPurpose): string
  /** The key id an envelope names (without opening it): rotation seals again what is not under the newest. */
  keyIdOf(envelope: string): string
  /** The newest key's hash: what new rows store. */
  lookupHash(value: string, purpose: string): string
  /** Every loaded key's hash, newest first: during a rotation, rows not yet re-hashed carry an older one. */
  lookupHashes(value: string, purpose: string): LookupHash[]
}

const VERSION = 'v1'
const NONCE_BYTES = 12
const TAG_BYTES = 16
const BLOCK = 16
const NAME = /^[a-z][a-z0-9_]*$/
const LOOKUP_PURPOSE = /^[a-z][a-z0-9_.-]*$/

type LoadedKey = { id: string; sealKey: Buffer; lookupKey: Buffer }

function subkey(key: Buffer, use: 'seal' | 'lookup') {
  return Buffer.from(crypto.hkdfSync('sha256', key, 'vigil data key', use, 32))
}

function checkPurpose({ table, column }: SealPurpose) {
  // A typo here would seal data no later read could open: refuse it at once.
  if (!NAME.test(table) || !NAME.test(column)) throw new TypeError(`A seal purpose names a table and a column in snake_case, got "${table}.${column}"`)
}

function associatedData(keyId: string, purpose: SealPurpose) {
  return Buffer.from(JSON.stringify(['vigil', VERSION, keyId, purpose.table, purpose.column, purpose.row === undefined ? null : String(purpose.row)]))
}

// ISO/IEC 7816-4 padding: 0x80, then zeros up to the next multiple of 16 (always at least one byte).
function pad(text: string) {
  const bytes = Buffer.from(text, 'utf8')
  const padded = Buffer.alloc((Math.floor(bytes.length / BLOCK) + 1) * BLOCK)
  bytes.copy(padded)
  padded[bytes.length] = 0x80
  return padded
}

function unpad(padded: Buffer) {
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  // Authentic envelopes are always padded; this is a seal of ours that says otherwise, i.e. a bug.
  if (end < 0 || padded[end] !== 0x80) throw new DataCryptoError('malformed', 'A sealed value opened but its padding is wrong')
  return padded.subarray(0, end).toString('utf8')
}

/** The primitives under these keys (newest first), for the app (`seal`, `open`, … below), key rotation and tests. */
export function createDataCrypto(keys: readonly DataKey[]): DataCrypto {
  if (keys.length === 0) throw new DataCryptoError('no-keys', 'No data key is loaded')
  const loaded: LoadedKey[] = keys.map(({ id, key }) => ({ id, sealKey: subkey(key, 'seal'), lookupKey: subkey(key, 'lookup') }))
  const byId = new Map(loaded.map((k) => [k.id, k]))
  const newest = loaded[0]!

  function parse(envelope: string) {
    const parts = envelope.split('.')
    if (parts.length !== 3 || !parts[1]) throw new DataCryptoError('malformed', 'Not a sealed value')
    const [version, keyId, payload] = parts as [string, string, string]
    if (version !== VERSION) {
      throw /^v\d+$/.test(version)
        ? new DataCryptoError('unsupported-version', `A sealed value has version ${version.slice(0, 8)}, which this Vigil does not know (a newer one wrote it?)`)
        : new DataCryptoError('malformed', 'Not a sealed value')
    }
    return { keyId, payload }
  }

  // A column's associated data, made once (a row-bound purpose has its own each time).
  const aadCache = new Map<string, Buffer>()
  function columnAad(keyId: string, purpose: SealPurpose) {
    const id = `${keyId}\n${purpose.table}\n${purpose.column}`
    let aad = aadCache.get(id)
    if (!aad) aadCache.set(id, (aad = associatedData(keyId, purpose)))
    return aad
  }

  function hashWith(key: LoadedKey, value: string, purpose: string) {
    if (!LOOKUP_PURPOSE.test(purpose)) throw new TypeError(`A lookup purpose is a lower-case name, got "${purpose}"`)
    return crypto.createHmac('sha256', key.lookupKey).update(JSON.stringify([purpose, value])).digest('base64url')
  }

  return {
    keyIds: loaded.map((k) => k.id),
    seal(value, purpose) {
      checkPurpose(purpose)
      const nonce = randomBytes(NONCE_BYTES)
      const cipher = crypto.createCipheriv('aes-256-gcm', newest.sealKey, nonce, { authTagLength: TAG_BYTES })
      cipher.setAAD(purpose.row === undefined ? columnAad(newest.id, purpose) : associatedData(newest.id, purpose))
      const body = Buffer.concat([cipher.update(pad(value)), cipher.final()])
      return `${VERSION}.${newest.id}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')}`
    },
    open(envelope, purpose) {
      checkPurpose(purpose)
      const { keyId, payload } = parse(envelope)
      const key = byId.get(keyId)
      if (!key) {
        throw new DataCryptoError('unknown-key', `A value in ${purpose.table}.${purpose.column} is sealed under data key "${keyId.slice(0, 16)}", which VIGIL_DATA_KEY does not hold (keep old keys after the newest until keys:rotate has finished)`)
      }
      const bytes = /^[A-Za-z0-9_-]+$/.test(payload) ? Buffer.from(payload, 'base64url') : null
      // Nonce, at least one block, tag.
      if (!bytes || bytes.length < NONCE_BYTES + BLOCK + TAG_BYTES || (bytes.length - NONCE_BYTES - TAG_BYTES) % BLOCK !== 0) {
        throw new DataCryptoError('malformed', `A value in ${purpose.table}.${purpose.column} is not a whole sealed value`)
      }
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.sealKey, bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES })
      decipher.setAAD(purpose.row === undefined ? columnAad(keyId, purpose) : associatedData(keyId, purpose))
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
      let padded: Buffer
      try {
        padded = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()])
      } catch {
        // GCM checks the tag in constant time; which of the two it was cannot be told apart, by design.
        throw new DataCryptoError('not-authentic', `A value in ${purpose.table}.${purpose.column} does not open: it was altered, or sealed for another column or row`)
      }
      return unpad(padded)
    },
    keyIdOf(envelope) {
      return parse(envelope).keyId
    },
    lookupHash(value, purpose) {
      return hashWith(newest, value, purpose)
    },
    lookupHashes(value, purpose) {
      return loaded.map((key) => ({ keyId: key.id, hash: hashWith(key, value, purpose) }))
    },
  }
}

/**
 * Whether two lookup hashes are the same, in constant time. timingSafeEqual needs equal lengths,
 * so both sides are hashed to 32 bytes first (as tokens are in app/utils/tokens.server.ts).
 */
export function sameLookupHash(a: string, b: string) {
  const digest = (value: string) => crypto.createHash('sha256').update(value).digest()
  return crypto.timingSafeEqual(digest(a), digest(b))
}

let current: { keys: readonly DataKey[]; crypto: DataCrypto } | null = null

/** The primitives under this process's keys (VIGIL_DATA_KEY, or demo mode's generated one). */
export function dataCrypto(): DataCrypto {
  const keys = getEnv().dataKeys
  if (current?.keys !== keys) current = { keys, crypto: createDataCrypto(keys) }
  return current.crypto
}

export function seal(value: string, purpose: SealPurpose) {
  return dataCrypto().seal(value, purpose)
}

export function open(envelope: string, purpose: SealPurpose) {
  return dataCrypto().open(envelope, purpose)
}

export function lookupHash(value: string, purpose: string) {
  return dataCrypto().lookupHash(value, purpose)
}
