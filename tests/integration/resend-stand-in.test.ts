// sqlite-only: the Resend stand-in and the real SDK, no Vigil database involved.
import fs from 'node:fs'
import path from 'node:path'
import { Resend, type CreateEmailOptions } from 'resend'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { ROOT } from '../helpers/server.ts'

// The real `resend` SDK against the local stand-in: what it sends, and what it hands back on each
// kind of failure. After every test, every body the stand-in accepted is checked against the request
// schema of Resend's OpenAPI description (transcribed below, and compared with the YAML file itself).

// Resend's published OpenAPI description, kept in the repository (tests/fixtures/resend/README.md).
const OPENAPI_PATH = path.join(ROOT, 'tests/fixtures/resend/openapi.yaml')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// ---- Resend's request schemas, from openapi.yaml (components.schemas), without descriptions ----

type Schema = { [key: string]: unknown }

const addresses = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }
const SCHEMAS: Record<string, Schema> = {
  SendEmailRequest: {
    type: 'object',
    required: ['from', 'to', 'subject'],
    properties: {
      from: { type: 'string' },
      to: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50 }] },
      subject: { type: 'string' },
      bcc: addresses,
      cc: addresses,
      reply_to: addresses,
      html: { type: 'string' },
      text: { type: 'string' },
      template: { allOf: [{ $ref: '#/components/schemas/EmailTemplateInput' }, {}] },
      headers: { type: 'object' },
      scheduled_at: { type: 'string' },
      attachments: { type: 'array', items: { $ref: '#/components/schemas/Attachment' } },
      tags: { type: 'array', items: { $ref: '#/components/schemas/Tag' } },
      topic_id: { type: 'string' },
    },
  },
  Attachment: {
    type: 'object',
    properties: {
      content: { type: 'string', format: 'binary' },
      filename: { type: 'string' },
      path: { type: 'string' },
      content_type: { type: 'string' },
      content_id: { type: 'string' },
    },
  },
  Tag: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } },
  EmailTemplateInput: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      variables: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] } },
    },
    required: ['id'],
  },
}
/** paths./emails.post.requestBody */
const SEND_BODY: Schema = { $ref: '#/components/schemas/SendEmailRequest' }
/** paths./emails/batch.post.requestBody; maxItems from the operation's summary ("up to 100"). */
const BATCH_BODY: Schema = { type: 'array', items: { $ref: '#/components/schemas/SendEmailRequest' } }
const BATCH_MAX = 100
/** The Idempotency-Key header parameter of both operations. */
const IDEMPOTENCY_KEY: Schema = { type: 'string', maxLength: 256 }

/** Errors of `value` against a JSON Schema subset (type, required, properties, items, oneOf, allOf, $ref, sizes). */
function schemaErrors(value: unknown, schema: Schema, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = SCHEMAS[schema.$ref.replace('#/components/schemas/', '')]
    if (!target) return [`${at}: unknown $ref ${schema.$ref}`]
    return schemaErrors(value, target, at)
  }
  const errors: string[] = []
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) errors.push(...schemaErrors(value, part, at))
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as Schema[]).filter((option) => schemaErrors(value, option, at).length === 0)
    if (matching.length !== 1) errors.push(`${at}: matches ${matching.length} of the oneOf alternatives`)
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]
    const actual =
      value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value
    if (!types.some((type) => type === actual || (type === 'integer' && Number.isInteger(value)))) {
      return [...errors, `${at}: expected ${types.join(' or ')}, got ${actual}`]
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in object)) errors.push(`${at}: missing required ${key}`)
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {}
    for (const [key, item] of Object.entries(object)) {
      const itemSchema = properties[key] ?? schema.additionalProperties
      if (itemSchema === false) errors.push(`${at}: unexpected ${key}`)
      else if (typeof itemSchema === 'object' && itemSchema !== null) {
        errors.push(...schemaErrors(item, itemSchema as Schema, `${at}.${key}`))
      }
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${at}: too few items`)
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${at}: too many items`)
    if (schema.items) value.forEach((item, i) => errors.push(...schemaErrors(item, schema.items as Schema, `${at}[${i}]`)))
  }
  if (typeof value === 'string' && typeof schema.maxLength === 'number' && value.length > schema.maxLength) {
    errors.push(`${at}: longer than ${schema.maxLength}`)
  }
  return errors
}

