import { openDatabase, databasePath } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

const file = databasePath()
const db = openDatabase(file)
migrateDatabase(db)
db.$client.close()
console.log(`migrate: ${file} is up to date`)
