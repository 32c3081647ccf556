import { engineOf, sqliteOf, type Handle } from '../client.server.ts'

/**
 * After a person's rows are deleted or blanked (forget me, a withdrawn signature): SQLite zeroes
 * the freed bytes in the database pages (`secure_delete`, set on every connection in
 * client.server.ts), but the write-ahead log still holds the pages as they were until it is
 * checkpointed and emptied. This does both at once, so a copy of the data folder taken afterwards
 * no longer holds the address or the name. Best effort: a reader still inside an older snapshot
 * keeps the log (the next call, or the next checkpoint, catches up). Postgres keeps dead row
 * versions until VACUUM reuses their space; only encryption at rest (ADR 017) closes that.
 */
export function eraseDeletedBytes(handle: Handle): { complete: boolean } {
  if (engineOf(handle) !== 'sqlite') return { complete: false }
  const [result] = sqliteOf(handle).pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
  return { complete: result?.busy === 0 }
}
