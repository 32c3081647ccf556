import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { SelectField, TextField } from './ui/field.tsx'

/**
 * Publish now, at a time, or keep as a draft. The time is typed as a wall-clock time;
 * the browser adds its time zone (without JavaScript the time is read as UTC, and the
 * hint says so).
 */
export function PublicationFields({ fields }: { fields: { publish: { name: string }; publishAt: { name: string } } }) {
  const { t } = useTranslation()
  const [timeZone, setTimeZone] = useState('UTC')
  useEffect(() => {
    setTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC')
  }, [])
  return (
    <div className="row">
      <SelectField
        meta={fields.publish}
        label={t('admin.updates.publish.label')}
        options={(['now', 'schedule', 'draft'] as const).map((value) => ({ value, label: t(`admin.updates.publish.${value}`) }))}
      />
      <TextField meta={fields.publishAt} type="datetime-local" label={t('admin.updates.publish.at')} hint={t('admin.updates.publish.atHint', { zone: timeZone })} />
      <input type="hidden" name="timeZone" value={timeZone} />
    </div>
  )
}
