import { eq, sql } from 'drizzle-orm'
import { preparedPerConnection, type Tx } from '#db/client.server.ts'
import { supporters, type Locale } from '#db/schema.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { firstRow } from '#db/query.server.ts'

/**
 * A supporter is one email address (normalised), whatever they did: signed, gave, or both.
 * The row is made by the first thing they do and keeps the details given then; what they
 * type later lives on the signature or donation that carries it.
 */

const p = sql.placeholder

// Every signature passes here: prepared once per connection.
const statements = preparedPerConnection((db) => ({
  byEmail: db
    .select({ id: supporters.id })
    .from(supporters)
    .where(eq(supporters.emailNormalized, p('emailNormalized')))
    .prepare(),
  insert: db
    .insert(supporters)
    .values({
      emailNormalized: p('emailNormalized'),
      email: p('email'),
      firstName: p('firstName'),
      lastName: p('lastName'),
      country: p('country'),
      locale: p('locale'),
    })
    // Two servers may make the same new supporter at once: the unique address decides, and
    // the one that finds it taken reads the other's row (committed by then: the insert waited).
    .onConflictDoNothing({ target: supporters.emailNormalized })
    .returning({ id: supporters.id })
    .prepare(),
}))

export type SupporterInput = { email: string; firstName: string; lastName: string; country: string; locale: Locale }

/** The row a new supporter gets from `input`: the address normalised for lookups and kept as typed (trimmed) for writing. */
export function newSupporterRow(input: SupporterInput) {
  return { emailNormalized: normalizeEmail(input.email), email: input.email.trim(), firstName: input.firstName, lastName: input.lastName, country: input.country, locale: input.locale }
}

/** The supporter with this address, made from `input` if there is none yet. */
export async function findOrCreateSupporter(tx: Tx, input: SupporterInput): Promise<{ id: number }> {
  const q = statements(tx)
  const row = newSupporterRow(input)
  return (
    (await firstRow(q.byEmail, { emailNormalized: row.emailNormalized })) ??
    (await firstRow(q.insert, row)) ??
    (await firstRow(q.byEmail, { emailNormalized: row.emailNormalized }))!
  )
}