// ---- A minimal reader for the block-style YAML of openapi.yaml (maps, lists, scalars, [flow lists], |/> text) ----

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml }

function parseYaml(text: string): Yaml {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''))
  let i = 0
  const indentOf = (line: string) => line.length - line.trimStart().length
  const skipBlank = () => {
    while (i < lines.length && /^\s*(#.*)?$/.test(lines[i] ?? '')) i++
  }
  const isItem = (trimmed: string) => trimmed === '-' || trimmed.startsWith('- ')
  const KEY = /^('(?:[^']|'')*'|"[^"]*"|[^\s'"#-][^:]*?|-[^\s:][^:]*?):(?:\s+(.*))?$/

  function scalar(raw: string): Yaml {
    const s = raw.trim()
    if (s.startsWith("'")) return s.slice(1, s.lastIndexOf("'")).replace(/''/g, "'")
    if (s.startsWith('"')) return JSON.parse(s.slice(0, s.lastIndexOf('"') + 1)) as string
    if (s.startsWith('[')) {
      const inner = s.slice(1, s.lastIndexOf(']')).trim()
      return inner === '' ? [] : (inner.match(/'(?:[^']|'')*'|"[^"]*"|[^,]+/g) ?? []).map((part) => scalar(part))
    }
    const plain = s.replace(/\s+#.*$/, '')
    if (plain === 'true' || plain === 'false') return plain === 'true'
    if (plain === 'null' || plain === '~' || plain === '') return null
    if (/^-?\d+(\.\d+)?$/.test(plain)) return Number(plain)
    return plain
  }

  function block(minIndent: number): Yaml {
    skipBlank()
    const line = lines[i]
    if (line === undefined || indentOf(line) < minIndent) return null
    return isItem(line.trim()) ? list(indentOf(line)) : map(indentOf(line))
  }

  function blockText(parentIndent: number, folded: boolean): string {
    const parts: string[] = []
    while (i < lines.length) {
      const line = lines[i] ?? ''
      if (line.trim() !== '' && indentOf(line) <= parentIndent) break
      parts.push(line.trim())
      i++
    }
    return parts.join(folded ? ' ' : '\n').trim()
  }

  function value(rest: string | undefined, indent: number): Yaml {
    if (rest === undefined || rest.trim() === '') {
      skipBlank()
      const next = lines[i]
      if (next === undefined) return null
      if (indentOf(next) > indent) return block(indent + 1)
      if (indentOf(next) === indent && isItem(next.trim())) return list(indent)
      return null
    }
    if (/^[|>][-+]?$/.test(rest.trim())) return blockText(indent, rest.trim().startsWith('>'))
    return scalar(rest)
  }

  function map(indent: number): { [key: string]: Yaml } {
    const result: { [key: string]: Yaml } = {}
    for (;;) {
      skipBlank()
      const line = lines[i]
      if (line === undefined || indentOf(line) !== indent || isItem(line.trim())) return result
      const match = KEY.exec(line.trim())
      if (!match?.[1]) throw new Error(`YAML line ${i + 1}: cannot read "${line.trim()}"`)
      i++
      result[scalar(match[1]) as string] = value(match[2], indent)
    }
  }

  function list(indent: number): Yaml[] {
    const result: Yaml[] = []
    for (;;) {
      skipBlank()
      const line = lines[i]
      if (line === undefined || indentOf(line) !== indent || !isItem(line.trim())) return result
      const content = line.trim().slice(1).trimStart()
      if (content === '') {
        i++
        result.push(block(indent + 1))
      } else if (KEY.test(content)) {
        // "- key: value" starts a map whose keys line up with "key".
        const contentIndent = line.length - content.length
        lines[i] = ' '.repeat(contentIndent) + content
        result.push(map(contentIndent))
      } else {
        i++
        result.push(scalar(content))
      }
    }
  }

  return block(0)
}

function withoutProse(value: Yaml): Yaml {
  if (Array.isArray(value)) return value.map(withoutProse)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'description' && key !== 'example' && key !== 'examples')
        .map(([key, item]) => [key, withoutProse(item)]),
    )
  }
  return value
}

function dig(value: Yaml | undefined, ...keys: (string | number)[]): Yaml | undefined {
  let current = value
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, Yaml>)[key]
  }
  return current
}

// ---- Fixtures ----

