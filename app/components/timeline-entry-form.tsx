import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { newTimelineEntrySchema, timelineEntrySchema, textLimits } from '~/utils/schemas.ts'
import { PublicationFields } from './publication-fields.tsx'
import { ConformForm, SelectField, TextAreaField, TextField } from './ui/field.tsx'

/**
 * One language's text of a timeline entry (an update). A new entry also says when it
 * goes public; an existing one changes that in its own form (the entry page).
 */
export function TimelineEntryForm({
  id,
  lastResult,
  defaultValue,
  submitLabel,
  withPublication = false,
  lockedLocale,
}: {
  id: string
  lastResult?: SubmissionResult<string[]>
  defaultValue: { happenedOn?: string; locale?: string; title?: string; bodyMd?: string; imageAlt?: string; publish?: string; publishAt?: string }
  submitLabel: string
  withPublication?: boolean
  /** Editing: the language is the one loaded (switched by loading another, never by the form, which would save this text over that one). */
  lockedLocale?: (typeof LANGUAGES)[number]
}) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id,
    lastResult,
    defaultValue,
    constraint: textLimits(withPublication ? newTimelineEntrySchema(t) : timelineEntrySchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: withPublication ? newTimelineEntrySchema(t) : timelineEntrySchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <ConformForm
      form={form}
      className="stack"
      lastResult={lastResult}
      summary={{
        happenedOn: t('admin.timeline.date'),
        locale: t('admin.timeline.language'),
        title: t('admin.timeline.entryTitle'),
        bodyMd: t('admin.timeline.body'),
        imageAlt: t('admin.updates.image.alt'),
        publish: t('admin.updates.publish.label'),
        publishAt: t('admin.updates.publish.at'),
      }}
    >
      <input type="hidden" name="intent" value="save" />
      <div className="row">
        <TextField meta={fields.happenedOn} type="date" label={t('admin.timeline.date')} />
        {lockedLocale ? (
          <p className="field">
            <input type="hidden" name={fields.locale.name} value={lockedLocale} />
            {t('admin.timeline.editingIn', { language: LANGUAGE_NAMES[lockedLocale] })}
          </p>
        ) : (
          <SelectField
            meta={fields.locale}
            label={t('admin.timeline.language')}
            options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
          />
        )}
      </div>
      <TextField meta={fields.title} label={t('admin.timeline.entryTitle')} />
      <TextAreaField meta={fields.bodyMd} rows={8} label={t('admin.timeline.body')} hint={t('admin.text.storyHint')} />
      <TextField meta={fields.imageAlt} label={t('admin.updates.image.alt')} hint={t('admin.updates.image.altHint')} />
      {withPublication ? <PublicationFields fields={{ publish: fields.publish, publishAt: fields.publishAt }} /> : null}
      <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
        {submitLabel}
      </button>
    </ConformForm>
  )
}
