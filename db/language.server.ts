import { sql, type AnyColumn, type Placeholder, type SQL } from 'drizzle-orm'

/**
 * The language rule of app/utils/translations.ts (the reader's language, else the
 * campaign's default, else any) as an ORDER BY term: `orderBy(languageOrder(t.locale, lang,
 * campaigns.defaultLocale))` then `limit(1)`; `lang` may be a prepared statement's placeholder.
 * A CASE, so it reads the same in SQLite and Postgres.
 */
export function languageOrder(locale: AnyColumn, lang: string | Placeholder, defaultLocale: AnyColumn | string): SQL {
  return sql`case when ${locale} = ${lang} then 0 when ${locale} = ${defaultLocale} then 1 else 2 end`
}