let standIn: ResendStandIn
let resend: Resend

const email = (overrides: Record<string, unknown> = {}) =>
  ({
    from: 'Vigil <updates@vigil.example>',
    to: 'supporter@example.org',
    subject: 'Andry is free',
    html: '<p>Thank you for signing.</p>',
    text: 'Thank you for signing.',
    ...overrides,
  }) as CreateEmailOptions

beforeAll(async () => {
  standIn = await startResendStandIn()
  resend = new Resend(standIn.apiKey, { baseUrl: standIn.url })
})

afterAll(async () => {
  await standIn?.close()
})

afterEach(() => {
  const requests = standIn.requests()
  const rejected = standIn.rejected()
  standIn.reset()
  // Whatever the stand-in accepted must be valid against Resend's published request schema.
  for (const request of requests) {
    if (request.outcome !== 'accepted' && request.outcome !== 'replayed') continue
    if (request.idempotencyKey !== null) {
      expect(schemaErrors(request.idempotencyKey, IDEMPOTENCY_KEY)).toEqual([])
    }
    if (request.path === '/emails') {
      expect(schemaErrors(request.body, SEND_BODY), JSON.stringify(request.body)).toEqual([])
    } else {
      const rejectedItems = new Set(
        rejected
          .filter((rejection) => rejection.body === request.body)
          .flatMap((rejection) => rejection.errors.map((error) => error.index)),
      )
      const items = (request.body as unknown[]).filter((_, index) => !rejectedItems.has(index))
      expect(items.length).toBeLessThanOrEqual(BATCH_MAX)
      expect(schemaErrors(items, BATCH_BODY), JSON.stringify(items)).toEqual([])
    }
  }
})

// ---- Tests ----

