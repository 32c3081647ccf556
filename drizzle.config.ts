import { defineConfig } from 'drizzle-kit'
import { readVariable } from './app/utils/config.server.ts'

export default defineConfig({
  dialect: 'sqlite',
  schema: './db/schema.ts',
  out: './db/migrations',
  dbCredentials: { url: readVariable('DATABASE_PATH') },
})
