import { useTranslation } from 'react-i18next'
import type { PrintSheet as Sheet } from '~/utils/print.ts'

/** The poster or flyer itself (styles in app/styles/print.css): the print page shows it, the back office previews it. */
export function PrintSheet({ sheet, titleTag: Title = 'h1' }: { sheet: Sheet; titleTag?: 'h1' | 'h4' }) {
  const { t } = useTranslation()
  return (
    <article className={`print-sheet print-sheet--${sheet.size}`} aria-label={t(`print.title_${sheet.size}`, { title: sheet.title.value })}>
      {sheet.image ? <img className="print-sheet__image" src={sheet.image.src} alt={sheet.image.alt} /> : null}
      <Title className={`print-sheet__title print-sheet__title--${sheet.titleScale}`} lang={sheet.title.lang}>
        {sheet.title.value}
      </Title>
      {sheet.summary.value ? (
        <p className="print-sheet__summary" lang={sheet.summary.lang}>
          {sheet.summary.value}
        </p>
      ) : null}
      <div className="print-sheet__action">
        <figure className="print-sheet__qr">
          <img src={sheet.qr.src} alt={t('print.qrAlt', { url: sheet.qr.shortUrl })} width={280} height={280} />
          <figcaption>{sheet.qr.shortUrl}</figcaption>
        </figure>
        <div className="print-sheet__facts">
          <p className="print-sheet__scan">{t('print.scan')}</p>
          <p className="print-sheet__count">{t('print.count', { count: sheet.confirmed })}</p>
          <p className="print-sheet__date">{t('print.asOf', { date: sheet.asOf })}</p>
          <p className="print-sheet__team">{t('print.byTeam', { team: sheet.teamName })}</p>
        </div>
      </div>
    </article>
  )
}
