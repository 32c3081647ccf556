import { Resend } from 'resend'
import type { EmailMessage } from '#db/schema.ts'
import { claimDueMessages, recordOutcomes, type Outcome } from '~/models/outbox.server.ts'
import { renderEmail } from './email-templates.server.tsx'
import { getEnv } from './env.server.ts'

/**
 * Drains the outbox (see app/models/outbox.server.ts for the states). Live mode sends
 * through Resend with the message's idempotency key, so a message resent after a crash
 * is delivered once; demo mode captures messages for organisers to read at /admin/outbox.
 * Transient failures (network, 429, 5xx) are retried with backoff, honouring Retry-After;
 * anything else fails the message with the provider's reason.
 */
const BATCH = 10
const MAX_ATTEMPTS = 8

export type SendResult =
  | { ok: true; providerId: string | null }
  | { ok: false; transient: boolean; error: string; retryAfterMs?: number }

export type Transport = { captured: boolean; send: (message: EmailMessage) => Promise<SendResult> }

export function resendTransport({ apiKey, from, baseUrl }: { apiKey: string; from: string; baseUrl?: string }): Transport {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined)
  return {
    captured: false,
    async send(message) {
      const email = await renderEmail(message)
      const { data, error, headers } = await resend.emails.send(
        { from, to: message.toEmail, subject: email.subject, html: email.html, text: email.text },
        { idempotencyKey: message.idempotencyKey },
      )
      if (!error) return { ok: true, providerId: data?.id ?? null }
      const status = Number((error as { statusCode?: number | null }).statusCode ?? 0)
      // The key was already used for an accepted email (e.g. resent after a crash, with the
      // template changed by a deploy in between): it went out, so do not send it again.
      if (status === 409 && error.name === 'invalid_idempotent_request') return { ok: true, providerId: null }
      const retryAfter = Number(headers?.['retry-after'])
      return {
        ok: false,
        // No status: the request never got an answer (network), so try again.
        transient: status === 0 || status === 429 || status === 409 || status >= 500,
        error: `${status || 'network'} ${error.name}: ${error.message}`,
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      }
    },
  }
}

export const captureTransport: Transport = {
  captured: true,
  async send() {
    return { ok: true, providerId: null }
  },
}

export function transportFromEnv(): Transport {
  const env = getEnv()
  if (env.mode === 'demo') return captureTransport
  return resendTransport({
    apiKey: process.env.RESEND_API_KEY!,
    from: process.env.MAIL_FROM!,
    baseUrl: process.env.RESEND_BASE_URL || undefined,
  })
}

export function backoffMs(attempts: number) {
  return Math.min(60 * 60_000, 2 ** attempts * 1000)
}

/** Send what is due now; returns how many messages were handled. */
export async function drainOutboxOnce(transport: Transport, now = Date.now()) {
  const claimed = await claimDueMessages({ limit: BATCH, now })
  const outcomes: Outcome[] = []
  try {
    for (const message of claimed) {
      let result: SendResult
      try {
        result = await transport.send(message)
      } catch (error) {
        // A template that cannot render will not render next time either.
        result = { ok: false, transient: false, error: error instanceof Error ? error.message : String(error) }
      }
      const { id } = message
      if (result.ok) {
        outcomes.push({ id, status: transport.captured ? 'captured' : 'sent', providerId: result.providerId, at: Date.now() })
      } else if (result.transient && message.attempts < MAX_ATTEMPTS) {
        outcomes.push({ id, status: 'retry', error: result.error, retryAt: Date.now() + (result.retryAfterMs ?? backoffMs(message.attempts)) })
      } else {
        outcomes.push({ id, status: 'failed', error: result.error })
      }
    }
  } finally {
    // One write for the whole batch. Should the process die before it, the claims time
    // out and the messages go again with their idempotency keys: the provider sends once.
    await recordOutcomes(outcomes)
  }
  return claimed.length
}

/** Run the sender until stopped: polls often, and keeps going while there is work. */
export function startSender({ transport = transportFromEnv(), intervalMs = 500 }: { transport?: Transport; intervalMs?: number } = {}) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const tick = async () => {
    if (stopped) return
    try {
      while (!stopped && (await drainOutboxOnce(transport)) > 0) {
        // keep draining
      }
    } catch (error) {
      console.error('vigil: mail sender error', error instanceof Error ? error.message : error)
    }
    if (!stopped) timer = setTimeout(tick, intervalMs)
  }
  timer = setTimeout(tick, 0)
  return {
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
    },
  }
}
