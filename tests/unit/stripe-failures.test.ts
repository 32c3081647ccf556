import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { permanentFailureOf } from '~/workflows/stripe-webhooks.server.ts'

// Which errors from Stripe make a webhook event permanently inapplicable (recorded as failed,
// answered 200) and which are ours to fix while Stripe keeps retrying (answered 503).
describe('permanentFailureOf', () => {
  it('records "no such object" as permanent', () => {
    const missing = new Stripe.errors.StripeInvalidRequestError({ message: "No such charge: 'ch_1'", code: 'resource_missing', type: 'invalid_request_error' })
    expect(permanentFailureOf(missing)).toBe("Stripe: No such charge: 'ch_1'")
  })

  it('leaves other refusals, and every other error, to Stripe’s retries', () => {
    const mode = new Stripe.errors.StripeInvalidRequestError({ message: 'a similar object exists in live mode', code: 'resource_missing_livemode', type: 'invalid_request_error' })
    expect(permanentFailureOf(mode)).toBeNull()
    expect(permanentFailureOf(new Stripe.errors.StripeAPIError({ message: 'boom', type: 'api_error' }))).toBeNull()
    expect(permanentFailureOf(new Error('database is locked'))).toBeNull()
  })
})