describe('Resend stand-in, driven by the real SDK', () => {
  it('sends one email: { data: { id }, error: null }, recorded with the wire body and headers', async () => {
    const result = await resend.emails.send(
      email({ replyTo: 'desk@vigil.example', tags: [{ name: 'kind', value: 'update' }], headers: { 'X-Vigil': '1' } }),
    )

    expect(result.error).toBeNull()
    expect(result.data?.id).toMatch(UUID)
    const [sent, ...others] = standIn.sent()
    expect(others).toEqual([])
    expect(sent).toMatchObject({
      id: result.data?.id,
      endpoint: '/emails',
      batchIndex: null,
      idempotencyKey: null,
      email: {
        from: 'Vigil <updates@vigil.example>',
        to: 'supporter@example.org',
        subject: 'Andry is free',
        reply_to: 'desk@vigil.example',
        tags: [{ name: 'kind', value: 'update' }],
        headers: { 'X-Vigil': '1' },
      },
      headers: {
        authorization: `Bearer ${standIn.apiKey}`,
        'content-type': 'application/json',
        'user-agent': 'resend-node:6.38.0',
      },
    })
    expect(sent?.receivedAt).toBeInstanceOf(Date)
    expect(standIn.requests()).toMatchObject([
      { method: 'POST', path: '/emails', status: 200, outcome: 'accepted', answered: true, responseBody: { id: sent?.id } },
    ])
  })

  it('is reached through RESEND_BASE_URL and RESEND_API_KEY too (read when the client is built)', async () => {
    process.env.RESEND_BASE_URL = standIn.url
    process.env.RESEND_API_KEY = standIn.apiKey
    try {
      const fromEnv = new Resend()
      expect(fromEnv.baseUrl).toBe(standIn.url)
      const result = await fromEnv.emails.send(email())
      expect(result.error).toBeNull()
      expect(standIn.sent()).toHaveLength(1)
    } finally {
      delete process.env.RESEND_BASE_URL
      delete process.env.RESEND_API_KEY
    }
  })

  it('sends a batch with an idempotency key: Idempotency-Key and x-batch-validation: strict on the wire', async () => {
    const result = await resend.batch.send([email(), email({ to: ['a@example.org', 'b@example.org'] })], {
      idempotencyKey: 'update-42/batch-1',
    })

    expect(result.error).toBeNull()
    expect(result.data?.data).toHaveLength(2)
    expect(result.data?.data.every(({ id }) => UUID.test(id))).toBe(true)
    const [request] = standIn.requests()
    expect(request?.headers['idempotency-key']).toBe('update-42/batch-1')
    expect(request?.headers['x-batch-validation']).toBe('strict')
    expect(request?.responseBody).toEqual({ data: result.data?.data })
    expect(standIn.sent().map(({ id, batchIndex, idempotencyKey, endpoint }) => ({ id, batchIndex, idempotencyKey, endpoint })))
      .toEqual(
        (result.data?.data ?? []).map(({ id }, index) => ({
          id,
          batchIndex: index,
          idempotencyKey: 'update-42/batch-1',
          endpoint: '/emails/batch',
        })),
      )
  })

  it('answers a repeated idempotency key with the same id and does not send again', async () => {
    const first = await resend.emails.send(email(), { idempotencyKey: 'welcome/7' })
    const again = await resend.emails.send(email(), { idempotencyKey: 'welcome/7' })

    expect(again.data?.id).toBe(first.data?.id)
    expect(standIn.sent()).toHaveLength(1)
    expect(standIn.requests().map(({ outcome, status }) => [outcome, status])).toEqual([
      ['accepted', 200],
      ['replayed', 200],
    ])
  })

  it('deduplicates a repeated batch the same way, whatever the key order of the JSON', async () => {
    const emails = [email(), email({ to: 'other@example.org' })]
    const first = await resend.batch.send(emails, { idempotencyKey: 'digest/2026-05-01' })
    const reordered = emails.map((item) => Object.fromEntries(Object.entries(item).reverse()) as CreateEmailOptions)
    const again = await resend.batch.send(reordered, { idempotencyKey: 'digest/2026-05-01' })

    expect(again.data).toEqual(first.data)
    expect(standIn.sent()).toHaveLength(2)
  })

  it('refuses a reused idempotency key with a different payload: 409 invalid_idempotent_request', async () => {
    await resend.emails.send(email(), { idempotencyKey: 'receipt/9' })
    const result = await resend.emails.send(email({ subject: 'Something else' }), { idempotencyKey: 'receipt/9' })

    expect(result).toMatchObject({
      data: null,
      error: {
        statusCode: 409,
        name: 'invalid_idempotent_request',
        message: 'Same idempotency key used with a different request payload.',
      },
    })
    expect(standIn.sent()).toHaveLength(1)
  })

  it('refuses a key whose first request is still in progress: 409 concurrent_idempotent_requests', async () => {
    standIn.delay(200)
    const [first, second] = await Promise.all([
      resend.emails.send(email(), { idempotencyKey: 'receipt/10' }),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        resend.emails.send(email(), { idempotencyKey: 'receipt/10' }),
      ),
    ])

    expect(first.data?.id).toMatch(UUID)
    expect(second.error).toMatchObject({ statusCode: 409, name: 'concurrent_idempotent_requests' })
    expect(standIn.sent()).toHaveLength(1)
  })

  it('refuses an idempotency key longer than 256 characters: 400 invalid_idempotency_key', async () => {
    const result = await resend.emails.send(email(), { idempotencyKey: 'k'.repeat(257) })
    expect(result.error).toMatchObject({ statusCode: 400, name: 'invalid_idempotency_key' })
    expect(standIn.sent()).toEqual([])
  })

  it('hands back a 429 as { data: null, error: { statusCode, name, message }, headers } with retry-after', async () => {
    standIn.failNext(1, { status: 429, retryAfterSeconds: 7 })
    const limited = await resend.emails.send(email())

    // This is all the SDK exposes: the JSON error body verbatim, and the response headers (lower-case).
    expect(limited).toEqual({
      data: null,
      error: {
        statusCode: 429,
        name: 'rate_limit_exceeded',
        message: expect.stringContaining('Too many requests'),
      },
      headers: expect.objectContaining({ 'retry-after': '7', 'ratelimit-remaining': '0' }),
    })
    expect(standIn.sent()).toEqual([])

    const next = await resend.emails.send(email())
    expect(next.error).toBeNull()
    expect(standIn.requests().map(({ outcome, status }) => [outcome, status])).toEqual([
      ['fault', 429],
      ['accepted', 200],
    ])
  })

  it('hands back a 500 as internal_server_error; a retry with the same key then sends once', async () => {
    standIn.failNext(1, { status: 500 })
    const failed = await resend.emails.send(email(), { idempotencyKey: 'alert/3' })
    expect(failed).toEqual({
      data: null,
      error: { statusCode: 500, name: 'internal_server_error', message: 'An unexpected error occurred.' },
      headers: expect.objectContaining({ 'content-type': 'application/json' }),
    })
    expect(failed.headers?.['retry-after']).toBeUndefined()

    const retried = await resend.emails.send(email(), { idempotencyKey: 'alert/3' })
    expect(retried.error).toBeNull()
    expect(standIn.sent()).toHaveLength(1)
  })

  it('hands back a 503 as application_error, with retry-after when given', async () => {
    standIn.failNext(2, { status: 503, retryAfterSeconds: 30 })
    const first = await resend.emails.send(email())
    const second = await resend.batch.send([email()])

    for (const result of [first, second]) {
      expect(result.error).toMatchObject({ statusCode: 503, name: 'application_error' })
      expect(result.headers?.['retry-after']).toBe('30')
    }
    expect(standIn.sent()).toEqual([])
  })

  it('turns a non-JSON error page into application_error carrying the HTTP status', async () => {
    standIn.failNext(1, { status: 503, rawBody: '<html>503 Service Unavailable</html>' })
    const result = await resend.emails.send(email())

    expect(result).toEqual({
      data: null,
      error: {
        name: 'application_error',
        statusCode: 503,
        message: 'Internal server error. We are unable to process your request right now, please try again later.',
      },
      headers: expect.objectContaining({ 'content-type': 'text/html; charset=utf-8' }),
    })
  })

  it('loses the answer after sending: statusCode null, headers null; the same key then replays', async () => {
    standIn.dropResponseNext(1)
    const lost = await resend.emails.send(email(), { idempotencyKey: 'verify/5' })
    expect(lost).toEqual({
      data: null,
      error: {
        name: 'application_error',
        statusCode: null,
        message: 'Unable to fetch data. The request could not be resolved.',
      },
      headers: null,
    })
    expect(standIn.sent()).toHaveLength(1)

    const retried = await resend.emails.send(email(), { idempotencyKey: 'verify/5' })
    expect(retried.data?.id).toBe(standIn.sent()[0]?.id)
    expect(standIn.sent()).toHaveLength(1)
    expect(standIn.requests().map(({ outcome, answered }) => [outcome, answered])).toEqual([
      ['accepted', false],
      ['replayed', true],
    ])
  })

  it('answers slowly when asked; the SDK has no timeout of its own and reports an abort like a lost answer', async () => {
    standIn.delay(300)
    const started = Date.now()
    const slow = await resend.emails.send(email())
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    expect(slow.error).toBeNull()

    const aborted = await resend.emails.send(email({ subject: 'Timed out' }), { signal: AbortSignal.timeout(50) })
    expect(aborted).toEqual({
      data: null,
      error: { name: 'application_error', statusCode: null, message: expect.stringContaining('Unable to fetch data') },
      headers: null,
    })
    // The server still finishes the work the client stopped waiting for.
    await expect.poll(() => standIn.sent().length, { timeout: 2_000 }).toBe(2)
  })

  describe('invalid emails: 422 in Resend’s format, recorded as rejected, never sent', () => {
    const cases: { title: string; email: Record<string, unknown>; name: string; againstSchema: boolean }[] = [
      { title: 'no subject', email: { subject: undefined }, name: 'missing_required_field', againstSchema: true },
      { title: 'no from', email: { from: undefined }, name: 'missing_required_field', againstSchema: true },
      { title: 'neither html nor text', email: { html: undefined, text: undefined }, name: 'missing_required_field', againstSchema: false },
      {
        title: 'more than 50 recipients in to',
        email: { to: Array.from({ length: 51 }, (_, n) => `s${n}@example.org`) },
        name: 'validation_error',
        againstSchema: true,
      },
      { title: 'an empty to list', email: { to: [] }, name: 'validation_error', againstSchema: true },
      { title: 'a malformed from address', email: { from: 'Vigil updates' }, name: 'validation_error', againstSchema: false },
      { title: 'a malformed to address', email: { to: 'supporter(at)example.org' }, name: 'validation_error', againstSchema: false },
      { title: 'a numeric reply_to', email: { replyTo: 42 }, name: 'validation_error', againstSchema: true },
      { title: 'a header with a non-string value', email: { headers: { 'X-Count': 3 } }, name: 'validation_error', againstSchema: false },
      { title: 'a tag with a space', email: { tags: [{ name: 'campaign id', value: 'x' }] }, name: 'validation_error', againstSchema: false },
      { title: 'a tag with a numeric value', email: { tags: [{ name: 'n', value: 1 }] }, name: 'validation_error', againstSchema: true },
      { title: 'tags as an object', email: { tags: { kind: 'update' } }, name: 'validation_error', againstSchema: true },
      { title: 'an attachment with neither content nor path', email: { attachments: [{ filename: 'a.pdf' }] }, name: 'invalid_attachment', againstSchema: false },
    ]

    it.each(cases)('$title', async ({ email: overrides, name, againstSchema }) => {
      const result = await resend.emails.send(email(overrides))

      expect(result).toMatchObject({ data: null, error: { statusCode: 422, name, message: expect.any(String) } })
      expect(standIn.sent()).toEqual([])
      const [rejection, ...more] = standIn.rejected()
      expect(more).toEqual([])
      expect(rejection).toMatchObject({ path: '/emails', status: 422, errors: [{ index: null, name }] })
      // Where the schema alone can tell, it agrees with the stand-in.
      if (againstSchema) expect(schemaErrors(rejection?.body, SEND_BODY)).not.toEqual([])
    })
  })

  it('rejects a strict batch whole when one email is invalid', async () => {
    const result = await resend.batch.send([email(), email({ to: undefined })])

    expect(result.error).toMatchObject({ statusCode: 422, name: 'missing_required_field', message: 'Missing `to` field.' })
    expect(standIn.sent()).toEqual([])
    expect(standIn.rejected()[0]?.errors).toEqual([{ index: 1, name: 'missing_required_field', message: 'Missing `to` field.' }])
  })

  it('sends the valid emails of a permissive batch and lists the others by index', async () => {
    const result = await resend.batch.send([email({ to: 'bad address' }), email(), email({ subject: undefined })], {
      batchValidation: 'permissive',
    })

    expect(standIn.requests()[0]?.headers['x-batch-validation']).toBe('permissive')
    expect(result.error).toBeNull()
    expect(result.data?.data).toEqual([{ id: standIn.sent()[0]?.id }])
    expect(result.data?.errors).toEqual([
      { index: 0, message: expect.stringContaining('Invalid `to` field') },
      { index: 2, message: 'Missing `subject` field.' },
    ])
    expect(standIn.sent().map(({ batchIndex }) => batchIndex)).toEqual([1])
    expect(standIn.rejected()).toMatchObject([{ status: 200, errors: [{ index: 0 }, { index: 2 }] }])
  })

  it('rejects a batch of more than 100 emails, and batch attachments', async () => {
    const tooMany = await resend.batch.send(Array.from({ length: BATCH_MAX + 1 }, () => email()))
    expect(tooMany.error).toMatchObject({ statusCode: 422, name: 'validation_error' })

    const withAttachment = await resend.batch.send([
      email({ attachments: [{ filename: 'a.txt', content: 'aGk=' }] }) as never,
    ])
    expect(withAttachment.error).toMatchObject({ statusCode: 422, name: 'validation_error' })
    expect(standIn.sent()).toEqual([])
    expect(standIn.rejected()).toHaveLength(2)
  })

  it('refuses a wrong API key: 401 validation_error "API key is invalid"', async () => {
    const wrong = new Resend('re_not_the_right_key', { baseUrl: standIn.url })
    const result = await wrong.emails.send(email())

    expect(result).toMatchObject({
      data: null,
      error: { statusCode: 401, name: 'validation_error', message: 'API key is invalid' },
    })
    expect(standIn.sent()).toEqual([])
    expect(standIn.requests()[0]).toMatchObject({ status: 401, outcome: 'unauthorized' })
  })

  it('refuses a request without an API key: 401 missing_api_key', async () => {
    // The SDK will not start without a key; an empty Authorization header overrides the one it sets.
    const result = await resend.emails.send(email(), { headers: { Authorization: '' } })

    expect(result.error).toEqual({
      statusCode: 401,
      name: 'missing_api_key',
      message: 'Missing API key in the authorization header.',
    })
    expect(standIn.sent()).toEqual([])
  })

  it('uses request schemas that match openapi.yaml', () => {
    const spec = parseYaml(fs.readFileSync(OPENAPI_PATH, 'utf8'))
    for (const name of Object.keys(SCHEMAS)) {
      expect(withoutProse(dig(spec, 'components', 'schemas', name) ?? null), name).toEqual(SCHEMAS[name])
    }
    const body = (path: string) =>
      withoutProse(dig(spec, 'paths', path, 'post', 'requestBody', 'content', 'application/json', 'schema') ?? null)
    expect(body('/emails')).toEqual(SEND_BODY)
    expect(body('/emails/batch')).toEqual(BATCH_BODY)
    expect(String(dig(spec, 'paths', '/emails/batch', 'post', 'summary'))).toContain(`up to ${BATCH_MAX}`)
    for (const path of ['/emails', '/emails/batch']) {
      const header = (dig(spec, 'paths', path, 'post', 'parameters') as Yaml[]).find(
        (parameter) => dig(parameter, 'name') === 'Idempotency-Key',
      )
      expect(withoutProse(header ?? null)).toEqual({ in: 'header', name: 'Idempotency-Key', required: false, schema: IDEMPOTENCY_KEY })
    }
  })
})

