/**
 * Hostile requests against every route: the "make it stay fixed" suite.
 *
 * The routes come from the production build's route table, plus the endpoints the server
 * answers outside Remix (count.json, /media, /assets, Remix's /__manifest), so a new route
 * is covered without anyone remembering. Each group below sends one kind of abuse to every
 * route, anonymously and with an editor's session, 16 requests at a time, and then asserts:
 * no 5xx and no request left unanswered; the process is alive and /healthz answers; and
 * nothing was written to the database (every table, on either engine).
 *
 * Cases come from a seeded PRNG (HOSTILE_SEED, printed with every failure), so a failure
 * is reproducible; each group draws from its own stream, so `-t "<group>"` gives the same cases.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createOrganiser, setSecondFactorPolicy } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { ROOT, startServer, type RunningServer } from '../helpers/server.ts'
import { routeTable } from '../helpers/routes.ts'
import { openServerSql, sortedRows, type ServerSql } from '../helpers/sql.ts'

const SEED = Number(process.env.HOSTILE_SEED ?? 20_260_410)
const CONCURRENCY = 16
/** A request that gets no answer in this time counts as a failure (the event loop is blocked). */
const REQUEST_TIMEOUT_MS = 15_000
const GROUP_TIMEOUT_MS = 300_000
// TRUST_PROXY=1 is how Vigil runs in production (behind a proxy), so forwarded headers are read.
// No retention or count-log job: they would write on their own.
const SERVER_ENV = { TRUST_PROXY: '1', VIGIL_RETENTION: 'off', VIGIL_COUNT_LOG: 'off' }
const EDITOR = { email: 'hostile.editor@hostile.example', name: 'Hostile Editor', password: 'a long hostile passphrase 7' }

/**
 * Tables a refused request may legitimately write to; every other table must be exactly
 * as it was (same rows, same values) after each group.
 */
const MAY_CHANGE: Record<string, string> = {
  rate_limit_hits: 'records every login and signing attempt, refused ones included, so that hammering keeps the window shut',
  sqlite_sequence: 'SQLite’s own AUTOINCREMENT counters, which move with rate_limit_hits',
}
/** Rows a refused request may add to a table that is otherwise checked, as an SQL condition for the rows that count. */
const RECORDS_OF_READS: Record<string, string> = {
  // Every CSV export is audited, and the editor may export (a GET of export.csv, donations.csv).
  audit_log: `action NOT LIKE '%.export'`,
}

// ---------------------------------------------------------------------------------------
// Seeded randomness

function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!
  return { next, int, pick, chance: (p: number) => next() < p }
}
type Rand = ReturnType<typeof prng>

// ---------------------------------------------------------------------------------------
// The routes

type Route = {
  id: string
  /** Full pattern, e.g. /admin/campaigns/:id/funds/:fundId */
  pattern: string
  params: string[]
  hasAction: boolean
  admin: boolean
  /** An index route without a path of its own: posts reach it with ?index. */
  pathlessIndex: boolean
}

