/**
 * The engine's words for "a constraint refused this write" (a unique index, a foreign key, a
 * check): what the driver says, read in one place. better-sqlite3 says `SQLITE_CONSTRAINT*`;
 * Postgres says it with SQLSTATE class 23.
 */
export function constraintViolation(error: unknown): Error | null {
  if (!(error instanceof Error)) return null
  const code: unknown = Reflect.get(error, 'code')
  if (typeof code !== 'string') return null
  return code.startsWith('SQLITE_CONSTRAINT') || /^23\d{3}$/.test(code) ? error : null
}

/** Postgres gave up on a transaction that conflicted with another (a deadlock or a serialization failure): run it again. */
export function retryableConflict(error: unknown): boolean {
  const code: unknown = error instanceof Error ? Reflect.get(error, 'code') : undefined
  return code === '40001' || code === '40P01'
}
