import type { ActionFunctionArgs } from '@remix-run/node'
import { countWebhook } from '~/utils/metrics.server.ts'
import { handleStripeWebhook } from '~/workflows/stripe-webhooks.server.ts'

// Stripe's webhook endpoint: the signature is checked on the raw bytes, so the body is read as-is.
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== 'POST') return new Response('Method not allowed', { status: 405, headers: { Allow: 'POST' } })
  const body = Buffer.from(await request.arrayBuffer())
  const answer = await handleStripeWebhook(context.db, body, request.headers.get('stripe-signature'))
  countWebhook('stripe', answer)
  return new Response(answer.body, { status: answer.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

export function loader() {
  return new Response('Method not allowed', { status: 405, headers: { Allow: 'POST' } })
}
