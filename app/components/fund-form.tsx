import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LANGUAGES, languageName, isLanguage, type Language } from '~/utils/i18n.ts'
import { FUND_STATUSES, fundSchema, textLimits } from '~/utils/schemas.ts'
import { ConformForm, SelectField, TextAreaField, TextField } from './ui/field.tsx'

export type FundFormValue = {
  slug?: string
  goal?: string
  currency?: string
  status?: string
  position?: number
  texts?: Partial<Record<Language, { title?: string; description?: string }>>
}

/** A fund's settings and its texts in every language: the same form adds and edits a fund. */
export function FundForm({
  id,
  lastResult,
  defaultValue,
  currencies,
  defaultLocale,
  currencyLocked,
  submitLabel,
}: {
  id: string
  lastResult?: SubmissionResult<string[]>
  defaultValue: FundFormValue
  currencies: [string, ...string[]]
  defaultLocale: Language
  currencyLocked?: boolean
  submitLabel: string
}) {
  const { t, i18n } = useTranslation()
  const navigation = useNavigation()
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  const [form, fields] = useForm({
    id,
    lastResult,
    defaultValue,
    constraint: textLimits(fundSchema(t, { currencies, defaultLocale })),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: fundSchema(t, { currencies, defaultLocale }) }),
    shouldRevalidate: 'onInput',
  })
  const texts = fields.texts.getFieldset()
  // The campaign's main language first: it is the fallback for the others.
  const languages = [defaultLocale, ...LANGUAGES.filter((l) => l !== defaultLocale)]
  const labels: Record<string, string> = {
    slug: t('admin.funds.slug'),
    position: t('admin.funds.position'),
    goal: t('admin.funds.goal'),
    currency: t('admin.funds.currency'),
    status: t('admin.funds.status'),
  }
  for (const l of languages) {
    const language = languageName(l, uiLang)
    labels[`texts.${l}.title`] = t('admin.funds.fundTitle', { language })
    labels[`texts.${l}.description`] = t('admin.funds.description', { language })
  }
  return (
    <ConformForm form={form} className="stack" lastResult={lastResult} summary={labels}>
      <div className="row">
        <TextField meta={fields.slug} label={t('admin.funds.slug')} hint={t('admin.funds.slugHint')} />
        <TextField meta={fields.position} type="number" label={t('admin.funds.position')} hint={t('admin.funds.positionHint')} />
      </div>
      <div className="row">
        <TextField meta={fields.goal} label={t('admin.funds.goal')} hint={t('admin.funds.goalHint')} />
        <SelectField
          meta={fields.currency}
          label={t('admin.funds.currency')}
          hint={currencyLocked ? t('admin.funds.currencyLockedHint') : undefined}
          options={currencies.map((c) => ({ value: c, label: c }))}
        />
        <SelectField
          meta={fields.status}
          label={t('admin.funds.status')}
          hint={t('admin.funds.statusHint')}
          options={FUND_STATUSES.map((s) => ({ value: s, label: t(`admin.funds.statuses.${s}`) }))}
        />
      </div>
      <p className="field__hint">{t('admin.funds.textsHint', { language: languageName(defaultLocale, uiLang) })}</p>
      {languages.map((l) => {
        const text = texts[l].getFieldset()
        const language = languageName(l, uiLang)
        return (
          <fieldset key={l} className="panel stack">
            <legend>{language}</legend>
            <TextField meta={text.title} label={t('admin.funds.fundTitle', { language })} />
            <TextAreaField meta={text.description} rows={3} label={t('admin.funds.description', { language })} />
          </fieldset>
        )
      })}
      <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
        {submitLabel}
      </button>
    </ConformForm>
  )
}
