/**
 * Writes app/locales/{lang}/countries.json: every ISO 3166-1 country's name in that
 * language, in that language's alphabetical order. Generated once and committed, so the
 * server and every browser show the same names in the same order (Intl data differs by version).
 */
import fs from 'node:fs'
import { COUNTRY_CODES } from '../app/utils/countries.ts'
import { LANGUAGES } from '../app/utils/i18n.ts'

for (const lang of LANGUAGES) {
  const names = new Intl.DisplayNames([lang], { type: 'region' })
  const collator = new Intl.Collator(lang)
  const entries = COUNTRY_CODES.map((code) => [code, names.of(code) ?? code] as const).sort((a, b) => collator.compare(a[1], b[1]))
  fs.writeFileSync(new URL(`../app/locales/${lang}/countries.json`, import.meta.url), `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`)
  console.log(`countries: wrote ${entries.length} names for ${lang}`)
}
