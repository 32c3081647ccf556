import { parseWithZod } from '@conform-to/zod'
import type { TFunction } from 'i18next'
import { COUNTRY_CODES } from './countries.ts'
import { donationSchema, signSchema } from './schemas.ts'

// Loaded by lazy-validation.ts after the page has hydrated: Zod and the schemas are a
// separate chunk, not part of what a public page needs to paint.

export function validateSignature(formData: FormData, t: TFunction) {
  return parseWithZod(formData, { schema: signSchema(t, COUNTRY_CODES) })
}

export function validateDonation(formData: FormData, t: TFunction) {
  return parseWithZod(formData, { schema: donationSchema(t) })
}
