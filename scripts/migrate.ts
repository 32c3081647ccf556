import { closeDatabase, configuredDatabase, openConfiguredDatabase } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'
import { sealAtStart } from '../app/models/seal-existing.server.ts'
import { refuseArguments } from './no-arguments.ts'

refuseArguments('db:migrate', 'Applies the pending migrations to the configured database (DATABASE_PATH, or DATABASE_URL).')
const target = configuredDatabase()
const db = openConfiguredDatabase()
await migrateDatabase(db)
// An upgrade from before ADR 017: its plaintext is sealed here too (batched, resumable), as at start.
await sealAtStart(db, { name: 'migrate' })
await closeDatabase(db)
// Never the URL: it may hold a password.
console.log(`migrate: ${target.engine === 'postgres' ? 'the Postgres database (DATABASE_URL)' : target.path} is up to date`)
