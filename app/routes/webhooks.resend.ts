import type { ActionFunctionArgs } from '@remix-run/node'
import { countWebhook } from '~/utils/metrics.server.ts'
import { handleResendWebhook } from '~/workflows/resend-webhook.server.ts'

// Resend's webhook endpoint (deliveries, bounces, complaints): the signature covers the body exactly as sent.
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== 'POST') return new Response('Method not allowed', { status: 405, headers: { Allow: 'POST' } })
  const answer = await handleResendWebhook(context.db, await request.text(), request.headers)
  countWebhook('resend', answer)
  return new Response(answer.body, { status: answer.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

export function loader() {
  return new Response('Method not allowed', { status: 405, headers: { Allow: 'POST' } })
}