function routesFromBuild(build: ServerBuild): Route[] {
  return routeTable(build).map(({ route, pattern }) => ({
    id: route.id,
    pattern,
    params: [...pattern.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*'),
    hasAction: typeof route.module.action === 'function',
    admin: pattern.startsWith('/admin'),
    pathlessIndex: Boolean(route.index) && !route.path,
  }))
}

/** Endpoints the server answers before Remix's route table, or outside it. */
function serverRoutes(asset: string): Route[] {
  const route = (id: string, pattern: string, params: string[]): Route => ({ id, pattern, params, hasAction: false, admin: false, pathlessIndex: false })
  return [
    route('server:count.json', '/c/:slug/count.json', ['slug']),
    route('server:media', '/media/:file', ['file']),
    route('server:assets', `/assets/${asset}`, []),
    route('server:assets-missing', '/assets/:file', ['file']),
    // Remix's lazy route discovery answers here, before the route table.
    route('remix:manifest', '/__manifest?p=%2Fadmin%2Forganizers&p=%E0&p=&version=0', []),
  ]
}

// ---------------------------------------------------------------------------------------
// Requests

type Who = 'anonymous' | 'editor'
type Body = { label: string; contentType?: string; extraHeaders?: Record<string, string> } & (
  | { bytes: Buffer }
  | { size: number; stream: () => Readable; chunked?: boolean }
)
/** `route` is the pattern the request was made from, for the failure report. */
type Case = { route: string; method: string; path: string; who: Who; headers: Record<string, string>; body?: Body }
/** status 0: no answer. `refused`: the connection was closed while a large body was still being sent. */
type Outcome = { status: number; error?: string; refused?: boolean; notSent?: boolean }

let server: RunningServer
/** The server the data were made for; a restart runs on the same folder (and Postgres database). */
let first: RunningServer
let db: ServerSql
let routes: Route[]
let editorCookie: string
const values: Record<string, string> = {}

function send(c: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    let status = 0
    let settled = false
    let bodySent = !c.body || 'bytes' in c.body
    const done = (error?: string) => {
      if (settled) return
      settled = true
      // A server may refuse a large body by answering and closing at once; the client, still
      // sending, then sees the connection go (EPIPE, ECONNRESET) before it reads the answer.
      const refused = status === 0 && !bodySent && (error === 'EPIPE' || error === 'ECONNRESET')
      resolve({ status, error, refused })
    }
    const headers: Record<string, string | number> = { ...c.headers }
    if (c.who === 'editor') headers.Cookie = [editorCookie, c.headers.Cookie].filter(Boolean).join('; ')
    if (c.body?.contentType) headers['Content-Type'] = c.body.contentType
    Object.assign(headers, c.body?.extraHeaders)
    if (c.body && 'bytes' in c.body) headers['Content-Length'] = c.body.bytes.length
    if (c.body && 'size' in c.body && !c.body.chunked) headers['Content-Length'] = c.body.size
    let req: http.ClientRequest
    try {
      req = http.request({ host: '127.0.0.1', port: server.port, method: c.method, path: c.path, headers, agent: false }, (res) => {
        status = res.statusCode ?? 0
        res.resume()
        res.on('end', () => done())
        res.on('close', () => done())
      })
    } catch (error) {
      // Node refused to send it (an invalid header or path): a bug in this file, not in Vigil.
      throw new Error(`cannot send ${c.method} ${c.path}: ${String(error)}`, { cause: error })
    }
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)))
    req.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message))
    if (!c.body) req.end()
    else if ('bytes' in c.body) req.end(c.body.bytes)
    else {
      const body = c.body.stream()
      // The server may answer (413) and close before the whole body is sent: stop sending then.
      req.on('close', () => body.destroy())
      body.on('error', () => {})
      body.on('end', () => (bodySent = true))
      body.pipe(req)
    }
  })
}

async function sendAll(cases: Case[], concurrency = CONCURRENCY) {
  const outcomes: Outcome[] = new Array<Outcome>(cases.length)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const i = next++
        // Once the process is gone, every further request would only be refused.
        outcomes[i] = server.running() ? await send(cases[i]!) : { status: 0, notSent: true }
      }
    }),
  )
  return outcomes
}

function describeCase(c: Case) {
  const shown = (value: string) => (value.length > 70 ? `${value.slice(0, 60)}…(${value.length} chars)` : value)
  const headers = Object.entries(c.headers).map(([name, value]) => `${name}: ${shown(value)}`)
  if (c.who === 'editor') headers.unshift('[editor session]')
  if (c.body) {
    const size = 'bytes' in c.body ? c.body.bytes.length : c.body.size
    headers.push(`body: ${c.body.label}, ${c.body.contentType ?? 'no content-type'}, ${size} bytes${'chunked' in c.body && c.body.chunked ? ' chunked' : ''}`)
  }
  return `${shown(c.method)} ${shown(c.path)}  {${headers.join(' | ')}}`
}

function healthz() {
  return send({ route: '/healthz', method: 'GET', path: '/healthz', who: 'anonymous', headers: {} })
}

// ---------------------------------------------------------------------------------------
// What "nothing was written" means

type Fingerprint = Record<string, { summary: string; rows: string[] }>

/**
 * Per table: its row count and a digest of every row (so updates count as writes too), and the
 * rows themselves, sorted, so a change can be shown whatever order the engine keeps them in.
 */
async function fingerprint(): Promise<Fingerprint> {
  const result: Fingerprint = {}
  for (const table of await db.tables()) {
    if (table in MAY_CHANGE) continue
    const rows = sortedRows(await db.all(`SELECT * FROM "${table}" WHERE ${RECORDS_OF_READS[table] ?? 'true'}`)).map((row) => JSON.stringify(row))
    const digest = crypto.createHash('sha1').update(rows.join('\n')).digest('hex').slice(0, 12)
    result[table] = { summary: `${rows.length} rows, ${digest}`, rows }
  }
  return result
}

