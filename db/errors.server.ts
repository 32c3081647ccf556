/**
 * The engine's words for "a constraint refused this write" (a unique index, a foreign key, a
 * check): what the driver says, read in one place. SQLite-specific (better-sqlite3's
 * `SQLITE_CONSTRAINT*` codes); Postgres says it with SQLSTATE class 23.
 */
export function constraintViolation(error: unknown): Error | null {
  if (!(error instanceof Error)) return null
  const code: unknown = Reflect.get(error, 'code')
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') ? error : null
}
