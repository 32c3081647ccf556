import type { TFunction } from 'i18next'
import { describe, expect, it } from 'vitest'
import { COUNTRY_CODES } from '~/utils/countries.ts'
import { DONATION_LIMITS, SIGN_LIMITS } from '~/utils/form-limits.ts'
import { donationSchema, signSchema, textLimits } from '~/utils/schemas.ts'

const t = ((key: string) => key) as unknown as TFunction

describe('the public forms\' maxlength without Zod', () => {
  it('are the limits of the schemas the server validates with', () => {
    expect(SIGN_LIMITS).toEqual(textLimits(signSchema(t, COUNTRY_CODES)))
    expect(DONATION_LIMITS).toEqual(textLimits(donationSchema(t)))
  })
})
