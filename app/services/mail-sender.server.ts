import { Resend } from 'resend'
import { claimDueMessages, recordOutcomes, type ClaimedMessage, type Outcome } from '~/models/outbox.server.ts'
import { blockedRecipients, claimBatch, hasDueBatches, recordBatchOutcome, type BatchOutcome } from '~/models/update-sends.server.ts'
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

export type OutgoingEmail = { to: string; subject: string; html: string; text: string; headers?: Record<string, string> }

export type BatchResult =
  | { ok: true; results: { providerId: string | null; error: string | null }[] }
  | { ok: false; transient: boolean; error: string; retryAfterMs?: number }

export type Transport = {
  captured: boolean
  send: (message: ClaimedMessage) => Promise<SendResult>
  /** Up to 100 emails in one request, under one idempotency key; one bad address does not sink the rest. */
  sendBatch: (emails: OutgoingEmail[], idempotencyKey: string) => Promise<BatchResult>
  /** Until when the provider asked us (429 Retry-After) to send nothing at all; the sender loop waits. */
  limitedUntil?: () => number
}

/**
 * Keeps to the provider's request rate (Resend: 2 requests/s by default) across every
 * request this process makes. `perSecond` 0 means unpaced.
 */
export function createPacer(perSecond: number) {
  let next = 0
  return {
    async turn() {
      if (perSecond <= 0) return
      const now = Date.now()
      const at = Math.max(now, next)
      next = at + 1000 / perSecond
      if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now))
    },
  }
}

function failure(status: number, error: { name?: string; message?: string }, retryAfterHeader: string | undefined) {
  const retryAfter = Number(retryAfterHeader)
  return {
    ok: false as const,
    // No status: the request never got an answer (network), so try again.
    transient: status === 0 || status === 429 || status === 409 || status >= 500,
    error: `${status || 'network'} ${error.name}: ${error.message}`,
    // 409: the same key is still being answered (a request of a sender that died): try again
    // shortly rather than after an exponential backoff that grows with every crash.
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : status === 409 ? 1000 : undefined,
  }
}

export function resendTransport({ apiKey, from, baseUrl, perSecond = 2 }: { apiKey: string; from: string; baseUrl?: string; perSecond?: number }): Transport {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined)
  const pacer = createPacer(perSecond)
  let limitedUntil = 0
  const limited = (status: number, retryAfter: string | undefined) => {
    if (status === 429) limitedUntil = Math.max(limitedUntil, Date.now() + (Number(retryAfter) || 1) * 1000)
  }
  return {
    captured: false,
    limitedUntil: () => limitedUntil,
    async sendBatch(emails, idempotencyKey) {
      await pacer.turn()
      const { data, error, headers } = await resend.batch.send(
        emails.map((email) => ({ from, ...email })),
        { idempotencyKey, batchValidation: 'permissive' },
      )
      if (!error && data) {
        // Permissive: `data` lists the accepted emails in order, `errors` the refused ones by index.
        const refused = new Map((data.errors ?? []).map((e) => [e.index, e.message]))
        const ids = data.data.map((d) => d.id)
        let next = 0
        return { ok: true, results: emails.map((_, index) => (refused.has(index) ? { providerId: null, error: `refused: ${refused.get(index)}` } : { providerId: ids[next++] ?? null, error: null })) }
      }
      const status = Number((error as { statusCode?: number | null } | null)?.statusCode ?? 0)
      // The key was used for a batch Resend accepted (a resend after a crash whose content changed): it went out.
      if (status === 409 && error?.name === 'invalid_idempotent_request') return { ok: true, results: emails.map(() => ({ providerId: null, error: null })) }
      limited(status, headers?.['retry-after'])
      return failure(status, error ?? {}, headers?.['retry-after'])
    },
    async send(message) {
      const email = await renderEmail(message)
      await pacer.turn()
      const { data, error, headers } = await resend.emails.send(
        { from, to: message.toEmail, subject: email.subject, html: email.html, text: email.text },
        { idempotencyKey: message.idempotencyKey },
      )
      if (!error) return { ok: true, providerId: data?.id ?? null }
      const status = Number((error as { statusCode?: number | null }).statusCode ?? 0)
      // The key was already used for an accepted email (e.g. resent after a crash, with the
      // template changed by a deploy in between): it went out, so do not send it again.
      if (status === 409 && error.name === 'invalid_idempotent_request') return { ok: true, providerId: null }
      limited(status, headers?.['retry-after'])
      return failure(status, error, headers?.['retry-after'])
    },
  }
}

export const captureTransport: Transport = {
  captured: true,
  async send() {
    return { ok: true, providerId: null }
  },
  async sendBatch(emails) {
    return { ok: true, results: emails.map(() => ({ providerId: null, error: null })) }
  },
}

