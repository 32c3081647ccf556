import { Resend } from 'resend'
import type { Handle } from '#db/client.server.ts'
import {
  BATCH_CLAIM_TIMEOUT_MS,
  CLAIM_TIMEOUT_MS,
  claimNextWork,
  hasDueMail,
  onMailQueued,
  openMessage,
  recordBatchOutcome,
  recordOutcomes,
  type BatchOutcome,
  type ClaimedMessage,
  type OpenedMessage,
  type Outcome,
} from '~/models/outbox.server.ts'
import { staleReminders } from '~/models/reminders.server.ts'
import { blockedRecipients } from '~/models/update-sends.server.ts'
import { renderEmail } from './email-templates.server.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { countSenderRequest } from '~/utils/metrics.server.ts'

/**
 * Drains the outbox (see app/models/outbox.server.ts for the states; ADR 013 for the order).
 * Live mode sends through Resend, up to 100 emails per batch request under the batch's
 * idempotency key, so a batch resent after a crash is delivered once; demo mode captures
 * messages for organisers to read at /admin/outbox. Transient failures (network, 429, 5xx)
 * are retried with backoff, honouring Retry-After; anything else fails with the provider's reason.
 * Each message is opened (its sealed address and props, or an update's supporter's address) only
 * here, just before it is rendered; an error recorded in the outbox never quotes the address.
 */
const MAX_ATTEMPTS = 8

/** What the provider said about its rate limit with an answer (Resend's `ratelimit-*` and `retry-after`). */
export type ProviderLimits = { limit?: number; remaining?: number; resetMs?: number; retryAfterMs?: number }

export type SendResult =
  | { ok: true; providerId: string | null; limits?: ProviderLimits }
  | { ok: false; transient: boolean; error: string; retryAfterMs?: number; limits?: ProviderLimits; notNow?: boolean }

export type OutgoingEmail = { to: string; subject: string; html: string; text: string; headers?: Record<string, string> }

export type BatchResult =
  | { ok: true; results: { providerId: string | null; error: string | null }[]; limits?: ProviderLimits }
  | { ok: false; transient: boolean; error: string; retryAfterMs?: number; limits?: ProviderLimits; notNow?: boolean }

export type Transport = {
  captured: boolean
  /** Renders the message (an update's text is read from `db`) and sends it alone. */
  send: (db: Handle, message: OpenedMessage) => Promise<SendResult>
  /** Up to 100 emails in one request, under one idempotency key; one bad address does not sink the rest. */
  sendBatch: (emails: OutgoingEmail[], idempotencyKey: string) => Promise<BatchResult>
}

/**
 * Spends the provider's requests: one per process, shared by everything the sender does.
 * Resend counts requests per window of a second (2 unless the account's limit was raised), so
 * the pacer allows at most `n` request starts in any span of a second and a little slack: what
 * arrives at the provider left here a few milliseconds apart from what we timed. The slack
 * starts at 10 ms, doubles with every 429 (up to 250 ms) and shrinks back slowly while requests
 * go through, so it settles where the network's jitter is. A request that started late leaves
 * room for the next ones to catch up, down to MIN_GAP of the even spacing. The pace is
 * `perSecond`, or the `ratelimit-limit` the provider states when lower; 0 is unpaced. After a
 * 429, or a window someone else spent (`ratelimit-remaining: 0`), every request waits until the
 * provider said it may go again.
 */
