/**
 * The maxlength of the public forms' text fields, without Zod, so the campaign and donate
 * pages can render them before the schemas (and Zod) are loaded (lazy-validation.ts).
 * They are the limits of signSchema and donationSchema in schemas.ts, the server's
 * authority; tests/unit/form-limits.test.ts holds the two equal.
 */
export const SIGN_LIMITS = {
  firstName: { maxLength: 80 },
  lastName: { maxLength: 80 },
  email: { maxLength: 254 },
  postalCode: { maxLength: 16 },
  message: { maxLength: 500 },
}

export const DONATION_LIMITS = {
  customAmount: { maxLength: 20 },
  email: { maxLength: 254 },
  receiptName: { maxLength: 120 },
  publicName: { maxLength: 80 },
  message: { maxLength: 500 },
}