/** What a group wrote to a table: the change, and the first rows it added or changed. */
function describeWrites(table: string, before: Fingerprint[string] | undefined, after: Fingerprint[string] | undefined) {
  const known = new Set(before?.rows ?? [])
  const added = (after?.rows ?? []).filter((row) => !known.has(row)).slice(0, 3)
  const rows = added.map((row) => `\n      added: ${row.slice(0, 300)}`).join('')
  return `table ${table} changed: ${before?.summary ?? 'absent'} → ${after?.summary ?? 'absent'}${rows}`
}

// ---------------------------------------------------------------------------------------
// Paths, values and bodies

/** A concrete path for a route, with every parameter filled (by `fill`, or with a working value). */
function pathOf(route: Route, fill: (param: string) => string = (param) => valueFor(route, param)) {
  let i = 0
  const filled = route.pattern.replace(/:(\w+)|\*/g, () => fill(route.params[i++]!))
  return filled
}

function valueFor(route: Route, param: string) {
  if (param === 'id' && route.pattern.startsWith('/admin/outbox')) return values.messageId!
  return values[param] ?? 'no-such-thing'
}

/** Where a POST to this route goes (an index route shares its layout's URL). */
function postPath(route: Route, p = pathOf(route)) {
  return route.pathlessIndex ? `${p}?index` : p
}

const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString())
const GARBAGE_FORM: Body = { label: 'urlencoded, unknown fields', contentType: 'application/x-www-form-urlencoded', bytes: form({ note: 'hostile', x: '1' }) }

/**
 * A body that would change something if the request were let through, so "nothing was
 * written" shows that a request was refused rather than malformed. Other routes get fields
 * they do not know.
 */
function effectiveBody(route: Route): Body {
  const fields: Record<string, Record<string, string>> = {
    'routes/admin.campaigns.new': { title: 'Hostile campaign', slug: 'hostile-campaign', status: 'live', defaultLocale: 'en', currency: 'EUR', retentionDays: '180' },
    'routes/admin.campaigns.$id.text.$locale': { title: 'Hostile title', summary: 'Hostile summary' },
    'routes/admin.campaigns.$id.timeline._index': { happenedOn: '2025-01-02', locale: 'en', title: 'Hostile entry', bodyMd: '' },
    'routes/admin.campaigns.$id.timeline.$entryId': { intent: 'delete' },
    'routes/admin.campaigns.$id.funds._index': { slug: 'hostile-fund', goal: '100', currency: 'EUR', status: 'open', position: '0', 'texts.en.title': 'Hostile fund' },
    'routes/admin.campaigns.$id.updates.$updateId.send': { intent: 'test', locale: 'en' },
    'routes/admin.organizers': { intent: 'create', email: 'intruder@hostile.example', name: 'Intruder', role: 'owner' },
  }
  const chosen = fields[route.id]
  return chosen ? { label: 'urlencoded, a working form', contentType: 'application/x-www-form-urlencoded', bytes: form(chosen) } : GARBAGE_FORM
}