const MIN_SLACK_MS = 10
const MAX_SLACK_MS = 250
const MIN_GAP = 0.8
/** A request's place in the pacer's count: `started` moves it to when the request really left (after rendering). */
export type Slot = { started: (at: number) => void }
export function createPacer(perSecond: number) {
  let heldUntil = 0
  let stated = 0
  let slack = MIN_SLACK_MS
  const starts: { at: number }[] = []
  // n starts per window: 10/s → 10 per 1,000 ms; 0.5/s → 1 per 2,000 ms.
  const shape = () => {
    const pace = Math.min(perSecond, stated > 0 ? stated : Infinity)
    const n = Math.max(1, Math.floor(pace))
    return { n, window: (n * 1000) / pace }
  }
  return {
    /** When the next request may start (ms since the epoch). */
    readyAt() {
      if (perSecond <= 0) return heldUntil
      const { n, window } = shape()
      let at = heldUntil
      const last = starts.at(-1)
      if (last !== undefined) at = Math.max(at, last.at + (MIN_GAP * window) / n)
      if (starts.length >= n) at = Math.max(at, starts[starts.length - n]!.at + window + slack)
      return Math.ceil(at)
    },
    /** A request starts now. */
    spend(now = Date.now()): Slot {
      const entry = { at: now }
      if (perSecond > 0) {
        starts.push(entry)
        if (starts.length > 64) starts.splice(0, starts.length - 64)
      }
      // Only ever later: a later start makes the next ones wait longer, never shorter.
      return { started: (at) => void (entry.at = Math.max(entry.at, at)) }
    },
    observe(limits: ProviderLimits | undefined, now = Date.now()) {
      if (!limits) return
      if (limits.limit && limits.limit > 0) stated = limits.limit
      if (limits.retryAfterMs) {
        heldUntil = Math.max(heldUntil, now + limits.retryAfterMs)
        slack = Math.min(MAX_SLACK_MS, slack * 2)
        return
      }
      slack = Math.max(MIN_SLACK_MS, slack * 0.99)
      // Pacing at the stated limit spends each window by itself; a spent window while pacing below
      // it means someone else shares the account (another process, another tool): wait for the reset.
      if (limits.remaining === 0 && limits.resetMs !== undefined && perSecond > 0 && stated > perSecond) {
        heldUntil = Math.max(heldUntil, now + Math.min(limits.resetMs, 1000))
      }
    },
  }
}
export type Pacer = ReturnType<typeof createPacer>

function seconds(header: string | undefined) {
  const value = Number(header)
  return header !== undefined && header !== '' && Number.isFinite(value) && value >= 0 ? value : undefined
}

function limitsOf(headers: Record<string, string> | null | undefined): ProviderLimits | undefined {
  if (!headers) return undefined
  const retryAfter = seconds(headers['retry-after'])
  const reset = seconds(headers['ratelimit-reset'])
  return {
    limit: seconds(headers['ratelimit-limit']),
    remaining: seconds(headers['ratelimit-remaining']),
    resetMs: reset === undefined ? undefined : reset * 1000,
    retryAfterMs: retryAfter === undefined ? undefined : Math.max(retryAfter * 1000, 100),
  }
}

function failure(status: number, error: { name?: string; message?: string }, headers: Record<string, string> | null | undefined) {
  const limits = limitsOf(headers)
  // A 429 without Retry-After still means wait: one second, Resend's window.
  if (status === 429 && limits && !limits.retryAfterMs) limits.retryAfterMs = 1000
  const retryAfterMs = limits?.retryAfterMs ?? (status === 429 ? 1000 : status === 409 ? 1000 : undefined)
  return {
    ok: false as const,
    // No status: the request never got an answer (network), so try again.
    transient: status === 0 || status === 429 || status === 409 || status >= 500,
    // "Not now" rather than "that failed": a rate limit, or the same key still being answered.
    // However often it comes, it does not use up the attempts before a message is given up.
    notNow: status === 429 || status === 409,
    error: `${status || 'network'} ${error.name}: ${error.message}`,
    // 409: the same key is still being answered (a request of a sender that died): try again
    // shortly rather than after an exponential backoff that grows with every crash.
    retryAfterMs,
    limits: status === 429 ? { ...limits, retryAfterMs } : limits && { ...limits, retryAfterMs: undefined },
  }
}

const singleTimeoutMs = Math.min(30_000, CLAIM_TIMEOUT_MS / 2)
const unanswered = (error: unknown) => ({ data: null, error: { name: 'application_error', statusCode: null, message: describeError(error) }, headers: null })