describe('Resend stand-in with a rate limit (fixed one-second windows, as Resend states its limit)', () => {
  // A clock the test moves by hand, starting on a whole second, so a window never ends mid-test.
  const START = 1_700_000_000_000
  let clock = START
  let limited: ResendStandIn
  let client: Resend

  beforeAll(async () => {
    limited = await startResendStandIn({ requestsPerSecond: 2, now: () => clock })
    client = new Resend(limited.apiKey, { baseUrl: limited.url })
  })

  afterEach(() => {
    limited.reset()
    clock += 10_000
  })

  afterAll(async () => {
    await limited?.close()
  })

  const rate = (headers: Record<string, string> | null | undefined) => ({
    limit: headers?.['ratelimit-limit'],
    remaining: headers?.['ratelimit-remaining'],
    reset: headers?.['ratelimit-reset'],
    retryAfter: headers?.['retry-after'],
  })

  it('allows N requests in a second; the N+1st gets 429 rate_limit_exceeded with retry-after and ratelimit-* headers', async () => {
    clock += 100
    const first = await client.emails.send(email())
    clock += 300
    const second = await client.emails.send(email())
    clock += 300
    const third = await client.emails.send(email(), { idempotencyKey: 'confirm/1' })

    expect(first.error).toBeNull()
    expect(second.error).toBeNull()
    expect(third).toEqual({
      data: null,
      error: {
        statusCode: 429,
        name: 'rate_limit_exceeded',
        message:
          'Too many requests. You can only make 2 requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.',
      },
      headers: expect.objectContaining({ 'content-type': 'application/json' }),
    })
    expect(rate(third.headers)).toEqual({ limit: '2', remaining: '0', reset: '1', retryAfter: '1' })
    expect(limited.sent()).toHaveLength(2)
    // Recorded, so a test can count them, but nothing accepted.
    expect(limited.requests().map(({ status, outcome }) => [status, outcome])).toEqual([
      [200, 'accepted'],
      [200, 'accepted'],
      [429, 'rate_limited'],
    ])
  })

  it('accepts a request sent after retry-after, under the key of the refused one (no idempotent answer was stored)', async () => {
    await client.emails.send(email())
    await client.emails.send(email())
    const refused = await client.emails.send(email(), { idempotencyKey: 'confirm/2' })
    expect(refused.error?.statusCode).toBe(429)

    clock += Number(refused.headers?.['retry-after']) * 1000
    const retried = await client.emails.send(email(), { idempotencyKey: 'confirm/2' })
    expect(retried.error).toBeNull()
    expect(retried.data?.id).toMatch(UUID)
    expect(limited.requests().at(-1)?.outcome).toBe('accepted')
    expect(limited.sent()).toHaveLength(3)
  })

  it('counts single and batch requests against the same limit', async () => {
    const single = await client.emails.send(email())
    const batch = await client.batch.send([email(), email({ to: 'other@example.org' })])
    const batchLimited = await client.batch.send([email()], { idempotencyKey: 'batch/3' })
    const singleLimited = await client.emails.send(email())

    expect(single.error).toBeNull()
    expect(batch.data?.data).toHaveLength(2)
    expect(batchLimited.error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' })
    expect(singleLimited.error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' })
    expect(rate(batchLimited.headers)).toEqual({ limit: '2', remaining: '0', reset: '1', retryAfter: '1' })
    expect(limited.sent()).toHaveLength(3)
    expect(limited.requests().filter(({ status }) => status === 429)).toHaveLength(2)
  })

  it('answers successes with the live window: limit, what is left of it, seconds until it resets; no retry-after', async () => {
    const three = await startResendStandIn({ requestsPerSecond: 3, now: () => clock })
    try {
      const sdk = new Resend(three.apiKey, { baseUrl: three.url })
      clock += 250
      const answers = []
      for (let i = 0; i < 3; i++) answers.push(rate((await sdk.emails.send(email())).headers))
      expect(answers).toEqual([
        { limit: '3', remaining: '2', reset: '1', retryAfter: undefined },
        { limit: '3', remaining: '1', reset: '1', retryAfter: undefined },
        { limit: '3', remaining: '0', reset: '1', retryAfter: undefined },
      ])
      // The next second is a new window.
      clock += 750
      expect(rate((await sdk.batch.send([email()])).headers)).toEqual({ limit: '3', remaining: '2', reset: '1', retryAfter: undefined })
      // A refused request (422) still took its place in the window, and says so.
      const invalid = await sdk.emails.send(email({ subject: undefined }))
      expect(invalid.error?.statusCode).toBe(422)
      expect(rate(invalid.headers)).toMatchObject({ limit: '3', remaining: '1' })
      // A wrong key is not the team's: it takes no place.
      const stranger = await new Resend('re_not_the_right_key', { baseUrl: three.url }).emails.send(email())
      expect(rate(stranger.headers)).toMatchObject({ limit: '3', remaining: '1' })
    } finally {
      await three.close()
    }
  })

  it('changes the limit at run time: raised, lowered, lifted', async () => {
    await client.emails.send(email())
    await client.emails.send(email())
    expect((await client.emails.send(email())).error?.statusCode).toBe(429)

    // Raised in the middle of a window: what was used so far still counts.
    limited.setRateLimit(4)
    const raised = await client.emails.send(email())
    expect(raised.error).toBeNull()
    expect(rate(raised.headers)).toMatchObject({ limit: '4', remaining: '0' })
    expect((await client.emails.send(email())).error?.statusCode).toBe(429)

    clock += 1000
    limited.setRateLimit(1)
    expect((await client.emails.send(email())).error).toBeNull()
    expect((await client.emails.send(email())).error?.statusCode).toBe(429)

    limited.setRateLimit(null)
    const lifted = await Promise.all(Array.from({ length: 10 }, () => client.emails.send(email())))
    expect(lifted.every(({ error }) => error === null)).toBe(true)
    limited.setRateLimit(0)
    expect((await client.emails.send(email())).error).toBeNull()
    expect(() => limited.setRateLimit(-1)).toThrow(RangeError)
    expect(() => limited.setRateLimit(1.5)).toThrow(RangeError)
    await expect(startResendStandIn({ requestsPerSecond: Number.NaN })).rejects.toThrow(RangeError)

    // reset() forgets the window and goes back to the limit the stand-in was started with.
    limited.reset()
    await client.emails.send(email())
    await client.emails.send(email())
    expect((await client.emails.send(email())).error?.statusCode).toBe(429)
  })

  it('limits on the real clock too: concurrent requests beyond the limit get 429, and after retry-after one succeeds', async () => {
    const real = await startResendStandIn({ requestsPerSecond: 2 })
    try {
      const sdk = new Resend(real.apiKey, { baseUrl: real.url })
      // Start at the top of a second, so all five land in one window.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
      const results = await Promise.all(Array.from({ length: 5 }, (_, n) => sdk.emails.send(email(), { idempotencyKey: `real/${n}` })))
      expect(results.filter(({ error }) => error === null)).toHaveLength(2)
      const refused = results.filter(({ error }) => error?.statusCode === 429)
      expect(refused).toHaveLength(3)
      expect(real.sent()).toHaveLength(2)

      const waitS = Number(refused[0]?.headers?.['retry-after'])
      expect(waitS).toBeGreaterThanOrEqual(1)
      await new Promise((resolve) => setTimeout(resolve, waitS * 1000))
      const later = await sdk.emails.send(email(), { idempotencyKey: 'real/4' })
      expect(later.error).toBeNull()
      expect(real.sent()).toHaveLength(3)
    } finally {
      await real.close()
    }
  })
})
