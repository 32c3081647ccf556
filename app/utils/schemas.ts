import type { TFunction } from 'i18next'
import { z } from 'zod'
import { zonedTimeToEpoch } from './dates.ts'
import { LANGUAGES, type Language } from './i18n.ts'
import { currencyDigits, MAJOR_AMOUNT_PATTERN, toMinorUnits } from './money.ts'

/**
 * The Zod schemas shared by each back-office form (Conform, in the browser) and its
 * action (the authority). They take `t` so every message is in the organiser's language.
 */
export const CAMPAIGN_STATUSES = ['draft', 'live', 'closed', 'won'] as const
export const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'CAD', 'AUD', 'MXN'] as const
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
/**
 * Days signers' details are kept after a campaign closes (ADR 010): about six months by default,
 * 30 days for campaigns whose supporters may be at risk (issue 16), ten years at most.
 */
export const RETENTION_DAYS = { default: 180, atRisk: 30, min: 1, max: 3650 } as const

/**
 * The longest value each text field takes, as Conform constraints (`constraint:` in useForm),
 * so inputs carry `maxlength` read from the same schema the action enforces and the two never
 * drift. Only the length: `required` or a pattern would let the browser stop the form with its
 * own message before the server can list every problem in the visitor's language. Nested
 * fields are named as Conform names them (`texts.en.title`).
 */
export function textLimits(schema: z.ZodTypeAny): Record<string, { maxLength: number }> {
  const limits: Record<string, { maxLength: number }> = {}
  const visit = (type: z.ZodTypeAny, name: string) => {
    if (type instanceof z.ZodObject) {
      for (const [key, field] of Object.entries(type.shape as z.ZodRawShape)) visit(field, name ? `${name}.${key}` : key)
    } else if (type instanceof z.ZodEffects) visit(type.innerType(), name)
    else if (type instanceof z.ZodOptional || type instanceof z.ZodNullable) visit(type.unwrap(), name)
    else if (type instanceof z.ZodDefault) visit(type.removeDefault(), name)
    // A pipe checks its value twice: the stricter limit is the one that holds.
    else if (type instanceof z.ZodPipeline) {
      visit(type._def.in, name)
      visit(type._def.out, name)
    } else if (type instanceof z.ZodString && type.maxLength !== null && name) {
      limits[name] = { maxLength: Math.min(limits[name]?.maxLength ?? Infinity, type.maxLength) }
    }
  }
  visit(schema, '')
  return limits
}

function text(t: TFunction, { min = 0, max }: { min?: number; max: number }) {
  const base = z
    .string({ required_error: t('forms.required'), invalid_type_error: t('forms.required') })
    .trim()
    .max(max, t('forms.tooLong', { max }))
  return min > 0 ? base.min(min, t('forms.required')) : base
}

// A textarea counts a line break as one character against its maxlength but sends it as CRLF:
// count it, and keep it, as one, so what the browser let through the server takes.
const oneCharLineBreaks = (value: string) => value.replace(/\r\n?/g, '\n')

/** Optional text: Conform sends empty fields as undefined; store them as ''. */
function optionalText(t: TFunction, max: number) {
  return z
    .string()
    .transform(oneCharLineBreaks)
    .pipe(z.string().trim().max(max, t('forms.tooLong', { max })))
    .optional()
    .transform((v) => v ?? '')
}

function enumOf<T extends readonly [string, ...string[]]>(t: TFunction, values: T) {
  return z.enum(values, { errorMap: () => ({ message: t('forms.choose') }) })
}

export function loginSchema(t: TFunction) {
  return z.object({
    email: text(t, { min: 1, max: 254 }).pipe(z.string().email(t('forms.email'))),
    password: z
      .string({ required_error: t('forms.required'), invalid_type_error: t('forms.required') })
      .min(1, t('forms.required'))
      .max(200, t('forms.tooLong', { max: 200 })),
    redirectTo: z.string().optional(),
  })
}