export function resendTransport({
  apiKey,
  from,
  baseUrl,
  batchClaimTimeoutMs = BATCH_CLAIM_TIMEOUT_MS,
}: {
  apiKey: string
  from: string
  baseUrl?: string
  batchClaimTimeoutMs?: number
}): Transport {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined)
  // A request that hangs must end before its claim times out: otherwise the batch is taken back and
  // sent again while the first request may still succeed, and that success is thrown away.
  const batchTimeoutMs = Math.min(30_000, batchClaimTimeoutMs / 2)
  return {
    captured: false,
    async sendBatch(emails, idempotencyKey) {
      const { data, error, headers } = await resend.batch
        .send(
          emails.map((email) => ({ from, ...email })),
          { idempotencyKey, batchValidation: 'permissive', signal: AbortSignal.timeout(batchTimeoutMs) },
        )
        .catch((error: unknown) => unanswered(error) as never)
      if (!error && data) {
        // Permissive: `data` lists the accepted emails in order, `errors` the refused ones by index.
        const refused = new Map((data.errors ?? []).map((e) => [e.index, e.message]))
        const ids = data.data.map((d) => d.id)
        let next = 0
        return {
          ok: true,
          results: emails.map((_, index) => (refused.has(index) ? { providerId: null, error: `refused: ${refused.get(index)}` } : { providerId: ids[next++] ?? null, error: null })),
          limits: limitsOf(headers),
        }
      }
      const status = Number((error as { statusCode?: number | null } | null)?.statusCode ?? 0)
      // The key was used for a batch Resend accepted (a resend after a crash whose content changed): it went out.
      if (status === 409 && error?.name === 'invalid_idempotent_request') return { ok: true, results: emails.map(() => ({ providerId: null, error: null })), limits: limitsOf(headers) }
      return failure(status, error ?? {}, headers)
    },
    async send(db, message) {
      const email = await renderEmail(db, message)
      const { data, error, headers } = await resend.emails
        .send(
          { from, to: message.to, subject: email.subject, html: email.html, text: email.text, headers: email.headers },
          { idempotencyKey: message.idempotencyKey, signal: AbortSignal.timeout(singleTimeoutMs) },
        )
        .catch((error: unknown) => unanswered(error) as never)
      if (!error) return { ok: true, providerId: data?.id ?? null, limits: limitsOf(headers) }
      const status = Number((error as { statusCode?: number | null }).statusCode ?? 0)
      // The key was already used for an accepted email (e.g. resent after a crash, with the
      // template changed by a deploy in between): it went out, so do not send it again.
      if (status === 409 && error.name === 'invalid_idempotent_request') return { ok: true, providerId: null, limits: limitsOf(headers) }
      return failure(status, error, headers)
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

export function transportFromEnv({ batchClaimTimeoutMs = getEnv().resend.batchClaimTimeoutMs }: { batchClaimTimeoutMs?: number } = {}): Transport {
  const env = getEnv()
  if (env.mode === 'demo') return captureTransport
  return resendTransport({ apiKey: env.resend.apiKey!, from: env.resend.mailFrom!, baseUrl: env.resend.baseUrl, batchClaimTimeoutMs })
}

export function backoffMs(attempts: number) {
  return Math.min(60 * 60_000, 2 ** attempts * 1000)
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** A provider's error may quote the address it refused: the outbox keeps it without (ADR 017). */
export function withoutAddresses(error: string, addresses: string[]) {
  let out = error
  for (const address of addresses) if (address) out = out.replace(new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[address]')
  return out
}

/**
 * Claim the best due work (a batch, or one email that cannot go in a batch), send it and
 * record what happened. Returns how many emails it handled (0: nothing was due). Call it
 * when the pacer allows a request; `pacer.observe` hears what the provider said about its limit.
 */
export async function sendNextOnce(db: Handle, transport: Transport, now = Date.now(), pacer?: Pacer): Promise<number> {
  const work = await claimNextWork(db, { now })
  if (!work) return 0
  const slot = pacer?.spend(now)
  if (work.kind === 'single') {
    await sendSingle(db, transport, work.message, now, pacer, slot)
    return 1
  }
  await sendClaimedBatch(db, transport, work.batch, work.messages, now, pacer, slot)
  return work.messages.length
}

async function sendSingle(db: Handle, transport: Transport, message: ClaimedMessage, now: number, pacer: Pacer | undefined, slot: Slot | undefined) {
  let result: SendResult
  let to = ''
  slot?.started(Date.now())
  try {
    const opened = openMessage(message)
    to = opened.to
    result = await transport.send(db, opened)
  } catch (error) {
    // A template that cannot render, or an envelope that cannot open, will not next time either.
    result = { ok: false, transient: false, error: describeError(error) }
  }
  if (!result.ok) result = { ...result, error: withoutAddresses(result.error, [to]) }
  pacer?.observe(result.limits)
  countSenderRequest({ kind: 'single', sent: result.ok ? 1 : 0, error: result.ok ? null : result.transient ? 'transient' : 'permanent' })
  let outcome: Outcome
  if (result.ok) outcome = { id: message.id, status: transport.captured ? 'captured' : 'sent', providerId: result.providerId, at: Date.now() }
  else if (result.transient && (result.notNow || message.attempts < MAX_ATTEMPTS)) {
    outcome = { id: message.id, status: 'retry', error: result.error, retryAt: now + (result.retryAfterMs ?? backoffMs(message.attempts)), refund: result.notNow }
  }
  else outcome = { id: message.id, status: 'failed', error: result.error }
  // Should the process die before this write, the claim times out and the message goes again with its key.
  await recordOutcomes(db, [outcome])
}

async function sendClaimedBatch(db: Handle, transport: Transport, batch: ClaimedBatchRow, messages: ClaimedMessage[], now: number, pacer: Pacer | undefined, slot: Slot | undefined) {
  const results = new Map<number, { providerId: string | null; error: string | null }>()
  const opened = new Map<number, OpenedMessage>()
  for (const message of messages) {
    try {
      opened.set(message.id, openMessage(message))
    } catch (error) {
      results.set(message.id, { providerId: null, error: `not sent: ${describeError(error)}` })
    }
  }
  // An update's recipients who unsubscribed or were suppressed since the snapshot are left out;
  // so are reminders whose signer confirmed, said "this wasn't me" or unsubscribed since.
  const blocked =
    batch.sendId === null
      ? await staleReminders(
          db,
          [...opened.values()].filter((m) => m.template === 'confirm-reminder'),
        )
      : await blockedRecipients(db, { messageIds: messages.map((m) => m.id), campaignId: messages[0]?.campaignId ?? 0 })
  const outgoing: { id: number; email: OutgoingEmail }[] = []
  for (const message of messages) {
    if (blocked.has(message.id)) {
      const why = batch.sendId === null ? 'no longer wanted: confirmed, withdrawn, unsubscribed or suppressed since it was queued' : 'unsubscribed or suppressed after the send started'
      results.set(message.id, { providerId: null, error: `not sent: ${why}` })
      continue
    }
    const open = opened.get(message.id)
    if (!open) continue
    try {
      const email = await renderEmail(db, open)
      outgoing.push({ id: message.id, email: { to: open.to, subject: email.subject, html: email.html, text: email.text, headers: email.headers } })
    } catch (error) {
      results.set(message.id, { providerId: null, error: `not sent: ${withoutAddresses(describeError(error), [open.to])}` })
    }
  }
  let outcome: BatchOutcome
  if (outgoing.length === 0) {
    outcome = { status: 'submitted', results: [], at: Date.now() }
  } else {
    let sent: BatchResult
    slot?.started(Date.now())
    try {
      sent = await transport.sendBatch(outgoing.map((o) => o.email), batch.idempotencyKey)
    } catch (error) {
      sent = { ok: false, transient: true, error: `network ${describeError(error)}` }
    }
    pacer?.observe(sent.limits)
    countSenderRequest(sent.ok ? { kind: 'batch', sent: sent.results.filter((r) => !r.error).length, refused: sent.results.filter((r) => r.error).length, error: null } : { kind: 'batch', sent: 0, error: sent.transient ? 'transient' : 'permanent' })
    if (!sent.ok) sent = { ...sent, error: withoutAddresses(sent.error, outgoing.map((o) => o.email.to)) }
    if (sent.ok) {
      sent.results.forEach((result, i) => results.set(outgoing[i]!.id, result.error === null ? result : { ...result, error: withoutAddresses(result.error, [outgoing[i]!.email.to]) }))
      outcome = { status: 'submitted', results: [], at: Date.now() }
    } else if (sent.transient && (sent.notNow || batch.attempts < MAX_ATTEMPTS)) {
      outcome = { status: 'retry', error: sent.error, retryAt: now + (sent.retryAfterMs ?? backoffMs(batch.attempts)), refund: sent.notNow }
    } else {
      outcome = { status: 'failed', error: sent.error }
    }
  }
  if (outcome.status === 'submitted') outcome.results = [...results].map(([id, r]) => ({ id, ...r, captured: transport.captured }))
  // One write for the batch and its messages. Should the process die before it, the claim times
  // out and the batch goes again under the same key: the provider answers without sending twice.
  await recordBatchOutcome(db, { batchId: batch.id, outcome })
}
type ClaimedBatchRow = { id: number; sendId: number | null; idempotencyKey: string; attempts: number }

/**
 * Run the sender on `db` until stopped. One loop claims work when the pacer allows a request
 * (so what goes is always the best work due at that moment) and keeps up to `concurrency`
 * requests in flight; idle, it polls with a read every `intervalMs`.
 */
export function startSender({
  db,
  batchClaimTimeoutMs = getEnv().resend.batchClaimTimeoutMs,
  transport = transportFromEnv({ batchClaimTimeoutMs }),
  intervalMs = 500,
  concurrency = getEnv().resend.senderConcurrency,
  perSecond = transport.captured ? 0 : getEnv().resend.requestsPerSecond,
}: { db: Handle; batchClaimTimeoutMs?: number; transport?: Transport; intervalMs?: number; concurrency?: number; perSecond?: number }) {
  const pacer = createPacer(perSecond)
  let stopped = false
  let inFlight = 0
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve
      timer = setTimeout(resolve, ms)
    })
  const finished = () => {
    inFlight--
    const resume = wake
    wake = undefined
    if (timer) clearTimeout(timer)
    resume?.()
  }
  // New mail in this process wakes an idle loop at once (a signer waits for that email).
  const unsubscribe = onMailQueued(() => {
    if (inFlight >= concurrency) return
    const resume = wake
    wake = undefined
    if (timer) clearTimeout(timer)
    resume?.()
  })
  const loop = async () => {
    while (!stopped) {
      try {
        if (inFlight >= concurrency) {
          await sleep(intervalMs)
          continue
        }
        const wait = pacer.readyAt() - Date.now()
        if (wait > 0) {
          await sleep(wait)
          continue
        }
        if (!(await hasDueMail(db, { batchClaimTimeoutMs }))) {
          await sleep(intervalMs)
          continue
        }
        const now = Date.now()
        const work = await claimNextWork(db, { now, batchClaimTimeoutMs })
        if (!work) continue
        const slot = pacer.spend(now)
        inFlight++
        const sending = work.kind === 'single' ? sendSingle(db, transport, work.message, now, pacer, slot) : sendClaimedBatch(db, transport, work.batch, work.messages, now, pacer, slot)
        sending.catch((error) => console.error('vigil: mail sender error', describeError(error))).finally(finished)
        // Captured mail (demo) never waits on the network: without this the loop would run a
        // whole backlog in one turn of the event loop while requests queue behind it.
        await new Promise<void>((resolve) => setImmediate(resolve))
      } catch (error) {
        console.error('vigil: mail sender error', describeError(error))
        await sleep(intervalMs)
      }
    }
  }
  const looping = loop()
  return {
    stop() {
      stopped = true
      unsubscribe()
      if (timer) clearTimeout(timer)
      wake?.()
    },
    /** After stop(): resolves once the loop has ended and every request in flight has its outcome recorded (no claim of this process is left open). */
    async stopped() {
      await looping
      while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10))
    },
  }
}