function multipart(parts: { name: string; filename?: string; type?: string; data: string | Buffer }[], boundary = 'hostileBoundary7') {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`))
    chunks.push(Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { bytes: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

function bodiesOfEveryType(rand: Rand): Body[] {
  const valid = multipart([
    { name: 'note', data: 'hostile' },
    { name: 'image', filename: 'x.png', type: 'image/png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  ])
  const binary = Buffer.from(Array.from({ length: 1024 }, () => rand.int(256)))
  return [
    GARBAGE_FORM,
    { label: 'urlencoded, broken escapes', contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from('%E0=%&a=%ZZ&%00=%C0%AE&b=\u00ff&=&&=x') },
    { label: 'urlencoded, utf-16 charset', contentType: 'application/x-www-form-urlencoded; charset=utf-16', bytes: Buffer.from('note=hostile', 'utf16le') },
    { label: 'multipart, valid', ...valid },
    { label: 'multipart, no closing boundary', contentType: valid.contentType, bytes: valid.bytes.subarray(0, valid.bytes.length - 24) },
    { label: 'multipart, wrong boundary', contentType: 'multipart/form-data; boundary=somethingElse', bytes: valid.bytes },
    { label: 'multipart, no boundary parameter', contentType: 'multipart/form-data', bytes: valid.bytes },
    { label: 'multipart, garbage', contentType: valid.contentType, bytes: binary },
    { label: 'json', contentType: 'application/json', bytes: Buffer.from('{"intent":"nothing","note":["hostile"],"__proto__":{"x":1}}') },
    { label: 'json, broken', contentType: 'application/json', bytes: Buffer.from('{"intent":') },
    { label: 'text/plain', contentType: 'text/plain', bytes: Buffer.from('note=hostile') },
    { label: 'octet-stream', contentType: 'application/octet-stream', bytes: binary },
    { label: 'empty', contentType: 'application/x-www-form-urlencoded', bytes: Buffer.alloc(0) },
    { label: 'no content-type', bytes: Buffer.from('note=hostile') },
    { label: 'lying: urlencoded header, binary body', contentType: 'application/x-www-form-urlencoded', bytes: binary },
    { label: 'lying: multipart header, json body', contentType: valid.contentType, bytes: Buffer.from('{"note":"hostile"}') },
    { label: 'lying: json header, form body', contentType: 'application/json', bytes: form({ note: 'hostile' }) },
    { label: 'lying: gzip encoding, plain body', contentType: 'application/x-www-form-urlencoded', extraHeaders: { 'Content-Encoding': 'gzip' }, bytes: form({ note: 'hostile' }) },
  ]
}

/** A body of `size` bytes made of `head`, then `fill` repeated, then `tail`, produced as it is sent. */
function streamed(size: number, head: string, tail: string, fill = 'a'): () => Readable {
  return () => {
    const chunk = Buffer.alloc(64 * 1024, fill)
    let remaining = size - head.length - tail.length
    let started = false
    return new Readable({
      read() {
        if (!started) {
          started = true
          this.push(Buffer.from(head))
        } else if (remaining > 0) {
          const n = Math.min(remaining, chunk.length)
          remaining -= n
          this.push(n === chunk.length ? chunk : chunk.subarray(0, n))
        } else {
          this.push(Buffer.from(tail))
          this.push(null)
        }
      },
    })
  }
}

const MB = 1024 * 1024
function oversizedForm(chunked: boolean): Body {
  return { label: `urlencoded, one 2 MB field${chunked ? ', no length' : ''}`, contentType: 'application/x-www-form-urlencoded', size: 2 * MB, chunked, stream: streamed(2 * MB, 'message=', '&x=1') }
}
function oversizedUpload(): Body {
  const boundary = 'hostileUpload9'
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff`
  const tail = `\r\n--${boundary}--\r\n`
  return { label: 'multipart, a 20 MB file', contentType: `multipart/form-data; boundary=${boundary}`, size: 20 * MB, stream: streamed(20 * MB, head, tail, '\0') }
}

const MANY = 60_000
const manyFieldsForm: Body = { label: `urlencoded, ${MANY} fields named a`, contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from('a=&'.repeat(MANY)) }
const manyFieldsMultipart: Body = { label: `multipart, ${MANY} fields named a`, ...multipart(Array.from({ length: MANY }, () => ({ name: 'a', data: '' }))) }

