/**
 * The engine's words for "a constraint refused this write" (a unique index, a foreign key, a
 * check): what the driver says, read in one place. better-sqlite3 says `SQLITE_CONSTRAINT*`;
 * Postgres says it with SQLSTATE class 23.
 */
export function constraintViolation(error: unknown): Error | null {
  const driverError = driverErrorOf(error)
  if (!driverError) return null
  return driverError.code.startsWith('SQLITE_CONSTRAINT') || /^23\d{3}$/.test(driverError.code) ? driverError.error : null
}

/** Postgres gave up on a transaction that conflicted with another (a deadlock or a serialization failure): run it again. */
export function retryableConflict(error: unknown): boolean {
  const code = driverErrorOf(error)?.code
  return code === '40001' || code === '40P01'
}

/**
 * The driver's error and its code. Drizzle's asynchronous sessions (node-postgres) wrap a
 * failed statement's error in a DrizzleQueryError with the driver's as its `cause`.
 */
function driverErrorOf(error: unknown): { error: Error; code: string } | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 3; current = current.cause, depth++) {
    const code: unknown = Reflect.get(current, 'code')
    if (typeof code === 'string') return { error: current, code }
  }
  return null
}
