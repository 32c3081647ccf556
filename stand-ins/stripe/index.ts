/**
 * A local stand-in for the part of Stripe's API that Vigil uses (Checkout Sessions, the customer portal,
 * subscriptions, invoice payments) plus the hosted pages a supporter sees, speaking Stripe's wire format so
 * the real `stripe` SDK and `stripe.webhooks.constructEvent` are exercised end to end. Used by the tests and
 * by Vigil's demo mode (server/index.ts starts it), and imports Node built-ins only (runs under `node --import tsx`).
 * State is in memory, and with `stateFile` also on disk (demo mode keeps it beside the database, so a
 * monthly donor's portal link survives a restart): the objects, events, idempotency answers, events not yet
 * delivered and settlements not yet due, written after every change (temporary file + rename, so a crash
 * leaves the old or the new state, never half of one) and read at start. Nothing leaves the machine except
 * the webhook POSTs to `webhookUrl`.
 *
 * Sources. Field names and nesting of every object come from stripe-mock's fixtures
 * (tests/fixtures/stripe/fixtures.json; the test compares them key by key), values are set for the stand-in,
 * enum values follow the types of stripe@23.1.0. What the SDK does comes from node_modules/stripe
 * (cjs/RequestSender.js, utils.js, Error.js, Webhooks.js, apiVersion.js). Error wording comes from Stripe
 * error bodies quoted in public issue threads; wording marked (unverified) in api.ts is the stand-in's own.
 *
 * The files follow what they model: parameters.ts (form decoding, validation, the parameter lists),
 * objects.ts (the records and how they render as Stripe objects), lifecycle.ts (what paying, settling,
 * renewing, refunding, disputing and cancelling do), webhooks.ts (events and their delivery), api.ts (the
 * /v1 endpoints: auth, idempotency, expand), pages.ts and texts.ts (the hosted checkout and portal pages),
 * state.ts (what the stand-in holds, and its file on disk) and server.ts (the HTTP server and the handle
 * tests and the demo drive it with).
 */
export { startStripeStandIn, type RequestRecord, type StripeStandIn, type StripeStandInOptions } from './server.ts'
export { decodeParams, type ParamMap } from './parameters.ts'
export { formatAmount, STRIPE_API_VERSION, type JsonObject, type JsonValue, type StripeEventJson } from './objects.ts'
export { signPayload, type DeliveryRecord } from './webhooks.ts'
export type { CompleteOptions, CompleteResult, PaymentMethodKind, SubscriptionEventOrder } from './lifecycle.ts'
