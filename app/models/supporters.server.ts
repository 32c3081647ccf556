import { eq, inArray, sql } from 'drizzle-orm'
import { preparedPerConnection, type Handle, type Tx } from '#db/client.server.ts'
import { supporters, type Locale } from '#db/schema.ts'
import { firstRow } from '#db/query.server.ts'
import { emailHashes, sealSupporter } from './personal-data.server.ts'

/**
 * A supporter is one email address, whatever they did: signed, gave, or both. The row is
 * made by the first thing they do and keeps the details given then (sealed, ADR 017); what
 * they type later lives on the signature or donation that carries it. It is found and kept
 * unique by the keyed hash of the normalised address (`email_hash`), never by the address.
 */

const p = sql.placeholder

// Every signature passes here: prepared once per connection.
const statements = preparedPerConnection((db) => ({
  byHash: db.select({ id: supporters.id }).from(supporters).where(eq(supporters.emailHash, p('emailHash'))).prepare(),
  insert: db
    .insert(supporters)
    .values({
      emailHash: p('emailHash'),
      emailDomainHash: p('emailDomainHash'),
      sealed: p('sealed'),
      dataKeyId: p('dataKeyId'),
      country: p('country'),
      locale: p('locale'),
    })
    // Two servers may make the same new supporter at once: the unique hash decides, and
    // the one that finds it taken reads the other's row (committed by then: the insert waited).
    .onConflictDoNothing({ target: supporters.emailHash })
    .returning({ id: supporters.id })
    .prepare(),
}))

export type SupporterInput = { email: string; firstName: string; lastName: string; country: string; locale: Locale }

/** The row a new supporter gets from `input`: the address (as typed, trimmed) and names sealed, the address's hashes beside them (`hashes`: emailHashes(address), when the caller has them). */
export function newSupporterRow(input: SupporterInput, hashes?: string[]) {
  const { sealed, dataKeyId, emailHash, emailDomainHash } = sealSupporter(input, hashes && { emailHash: hashes[0]! })
  return { emailHash, emailDomainHash, sealed, dataKeyId, country: input.country, locale: input.locale }
}

/**
 * The supporter with this address. `hashes` is emailHashes(address): one per loaded key, so a
 * row keys:rotate has not re-hashed yet is found too. One key is the rule: a prepared statement.
 */
export async function findSupporterByEmail(db: Handle, { hashes }: { hashes: string[] }): Promise<{ id: number } | undefined> {
  if (hashes.length === 1) return firstRow(statements(db).byHash, { emailHash: hashes[0]! })
  return firstRow(db.select({ id: supporters.id }).from(supporters).where(inArray(supporters.emailHash, hashes)).limit(1))
}

/** The supporter with this address, made from `input` if there is none yet (sealing only then). */
export async function findOrCreateSupporter(tx: Tx, input: SupporterInput): Promise<{ id: number }> {
  const hashes = emailHashes(input.email)
  const found = await findSupporterByEmail(tx, { hashes })
  if (found) return found
  const row = newSupporterRow(input, hashes)
  return (await firstRow(statements(tx).insert, row)) ?? (await firstRow(statements(tx).byHash, { emailHash: row.emailHash }))!
}
