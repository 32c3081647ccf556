/**
 * The language rule, the same everywhere a text exists in several languages (campaigns,
 * funds, timeline entries, updates, share texts): the reader's language, else the
 * campaign's default language, else any. A translation that is empty (`usable` says which
 * count) is skipped, so a half-translated campaign never shows a blank title.
 * The SQL form of the rule, for queries that pick one row, is `languageOrder` in db/.
 */
export function pickTranslation<T extends { locale: string }>(
  rows: readonly T[],
  lang: string,
  defaultLocale: string,
  usable: (row: T) => boolean = () => true,
): T | undefined {
  let fallback: T | undefined
  let any: T | undefined
  for (const row of rows) {
    if (!usable(row)) continue
    if (row.locale === lang) return row
    if (row.locale === defaultLocale) fallback ??= row
    any ??= row
  }
  return fallback ?? any
}
