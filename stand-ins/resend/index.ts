/**
 * A local stand-in for Resend's HTTP API (`POST /emails`, `POST /emails/batch`), speaking Resend's wire
 * format so the real `resend` SDK is exercised end to end. Node built-ins only.
 *
 * Sources: the OpenAPI description in tests/fixtures/resend/openapi.yaml (request and success-response
 * schemas, the `Idempotency-Key` header with maxLength 256, "up to 100" emails per batch), and, for what
 * that file does not describe (error bodies, `x-batch-validation`, idempotency conflicts, rate-limit
 * headers), Resend's published docs (api-reference/errors, emails/idempotency-keys, batch-validation-modes,
 * api-reference/rate-limit) and the SDK itself.
 *
 * What resend@6.38.0 does (read from node_modules/resend/dist/index.mjs):
 *
 * - Base URL: `new Resend(key, { baseUrl })`, else `process.env.RESEND_BASE_URL`, else
 *   `https://api.resend.com`, read once in the constructor. Requests go to `${baseUrl}${path}` with
 *   path `/emails` or `/emails/batch`: no version prefix and no slash handling, so the base URL must
 *   have no trailing slash. `url` below is exactly `http://127.0.0.1:<port>`.
 *   The key is the constructor argument, else `process.env.RESEND_API_KEY` (it throws without one), and
 *   is sent as `Authorization: Bearer <key>`, with `User-Agent: resend-node:6.38.0` (or
 *   `RESEND_USER_AGENT`) and `Content-Type: application/json`.
 * - Idempotency: `resend.emails.send(email, { idempotencyKey })` and
 *   `resend.batch.send(emails, { idempotencyKey, batchValidation })` both set the `Idempotency-Key`
 *   header (only when the key is non-empty). `batch.send` always sends `x-batch-validation`, `strict`
 *   unless `batchValidation: 'permissive'`. Both also take `headers` and `signal` (passed to fetch).
 * - The SDK never retries and never throws on an HTTP error. A non-2xx answer resolves to
 *   `{ data: null, error, headers }` where `error` is the JSON response body *verbatim*, so
 *   `error.statusCode` is there only because Resend (and this stand-in) put `statusCode` in the body;
 *   the SDK does not add the HTTP status itself. `headers` is `Object.fromEntries(response.headers)`:
 *   all response headers with lower-case names, so a 429's `retry-after` is `result.headers['retry-after']`
 *   (a string, seconds). A 429 resolves to
 *   `{ data: null, error: { statusCode: 429, message, name: 'rate_limit_exceeded' }, headers: { 'retry-after': '7', ... } }`,
 *   a 500 to `error: { statusCode: 500, name: 'internal_server_error', ... }`.
 *   A non-JSON error body becomes `error: { name: 'application_error', statusCode: <HTTP status>, message: 'Internal server error. …' }`
 *   (headers still present). No answer at all (connection cut, refused, or the caller's `signal`
 *   aborted) becomes `error: { name: 'application_error', statusCode: null, message: 'Unable to fetch data. …' }`
 *   with `headers: null`: the status and retry-after are then unknowable.
 *
 * Wire behaviour of this stand-in:
 *
 * - Every error body is `{ "statusCode": <status>, "message": "…", "name": "<code>" }`.
 * - Auth: no `Authorization: Bearer …` → 401 `missing_api_key`; any other key than `apiKey` → 401
 *   `validation_error` "API key is invalid" (Resend's docs list 403 `invalid_api_key`, but the API answers
 *   401 `validation_error`, per resend/resend-node#617 and observed responses).
 * - Validation (after the schema, plus Resend's documented rules): missing `from`/`to`/`subject`, or no
 *   `html`/`text`/`template` → 422 `missing_required_field`; a wrong type or shape (`to` string or 1–50
 *   strings, addresses as `a@b.c` or `Name <a@b.c>`, `cc`/`bcc`/`reply_to` string or string[], `headers` an
 *   object of strings, `tags` [{ name, value }] of [A-Za-z0-9_-]{1,256}, attachments with `content` or
 *   `path`, `template` next to `html`/`text`) → 422 `validation_error` (`invalid_attachment` for
 *   attachments). Batches: 1–100 emails, no `attachments` or `scheduled_at`. Strict batches fail whole
 *   on the first invalid email; permissive ones answer 200 `{ data: [{ id }], errors: [{ index, message }] }`.
 *   Unparseable JSON → 400 `validation_error`. Every rejection (including permissive items) is kept in
 *   `rejected()`.
 * - Idempotency-Key: 1–256 chars, else 400 `invalid_idempotency_key`. Only successful answers are
 *   stored, for 24 hours: the same key with the same path and body replays the stored answer (same ids,
 *   nothing new in `sent()`); with a different path or body → 409 `invalid_idempotent_request`; while
 *   the first request with that key is still being answered → 409 `concurrent_idempotent_requests`.
 *   Errors (including injected faults) are not stored, so a retry with the same key can succeed.
 * - Rate limit (`requestsPerSecond`, `setRateLimit`; unset or 0 = unlimited). Modelled on Resend's
 *   "Usage Limits" page (resend.com/docs/api-reference/rate-limit): a limit of N requests per second per
 *   team (2 by default there and in the changelog; one later copy of the page says 5), shared by every API key and so by `POST /emails` and `POST /emails/batch`
 *   alike (a batch of 100 is one request); past it, 429 `rate_limit_exceeded`. Every response carries the
 *   headers of IETF draft-ietf-httpapi-ratelimit-headers-06, as that page lists them: `ratelimit-limit`
 *   (requests allowed in a window), `ratelimit-remaining` (left in the current window), `ratelimit-reset`
 *   (seconds until the limits are reset), and on a 429 `retry-after` (seconds to wait). The SDKs read them
 *   as whole seconds (resend-node src/rate-limiting.ts parseInt; resend-rust sleeps `ratelimit-reset` × 1000
 *   ms). "The limits are reset" is a fixed window: neither the page nor the changelog
 *   (resend.com/changelog/api-rate-limit) says where a window starts, so this stand-in counts per whole
 *   second of its clock (`now`), floor(now / 1000), as common fixed-window limiters do. Hence
 *   `ratelimit-reset` and `retry-after` are the seconds to the next whole second rounded up: always 1.
 *   Every authenticated request to the two endpoints takes a place in the window (invalid ones, injected
 *   faults and idempotent replays too); one beyond the limit is recorded (outcome `rate_limited`) but
 *   accepts nothing, stores no idempotent answer and consumes no injected fault. Without a limit, answers
 *   carry the static `ratelimit-limit: 2`, `ratelimit-remaining: 1`, `ratelimit-reset: 1` as before.
 *   Injected 429s (`failNext`) carry `retry-after` (default 1 second) and `ratelimit-remaining: 0`.
 * - Other paths → 404 `not_found`; other methods on the two paths → 405 `method_not_allowed` (the real
 *   API has `GET /emails`; the stand-in does not).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** 409: `concurrent_idempotent_requests`, what a key still being answered (a dead sender's request) draws. */
