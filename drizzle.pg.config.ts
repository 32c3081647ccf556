import { defineConfig } from 'drizzle-kit'

// Postgres' migrations, from the tables db/schema.pg.ts derives from db/schema.ts. Generate both
// engines' migrations together: `npm run db:generate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.pg.ts',
  out: './db/migrations-pg',
})