export function transportFromEnv(): Transport {
  const env = getEnv()
  if (env.mode === 'demo') return captureTransport
  return resendTransport({
    apiKey: process.env.RESEND_API_KEY!,
    from: process.env.MAIL_FROM!,
    baseUrl: process.env.RESEND_BASE_URL || undefined,
    perSecond: env.resend.requestsPerSecond,
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
    let pausedUntil = 0
    for (const message of claimed) {
      let result: SendResult
      if (pausedUntil > 0) {
        // The provider said wait (429) earlier in this claim: the rest wait too, unsent.
        outcomes.push({ id: message.id, status: 'retry', error: 'not attempted: waiting for Retry-After', retryAt: pausedUntil })
        continue
      }
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
        const retryAt = now + (result.retryAfterMs ?? backoffMs(message.attempts))
        if (result.retryAfterMs) pausedUntil = retryAt
        outcomes.push({ id, status: 'retry', error: result.error, retryAt })
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

/**
 * Send one due batch of bulk mail (supporter updates), if any; returns whether there was
 * one. The batch's idempotency key goes to Resend with it, so a batch resent after a crash
 * is delivered once. Recipients who unsubscribed or were suppressed since the snapshot
 * are left out.
 */
export async function sendDueBatchOnce(transport: Transport, now = Date.now()) {
  const claimed = await claimBatch({ now })
  if (!claimed) return false
  const { batch, messages } = claimed
  const campaignId = messages[0]?.campaignId ?? 0
  const blocked = await blockedRecipients({ messageIds: messages.map((m) => m.id), campaignId })
  const results = new Map<number, { providerId: string | null; error: string | null }>()
  const outgoing: { id: number; email: OutgoingEmail }[] = []
  for (const message of messages) {
    if (blocked.has(message.id)) {
      results.set(message.id, { providerId: null, error: 'not sent: unsubscribed or suppressed after the send started' })
      continue
    }
    try {
      const email = await renderEmail(message)
      outgoing.push({ id: message.id, email: { to: message.toEmail, subject: email.subject, html: email.html, text: email.text, headers: email.headers } })
    } catch (error) {
      results.set(message.id, { providerId: null, error: `not sent: ${error instanceof Error ? error.message : String(error)}` })
    }
  }
  let outcome: BatchOutcome
  if (outgoing.length === 0) {
    outcome = { status: 'submitted', results: [], at: Date.now() }
  } else {
    const sent = await transport.sendBatch(outgoing.map((o) => o.email), batch.idempotencyKey)
    if (sent.ok) {
      sent.results.forEach((result, i) => results.set(outgoing[i]!.id, result))
      outcome = { status: 'submitted', results: [], at: Date.now() }
    } else if (sent.transient && batch.attempts < MAX_ATTEMPTS) {
      outcome = { status: 'retry', error: sent.error, retryAt: now + (sent.retryAfterMs ?? backoffMs(batch.attempts)) }
    } else {
      outcome = { status: 'failed', error: sent.error }
    }
  }
  if (outcome.status === 'submitted') {
    outcome.results = [...results].map(([id, r]) => ({ id, ...r, captured: transport.captured }))
  }
  await recordBatchOutcome({ batchId: batch.id, outcome })
  return true
}

/**
 * Send up to `concurrency` batches at a time, each lane claiming the next as soon as its last
 * is recorded (no lane waits for the slowest of a round), until ROUND_BATCHES have gone or
 * none is due; then the caller looks at transactional mail again. Returns whether any went.
 */
const ROUND_BATCHES = 40
async function sendBatchesOnce(transport: Transport, concurrency: number, stopped: () => boolean) {
  let budget = ROUND_BATCHES
  let sent = 0
  const lane = async () => {
    while (budget > 0 && !stopped() && (transport.limitedUntil?.() ?? 0) <= Date.now()) {
      budget--
      if (!(await sendDueBatchOnce(transport))) return
      sent++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  return sent > 0
}

/**
 * Run the sender until stopped: polls often, and keeps going while there is work. Up to
 * `concurrency` batches are in flight at once (claims are atomic, so they are different
 * batches): with pacing on, the pacer still spaces their requests.
 */
export function startSender({
  transport = transportFromEnv(),
  intervalMs = 500,
  concurrency = Number(process.env.VIGIL_SENDER_CONCURRENCY) || 4,
}: { transport?: Transport; intervalMs?: number; concurrency?: number } = {}) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const tick = async () => {
    if (stopped) return
    // After a 429 nothing goes out, to any recipient, until Retry-After has passed.
    const wait = (transport.limitedUntil?.() ?? 0) - Date.now()
    if (wait > 0) {
      timer = setTimeout(tick, wait)
      return
    }
    try {
      // Transactional mail first (a confirmation link is awaited), then one batch, and again.
      for (;;) {
        if (stopped) break
        const single = await drainOutboxOnce(transport)
        if (stopped || (transport.limitedUntil?.() ?? 0) > Date.now()) break
        const bulk = (await hasDueBatches()) && (await sendBatchesOnce(transport, concurrency, () => stopped))
        if (single === 0 && !bulk) break
        // Captured mail (demo) never waits on the network: without this the loop would run a
        // whole backlog in one turn of the event loop while requests queue behind it.
        await new Promise<void>((resolve) => setImmediate(resolve))
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
