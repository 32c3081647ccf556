import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { timelineEntrySchema } from '~/utils/schemas.ts'
import { ConformForm, SelectField, TextAreaField, TextField } from './ui/field.tsx'

export function TimelineEntryForm({
  id,
  lastResult,
  defaultValue,
  submitLabel,
}: {
  id: string
  lastResult?: SubmissionResult<string[]>
  defaultValue: { happenedOn?: string; locale?: string; title?: string; bodyMd?: string }
  submitLabel: string
}) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id,
    lastResult,
    defaultValue,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: timelineEntrySchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <ConformForm form={form} className="stack">
      <input type="hidden" name="intent" value="save" />
      <div className="row">
        <TextField meta={fields.happenedOn} type="date" label={t('admin.timeline.date')} />
        <SelectField
          meta={fields.locale}
          label={t('admin.timeline.language')}
          options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
        />
      </div>
      <TextField meta={fields.title} label={t('admin.timeline.entryTitle')} />
      <TextAreaField meta={fields.bodyMd} rows={4} label={t('admin.timeline.body')} hint={t('admin.text.storyHint')} />
      <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
        {submitLabel}
      </button>
    </ConformForm>
  )
}
