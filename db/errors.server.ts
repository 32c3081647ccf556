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

/**
 * A failed Postgres statement, as Vigil lets it travel: Drizzle's error names the statement and
 * every parameter (an address, a token), and the driver's `detail` quotes the row's values; a
 * message that reaches a log or `last_error` must hold neither. Keeps the SQLSTATE `code` and
 * the constraint's name (what the code decides on) and the driver's error as `cause`.
 */
export class DatabaseError extends Error {
  readonly code: string | undefined
  readonly constraint: string | undefined
  constructor(error: unknown) {
    const driver = driverErrorOf(error)
    const original = (driver?.error ?? error) as { message?: string; constraint?: string }
    const code = driver?.code
    // Class 22 (data exceptions) quote the value that was refused.
    let message = String(original.message ?? 'statement failed').split('\n')[0]!
    if (code?.startsWith('22')) message = message.replace(/"[^"]*"/g, '"…"')
    super(`database: ${message}${code ? ` (${code})` : ''}`, { cause: driver?.error })
    this.name = 'DatabaseError'
    this.code = code
    this.constraint = original.constraint
  }
}
