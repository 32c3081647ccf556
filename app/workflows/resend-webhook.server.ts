import { Resend } from 'resend'
import { z } from 'zod'
import type { Handle } from '#db/client.server.ts'
import { recordDeliveryEvent, type DeliveryEventType } from '~/models/delivery-events.server.ts'
import { getEnv } from '~/utils/config.server.ts'

/**
 * Resend's webhook: what happened to the emails we sent. Each delivery is signed the
 * Standard Webhooks (Svix) way: headers `svix-id`, `svix-timestamp` and `svix-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, maybe several, space-separated), keyed
 * with RESEND_WEBHOOK_SECRET, and refused when the timestamp is more than five minutes off.
 *
 * An unverified request writes nothing (400). A verified one is one of:
 * - email.delivered / email.bounced / email.complained: applied once, keyed by its svix-id
 *   (Svix retries a delivery with the same id), by recordDeliveryEvent;
 * - anything else: acknowledged with 200 and ignored, so Resend does not retry it.
 */

// verify() is a local HMAC check: the client's API key is never used or sent for it.
let verifier: Resend['webhooks'] | undefined
const webhooks = () => (verifier ??= new Resend('re_verify_only').webhooks)

const HANDLED: Record<string, DeliveryEventType> = {
  'email.delivered': 'delivered',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
}

const deliveryEvent = z.object({
  type: z.string(),
  created_at: z.string().optional(),
  data: z.object({
    email_id: z.string().min(1),
    to: z.union([z.array(z.string()), z.string().transform((s) => [s])]).default([]),
    bounce: z.object({ type: z.string().optional() }).passthrough().optional(),
  }),
})

export type ResendWebhookAnswer = { status: number; body: string }

export async function handleResendWebhook(db: Handle, body: string, headers: Headers): Promise<ResendWebhookAnswer> {
  // Resend sends the svix-* names; the Standard Webhooks names are the same thing.
  const id = headers.get('svix-id') ?? headers.get('webhook-id')
  const timestamp = headers.get('svix-timestamp') ?? headers.get('webhook-timestamp')
  const signature = headers.get('svix-signature') ?? headers.get('webhook-signature')
  let payload: unknown
  try {
    if (!id || !timestamp || !signature) throw new Error('missing svix-id, svix-timestamp or svix-signature header')
    payload = webhooks().verify({ payload: body, headers: { id, timestamp, signature }, webhookSecret: getEnv().resend.webhookSecret })
  } catch (error) {
    return { status: 400, body: `Webhook signature verification failed: ${error instanceof Error ? error.message : 'invalid'}` }
  }
  const type = typeof payload === 'object' && payload !== null && 'type' in payload ? String(payload.type) : ''
  const kind = HANDLED[type]
  if (!kind) return { status: 200, body: 'ignored' }
  const event = deliveryEvent.safeParse(payload)
  if (!event.success) return { status: 400, body: `Malformed ${type} event` }
  const at = Date.parse(event.data.created_at ?? '')
  const result = await recordDeliveryEvent(db, {
    eventId: id,
    type: kind,
    providerId: event.data.data.email_id,
    emails: event.data.data.to,
    at: Number.isFinite(at) ? at : Number(timestamp) * 1000,
    bounceType: event.data.data.bounce?.type ?? null,
  })
  return { status: 200, body: result }
}
