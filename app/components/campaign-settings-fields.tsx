import type { FieldMetadata } from '@conform-to/react'
import type { TFunction } from 'i18next'
import { useTranslation } from 'react-i18next'
import { LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { CAMPAIGN_STATUSES, CURRENCIES, RETENTION_DAYS } from '~/utils/schemas.ts'
import { CheckboxField, SelectField, TextField } from './ui/field.tsx'

type Fields = {
  slug: FieldMetadata<string>
  status: FieldMetadata<string>
  defaultLocale: FieldMetadata<string>
  currency: FieldMetadata<string>
  signatureGoal: FieldMetadata<number | null>
  target: FieldMetadata<string>
  retentionDays: FieldMetadata<number | undefined>
  confirmationReminder: FieldMetadata<boolean>
  atRisk: FieldMetadata<boolean>
}

/** The settings fields' labels, for the form's error summary. */
export function settingsLabels(t: TFunction) {
  return {
    slug: t('admin.settings.slug'),
    status: t('admin.settings.status'),
    defaultLocale: t('admin.settings.defaultLocale'),
    currency: t('admin.settings.currency'),
    signatureGoal: t('admin.settings.goal'),
    target: t('admin.settings.target'),
    retentionDays: t('admin.settings.retention'),
    confirmationReminder: t('admin.settings.reminder'),
    atRisk: t('atRisk.setting'),
  }
}

/** `isNew`: the new-campaign form, where an empty retention takes the default for the kind of campaign. */
export function CampaignSettingsFields({ fields, isNew = false }: { fields: Fields; isNew?: boolean }) {
  const { t } = useTranslation()
  return (
    <>
      <TextField meta={fields.slug} label={t('admin.settings.slug')} hint={t('admin.settings.slugHint')} />
      <SelectField
        meta={fields.status}
        label={t('admin.settings.status')}
        hint={t('admin.settings.statusHint')}
        options={CAMPAIGN_STATUSES.map((s) => ({ value: s, label: t(`campaign.status.${s}`) }))}
      />
      <SelectField
        meta={fields.defaultLocale}
        label={t('admin.settings.defaultLocale')}
        hint={t('admin.settings.defaultLocaleHint')}
        options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
      />
      <SelectField
        meta={fields.currency}
        label={t('admin.settings.currency')}
        options={CURRENCIES.map((c) => ({ value: c, label: c }))}
      />
      <TextField meta={fields.signatureGoal} type="number" label={t('admin.settings.goal')} hint={t('admin.settings.goalHint')} />
      <TextField meta={fields.target} label={t('admin.settings.target')} hint={t('admin.settings.targetHint')} />
      <CheckboxField meta={fields.atRisk} label={t('atRisk.setting')} hint={t(isNew ? 'atRisk.settingHintNew' : 'atRisk.settingHint', { days: RETENTION_DAYS.atRisk, default: RETENTION_DAYS.default })} />
      <TextField
        meta={fields.retentionDays}
        type="number"
        inputMode="numeric"
        label={t('admin.settings.retention')}
        hint={isNew ? t('atRisk.retentionHintNew', { default: RETENTION_DAYS.default, atRisk: RETENTION_DAYS.atRisk }) : t('admin.settings.retentionHint', { default: RETENTION_DAYS.default })}
      />
      <CheckboxField meta={fields.confirmationReminder} label={t('admin.settings.reminder')} hint={t('admin.settings.reminderHint')} />
    </>
  )
}
