import type { TFunction } from 'i18next'
import { z } from 'zod'

/** The milestones page's forms (Conform in the browser, the authority in the action). */

export const MILESTONE_LIMITS = { threshold: 1_000_000_000, happens: 300 } as const

function happensText(t: TFunction) {
  return z
    .string()
    .transform((v) => v.replace(/\s+/g, ' '))
    .pipe(z.string().trim().max(MILESTONE_LIMITS.happens, t('forms.tooLong', { max: MILESTONE_LIMITS.happens })))
    .optional()
    .transform((v) => v ?? '')
}

const id = (t: TFunction) => z.number({ invalid_type_error: t('forms.wholeNumber') }).int(t('forms.wholeNumber')).positive(t('forms.wholeNumber'))

export function milestoneSchema(t: TFunction) {
  const localized = z
    .object({ happens: happensText(t) })
    .optional()
    .transform((v) => v ?? { happens: '' })
  return z.object({
    intent: z.literal('save'),
    id: id(t).optional(),
    threshold: z
      .number({ required_error: t('forms.required'), invalid_type_error: t('forms.wholeNumber') })
      .int(t('forms.wholeNumber'))
      .min(1, t('forms.min', { min: 1 }))
      .max(MILESTONE_LIMITS.threshold, t('forms.max', { max: MILESTONE_LIMITS.threshold })),
    emailTarget: z.boolean().optional().transform((v) => v ?? false),
    texts: z
      .object({ en: localized, de: localized, es: localized })
      .optional()
      .transform((v) => v ?? { en: { happens: '' }, de: { happens: '' }, es: { happens: '' } }),
  })
}

export function milestoneDeleteSchema(t: TFunction) {
  return z.object({ intent: z.literal('delete'), id: id(t) })
}

export type MilestoneFormValue = z.output<ReturnType<typeof milestoneSchema>>
