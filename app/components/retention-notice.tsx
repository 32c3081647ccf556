import { useTranslation } from 'react-i18next'
import type { RetentionState } from '~/utils/retention.ts'
import { formatDate, type Language } from '~/utils/i18n.ts'

const day = (epochMs: number, lang: Language) => formatDate(new Date(epochMs).toISOString().slice(0, 10), lang)

/** When the campaign's signatures will be (or were) anonymised, on its settings page. */
export function RetentionNotice({ retention, lang }: { retention: RetentionState; lang: Language }) {
  const { t } = useTranslation()
  let text: string
  switch (retention.state) {
    case 'open':
      text = t('admin.settings.retentionOpen', { count: retention.retentionDays })
      break
    case 'scheduled':
      text = t('admin.settings.retentionScheduled', { closed: day(retention.closedAt, lang), date: day(retention.dueAt, lang) })
      break
    case 'due':
      text = t('admin.settings.retentionDue', { closed: day(retention.closedAt, lang), date: day(retention.dueAt, lang) })
      break
    case 'done':
      text = t('admin.settings.retentionDone', { date: day(retention.anonymisedAt, lang) })
      break
  }
  return (
    <p className="notice" id="retention-notice">
      {text}
    </p>
  )
}
