import { sql } from 'drizzle-orm'
import type { Handle } from './client.server.ts'
import { rawFirstRow } from './query.server.ts'

export type DatabaseHealth = { ok: true } | { ok: false; reason: string }

/**
 * Whether the database answers `select 1` within `timeoutMs` (the same statement on both
 * engines). On Postgres a pool whose server is gone fails at once (refused, database does not
 * exist), but a network that swallows packets would hang: the timeout answers for it. The
 * reason is a code or the word "timeout", never the driver's message, which may quote the URL.
 */
export async function pingDatabase(handle: Handle, { timeoutMs }: { timeoutMs: number }): Promise<DatabaseHealth> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<DatabaseHealth>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), timeoutMs)
  })
  const query = rawFirstRow(handle, sql`select 1 as ok`).then(
    (): DatabaseHealth => ({ ok: true }),
    (error: unknown): DatabaseHealth => ({ ok: false, reason: errorCode(error) }),
  )
  try {
    return await Promise.race([query, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The driver's code (a SQLSTATE, ECONNREFUSED…), looked for under Drizzle's wrapper too. */
function errorCode(error: unknown): string {
  for (let e = error, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[\w-]{1,40}$/.test(code)) return code
  }
  return error instanceof Error ? error.name : 'error'
}
