import { useTranslation } from 'react-i18next'
import { formatDate, type Language } from '~/utils/i18n.ts'

/** Signatures per day as stacked bars (confirmed below, still pending above): plain SVG, no chart library. */
export function SignaturesChart({ days, lang }: { days: { day: string; confirmed: number; pending: number }[]; lang: Language }) {
  const { t } = useTranslation()
  const max = Math.max(1, ...days.map((d) => d.confirmed + d.pending))
  const width = 600
  const height = 140
  const bar = width / days.length
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={t('admin.signatures.chartLabel')}>
        {days.map((d, i) => {
          const confirmedHeight = (d.confirmed / max) * height
          const pendingHeight = (d.pending / max) * height
          return (
            <g key={d.day}>
              <title>{`${formatDate(d.day, lang)}: ${d.confirmed} ${t('admin.signatures.confirmed')}, ${d.pending} ${t('admin.signatures.pending')}`}</title>
              <rect className="chart__confirmed" x={i * bar + 1} y={height - confirmedHeight} width={bar - 2} height={confirmedHeight} />
              <rect className="chart__pending" x={i * bar + 1} y={height - confirmedHeight - pendingHeight} width={bar - 2} height={pendingHeight} />
            </g>
          )
        })}
        <text x={0} y={height + 15} className="chart__axis">
          {formatDate(days[0]!.day, lang)}
        </text>
        <text x={width} y={height + 15} className="chart__axis" textAnchor="end">
          {formatDate(days[days.length - 1]!.day, lang)}
        </text>
      </svg>
      <figcaption className="chart__legend">
        <span className="chart__key chart__key--confirmed">{t('admin.signatures.confirmed')}</span>
        <span className="chart__key chart__key--pending">{t('admin.signatures.pending')}</span>
      </figcaption>
    </figure>
  )
}
