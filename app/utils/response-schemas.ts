import type { TFunction } from 'i18next'
import { z } from 'zod'
import { LANGUAGES, type Language } from './i18n.ts'
import { isCalendarDate } from './schemas.ts'

/**
 * The forms of deliveries and of the target's answers (issue 17, part D): one Zod schema each,
 * used by Conform in the browser and as the authority in the action. Kept here, not in
 * schemas.ts, so parts do not share a file.
 */

/** db/schema.ts DELIVERY_METHODS (utils do not import db/); the insert's enum type holds the two equal. */
export const DELIVERY_METHODS = ['email', 'in_person', 'post', 'other'] as const
export type DeliveryMethodName = (typeof DELIVERY_METHODS)[number]

export const RESPONSE_LIMITS = { responder: 200, title: 200, bodyMd: 20_000, recipient: 200, note: 2_000 } as const

function requiredText(t: TFunction, max: number) {
  return z
    .string({ required_error: t('forms.required'), invalid_type_error: t('forms.required') })
    .trim()
    .min(1, t('forms.required'))
    .max(max, t('forms.tooLong', { max }))
}

/** Optional text: Conform sends empty fields as undefined; kept as ''. A CRLF counts, and is kept, as one character. */
function optionalText(t: TFunction, max: number) {
  return z
    .string()
    .transform((value) => value.replace(/\r\n?/g, '\n'))
    .pipe(z.string().trim().max(max, t('forms.tooLong', { max })))
    .optional()
    .transform((v) => v ?? '')
}

function calendarDate(t: TFunction) {
  return z
    .string({ required_error: t('forms.required'), invalid_type_error: t('forms.date') })
    .trim()
    .min(1, t('forms.required'))
    // No .max(): a date input may not carry maxlength (textLimits would give it one); the refine bounds it.
    .refine(isCalendarDate, t('forms.date'))
}

/** An optional choice from a list of rows (a target, a milestone): empty is none. */
function optionalId(t: TFunction) {
  return z.number({ invalid_type_error: t('forms.choose') }).int(t('forms.choose')).positive(t('forms.choose')).optional()
}

function perLanguage<T extends z.ZodTypeAny>(field: T, empty: z.output<T>) {
  const shape = Object.fromEntries(LANGUAGES.map((l) => [l, field])) as Record<Language, T>
  return z
    .object(shape)
    .partial()
    .optional()
    .transform((v) => Object.fromEntries(LANGUAGES.map((l) => [l, v?.[l] ?? empty])) as Record<Language, z.output<T>>)
}

export function deliverySchema(t: TFunction) {
  return z.object({
    targetId: optionalId(t),
    recipient: requiredText(t, RESPONSE_LIMITS.recipient),
    deliveredOn: calendarDate(t),
    method: z.enum(DELIVERY_METHODS, { errorMap: () => ({ message: t('forms.choose') }) }),
    milestoneId: optionalId(t),
    notes: perLanguage(optionalText(t, RESPONSE_LIMITS.note), ''),
  })
}

export type DeliveryFormValue = z.output<ReturnType<typeof deliverySchema>>

/**
 * The answer: who signed it, when, and its title and text per language (at least one title;
 * a language without one falls back to another on the page). The document is a file field
 * beside these, checked by app/utils/uploads.server.ts.
 */
export function responseSchema(t: TFunction, { defaultLocale }: { defaultLocale: Language }) {
  const text = z.object({ title: optionalText(t, RESPONSE_LIMITS.title), bodyMd: optionalText(t, RESPONSE_LIMITS.bodyMd) })
  return z
    .object({
      id: optionalId(t),
      targetId: optionalId(t),
      responder: requiredText(t, RESPONSE_LIMITS.responder),
      respondedOn: calendarDate(t),
      texts: perLanguage(text.optional().transform((v) => v ?? { title: '', bodyMd: '' }), { title: '', bodyMd: '' }),
    })
    .superRefine((v, ctx) => {
      if (!LANGUAGES.some((l) => v.texts?.[l]?.title)) {
        ctx.addIssue({ code: 'custom', path: ['texts', defaultLocale, 'title'], message: t('admin.responses.errors.titleRequired') })
      }
      for (const l of LANGUAGES) {
        if (v.texts?.[l]?.bodyMd && !v.texts[l].title) ctx.addIssue({ code: 'custom', path: ['texts', l, 'title'], message: t('admin.responses.errors.titleForText') })
      }
    })
}

export type ResponseFormValue = z.output<ReturnType<typeof responseSchema>>
