import type { TFunction } from 'i18next'
import { z } from 'zod'

/**
 * The forms of the two-factor pages and the security page (ADR 019), shared by Conform in the
 * browser and the actions (the authority). Codes are read as people type them: spaces allowed
 * in a six-digit code, any case, spaces and dashes in a recovery code.
 */

/** Six digits from the app; "123 456" is fine. */
export function totpCodeSchema(t: TFunction) {
  return z.object({
    code: z
      .string({ required_error: t('twoFactor.codeRequired'), invalid_type_error: t('twoFactor.codeRequired') })
      .max(20, t('twoFactor.codeFormat'))
      .transform((v) => v.replace(/\s+/g, ''))
      .pipe(z.string().min(1, t('twoFactor.codeRequired')).regex(/^\d{6}$/, t('twoFactor.codeFormat'))),
    redirectTo: z.string().optional(),
  })
}

/** 'xxxx-xxxx-xxxx-xxxx' as printed, in any case, with or without the dashes. */
export function recoveryCodeSchema(t: TFunction) {
  return z.object({
    recoveryCode: z
      .string({ required_error: t('twoFactor.codeRequired'), invalid_type_error: t('twoFactor.codeRequired') })
      .max(40, t('twoFactor.recoveryFormat'))
      .transform((v) => v.toLowerCase().replace(/[\s-]+/g, ''))
      .pipe(z.string().min(1, t('twoFactor.codeRequired')).regex(/^[a-z2-7]{16}$/, t('twoFactor.recoveryFormat'))),
    redirectTo: z.string().optional(),
  })
}

export const TWO_FACTOR_INTENTS = ['totp', 'recovery'] as const
export const SETUP_INTENTS = ['totp-start', 'totp-confirm', 'continue'] as const
export const SECURITY_INTENTS = ['totp-start', 'totp-confirm', 'totp-remove', 'recovery-codes'] as const