export type FaultStatus = 409 | 429 | 500 | 503

export type FaultOptions = {
  status: FaultStatus
  /** Sent as `retry-after` (seconds). 429s always carry one (default 1), as Resend's do. */
  retryAfterSeconds?: number
  /** Answer this text instead of Resend's JSON error body, as a proxy or load balancer would. */
  rawBody?: string
}

export type RequestOutcome =
  | 'accepted'
  | 'replayed'
  | 'rejected'
  | 'unauthorized'
  | 'fault'
  | 'rate_limited'
  | 'conflict'
  | 'not_found'
  | 'pending'

export type RecordedRequest = {
  method: string
  path: string
  /** Request headers as received, names in lower case. */
  headers: Record<string, string>
  /** Parsed JSON body, the raw text if it was not JSON, or undefined if empty. */
  body: unknown
  idempotencyKey: string | null
  receivedAt: Date
  /** HTTP status of the answer (null while pending), whether or not it reached the client. */
  status: number | null
  responseBody: unknown
  /** What the stand-in did with the request. 'accepted' emails are in `sent()` even if never answered. */
  outcome: RequestOutcome
  /** False while pending, when `dropResponseNext` cut the connection, or when the client had gone. */
  answered: boolean
}

export type SentEmail = {
  id: string
  endpoint: '/emails' | '/emails/batch'
  /** Position in the batch request, null for `POST /emails`. */
  batchIndex: number | null
  /** The email as sent on the wire (snake_case fields). */
  email: Record<string, unknown>
  idempotencyKey: string | null
  headers: Record<string, string>
  receivedAt: Date
}

