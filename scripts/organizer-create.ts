/** npm run organizer:create -- --email x@y --name "Name" [--role editor] : prints a one-time set-password link. */
import { parseArgs } from 'node:util'
import { createOrganizer, OrganizerExistsError } from '../app/models/organizers.server.ts'
import { getEnv } from '../app/utils/config.server.ts'
import { closeDatabase, getDb } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { organizations } from '../db/schema.ts'
import { execute, firstRow } from '../db/query.server.ts'

const { values } = parseArgs({
  options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', default: 'owner' } },
})
const email = values.email?.trim()
const name = values.name?.trim()
const role = values.role
if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) || !name || (role !== 'owner' && role !== 'editor')) {
  console.error('usage: npm run organizer:create -- --email you@example.org --name "Your Name" [--role owner|editor]')
  process.exit(2)
}
const env = getEnv()
const db = getDb()
await migrateDatabase(db)
// A fresh install has no organisation yet: the first organiser brings one.
if (!await firstRow(db.select({ id: organizations.id }).from(organizations))) {
  await execute(db.insert(organizations).values({ slug: 'default', name: 'My organisation' }))
}
try {
  const { organizer, token } = await createOrganizer(db, { email, name, role, actorId: null })
  console.log(`organizer:create: created ${organizer.role} "${organizer.name}"`)
  console.log(`Open this one-time link within 48 hours to set the password:\n${env.publicUrl}/admin/set-password/${token}`)
} catch (error) {
  if (error instanceof OrganizerExistsError) {
    console.error('organizer:create: an organiser with this email already exists')
    process.exit(1)
  }
  throw error
} finally {
  await closeDatabase(db)
}
