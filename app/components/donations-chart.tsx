import { useId } from 'react'
import { useTranslation } from 'react-i18next'
import { formatMoney, type Language } from '~/utils/i18n.ts'

type Month = { month: string; raisedMinor: number; grossMinor: number }

const monthFormats = new Map<Language, Intl.DateTimeFormat>()
function formatMonth(month: string, lang: Language) {
  let format = monthFormats.get(lang)
  if (!format) monthFormats.set(lang, (format = new Intl.DateTimeFormat(lang, { month: 'short', year: '2-digit', timeZone: 'UTC' })))
  return format.format(new Date(`${month}-01T00:00:00Z`))
}

/**
 * Money per month in one currency as stacked bars: what still counts below, what was
 * refunded or is withheld by a dispute above. Plain SVG, no chart library; the same
 * numbers follow as a table for screen readers and for copying.
 */
export function DonationsChart({ currency, months, lang }: { currency: string; months: Month[]; lang: Language }) {
  const { t } = useTranslation()
  const captionId = useId()
  const max = Math.max(1, ...months.map((m) => m.grossMinor))
  const width = 600
  const height = 140
  const bar = width / Math.max(1, months.length)
  const money = (minor: number) => formatMoney(minor, currency, lang)
  return (
    <figure className="chart">
      <figcaption id={captionId}>{t('admin.donations.chartCaption', { currency })}</figcaption>
      <svg viewBox={`0 -14 ${width} ${height + 34}`} role="img" aria-labelledby={captionId}>
        <text x={0} y={-3} className="chart__axis">
          {money(max)}
        </text>
        {months.map((m, i) => {
          const raisedHeight = (m.raisedMinor / max) * height
          const lostHeight = (Math.max(0, m.grossMinor - m.raisedMinor) / max) * height
          return (
            <g key={m.month}>
              <title>{`${formatMonth(m.month, lang)}: ${t('admin.donations.raised')} ${money(m.raisedMinor)}, ${t('admin.donations.gross')} ${money(m.grossMinor)}`}</title>
              <rect className="chart__raised" x={i * bar + 2} y={height - raisedHeight} width={bar - 4} height={raisedHeight} />
              <rect className="chart__lost" x={i * bar + 2} y={height - raisedHeight - lostHeight} width={bar - 4} height={lostHeight} />
              <text x={i * bar + bar / 2} y={height + 15} className="chart__axis" textAnchor="middle">
                {formatMonth(m.month, lang)}
              </text>
            </g>
          )
        })}
      </svg>
      <div className="chart__legend">
        <span className="chart__key chart__key--raised">{t('admin.donations.raised')}</span>
        <span className="chart__key chart__key--lost">{t('admin.donations.refundedOrDisputed')}</span>
      </div>
      <details>
        <summary>{t('admin.donations.chartTable')}</summary>
        <table className="table">
          <caption className="visually-hidden">{t('admin.donations.chartCaption', { currency })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.donations.month')}</th>
              <th scope="col">{t('admin.donations.raised')}</th>
              <th scope="col">{t('admin.donations.gross')}</th>
            </tr>
          </thead>
          <tbody>
            {months.map((m) => (
              <tr key={m.month}>
                <th scope="row">{formatMonth(m.month, lang)}</th>
                <td className="cell-number">{money(m.raisedMinor)}</td>
                <td className="cell-number">{money(m.grossMinor)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}
