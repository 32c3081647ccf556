import { spawn } from 'node:child_process'
import type Database from 'better-sqlite3'
import type pg from 'pg'
import { driverOf, engineOf, getDb, type Handle, sqliteOf } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { queueEmail } from '~/models/outbox.server.ts'
import { openEmail, openSupporter, sealSignature, sealSupporter, sealSuppression } from '~/models/personal-data.server.ts'
import { randomToken } from '~/utils/crypto.server.ts'
import type { RecordedRequest, RejectedRequest, ResendStandIn } from '../../stand-ins/resend/index.ts'
import { entryArgs, captureForLogAudit, ROOT } from './server.ts'

/**
 * `npm run worker` (scripts/worker.ts) in live mode against the Resend stand-in, on the
 * calling test file's database, for tests that watch what the provider receives from the
 * sender; and the mail those tests queue.
 */

/** mulberry32: a small seeded generator, so a failing schedule can be replayed. */
export function seededRandom(state: number) {
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll `done`; a costly check polls less often (`everyMs`), as the stand-in shares this process. */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number, failure: () => string | Promise<string>, everyMs = 5) {
  const until = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`${await failure()} (after ${timeoutMs} ms)`)
    await sleep(everyMs)
  }
}

type Row = Record<string, unknown>
type Params = unknown[]

/**
 * A test's own SQL on either engine (the test database, a server's, or a transaction's handle):
 * SQLite's text with `?` (or `@name` and one object) placeholders. On Postgres the placeholders
 * are numbered, camelCase aliases quoted (Postgres folds them), and booleans read as SQLite's
 * 1 and 0, so a test asserts the same rows on both. Write booleans in the text as `true`/`false`.
 */
export function rawSql(handle: Handle = getDb()) {
  if (engineOf(handle) === 'sqlite') {
    const sqlite = sqliteOf(handle)
    const prepare = (text: string) => {
      let statements = prepared.get(sqlite)
      if (!statements) prepared.set(sqlite, (statements = new Map()))
      let statement = statements.get(text)
      if (!statement) statements.set(text, (statement = sqlite.prepare(text)))
      return statement
    }
    return {
      get: async <T = Row>(text: string, ...params: Params) => prepare(text).get(...params) as T | undefined,
      all: async <T = Row>(text: string, ...params: Params) => prepare(text).all(...params) as T[],
      run: async (text: string, ...params: Params) => ({ changes: prepare(text).run(...params).changes }),
      /** An INSERT into a table with an `id`: the new row's id. */
      insert: async (text: string, ...params: Params) => Number(prepare(text).run(...params).lastInsertRowid),
      /** Several statements, no parameters. */
      exec: async (text: string) => void sqlite.exec(text),
    }
  }
  const client = driverOf(handle) as pg.Pool | pg.PoolClient
  const query = async (text: string, params: Params) => {
    const { text: numbered, values } = toPostgres(text, params)
    const result = await client.query(numbered, values)
    return { rows: result.rows.map(asSqlite), rowCount: result.rowCount ?? 0 }
  }
  return {
    get: async <T = Row>(text: string, ...params: Params) => (await query(text, params)).rows[0] as T | undefined,
    all: async <T = Row>(text: string, ...params: Params) => (await query(text, params)).rows as T[],
    run: async (text: string, ...params: Params) => ({ changes: (await query(text, params)).rowCount }),
    insert: async (text: string, ...params: Params) => Number((await query(`${text} returning id`, params)).rows[0]!.id),
    exec: async (text: string) => void (await client.query(text)),
  }
}

const prepared = new WeakMap<Database.Database, Map<string, Database.Statement>>()

function toPostgres(text: string, params: Params) {
  const named = params.length === 1 && typeof params[0] === 'object' && params[0] !== null && !Array.isArray(params[0]) ? (params[0] as Row) : null
  const names: string[] = []
  let position = 0
  const numbered = text
    .replace(/\?|@(\w+)/g, (_, name: string | undefined) => {
      if (name === undefined) return `$${++position}`
      if (!names.includes(name)) names.push(name)
      return `$${names.indexOf(name) + 1}`
    })
    .replace(/\bas ([a-z]+[A-Z]\w*)/g, 'as "$1"')
  return { text: numbered, values: named ? names.map((n) => named[n]) : params }
}

const asSqlite = (row: Row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : v]))

export type Worker = { ready: Promise<void>; output: () => string; kill: (signal: NodeJS.Signals) => Promise<void> }

const running = new Set<Worker>()