export type RejectedRequest = {
  path: string
  body: unknown
  idempotencyKey: string | null
  headers: Record<string, string>
  receivedAt: Date
  status: number
  /** `index` is the email's position in a batch, null for a single email or the batch as a whole. */
  errors: { index: number | null; name: string; message: string }[]
}

export type ResendStandIn = {
  /** Base URL for `new Resend(apiKey, { baseUrl: url })` or `RESEND_BASE_URL`. No trailing slash. */
  url: string
  /** The only key accepted. */
  apiKey: string
  /** Every email accepted, in order (replays of an idempotent request add nothing). */
  sent: () => SentEmail[]
  /** Every HTTP request received, in order. */
  requests: () => RecordedRequest[]
  /** Every invalid request or batch item, in order: should stay empty for what Vigil sends. */
  rejected: () => RejectedRequest[]
  /** Answer the next `n` email requests with this error instead of processing them. */
  failNext: (n: number, options: FaultOptions) => void
  /** Process the next `n` email requests fully (emails count as sent), then cut the connection unanswered. */
  dropResponseNext: (n: number) => void
  /** Hold every later answer for `ms` milliseconds (0 to stop). */
  delay: (ms: number) => void
  /** Allow `n` email requests per second from now on (null or 0: unlimited); the current window's count stays. */
  setRateLimit: (n: number | null) => void
  /** Forget faults, delay, recordings, idempotency keys and the window's count; back to the starting rate limit. */
  reset: () => void
  close: () => Promise<void>
}

export type ResendStandInOptions = {
  apiKey?: string
  /** Clock for the 24-hour idempotency window and the rate limit's one-second windows. */
  now?: () => number
  /** Email requests allowed per second (both endpoints together); unset or 0: unlimited. */
  requestsPerSecond?: number
}

type ErrorName =
  | 'missing_api_key'
  | 'validation_error'
  | 'missing_required_field'
  | 'invalid_attachment'
  | 'invalid_idempotency_key'
  | 'invalid_idempotent_request'
  | 'concurrent_idempotent_requests'
  | 'not_found'
  | 'method_not_allowed'
  | 'rate_limit_exceeded'
  | 'internal_server_error'
  | 'application_error'

type Answer = { status: number; body: unknown; raw?: string; headers?: Record<string, string> }

type Problem = { name: ErrorName; message: string }

const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
const MAX_BATCH = 100
const MAX_TO = 50
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/
const RATE_HEADERS = { 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' }
const WINDOW_MS = 1000

function rateLimitOf(n: number | null | undefined): number {
  const limit = n ?? 0
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`requestsPerSecond must be a whole number ≥ 0 (0 = unlimited), not ${String(n)}`)
  }
  return limit
}

function rateLimitMessage(limit: number) {
  return `Too many requests. You can only make ${limit} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`
}

function errorAnswer(status: number, name: ErrorName, message: string, headers?: Record<string, string>): Answer {
  return { status, body: { statusCode: status, message, name }, headers }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `email@example.com` or `Name <email@example.com>`. */
function isAddress(value: string) {
  const named = /^\s*[^<>]*<([^<>]+)>\s*$/.exec(value)
  return ADDRESS.test((named ? named[1] : value)?.trim() ?? '')
}

function addressFormat(field: string): Problem {
  return {
    name: 'validation_error',
    message: `Invalid \`${field}\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`,
  }
}

function checkAddresses(email: Record<string, unknown>, field: string, max?: number): Problem | null {
  const value = email[field]
  if (value === undefined) return null
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
    return { name: 'validation_error', message: `The \`${field}\` field must be a string or an array of strings.` }
  }
  if (list.length === 0) return { name: 'validation_error', message: `The \`${field}\` field must not be empty.` }
  if (max !== undefined && list.length > max) {
    return { name: 'validation_error', message: `The \`${field}\` field can have at most ${max} addresses.` }
  }
  return list.every((item) => isAddress(item as string)) ? null : addressFormat(field)
}

