import crypto from 'node:crypto'

// crypto.randomBytes costs about 2 µs a call whatever its size, and a signature needs four
// small draws (nonces, its token): draw 4 kB at a time, as Node does for randomUUID. Each byte
// is handed out once; a refill makes a new buffer, so slices already given never change.
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let offset = 0

/** `size` cryptographically random bytes (CSPRNG), from a pool for small sizes. */
export function randomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`randomBytes: a size in whole bytes, got ${size}`)
  if (size > 256) return crypto.randomBytes(size)
  if (offset + size > pool.length) {
    pool = crypto.randomBytes(POOL_BYTES)
    offset = 0
  }
  // A copy, not a view: a view's .buffer would expose the rest of the pool (other tokens, later nonces).
  const bytes = Buffer.from(pool.subarray(offset, offset + size))
  offset += size
  return bytes
}

export function randomToken(bytes = 32) {
  return randomBytes(bytes).toString('base64url')
}

export function sha256(value: string) {
  // crypto.hash is Node ≥ 20.12; package.json allows 20.11.
  return crypto.hash ? crypto.hash('sha256', value, 'hex') : crypto.createHash('sha256').update(value).digest('hex')
}

export function hmac(secret: string, value: string) {
  return crypto.createHmac('sha256', secret).update(value).digest('base64url')
}
