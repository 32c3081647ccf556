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
export async function eraseDeletedBytes(handle: Handle): Promise<{ complete: boolean }> {
  if (engineOf(handle) !== 'sqlite') return { complete: false }
  // The checkpointer's worker (db/checkpointer.server.ts) holds the checkpoint lock for a few
  // milliseconds four times a second, and a TRUNCATE that meets it answers busy at once: try again.
  for (let attempt = 0; attempt < 20; attempt++) {
    const [result] = sqliteOf(handle).pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
    if (result?.busy === 0) return { complete: true }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { complete: false }
}
