import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { countryName } from '~/utils/countries.ts'
import { formatNumber, type Language } from '~/utils/i18n.ts'

export type CountryMapCount = { country: string; confirmed: number }

/** One decimal place, in the reader's number format: "12.5 %" / "12,5 %". */
function share(part: number, whole: number, lang: Language) {
  return new Intl.NumberFormat(lang, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(whole > 0 ? part / whole : 0)
}

/** Every country with a count, largest first: the accessible version of the map (and the admin page's). */
export function CountryTable({ counts, lang, caption }: { counts: CountryMapCount[]; lang: Language; caption: string }): ReactNode {
  const { t } = useTranslation()
  const total = counts.reduce((sum, c) => sum + c.confirmed, 0)
  return (
    <div className="table-scroll">
      <table className="table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('countryMap.country')}</th>
            <th scope="col" className="cell-number">
              {t('countryMap.signatures')}
            </th>
            <th scope="col" className="cell-number">
              {t('countryMap.share')}
            </th>
          </tr>
        </thead>
        <tbody>
          {counts.map((c) => (
            <tr key={c.country}>
              <th scope="row">{countryName(c.country, lang)}</th>
              <td className="cell-number">{formatNumber(c.confirmed, lang)}</td>
              <td className="cell-number">{share(c.confirmed, total, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/**
 * The signatures' countries: the map as an image (/c/:slug/map.svg?v=<confirmed>&l=<lang>), so the
 * cached page stays small, and after it the same counts as a table, folded away, for screen readers
 * and anyone who wants the numbers.
 */
export function CountryMap({ slug, counts, lang, confirmed }: { slug: string; counts: CountryMapCount[]; lang: Language; confirmed: number }): ReactNode {
  const { t } = useTranslation()
  const n = counts.length
  return (
    <section className="country-map" aria-labelledby="country-map-title">
      <h2 id="country-map-title" className="section-title">
        {t('countryMap.heading')}
      </h2>
      <figure>
        <img
          src={`/c/${encodeURIComponent(slug)}/map.svg?v=${confirmed}&l=${lang}`}
          width={960}
          height={470}
          loading="lazy"
          decoding="async"
          alt={t('countryMap.alt', { count: n, n: formatNumber(n, lang) })}
        />
        <details>
          <summary>{t('countryMap.tableSummary', { count: n, n: formatNumber(n, lang) })}</summary>
          <CountryTable counts={counts} lang={lang} caption={t('countryMap.caption')} />
        </details>
      </figure>
    </section>
  )
}