export function setPasswordSchema(t: TFunction) {
  return z
    .object({
      password: z
        .string({ required_error: t('forms.required'), invalid_type_error: t('forms.required') })
        .min(12, t('forms.passwordTooShort', { min: 12 }))
        .max(200, t('forms.tooLong', { max: 200 })),
      confirm: z.string({ required_error: t('forms.required'), invalid_type_error: t('forms.required') }),
    })
    .refine((v) => v.password === v.confirm, { path: ['confirm'], message: t('forms.passwordMismatch') })
}

function settingsFields(t: TFunction) {
  return {
    slug: text(t, { min: 3, max: 80 })
      .transform((s) => s.toLowerCase())
      .pipe(z.string().regex(SLUG_PATTERN, t('forms.slug'))),
    status: enumOf(t, CAMPAIGN_STATUSES),
    defaultLocale: enumOf(t, LANGUAGES),
    currency: enumOf(t, CURRENCIES),
    signatureGoal: z
      .number({ invalid_type_error: t('forms.wholeNumber') })
      .int(t('forms.wholeNumber'))
      .min(1, t('forms.min', { min: 1 }))
      .max(100_000_000, t('forms.max', { max: '100,000,000' }))
      .optional()
      .transform((v) => v ?? null),
    target: optionalText(t, 200),
    retentionDays: retentionDays(t),
    // A checkbox: absent from the form means off.
    confirmationReminder: z.boolean({ invalid_type_error: t('forms.choose') }).optional().default(false),
    atRisk: z.boolean({ invalid_type_error: t('forms.choose') }).optional().default(false),
  }
}

function retentionDays(t: TFunction) {
  return z
    .number({ required_error: t('forms.required'), invalid_type_error: t('forms.wholeNumber') })
    .int(t('forms.wholeNumber'))
    .min(RETENTION_DAYS.min, t('forms.min', { min: RETENTION_DAYS.min }))
    .max(RETENTION_DAYS.max, t('forms.max', { max: RETENTION_DAYS.max }))
}

export function campaignSettingsSchema(t: TFunction) {
  return z.object(settingsFields(t))
}

export function newCampaignSchema(t: TFunction) {
  return z.object({
    ...settingsFields(t),
    // Empty: the default for the kind of campaign, shorter when its supporters may be at risk.
    retentionDays: retentionDays(t).optional(),
    title: text(t, { min: 1, max: 160 }),
    summary: optionalText(t, 400),
  })
}

export function campaignTextSchema(t: TFunction) {
  return z.object({
    title: text(t, { min: 1, max: 160 }),
    summary: optionalText(t, 400),
    storyMd: optionalText(t, 50_000),
    petitionText: optionalText(t, 2_000),
    imageAlt: optionalText(t, 300),
  })
}

export function isCalendarDate(value: string) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
}

function timelineEntryFields(t: TFunction) {
  return {
    happenedOn: text(t, { min: 1, max: 10 }).refine(isCalendarDate, t('forms.date')),
    locale: enumOf(t, LANGUAGES),
    title: text(t, { min: 1, max: 200 }),
    bodyMd: optionalText(t, 10_000),
    imageAlt: optionalText(t, 300),
  }
}

export function timelineEntrySchema(t: TFunction) {
  return z.object(timelineEntryFields(t))
}

/** When a timeline entry (an update) goes public: now, at a chosen time, or not yet. */
export const PUBLISH_CHOICES = ['now', 'schedule', 'draft'] as const
export type Publication = { kind: 'now' } | { kind: 'draft' } | { kind: 'scheduled'; at: number }

function publicationFields(t: TFunction) {
  return {
    // Absent (older forms, scripts): publish now, as entries always were.
    publish: enumOf(t, PUBLISH_CHOICES).default('now'),
    publishAt: z.string().trim().max(19).optional(),
    // The organiser's IANA time zone, set by the browser; UTC without JavaScript.
    timeZone: z.string().trim().max(64).optional(),
  }
}

