import { sql, type AnyColumn, type SQL } from 'drizzle-orm'

/**
 * The language rule of app/utils/translations.ts (the reader's language, else the
 * campaign's default, else any) as an ORDER BY term: `orderBy(languageOrder(t.locale, lang,
 * campaigns.defaultLocale))` then `limit(1)`. A CASE, so it reads the same in SQLite and Postgres.
 */
export function languageOrder(locale: AnyColumn, lang: string, defaultLocale: AnyColumn | string): SQL {
  return sql`case when ${locale} = ${lang} then 0 when ${locale} = ${defaultLocale} then 1 else 2 end`
}
