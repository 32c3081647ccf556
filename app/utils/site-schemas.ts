import type { TFunction } from 'i18next'
import { z } from 'zod'
import { AA_CONTRAST, accentContrast, HEX_COLOR } from './contrast.ts'

/** Schemas of the instance's Branding and Legal pages forms (shared by Conform and the actions). */

function optionalText(t: TFunction, max: number) {
  return z.string().trim().max(max, t('forms.tooLong', { max })).optional().transform((v) => v ?? '')
}

export const BRANDING_LIMITS = { teamName: 80, headline: 120, intro: 400 } as const
export const LEGAL_PAGE_MAX = 50_000

export function brandingSchema(t: TFunction) {
  return z.object({
    teamName: optionalText(t, BRANDING_LIMITS.teamName),
    accentColor: optionalText(t, 7)
      .transform((v) => v.toLowerCase())
      .superRefine((value, ctx) => {
        if (value === '') return
        if (!HEX_COLOR.test(value)) {
          ctx.addIssue({ code: 'custom', message: t('admin.branding.colorFormat') })
          return
        }
        const { onWhite, onPage } = accentContrast(value)
        if (onWhite < AA_CONTRAST || onPage < AA_CONTRAST) {
          ctx.addIssue({
            code: 'custom',
            message: t('admin.branding.contrast', { onWhite: onWhite.toFixed(2), onPage: onPage.toFixed(2), min: AA_CONTRAST }),
          })
        }
      }),
    headline_en: optionalText(t, BRANDING_LIMITS.headline),
    headline_de: optionalText(t, BRANDING_LIMITS.headline),
    headline_es: optionalText(t, BRANDING_LIMITS.headline),
    intro_en: optionalText(t, BRANDING_LIMITS.intro),
    intro_de: optionalText(t, BRANDING_LIMITS.intro),
    intro_es: optionalText(t, BRANDING_LIMITS.intro),
  })
}

export function legalPageSchema(t: TFunction) {
  return z.object({ body: optionalText(t, LEGAL_PAGE_MAX) })
}