/** Start the worker; `env` overrides the defaults (unpaced, the sender's own concurrency). */
export function startWorker(resend: ResendStandIn, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, entryArgs('scripts/worker.ts'), {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_PATH: process.env.DATABASE_PATH!,
      STRIPE_SECRET_KEY: 'sk_test_mail_worker',
      STRIPE_WEBHOOK_SECRET: 'whsec_mail_worker',
      RESEND_API_KEY: resend.apiKey,
      RESEND_WEBHOOK_SECRET: 'whsec_bWFpbC13b3JrZXItdGVzdC1zZWNyZXQh',
      RESEND_BASE_URL: resend.url,
      MAIL_FROM: 'Vigil <team@example.org>',
      PUBLIC_URL: 'http://vigil.test',
      RESEND_REQUESTS_PER_SECOND: '0',
      // Live mode on the demo's data, on purpose.
      VIGIL_ALLOW_DEMO_DATA: '1',
      VIGIL_RETENTION: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  captureForLogAudit(child, 'worker')
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (output.includes('vigil worker: sending (live mode)')) resolve()
    })
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${output}`)))
  })
  // Killed before it was ready (afterAll): nobody waits on `ready` any more.
  ready.catch(() => undefined)
  const worker: Worker = {
    ready,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
      running.delete(worker)
    },
  }
  running.add(worker)
  return worker
}

/** For afterAll: SIGKILL whatever a failed test left running. */
export async function killWorkers() {
  await Promise.all([...running].map((worker) => worker.kill('SIGKILL')))
}

/** The recipients of a request (or a rejection) as sent on the wire: one for `POST /emails`, up to 100 for a batch. */
export function recipientsOf(request: Pick<RecordedRequest, 'body'>): string[] {
  const emails = Array.isArray(request.body) ? request.body : [request.body]
  return emails.map((email) => String((email as { to?: unknown } | null)?.to))
}

export type MailCampaign = { id: number; slug: string; title: string; petitionText: string; organizationName: string }

/** What a confirmation or an "already signed" email says about its campaign, as signing reads it. */
export async function mailCampaign(slug: string): Promise<MailCampaign> {
  return (await rawSql().get<MailCampaign>(
    `select c.id, c.slug, t.title, t.petition_text as petitionText, o.name as organizationName
     from campaigns c join campaign_translations t on t.campaign_id = c.id and t.locale = c.default_locale
     join organizations o on o.id = c.organization_id where c.slug = ?`,
    slug,
  ))!
}

/**
 * Confirmed signers of the campaign who asked for its news (an update's audience): a supporter,
 * a confirmed signature and a granted consent per address, several hundred rows a statement
 * (one at a time, Postgres would spend seconds on round trips), in one transaction.
 */
export async function addUpdateReaders(db: Handle, { campaignId, addresses, localeOf }: { campaignId: number; addresses: string[]; localeOf: (i: number) => Locale }) {
  await transaction(db, async (tx) => {
    const q = rawSql(tx)
    for (let from = 0; from < addresses.length; from += 500) {
      const chunk = addresses.slice(from, from + 500)
      const inChunk = `(${chunk.map(() => '?').join(', ')})`
      const sealed = chunk.map((email) => sealSupporter({ email, firstName: 'Ana', lastName: 'Pérez' }))
      const hashes = sealed.map((s) => s.emailHash)
      await q.run(
        `insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values ${chunk.map(() => `(?, ?, ?, ?, 'VE', ?)`).join(', ')}`,
        ...sealed.flatMap((s, k) => [s.emailHash, s.emailDomainHash, s.sealed, s.dataKeyId, localeOf(from + k)]),
      )
      const signature = sealSignature({ firstName: 'Ana', lastName: 'Pérez', postalCode: null, message: null })
      await q.run(
        `insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, confirmed_at)
         select cast(? as bigint), id, 'confirmed', ?, ?, country, locale, cast(? as bigint) from supporters where email_hash in ${inChunk} order by id`,
        campaignId,
        signature.sealed,
        signature.dataKeyId,
        Date.now(),
        ...hashes,
      )
      await q.run(
        `insert into consents (supporter_id, purpose, campaign_id, granted, source)
         select id, 'campaign_updates', cast(? as bigint), true, 'petition_form' from supporters where email_hash in ${inChunk} order by id`,
        campaignId,
        ...hashes,
      )
    }
  })
}

type TestSql = ReturnType<typeof rawSql>

/** A supporter row as the app writes one (ADR 017): sealed, found by its address's keyed hash. Returns its id. */
export async function insertSupporter(
  q: TestSql,
  { email, firstName = 'P', lastName = 'Q', country = 'DE', locale = 'en' }: { email: string; firstName?: string; lastName?: string; country?: string; locale?: string },
) {
  const s = sealSupporter({ email, firstName, lastName })
  return await q.insert(
    `insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, ?, ?)`,
    s.emailHash,
    s.emailDomainHash,
    s.sealed,
    s.dataKeyId,
    country,
    locale,
  )
}

/** A signature row of that supporter, its names sealed. Returns its id. */
export async function insertSignature(
  q: TestSql,
  { campaignId, supporterId, status = 'confirmed', firstName = 'P', lastName = 'Q', country = 'DE', locale = 'en' }: { campaignId: number; supporterId: number; status?: string; firstName?: string; lastName?: string; country?: string; locale?: string },
) {
  const s = sealSignature({ firstName, lastName, postalCode: null, message: null })
  return await q.insert(
    `insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale) values (?, ?, ?, ?, ?, ?, ?)`,
    campaignId,
    supporterId,
    status,
    s.sealed,
    s.dataKeyId,
    country,
    locale,
  )
}

/** Suppress an address as a bounce or complaint does (suppressed_addresses, by its keyed hash). */
export async function suppressAddress(q: TestSql, address: string, reason: 'bounce' | 'complaint' = 'bounce') {
  const s = sealSuppression(address)
  await q.run(`insert into suppressed_addresses (email_hash, sealed, data_key_id, reason) values (?, ?, ?, ?) on conflict do nothing`, s.emailHash, s.sealed, s.dataKeyId, reason)
}

/** Whether (and why) an address is suppressed. */
export async function suppressionOf(q: TestSql, address: string) {
  return (await q.get<{ reason: string }>(`select reason from suppressed_addresses where email_hash = ?`, sealSuppression(address).emailHash))?.reason ?? null
}

export type OpenedOutboxRow = {
  id: number
  template: string
  locale: string
  status: string
  to: string
  props: Record<string, unknown>
  idempotencyKey: string
  campaignId: number | null
  supporterId: number | null
  batchId: number | null
  providerId: string | null
  lastError: string | null
}

/**
 * Outbox rows opened as the sender opens them (ADR 017): `to` from the message's envelope, or
 * for an update's message from its supporter's ('' once the supporter is gone). `where` is SQL
 * over `m` (email_messages), with `?` parameters.
 */
export async function outboxRows(q: Pick<TestSql, 'all'>, where = '1 = 1', ...params: unknown[]): Promise<OpenedOutboxRow[]> {
  const rows = await q.all<{
    id: number
    template: string
    locale: string
    status: string
    sealed: string | null
    supporterSealed: string | null
    props: string | Record<string, unknown>
    idempotencyKey: string
    campaignId: number | null
    supporterId: number | null
    batchId: number | null
    providerId: string | null
    lastError: string | null
  }>(
    `select m.id, m.template, m.locale, m.status, m.sealed, s.sealed as "supporterSealed", m.props, m.idempotency_key as "idempotencyKey", m.campaign_id as "campaignId",
            m.supporter_id as "supporterId", m.batch_id as "batchId", m.provider_id as "providerId", m.last_error as "lastError"
     from email_messages m left join supporters s on s.id = m.supporter_id where ${where} order by m.id`,
    ...params,
  )
  return rows.map(({ sealed, supporterSealed, props, ...row }) => {
    const stored = typeof props === 'string' ? (JSON.parse(props) as Record<string, unknown>) : props
    if (sealed !== null) {
      const opened = openEmail(sealed)
      return { ...row, to: opened.to, props: { ...stored, ...opened.props } }
    }
    return { ...row, to: supporterSealed === null ? '' : openSupporter(supporterSealed).email, props: stored }
  })
}

const LOCALES: Locale[] = ['en', 'de', 'es']
// Some signers leave the first name out: that renders another greeting.
const firstNameOf = (i: number) => (i % 7 === 6 ? '' : ['Ana', 'Jonas', 'Lucía', 'Mehmet'][i % 4]!)

/** Queue one confirmation per address, as signing does (queueConfirmation), in one transaction. */
export async function queueConfirmations(db: Handle, { campaign, addresses, keyPrefix }: { campaign: MailCampaign; addresses: string[]; keyPrefix: string }) {
  await transaction(db, async (tx) => {
    for (const [i, to] of addresses.entries()) {
      await queueEmail(tx, {
        template: 'confirm-signature',
        to,
        locale: LOCALES[i % 3]!,
        campaignId: campaign.id,
        idempotencyKey: `${keyPrefix}:${i}:confirm:1`,
        props: { tokenSeed: randomToken(16), firstName: firstNameOf(i), campaignTitle: campaign.title, petitionText: campaign.petitionText, organizationName: campaign.organizationName },
      })
    }
  })
}

/** Queue one "you have already signed" email per address, as signing does, in one transaction. */
export async function queueAlreadySigned(db: Handle, { campaign, addresses, keyPrefix }: { campaign: MailCampaign; addresses: string[]; keyPrefix: string }) {
  await transaction(db, async (tx) => {
    for (const [i, to] of addresses.entries()) {
      await queueEmail(tx, {
        template: 'already-signed',
        to,
        locale: LOCALES[i % 3]!,
        campaignId: campaign.id,
        idempotencyKey: `${keyPrefix}:${i}:already:2026-11-22`,
        props: { firstName: firstNameOf(i), campaignTitle: campaign.title, organizationName: campaign.organizationName, campaignSlug: campaign.slug },
      })
    }
  })
}

/** Each address the stand-in refused, with its reason: per index in a batch, or a single email whole. */
export function refusedAddresses(rejected: RejectedRequest[]) {
  return rejected.flatMap((r) => r.errors.map((e) => ({ to: recipientsOf(r)[e.index ?? 0], message: e.message })))
}