type PublicationInput = { publish: (typeof PUBLISH_CHOICES)[number]; publishAt?: string; timeZone?: string }

/** Turns the publication fields into a Publication; a scheduled time must be a valid one in the future. */
function withPublication(t: TFunction) {
  return <T extends PublicationInput>({ publish, publishAt, timeZone, ...rest }: T, ctx: z.RefinementCtx) => {
    let publication: Publication = { kind: publish === 'draft' ? 'draft' : 'now' }
    if (publish === 'schedule') {
      const at = publishAt ? zonedTimeToEpoch(publishAt, timeZone || 'UTC') : null
      if (at === null) {
        ctx.addIssue({ code: 'custom', path: ['publishAt'], message: t('admin.updates.errors.publishAt') })
        return z.NEVER
      }
      if (at <= Date.now()) {
        ctx.addIssue({ code: 'custom', path: ['publishAt'], message: t('admin.updates.errors.publishAtPast') })
        return z.NEVER
      }
      publication = { kind: 'scheduled', at }
    }
    return { ...rest, publication }
  }
}

export function newTimelineEntrySchema(t: TFunction) {
  return z.object({ ...timelineEntryFields(t), ...publicationFields(t) }).transform(withPublication(t))
}

export function publicationSchema(t: TFunction) {
  return z.object(publicationFields(t)).transform(withPublication(t))
}

/** Who receives an update by email: consenting signers, donors (to the campaign or one fund), or both. */
export const DONOR_AUDIENCES = ['none', 'campaign', 'fund'] as const

export function updateAudienceSchema(t: TFunction) {
  return z
    .object({
      signers: z.boolean().optional().transform((v) => v ?? false),
      donors: enumOf(t, DONOR_AUDIENCES).default('none'),
      fundId: z.number({ invalid_type_error: t('forms.choose') }).int().positive().optional(),
    })
    .superRefine((value, ctx) => {
      if (!value.signers && value.donors === 'none') ctx.addIssue({ code: 'custom', path: ['signers'], message: t('admin.updates.errors.noAudience') })
      if (value.donors === 'fund' && !value.fundId) ctx.addIssue({ code: 'custom', path: ['fundId'], message: t('admin.updates.errors.fund') })
    })
}

export function organizerSchema(t: TFunction) {
  return z.object({
    email: text(t, { min: 1, max: 254 }).pipe(z.string().email(t('forms.email'))),
    name: text(t, { min: 1, max: 120 }),
    role: enumOf(t, ['owner', 'editor'] as const),
    // The language of the invitation email; the back office's language when not chosen.
    locale: enumOf(t, ['en', 'de', 'es'] as const).optional(),
  })
}

// Control and invisible format characters (zero-width spaces, text-direction overrides) never
// belong in a name or message; line breaks and tabs do in longer texts, and the zero-width
// joiner inside emoji. U+FFFD is what a form decoder makes of invalid UTF-8.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029\uFFFD\uFFFE\uFFFF]|(?!\u200D)\p{Cf}/u
const CONTROL_ONE_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFD\uFFFE\uFFFF]|(?!\u200D)\p{Cf}/u
// Lone surrogates are what invalid UTF-8 becomes after decoding: refuse them rather than store them.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function cleanLine(t: TFunction, { min = 0, max }: { min?: number; max: number }) {
  return text(t, { min, max })
    .refine((v) => !CONTROL_ONE_LINE.test(v) && !LONE_SURROGATE.test(v), t('forms.invalidCharacters'))
}

/** A message of support (signing) or for the donor wall: several lines, no control characters. */
function supportMessage(t: TFunction) {
  return z
    .string({ invalid_type_error: t('forms.invalidCharacters') })
    .transform(oneCharLineBreaks)
    .pipe(
      z
        .string()
        .trim()
        .max(500, t('forms.tooLong', { max: 500 }))
        .refine((v) => !CONTROL.test(v) && !LONE_SURROGATE.test(v), t('forms.invalidCharacters')),
    )
}

