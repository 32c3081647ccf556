import type { TFunction } from 'i18next'
import { z } from 'zod'
import { LANGUAGES, type Language } from './i18n.ts'

/**
 * The targets form (admin.campaigns.$id.targets): Conform validates it in the browser with the
 * same schema the action trusts. Kept apart from utils/schemas.ts, which every part would share.
 */

export const TARGET_LIMITS = { name: 160, role: 160, note: 600, email: 254 } as const
export const TARGET_INTENTS = ['save', 'delete'] as const

// Conform sends empty fields as undefined: stored as ''.
function optionalText(t: TFunction, max: number) {
  return z
    .string()
    .transform((v) => v.replace(/\r\n?/g, '\n'))
    .pipe(z.string().trim().max(max, t('forms.tooLong', { max })))
    .optional()
    .transform((v) => v ?? '')
}

export function targetSchema(t: TFunction, { defaultLocale }: { defaultLocale: Language }) {
  const texts = z
    .object({ name: optionalText(t, TARGET_LIMITS.name), role: optionalText(t, TARGET_LIMITS.role), note: optionalText(t, TARGET_LIMITS.note) })
    .optional()
    .transform((v) => v ?? { name: '', role: '', note: '' })
  return z
    .object({
      id: z.number({ invalid_type_error: t('forms.wholeNumber') }).int().positive().optional(),
      email: z
        .string()
        .trim()
        .max(TARGET_LIMITS.email, t('forms.tooLong', { max: TARGET_LIMITS.email }))
        .pipe(z.string().email(t('forms.email')))
        .optional()
        .transform((v) => v?.toLowerCase() ?? null),
      locale: z.enum(LANGUAGES, { errorMap: () => ({ message: t('forms.choose') }) }),
      position: z
        .number({ invalid_type_error: t('forms.wholeNumber') })
        .int(t('forms.wholeNumber'))
        .min(0, t('forms.min', { min: 0 }))
        .max(9_999, t('forms.max', { max: 9999 }))
        .optional()
        .transform((v) => v ?? 0),
      texts: z
        .object({ en: texts, de: texts, es: texts })
        .optional()
        .transform((v) => v ?? { en: { name: '', role: '', note: '' }, de: { name: '', role: '', note: '' }, es: { name: '', role: '', note: '' } }),
    })
    .superRefine((v, ctx) => {
      // A name in one language is enough: the others fall back to it, field by field.
      if (!LANGUAGES.some((l) => v.texts?.[l]?.name)) {
        ctx.addIssue({ code: 'custom', path: ['texts', defaultLocale, 'name'], message: t('admin.targets.nameRequired') })
      }
    })
}

export type TargetFormValue = z.input<ReturnType<typeof targetSchema>>
export type TargetTexts = Record<Language, { name: string; role: string; note: string }>

export function deleteTargetSchema(t: TFunction) {
  return z.object({ id: z.number({ required_error: t('forms.required'), invalid_type_error: t('forms.wholeNumber') }).int().positive() })
}