/** Alphabets for bad parameter values: each turns a length into a path segment. */
const ALPHABETS: { name: string; make: (rand: Rand, length: number) => string }[] = [
  { name: 'base64url', make: (r, n) => charsOf(r, n, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') },
  { name: 'hex', make: (r, n) => charsOf(r, n, '0123456789abcdef') },
  { name: 'digits and signs', make: (r, n) => charsOf(r, n, '0123456789-+.eE') },
  { name: 'signed id.id.mac shape', make: (r, n) => `${1 + r.int(999)}.${1 + r.int(99)}.${charsOf(r, n, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`.slice(0, Math.max(n, 0)) },
  { name: 'non-ASCII', make: (r, n) => encodeURIComponent(charsOf(r, n, 'éßøñüçЖжΩ文字ع')) },
  { name: 'non-ASCII after a signed id', make: (r, n) => `1.${encodeURIComponent(charsOf(r, Math.max(n - 2, 0), 'éñ文'))}` },
  { name: 'emoji', make: (r, n) => encodeURIComponent(Array.from({ length: n }, () => r.pick(['🕯️', '🔥', '👀', '🏳️‍🌈', '\u200d'])).join('')) },
  { name: 'dot segments', make: (r, n) => Array.from({ length: n }, () => r.pick(['.', '..', '/', '../', './'])).join('') },
  { name: 'SQL-ish', make: (r, n) => encodeURIComponent(Array.from({ length: n }, () => r.pick(["'", '"', ' OR 1=1', '--', ';', 'DROP TABLE campaigns', '\\', '%', '_', '*'])).join('')) },
  { name: 'percent-encoded and broken escapes', make: (r, n) => Array.from({ length: n }, () => r.pick(['%00', '%E0', '%2F', '%25', '%2e', '%2E%2E', '%C0%AE', '%FF', '%', '%%', '%u0041', '%0A', '%0D'])).join('') },
  { name: 'raw latin-1 bytes', make: (r, n) => Array.from({ length: n }, () => String.fromCharCode(0xa0 + r.int(0x60))).join('') },
  { name: 'markup and quotes', make: (r, n) => encodeURIComponent(Array.from({ length: n }, () => r.pick(['<script>', '"', "'", '`', '${x}', '{{x}}', '<', '>', '&'])).join('')) },
]

function charsOf(rand: Rand, length: number, alphabet: string) {
  const chars = [...alphabet]
  return Array.from({ length: Math.max(length, 0) }, () => rand.pick(chars)).join('')
}

// ---------------------------------------------------------------------------------------
// The groups

/** `refuse`: every request must be refused with a 4xx (not merely not fail): the limits are the point. */
type Group = { name: string; cases: (rand: Rand) => Case[]; concurrency?: number; refuse?: boolean }

const same = () => ({ Origin: server.url })
const both: Who[] = ['anonymous', 'editor']

/** Every route once: a GET, or (a third of the time, where there is an action) a same-origin POST with a harmless body. */
function everyRoute(rand: Rand, headers: () => Record<string, string>, who: Who): Case[] {
  return routes.map((route): Case =>
    route.hasAction && rand.chance(1 / 3)
      ? { route: route.pattern, method: 'POST', path: postPath(route), who, headers: { ...same(), ...headers() }, body: GARBAGE_FORM }
      : { route: route.pattern, method: 'GET', path: pathOf(route), who, headers: headers() },
  )
}

function forgedSessionCookie(rand: Rand) {
  // Remix's signed cookie: base64 of the JSON value, a dot, then a MAC (here made up).
  const value = Buffer.from(JSON.stringify(charsOf(rand, 43, 'abcdefghijklmnopqrstuvwxyz0123456789'))).toString('base64')
  const mac = crypto.randomBytes(32).toString('base64').replace(/=+$/, '')
  return `vigil_session=${encodeURIComponent(`${value}.${mac}`)}`
}

const GROUPS: Group[] = [
  {
    name: 'malformed cookies',
    cases: (rand) => {
      const tampered = () => editorCookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
      const anonymous = [
        'vigil_session=%E0',
        'vigil_lang=%',
        'vigil_lang=%E0%A4%A',
        'vigil_session=%E0; vigil_lang=%',
        'vigil_session=; vigil_session=%FF',
        `vigil_session=${'A'.repeat(8000)}`,
        `vigil_lang=${'x'.repeat(70_000)}`,
        Array.from({ length: 800 }, (_, i) => `c${i}=${i}`).join('; '),
        '=; ==; ;;; vigil_session',
        'vigil_session="unterminated',
        forgedSessionCookie(rand),
        forgedSessionCookie(rand).replace('vigil_session=', 'vigil_session=%20'),
      ]
      // With the editor's real cookie beside them (send() puts it first).
      const withEditor = ['vigil_session=%E0', 'vigil_lang=%', `vigil_lang=${'de'.repeat(3000)}`, forgedSessionCookie(rand)]
      return [
        ...anonymous.flatMap((cookie) => everyRoute(rand, () => ({ Cookie: cookie }), 'anonymous')),
        ...withEditor.flatMap((cookie) => everyRoute(rand, () => ({ Cookie: cookie }), 'editor')),
        ...everyRoute(rand, () => ({ Cookie: tampered() }), 'anonymous'),
      ]
    },
  },
  {
    name: 'bodies of every content type',
    cases: (rand) => {
      const bodies = bodiesOfEveryType(rand)
      // Routes without an action refuse every POST alike: once, anonymously, is enough there.
      return routes.flatMap((route) =>
        (route.hasAction ? both : (['anonymous'] as Who[])).flatMap((who) => bodies.map((body): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who, headers: same(), body }))),
      )
    },
  },
  {
    name: 'oversized bodies',
    refuse: true,
    // Few at a time: without a limit, each of these is buffered whole by the server.
    concurrency: 4,
    cases: () => [
      ...routes.flatMap((route) => both.map((who): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who, headers: same(), body: oversizedForm(false) }))),
      ...routes.map((route): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who: 'anonymous', headers: same(), body: oversizedForm(true) })),
      ...routes
        .filter((route) => route.hasAction)
        .map((route): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who: 'editor', headers: same(), body: oversizedUpload() })),
    ],
  },
  {
    name: 'many fields',
    refuse: true,
    cases: () => [
      ...routes.flatMap((route) => both.map((who): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who, headers: same(), body: manyFieldsForm }))),
      ...routes
        .filter((route) => route.hasAction)
        .map((route): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who: 'editor', headers: same(), body: manyFieldsMultipart })),
    ],
  },
  {
    name: 'dot-segment and encoded paths',
    cases: (rand) => {
      const variants = (p: string) => [
        `/.${p}`,
        `/%2e${p}`,
        `/%2E${p}`,
        `/x/..${p}`,
        `/x/%2e%2e${p}`,
        `/x/%2E%2e${p}`,
        `/${p}`,
        `/\\${p.slice(1)}`,
        p.replace('/admin', '/ADMIN').replace('/c/', '/C/'),
        p.replace('/admin', '/%61dmin').replace('/c/', '/%63/'),
        p.replace(/\/([^/]*)$/, '%2F$1'),
        `${p}%00`,
        `${p}/.`,
        `${p}/%2e%2e`,
        `/%C0%AE${p}`,
        `${p}/%C0%AE%C0%AE`,
        `${p}%E0`,
        `/%E0${p}`,
      ]
      return routes.flatMap((route) =>
        variants(pathOf(route)).flatMap((variant): Case[] => [
          { route: route.pattern, method: 'GET', path: variant, who: rand.pick(both), headers: {} },
          // The editor's working form with no Origin: the CSRF check must see through the path.
          ...(route.hasAction ? [{ route: route.pattern, method: 'POST', path: route.pathlessIndex ? `${variant}?index` : variant, who: 'editor' as Who, headers: {}, body: effectiveBody(route) }] : []),
        ]),
      )
    },
  },
  {
    name: 'odd methods',
    cases: () => {
      const methods = ['TRACE', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'M'.repeat(200)]
      return routes.flatMap((route) =>
        both.flatMap((who) =>
          methods.map((method): Case => {
            const withBody = ['PUT', 'DELETE', 'PATCH', 'PROPFIND'].includes(method)
            return { route: route.pattern, method, path: postPath(route), who, headers: same(), body: withBody ? GARBAGE_FORM : undefined }
          }),
        ),
      )
    },
  },
  {
    name: 'bad tokens, ids and slugs',
    cases: (rand) => {
      const cases: Case[] = []
      for (const route of routes.filter((r) => r.params.length > 0)) {
        for (const param of route.params) {
          // Tokens: every length from 0 to 300, and every alphabet at a real token's lengths (43, 45, 47).
          const draws: [number, (typeof ALPHABETS)[number]][] =
            param === 'token'
              ? [
                  ...Array.from({ length: 301 }, (_, length): [number, (typeof ALPHABETS)[number]] => [length, rand.pick(ALPHABETS)]),
                  ...ALPHABETS.flatMap((alphabet) => [43, 45, 47].map((length): [number, (typeof ALPHABETS)[number]] => [length, alphabet])),
                ]
              : [
                  ...Array.from({ length: 16 }, (): [number, (typeof ALPHABETS)[number]] => [rand.int(301), rand.pick(ALPHABETS)]),
                  ...ALPHABETS.map((alphabet): [number, (typeof ALPHABETS)[number]] => [1 + rand.int(12), alphabet]),
                ]
          for (const [length, alphabet] of draws) {
            const bad = alphabet.make(rand, length)
            const p = pathOf(route, (name) => (name === param ? bad : valueFor(route, name)))
            // Mostly as whoever gets furthest into the route: editors into the back office.
            const usual: Who = route.admin ? 'editor' : 'anonymous'
            const who: Who = rand.chance(0.9) ? usual : usual === 'editor' ? 'anonymous' : 'editor'
            const variant = rand.next()
            if (variant < 0.5) cases.push({ route: route.pattern, method: 'GET', path: p, who, headers: {} })
            // Single fetch (the client's data requests) and the old ?_data= form.
            else if (variant < 0.7) cases.push({ route: route.pattern, method: 'GET', path: `${p}.data`, who, headers: {} })
            else if (variant < 0.85) cases.push({ route: route.pattern, method: 'GET', path: `${p}?_data=${encodeURIComponent(route.id)}`, who, headers: {} })
            else if (route.hasAction) cases.push({ route: route.pattern, method: 'POST', path: `${postPath(route, p)}`, who, headers: same(), body: GARBAGE_FORM })
            else cases.push({ route: route.pattern, method: 'POST', path: `${p}.data`, who, headers: same(), body: GARBAGE_FORM })
          }
        }
      }
      return cases
    },
  },
  {
    name: 'forged origins',
    cases: () => {
      const forged: Record<string, string>[] = [
        { Origin: 'null' },
        { Origin: 'https://evil.example' },
        { Origin: `${server.url}.evil.example` },
        { Origin: '::not an origin::' },
        { Origin: 'http://[::1' },
        { Origin: 'https://evil.example', 'X-Forwarded-Host': `127.0.0.1:${server.port}` },
        { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', Referer: 'https://evil.example/' },
        { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' },
        { 'Sec-Fetch-Site': 'cross-site' },
        { Origin: 'https://evil.example', 'X-Forwarded-For': '%E0, ::ffff:999.1.1.1, , unknown' },
      ]
      return routes
        .filter((route) => route.hasAction)
        .flatMap((route) => both.flatMap((who) => forged.map((headers): Case => ({ route: route.pattern, method: 'POST', path: postPath(route), who, headers, body: effectiveBody(route) }))))
    },
  },
]

// ---------------------------------------------------------------------------------------

beforeAll(async () => {
  server = first = await startServer({ env: SERVER_ENV })
  db = openServerSql(server)
  // Owners made here sign in with a password alone (issue 18's own suites test the policy).
  await setSecondFactorPolicy(server, 'none')
  const build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
  const asset = fs.readdirSync(path.join(ROOT, 'build/client/assets')).find((name) => name.endsWith('.js'))!
  routes = [...routesFromBuild(build), ...serverRoutes(asset)]

  // Working values for every parameter, so a request reaches as deep into a route as it can.
  const one = async (sql: string) => String((await db.get(sql) as { id: number | string } | undefined)?.id ?? '1')
  Object.assign(values, {
    id: await one(`SELECT id FROM campaigns WHERE slug = 'free-andry'`),
    slug: 'free-andry',
    locale: 'en',
    fundId: await one('SELECT id FROM funds ORDER BY id LIMIT 1'),
    entryId: await one('SELECT id FROM updates ORDER BY id LIMIT 1'),
    updateId: await one('SELECT id FROM updates ORDER BY id LIMIT 1'),
    token: 'Yq0tC7m3Vn2bX8rK1pLz4Hd9Gf6Sa5Wj0Ue3Ro7Ti2O',
    file: 'no-such-file.jpg',
    '*': 'no-such-page',
  })
  const missing = ['/admin/campaigns/:id', '/c/:slug', '/confirm/:token', '/admin/set-password/:token', '/webhooks/stripe', '/healthz', '/*'].filter(
    (pattern) => !routes.some((route) => route.pattern === pattern),
  )
  if (missing.length) throw new Error(`the route table lacks ${missing.join(', ')}: is the enumeration broken?`)

  // An editor, logged in as one would, and an email in the outbox for /admin/outbox/:id.
  const created = await createOrganiser(server, { ...EDITOR, role: 'editor' })
  if (created.status !== 302) throw new Error(`could not create the editor: ${created.status}`)
  editorCookie = await logIn(EDITOR)
  const client = petitionClient(server, db)
  const person = client.person()
  if ((await client.sign(person)).status !== 303) throw new Error('could not sign the petition for the outbox fixture')
  const [message] = await client.waitForEmails(person.email)
  values.messageId = String(message!.id)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
  // Its stop removes the data (the restarted one only shares them).
  if (first && first !== server) await first.stop()
})

/** Failures grouped by answer, method and route, each with its first request in full. */
function failureReport(failed: { c: Case; o: Outcome }[], total: number, what: string) {
  const kinds = new Map<string, { count: number; example: Case }>()
  for (const { c, o } of failed) {
    const key = `${o.status || `no answer (${o.error})`} ${c.method.length > 12 ? `${c.method.slice(0, 8)}…` : c.method} ${c.route}`
    const kind = kinds.get(key) ?? { count: 0, example: c }
    kind.count += 1
    kinds.set(key, kind)
  }
  const lines = [...kinds].map(([key, { count, example }]) => `  ${key}  ×${count}
      e.g. ${describeCase(example)}`)
  return `${failed.length} of ${total} requests ${what} (${kinds.size} kinds):\n${lines.join('\n')}`
}

/**
 * A same-origin POST to /admin/logout with the editor's session ends it, as it should: such
 * requests are sent anonymously instead, so the session (and the sessions table) stays.
 */
function withoutLoggingOut(c: Case): Case {
  const endsSession = c.who === 'editor' && c.headers.Origin === server.url && !['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(c.method)
  return endsSession && /^\/admin\/logout(?:[?.]|$)/i.test(c.path) ? { ...c, who: 'anonymous' } : c
}

/**
 * A crash or a blocked event loop in one group should not hide what the others find: the
 * next group starts on a fresh process (same data) when the last one is gone or not answering.
 */
async function serverForNextGroup() {
  if (server.running() && (await healthz()).status === 200) return
  if (server.running()) {
    process.kill(server.pid, 'SIGKILL')
    while (server.running()) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  server = await startServer({ seed: false, dir: first.dir, env: { ...SERVER_ENV, DATABASE_URL: first.databaseUrl ?? '' } })
}

/** The editor logs in again if a group ended the session (a forged logout that got through). */
async function editorForNextGroup() {
  const admin = await send({ route: '/admin', method: 'GET', path: '/admin', who: 'editor', headers: {} })
  if (admin.status !== 200) editorCookie = await logIn(EDITOR)
}

let logins = 0
async function logIn({ email, password }: { email: string; password: string }) {
  const response = await fetch(`${server.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    // Each from its own address: the groups' refused logins count against 127.0.0.1.
    headers: { Origin: server.url, 'X-Forwarded-For': `10.77.0.${++logins}` },
    body: new URLSearchParams({ email, password }),
  })
  const cookie = /vigil_session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0]
  if (response.status !== 302 || !cookie) throw new Error(`the editor could not log in: ${response.status}`)
  return cookie
}

describe('hostile requests to every route', () => {
  for (const [index, group] of GROUPS.entries()) {
    it(
      `answers ${group.name} without a 5xx, stays up and writes nothing`,
      async () => {
        await serverForNextGroup()
        await editorForNextGroup()
        const before = await fingerprint()
        const cases = group.cases(prng(SEED + index)).map(withoutLoggingOut)
        const outcomes = await sendAll(cases, group.concurrency)

        const problems: string[] = []
        const failed = cases.flatMap((c, i) => {
          const o = outcomes[i]!
          const bad = group.refuse ? !o.refused && (o.status < 400 || o.status >= 500) : o.status === 0 || o.status >= 500
          return bad && !o.notSent ? [{ c, o }] : []
        })
        const notSent = outcomes.filter((o) => o.notSent).length
        if (notSent > 0) problems.push(`the server process exited during this group (${notSent} requests were not sent). Its output ends:\n${server.output().slice(-2500)}`)
        if (!server.running()) {
          if (notSent === 0) problems.push(`the server process exited after this group. Its output ends:\n${server.output().slice(-2500)}`)
        } else {
          const health = await healthz()
          if (health.status !== 200) problems.push(`GET /healthz answered ${health.status || health.error} after the group`)
        }
        const after = await fingerprint()
        for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
          if (before[table]?.summary !== after[table]?.summary) problems.push(describeWrites(table, before[table], after[table]))
        }
        if (failed.length > 0) problems.push(failureReport(failed, cases.length, group.refuse ? 'were not refused with a 4xx' : 'got a 5xx or no answer'))
        if (problems.length > 0) {
          throw new Error(`${group.name} (HOSTILE_SEED=${SEED}, ${cases.length} requests):\n${problems.join('\n')}`)
        }
      },
      GROUP_TIMEOUT_MS,
    )
  }
})
