import { closeDatabase, configuredDatabase, openConfiguredDatabase } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

const target = configuredDatabase()
const db = openConfiguredDatabase()
await migrateDatabase(db)
await closeDatabase(db)
// Never the URL: it may hold a password.
console.log(`migrate: ${target.engine === 'postgres' ? 'the Postgres database (DATABASE_URL)' : target.path} is up to date`)
