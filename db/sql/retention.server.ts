import type { Tx } from '../client.server.ts'
import { rawStatement } from './statement.server.ts'

/**
 * The retention statement the Drizzle query builder cannot write (the rest of retention is in
 * app/models/retention.server.ts and uses the builder).
 */

const stillNeeded = rawStatement<{ needed: number | boolean }>(`
    select exists (select 1 from signatures where supporter_id = @id)
        or exists (select 1 from donations where supporter_id = @id)
        or exists (select 1 from email_messages where supporter_id = @id and status in ('queued', 'batched', 'sending')) as needed`)

/**
 * Whether anything still holds on to the supporter: a signature, a donation, or an email on its
 * way. Inside the caller's transaction (the supporter is deleted when nothing does). Raw: a
 * SELECT of three EXISTS without a FROM, which the builder cannot start. Portable SQL (Postgres
 * answers a boolean where SQLite answers 0 or 1).
 */
export async function supporterStillNeeded(tx: Tx, supporterId: number): Promise<boolean> {
  const needed = (await stillNeeded.get(tx, { id: supporterId }))?.needed
  return needed === 1 || needed === true
}