/** Validate one email as `POST /emails` (or one batch item) would; null when valid. */
export function validateEmail(email: unknown, inBatch = false): Problem | null {
  if (!isRecord(email)) return { name: 'validation_error', message: 'The email must be a JSON object.' }
  for (const field of ['from', 'to', 'subject'] as const) {
    if (email[field] === undefined || email[field] === null || email[field] === '') {
      return { name: 'missing_required_field', message: `Missing \`${field}\` field.` }
    }
  }
  if (typeof email.from !== 'string') return { name: 'validation_error', message: 'The `from` field must be a string.' }
  if (!isAddress(email.from)) return addressFormat('from')
  const to = checkAddresses(email, 'to', MAX_TO)
  if (to) return to
  if (typeof email.subject !== 'string') {
    return { name: 'validation_error', message: 'The `subject` field must be a string.' }
  }
  for (const field of ['cc', 'bcc', 'reply_to']) {
    const problem = checkAddresses(email, field)
    if (problem) return problem
  }
  for (const field of ['html', 'text', 'scheduled_at']) {
    if (email[field] !== undefined && typeof email[field] !== 'string') {
      return { name: 'validation_error', message: `The \`${field}\` field must be a string.` }
    }
  }
  if (email.topic_id !== undefined && email.topic_id !== null && typeof email.topic_id !== 'string') {
    return { name: 'validation_error', message: 'The `topic_id` field must be a string.' }
  }
  if (email.template !== undefined) {
    const template = email.template
    if (!isRecord(template) || typeof template.id !== 'string' || template.id === '') {
      return { name: 'validation_error', message: 'The `template` field must be an object with a string `id`.' }
    }
    if (
      template.variables !== undefined &&
      (!isRecord(template.variables) ||
        Object.values(template.variables).some((v) => typeof v !== 'string' && typeof v !== 'number'))
    ) {
      return { name: 'validation_error', message: 'Template `variables` must map names to strings or numbers.' }
    }
    if (email.html !== undefined || email.text !== undefined) {
      return { name: 'validation_error', message: 'Do not send `html` or `text` together with a `template`.' }
    }
  } else if (email.html === undefined && email.text === undefined) {
    return { name: 'missing_required_field', message: 'Missing `html` or `text` field.' }
  }
  if (email.headers !== undefined) {
    if (!isRecord(email.headers) || Object.values(email.headers).some((v) => typeof v !== 'string')) {
      return { name: 'validation_error', message: 'The `headers` field must be an object of string values.' }
    }
  }
  if (email.tags !== undefined) {
    if (!Array.isArray(email.tags)) return { name: 'validation_error', message: 'The `tags` field must be an array.' }
    for (const tag of email.tags) {
      if (!isRecord(tag) || typeof tag.name !== 'string' || typeof tag.value !== 'string') {
        return { name: 'validation_error', message: 'Each tag must be an object with string `name` and `value`.' }
      }
      if (!TAG_PART.test(tag.name) || !TAG_PART.test(tag.value)) {
        return {
          name: 'validation_error',
          message:
            'Tags should only contain ASCII letters (a–z, A–Z), numbers (0–9), underscores (_), or dashes (-), and at most 256 characters.',
        }
      }
    }
  }
  if (email.attachments !== undefined) {
    if (inBatch) {
      return { name: 'validation_error', message: 'The `attachments` field is not supported for batch emails.' }
    }
    if (!Array.isArray(email.attachments)) {
      return { name: 'validation_error', message: 'The `attachments` field must be an array.' }
    }
    for (const attachment of email.attachments) {
      if (!isRecord(attachment) || (typeof attachment.content !== 'string' && typeof attachment.path !== 'string')) {
        return { name: 'invalid_attachment', message: 'Attachment must have either a `content` or `path`.' }
      }
    }
  }
  if (inBatch && email.scheduled_at !== undefined) {
    return { name: 'validation_error', message: 'The `scheduled_at` field is not supported for batch emails.' }
  }
  return null
}