/** The petition form: the same schema validates in the browser (Conform) and in the action. */
export function signSchema(t: TFunction, countryCodes: readonly [string, ...string[]]) {
  return z.object({
    firstName: cleanLine(t, { min: 1, max: 80 }),
    lastName: cleanLine(t, { min: 1, max: 80 }),
    email: cleanLine(t, { min: 1, max: 254 }).pipe(z.string().email(t('forms.email'))),
    country: enumOf(t, countryCodes),
    postalCode: z
      .string({ invalid_type_error: t('forms.invalidCharacters') })
      .trim()
      .max(16, t('forms.tooLong', { max: 16 }))
      .regex(/^[\p{L}\p{N} -]*$/u, t('forms.postalCode'))
      .optional(),
    message: supportMessage(t).optional(),
    showName: z.boolean({ invalid_type_error: t('forms.choose') }).optional().default(false),
    updates: z.boolean({ invalid_type_error: t('forms.choose') }).optional().default(false),
    // Honeypot: hidden from people, filled in by naive bots. Any value, in any shape, marks a bot.
    website: z.unknown().optional(),
  })
}

const optionalDate = (t: TFunction) =>
  z.string().trim().optional().refine((v) => !v || isCalendarDate(v), t('forms.date'))

/** Bulk invalidation: which signatures (at least one narrowing criterion), and why. */
export function invalidationSchema(t: TFunction) {
  return z
    .object({
      reason: text(t, { min: 3, max: 200 }),
      ids: z.array(z.number().int().positive()).max(500).optional(),
      ipHash: z.string().trim().regex(/^[A-Za-z0-9_-]{8,64}$/, t('admin.signatures.ipHashFormat')).optional(),
      emailDomain: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^(?=.{3,253}$)([a-z0-9-]+\.)+[a-z]{2,}$/, t('admin.signatures.domainFormat'))
        .optional(),
      from: optionalDate(t),
      to: optionalDate(t),
    })
    .refine((v) => Boolean(v.ids?.length || v.ipHash || v.emailDomain), {
      path: ['reason'],
      message: t('admin.signatures.narrowFirst'),
    })
}

export function replySchema(t: TFunction) {
  return z.object({ signatureId: z.number().int().positive(), body: text(t, { min: 1, max: 2000 }) })
}

/**
 * The email-preferences page: a checkbox per campaign. Unticked boxes send nothing, so the
 * form also lists every campaign it `shown`; those not ticked are turned off. Nothing here
 * can be invalid from the page itself, so there are no messages to translate.
 */
export const preferencesSchema = z.object({
  shown: z.array(z.coerce.number().int().positive()).max(1000),
  updates: z.array(z.coerce.number().int().positive()).max(1000),
})

export const DONATION_INTERVALS = ['one_time', 'monthly'] as const

/**
 * The donation form. The amount is a preset (minor units) or "custom" with a typed
 * amount; the action checks it against the chosen fund's currency and the limits.
 */
export function donationSchema(t: TFunction) {
  return z
    .object({
      fundId: z.number({ required_error: t('donate.chooseFund'), invalid_type_error: t('donate.chooseFund') }).int().positive(t('donate.chooseFund')),
      currency: z.string().trim().regex(/^[A-Za-z]{3}$/).optional(),
      interval: enumOf(t, DONATION_INTERVALS),
      amount: z.string({ required_error: t('donate.chooseAmount') }).regex(/^(\d{1,9}|custom)$/, t('donate.chooseAmount')),
      customAmount: z.string().trim().max(20, t('donate.amountFormat')).optional(),
      coverFees: z.boolean({ invalid_type_error: t('forms.choose') }).optional().default(false),
      email: cleanLine(t, { min: 1, max: 254 }).pipe(z.string().email(t('forms.email'))),
      receiptName: cleanLine(t, { max: 120 }).optional(),
      publicName: cleanLine(t, { max: 80 }).optional(),
      message: supportMessage(t).optional(),
      updates: z.boolean({ invalid_type_error: t('forms.choose') }).optional().default(false),
    })
    .superRefine((value, ctx) => {
      if (value.amount === 'custom' && !value.customAmount) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['customAmount'], message: t('donate.enterAmount') })
      }
    })
}

