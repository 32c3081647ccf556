/**
 * npm run organizer:reset-2fa -- --email x@y : the operator's recovery (ADR 019 §15). Removes an
 * organiser's authenticator app, passkeys and recovery codes and ends their sessions, audited
 * as organizer.factors_reset { by: 'operator' }. Prints the organiser's name, never the email
 * (terminal output ends up in logs). Exit 2 on bad usage, 1 when there is no such organiser.
 */
import { parseArgs } from 'node:util'
import { eq } from 'drizzle-orm'
import { normalizeOrganizerEmail } from '../app/models/organizers.server.ts'
import { resetSecondFactors } from '../app/models/second-factors.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { organizers } from '../db/schema.ts'
import { firstRow } from '../db/query.server.ts'

const USAGE = 'usage: npm run organizer:reset-2fa -- --email organiser@example.org'

let email: string | undefined
try {
  const { values, positionals } = parseArgs({ options: { email: { type: 'string' } }, allowPositionals: true })
  email = positionals.length === 0 ? values.email?.trim() : undefined
} catch {
  email = undefined
}
if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
  console.error(USAGE)
  process.exit(2)
}

/** "2 passkeys", "1 recovery code": the counts as a sentence reads them. */
const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

const db = getDb()
try {
  await migrateDatabase(db)
  const organizer = await firstRow(db.select({ id: organizers.id, name: organizers.name }).from(organizers).where(eq(organizers.email, normalizeOrganizerEmail(email))))
  const reset = organizer ? await resetSecondFactors(db, { organizerId: organizer.id, actorId: null, by: 'operator' }) : null
  if (!organizer || !reset) {
    console.error('organizer:reset-2fa: no organiser has this email; nothing was changed')
    process.exitCode = 1
  } else {
    const removed = [
      ...(reset.totp ? ['the authenticator app'] : []),
      counted(reset.passkeys, 'passkey', 'passkeys'),
      counted(reset.recoveryCodes, 'recovery code', 'recovery codes'),
    ]
    const list = `${removed.slice(0, -1).join(', ')} and ${removed.at(-1)}`
    console.log(`organizer:reset-2fa: removed ${list} of "${organizer.name}" and ended ${counted(reset.sessions, 'session', 'sessions')}`)
    console.log('At their next sign-in, the sign-in policy leads them through setting up a second factor again.')
  }
} finally {
  await closeDatabase(db)
}