/** JSON with object keys sorted, so equal payloads compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (isRecord(value)) {
    const keys = Object.keys(value).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

function headerRecord(request: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

export async function startResendStandIn(options: ResendStandInOptions = {}): Promise<ResendStandIn> {
  const apiKey = options.apiKey ?? `re_standin_${randomBytes(12).toString('hex')}`
  const now = options.now ?? Date.now
  const startingLimit = rateLimitOf(options.requestsPerSecond)
  let limit = startingLimit
  // The current fixed window: which whole second of `now`, and how many requests it has taken.
  let currentWindow = { second: Number.NaN, used: 0 }

  let sentEmails: SentEmail[] = []
  let log: RecordedRequest[] = []
  let rejections: RejectedRequest[] = []
  let faults: FaultOptions[] = []
  let drops = 0
  let delayMs = 0
  // The raw body's hash decides most repeats cheaply; only a key back with other bytes has both
  // bodies compared key-order-blind (canonical), so a 100-email batch is not re-serialised each time.
  let stored = new Map<string, { path: string; bodyHash: string; body: unknown; answer: Answer; storedAt: number }>()
  let inFlight = new Set<string>()
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()

  function pause(): Promise<void> {
    if (delayMs <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry)
          resolve()
        }, delayMs),
        resolve,
      }
      timers.add(entry)
    })
  }

  /** The live rate headers at `at` with `used` places taken in its window. */
  function windowHeaders(at: number, used: number): Record<string, string> {
    const untilNext = (Math.floor(at / WINDOW_MS) + 1) * WINDOW_MS - at
    return {
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(Math.max(0, limit - used)),
      'ratelimit-reset': String(Math.max(1, Math.ceil(untilNext / 1000))),
    }
  }

  /** Take a place in the current window: the answer's rate headers, and whether it is over the limit. */
  function takePlace(): { headers: Record<string, string>; limited: boolean } {
    const at = now()
    const second = Math.floor(at / WINDOW_MS)
    if (second !== currentWindow.second) currentWindow = { second, used: 0 }
    currentWindow.used += 1
    const headers = windowHeaders(at, currentWindow.used)
    if (currentWindow.used <= limit) return { headers, limited: false }
    return { headers: { ...headers, 'retry-after': headers['ratelimit-reset']! }, limited: true }
  }

  /** The current window's headers without taking a place (answers that do not count: 401, 404). */
  function peek(): Record<string, string> {
    const at = now()
    return windowHeaders(at, Math.floor(at / WINDOW_MS) === currentWindow.second ? currentWindow.used : 0)
  }

  function reject(record: RecordedRequest, status: number, errors: RejectedRequest['errors']) {
    rejections.push({
      path: record.path,
      body: record.body,
      idempotencyKey: record.idempotencyKey,
      headers: record.headers,
      receivedAt: record.receivedAt,
      status,
      errors,
    })
  }

  function accept(record: RecordedRequest, email: Record<string, unknown>, batchIndex: number | null): string {
    const id = randomUUID()
    sentEmails.push({
      id,
      endpoint: record.path as SentEmail['endpoint'],
      batchIndex,
      email,
      idempotencyKey: record.idempotencyKey,
      headers: record.headers,
      receivedAt: record.receivedAt,
    })
    return id
  }

  /** Validate and, when valid, send: the answer for a request past auth, faults and idempotency checks. */
  function deliver(record: RecordedRequest): Answer {
    if (record.path === '/emails') {
      const problem = validateEmail(record.body)
      if (problem) {
        reject(record, 422, [{ index: null, ...problem }])
        return errorAnswer(422, problem.name, problem.message)
      }
      return { status: 200, body: { id: accept(record, record.body as Record<string, unknown>, null) } }
    }
    const mode = record.headers['x-batch-validation'] ?? 'strict'
    if (mode !== 'strict' && mode !== 'permissive') {
      const message = 'The `x-batch-validation` header must be `strict` or `permissive`.'
      reject(record, 422, [{ index: null, name: 'validation_error', message }])
      return errorAnswer(422, 'validation_error', message)
    }
    const emails = record.body
    let batchProblem: string | null = null
    if (!Array.isArray(emails)) batchProblem = 'The request body must be an array of emails.'
    else if (emails.length === 0) batchProblem = 'The batch must contain at least one email.'
    else if (emails.length > MAX_BATCH) batchProblem = `Too many emails in the batch: the maximum is ${MAX_BATCH}.`
    if (batchProblem !== null || !Array.isArray(emails)) {
      const message = batchProblem ?? 'The request body must be an array of emails.'
      reject(record, 422, [{ index: null, name: 'validation_error', message }])
      return errorAnswer(422, 'validation_error', message)
    }
    const problems = emails.map((email) => validateEmail(email, true))
    const errors = problems.flatMap((problem, index) => (problem ? [{ index, ...problem }] : []))
    if (mode === 'strict') {
      const first = errors[0]
      if (first) {
        reject(record, 422, errors)
        return errorAnswer(422, first.name, first.message)
      }
      return { status: 200, body: { data: emails.map((email, index) => ({ id: accept(record, email, index) })) } }
    }
    if (errors.length > 0) reject(record, 200, errors)
    const data = emails.flatMap((email, index) => (problems[index] ? [] : [{ id: accept(record, email, index) }]))
    return {
      status: 200,
      body: { data, errors: errors.map(({ index, message }) => ({ index, message })) },
    }
  }

  type Outcome = { answer: Answer; outcome: RequestOutcome }

  /** Auth, endpoint and rate limit; then `processEmailRequest`. `rateHeaders`: the live window, when there is a limit. */
  async function answerFor(record: RecordedRequest, rawBody: string): Promise<Outcome & { rateHeaders?: Record<string, string> }> {
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(record.headers.authorization ?? '')
    if (!auth) {
      await pause()
      const answer = errorAnswer(401, 'missing_api_key', 'Missing API key in the authorization header.')
      return { answer, outcome: 'unauthorized' }
    }
    if (auth[1] !== apiKey) {
      await pause()
      return { answer: errorAnswer(401, 'validation_error', 'API key is invalid'), outcome: 'unauthorized' }
    }
    if (record.path !== '/emails' && record.path !== '/emails/batch') {
      await pause()
      return { answer: errorAnswer(404, 'not_found', 'The requested endpoint does not exist.'), outcome: 'not_found' }
    }
    if (record.method !== 'POST') {
      await pause()
      const answer = errorAnswer(405, 'method_not_allowed', 'Method is not allowed for the requested path.')
      return { answer, outcome: 'not_found' }
    }
    if (limit === 0) return processEmailRequest(record, rawBody)
    const place = takePlace()
    if (place.limited) {
      await pause()
      const answer = errorAnswer(429, 'rate_limit_exceeded', rateLimitMessage(limit), place.headers)
      return { answer, outcome: 'rate_limited' }
    }
    return { ...(await processEmailRequest(record, rawBody)), rateHeaders: place.headers }
  }

  /** Faults, JSON, idempotency, then `deliver`: a request that passed auth and the rate limit. */
  async function processEmailRequest(record: RecordedRequest, rawBody: string): Promise<Outcome> {
    const fault = faults.shift()
    if (fault) {
      await pause()
      const headers: Record<string, string> = {}
      const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined)
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
      if (fault.status === 429) {
        Object.assign(headers, { 'ratelimit-remaining': '0', 'ratelimit-reset': String(retryAfter ?? 1) })
      }
      const answer =
        fault.status === 429
          ? errorAnswer(429, 'rate_limit_exceeded', rateLimitMessage(limit || 2), headers)
          : fault.status === 409
            ? errorAnswer(409, 'concurrent_idempotent_requests', 'Same idempotency key used while original request is still in progress.', headers)
            : fault.status === 500
              ? errorAnswer(500, 'internal_server_error', 'An unexpected error occurred.', headers)
              : errorAnswer(503, 'application_error', 'Service unavailable. Please try again later.', headers)
      if (fault.rawBody !== undefined) answer.raw = fault.rawBody
      return { answer, outcome: 'fault' }
    }

    if (rawBody.trim() !== '' && typeof record.body === 'string') {
      await pause()
      const message = 'The request body is not valid JSON.'
      reject(record, 400, [{ index: null, name: 'validation_error', message }])
      return { answer: errorAnswer(400, 'validation_error', message), outcome: 'rejected' }
    }

    const key = record.idempotencyKey
    if (key !== null && (key.length < 1 || key.length > 256)) {
      await pause()
      const answer = errorAnswer(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.')
      return { answer, outcome: 'rejected' }
    }
    if (key !== null && inFlight.has(key)) {
      await pause()
      const answer = errorAnswer(
        409,
        'concurrent_idempotent_requests',
        'Same idempotency key used while original request is still in progress.',
      )
      return { answer, outcome: 'conflict' }
    }
    const flight = inFlight
    if (key !== null) flight.add(key)
    try {
      await pause()
      if (key !== null) {
        const bodyHash = createHash('sha256').update(rawBody).digest('base64')
        const previous = stored.get(key)
        if (previous && now() - previous.storedAt < IDEMPOTENCY_WINDOW_MS) {
          const same = previous.path === record.path && (previous.bodyHash === bodyHash || canonical(previous.body) === canonical(record.body))
          if (same) return { answer: previous.answer, outcome: 'replayed' }
          const answer = errorAnswer(
            409,
            'invalid_idempotent_request',
            'Same idempotency key used with a different request payload.',
          )
          return { answer, outcome: 'conflict' }
        }
        const answer = deliver(record)
        if (answer.status < 300) stored.set(key, { path: record.path, bodyHash, body: record.body, answer, storedAt: now() })
        return { answer, outcome: answer.status < 300 ? 'accepted' : 'rejected' }
      }
      const answer = deliver(record)
      return { answer, outcome: answer.status < 300 ? 'accepted' : 'rejected' }
    } finally {
      if (key !== null) flight.delete(key)
    }
  }

  async function handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    let body: unknown = undefined
    if (rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody)
      } catch {
        body = rawBody
      }
    }
    const headers = headerRecord(request)
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://stand-in').pathname,
      headers,
      body,
      idempotencyKey: headers['idempotency-key'] ?? null,
      receivedAt: new Date(now()),
      status: null,
      responseBody: undefined,
      outcome: 'pending',
      answered: false,
    }
    log.push(record)

    const { answer, outcome, rateHeaders } = await answerFor(record, rawBody)
    record.status = answer.status
    record.responseBody = answer.raw ?? answer.body
    record.outcome = outcome
    if (response.destroyed || request.socket.destroyed) return
    if (outcome !== 'unauthorized' && outcome !== 'not_found' && drops > 0) {
      drops -= 1
      request.socket.destroy()
      return
    }
    record.answered = true
    const text = answer.raw ?? JSON.stringify(answer.body)
    response.writeHead(answer.status, {
      'content-type': answer.raw === undefined ? 'application/json' : 'text/html; charset=utf-8',
      ...(rateHeaders ?? (limit === 0 ? RATE_HEADERS : peek())),
      ...answer.headers,
    })
    response.end(text)
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(500, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ statusCode: 500, message: String(error), name: 'internal_server_error' }))
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    sent: () => [...sentEmails],
    requests: () => [...log],
    rejected: () => [...rejections],
    failNext(n, fault) {
      for (let i = 0; i < n; i++) faults.push({ ...fault })
    },
    dropResponseNext(n) {
      drops += n
    },
    delay(ms) {
      delayMs = Math.max(0, ms)
    },
    setRateLimit(n) {
      limit = rateLimitOf(n)
    },
    reset() {
      sentEmails = []
      log = []
      rejections = []
      faults = []
      drops = 0
      delayMs = 0
      limit = startingLimit
      currentWindow = { second: Number.NaN, used: 0 }
      stored = new Map()
      inFlight = new Set()
    },
    async close() {
      for (const entry of timers) {
        clearTimeout(entry.timer)
        entry.resolve()
      }
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