// ——— Funds ———

export const FUND_STATUSES = ['open', 'closed'] as const
const FUND_GOAL_MAX_MAJOR = 100_000_000

/** The currencies a fund may use: the common ones, the campaign's, and the fund's own if it is something else. */
export function fundCurrencies(...extra: (string | null | undefined)[]): [string, ...string[]] {
  const codes = new Set<string>(CURRENCIES)
  for (const code of extra) if (code && /^[A-Za-z]{3}$/.test(code)) codes.add(code.toUpperCase())
  return [...codes] as [string, ...string[]]
}

/**
 * A fund: its settings and its title and description in each language (`texts.en.title`
 * …). The goal is typed in major units ("4500.50") and comes out in minor units; at least
 * one language needs a title, and a description needs a title beside it.
 */
export function fundSchema(t: TFunction, { currencies, defaultLocale }: { currencies: readonly [string, ...string[]]; defaultLocale: Language }) {
  const localized = z
    .object({ title: optionalText(t, 120), description: optionalText(t, 2_000) })
    .optional()
    .transform((v) => v ?? { title: '', description: '' })
  return z
    .object({
      slug: text(t, { min: 1, max: 60 })
        .transform((s) => s.toLowerCase())
        .pipe(z.string().regex(SLUG_PATTERN, t('admin.funds.slugFormat'))),
      goal: text(t, { min: 1, max: 20 }).refine((v) => MAJOR_AMOUNT_PATTERN.test(v), t('admin.funds.goalFormat')),
      currency: enumOf(t, currencies),
      status: enumOf(t, FUND_STATUSES),
      position: z
        .number({ invalid_type_error: t('forms.wholeNumber') })
        .int(t('forms.wholeNumber'))
        .min(0, t('forms.min', { min: 0 }))
        .max(9_999, t('forms.max', { max: 9999 }))
        .optional()
        .transform((v) => v ?? 0),
      texts: z
        .object({ en: localized, de: localized, es: localized })
        .optional()
        .transform((v) => v ?? { en: { title: '', description: '' }, de: { title: '', description: '' }, es: { title: '', description: '' } }),
    })
    // Zod runs this even when a field above failed (the values are then as typed): check only what parsed.
    .superRefine((v, ctx) => {
      if (currencies.includes(v.currency) && MAJOR_AMOUNT_PATTERN.test(v.goal ?? '')) {
        const goalMinor = toMinorUnits(v.goal, v.currency)
        const digits = currencyDigits(v.currency)
        if (goalMinor === null) {
          ctx.addIssue({ code: 'custom', path: ['goal'], message: t('admin.funds.goalDecimals', { count: digits, currency: v.currency }) })
        } else if (goalMinor < 1) {
          ctx.addIssue({ code: 'custom', path: ['goal'], message: t('admin.funds.goalMin') })
        } else if (goalMinor > FUND_GOAL_MAX_MAJOR * 10 ** digits) {
          ctx.addIssue({ code: 'custom', path: ['goal'], message: t('admin.funds.goalMax') })
        }
      }
      if (!LANGUAGES.some((l) => v.texts?.[l]?.title)) {
        ctx.addIssue({ code: 'custom', path: ['texts', defaultLocale, 'title'], message: t('admin.funds.titleRequired') })
      }
      for (const l of LANGUAGES) {
        if (v.texts?.[l]?.description && !v.texts[l].title) {
          ctx.addIssue({ code: 'custom', path: ['texts', l, 'title'], message: t('admin.funds.titleForDescription') })
        }
      }
    })
    .transform(({ goal, ...v }) => ({ ...v, goalMinor: toMinorUnits(goal, v.currency) ?? 0 }))
}
