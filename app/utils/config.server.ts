import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

/**
 * The configuration: every environment variable Vigil reads (web server, worker, scripts), parsed
 * and checked here once, at start (`getEnv()`); nothing else reads `process.env`. Vigil runs in
 * one of two modes: demo (no provider keys: mail is captured, payments go to the local stand-in)
 * and live (any provider key set: then every live variable is required, and start-up fails naming
 * the missing ones rather than half-working). A value that would quietly misbehave is refused
 * with a message naming the variable (ConfigError); the README's table lists them all.
 */
const LIVE_VARIABLES = [
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'RESEND_API_KEY',
  'RESEND_WEBHOOK_SECRET',
  'MAIL_FROM',
  'SESSION_SECRET',
  'PUBLIC_URL',
  // Seals supporters' data (ADR 017); never generated beside the database in live mode.
  'VIGIL_DATA_KEY',
] as const
const LIVE_TRIGGERS = ['STRIPE_SECRET_KEY', 'RESEND_API_KEY'] as const

export type Env = {
  mode: 'demo' | 'live'
  production: boolean
  port: number
  host: string
  publicUrl: string
  databasePath: string
  /** Postgres (DATABASE_URL) or null for SQLite at `databasePath`. */
  databaseUrl: string | null
  /** Connections one process keeps to Postgres (DATABASE_POOL_SIZE). */
  databasePoolSize: number
  /** The bearer token /metrics asks for (METRICS_TOKEN); null: no /metrics. */
  metricsToken: string | null
  /** Where `npm run worker` serves /metrics (METRICS_PORT, with METRICS_TOKEN); null: it does not. 0: a free port. */
  metricsPort: number | null
  /** How long requests in flight and the sender's requests may take after SIGTERM (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number
  /** LOG_FORMAT: one line of text per request, or one JSON object. */
  logFormat: 'text' | 'json'
  uploadsPath: string
  sessionSecret: string
  pageCacheTtlMs: number
  /** How many reverse proxies stand in front (TRUST_PROXY): the client address is taken that many hops from the right. */
  trustProxy: number
  /** How long a client may take to send a form's body (VIGIL_FORM_BODY_DEADLINE_MS). */
  formBodyDeadlineMs: number
  /** Vigil compresses its responses itself unless VIGIL_COMPRESS=off (a proxy does it). */
  compress: boolean
  /** VIGIL_QUIET_LOG=1: no request log lines. */
  quietLog: boolean
  /** The background jobs a process runs unless told `off` (VIGIL_SENDER: the web server only). */
  jobs: { sender: boolean; retention: boolean; reminders: boolean; countLog: boolean }
  /** Signatures accepted from one address (SIGN_LIMIT_PER_10_MIN, SIGN_LIMIT_PER_DAY). */
  signLimits: { per10Min: number; perDay: number }
  /** How long a forgotten donor's accounting records (amount, dates, receipt number, Stripe ids) are kept, in years (VIGIL_DONATION_RECORDS_YEARS). */
  donationRecordsYears: number
  /**
   * The keys that seal supporters' personal data (VIGIL_DATA_KEY; docs/decisions/017-encryption-at-rest.md),
   * newest first: new data is sealed under the first, the others still open what they sealed. Demo mode
   * generates one into the data folder; live mode requires the variable.
   */
  dataKeys: DataKey[]
  /** VIGIL_ALLOW_DEMO_DATA=1: live mode may start on a database holding the demo campaign (benchmarks, crash tests). */
  allowDemoData: boolean
  /** VIGIL_BENCH_ROUTES=1: the framework-floor routes the benchmarks compare against exist. */
  benchRoutes: boolean
  stripe: {
    secretKey: string
    webhookSecret: string
    /** Where the Stripe API is: null for Stripe itself; in demo mode the local stand-in (set by the server). */
    apiBase: URL | null
    /** Demo mode: the stand-in's port (STRIPE_DEMO_PORT); null for a free one. */
    demoPort: number | null
    /** Demo mode: how long the stand-in waits before a SEPA debit settles or fails (STRIPE_DEMO_ASYNC_DELAY_MS). */
    demoAsyncDelayMs: number
  }
  resend: {
    /** Live mode's key; null in demo mode (mail is captured). */
    apiKey: string | null
    /** The sender address, `Name <address>` (MAIL_FROM); null in demo mode. */
    mailFrom: string | null
    /** Where the Resend API is (RESEND_BASE_URL): undefined for Resend itself. */
    baseUrl: string | undefined
    /** Verifies Resend's webhook deliveries (Standard Webhooks / Svix): `whsec_` and base64. */
    webhookSecret: string
    /** The sender's pace (RESEND_REQUESTS_PER_SECOND, Resend's default limit 2); 0 unpaced. */
    requestsPerSecond: number
    /** Requests one sender keeps in flight at once (VIGIL_SENDER_CONCURRENCY). */
    senderConcurrency: number
    /** How long a sender's claim on a batch holds (VIGIL_BATCH_CLAIM_TIMEOUT_MS). */
    batchClaimTimeoutMs: number
  }
  donations: DonationSettings
}

export type DonationSettings = {
  minMinor: number
  maxMinor: number
  /** Preset amounts in minor units, per currency (upper case); `*` for any other currency. */
  presets: Record<string, number[]>
  /** The processor's fee, estimated for "cover the fees": percent of the amount plus a fixed part. */
  feePercent: number
  feeFixedMinor: number
}

// The key the local Stripe stand-in accepts in demo mode (it is not a secret: no money moves).
export const DEMO_STRIPE_KEY = 'sk_test_vigil_stand_in'

export class ConfigError extends Error {}

/** One key of VIGIL_DATA_KEY: the id sealed envelopes name, and its 32 bytes. */
export type DataKey = { id: string; key: Buffer }

const DATA_KEY_ID = /^[A-Za-z0-9_-]{1,16}$/
const DATA_KEY_SHAPE = 'VIGIL_DATA_KEY must be a base64 key of 32 bytes (`openssl rand -base64 32`), or several `id:key` separated by commas, newest first'

/**
 * VIGIL_DATA_KEY's text to its keys, newest first. A key written without an id has the id `1`, so
 * the first key an instance had keeps its name when a newer one is put in front (`2:new,1:old`).
 * The messages never quote the text: it is a secret.
 */
export function parseDataKeys(raw: string, refuse: (message: string) => never = (message) => { throw new ConfigError(message) }): DataKey[] {
  const keys: DataKey[] = []
  for (const [index, entry] of raw.split(',').map((e) => e.trim()).entries()) {
    const place = `key ${index + 1}`
    if (!entry) refuse(`${DATA_KEY_SHAPE}; ${place} is empty`)
    const colon = entry.indexOf(':')
    const id = colon === -1 ? '1' : entry.slice(0, colon)
    const encoded = colon === -1 ? entry : entry.slice(colon + 1)
    if (!DATA_KEY_ID.test(id)) refuse(`${DATA_KEY_SHAPE}; ${place} has an id that is not 1 to 16 letters, digits, - or _`)
    // Standard or URL-safe base64, padded or not; Buffer.from would skip what is not base64, so check first.
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) refuse(`${DATA_KEY_SHAPE}; ${place} is not base64`)
    const key = Buffer.from(encoded, 'base64')
    if (key.length !== 32) refuse(`${DATA_KEY_SHAPE}; ${place} is ${key.length} bytes long`)
    if (keys.some((k) => k.id === id)) refuse(`${DATA_KEY_SHAPE}; the id "${id}" is given twice (a key without an id is "1": write 2:<new key>,1:<old key>)`)
    if (keys.some((k) => k.key.equals(key))) refuse(`${DATA_KEY_SHAPE}; ${place} is the same key as an earlier one`)
    keys.push({ id, key })
  }
  return keys
}

/** Demo mode's data key: generated once into the data folder, as the session secret is. */
function demoDataKeys(dataDir: string): DataKey[] {
  const file = path.join(dataDir, 'data-key')
  const read = () => {
    try {
      return parseDataKeys(fs.readFileSync(file, 'utf8').trim())
    } catch (error) {
      // Never a new key over an old one: what the old one sealed would be lost.
      if (error instanceof ConfigError) throw new ConfigError(`${file} does not hold a valid data key: restore it from a backup, or set VIGIL_DATA_KEY`)
      throw error
    }
  }
  if (fs.existsSync(file)) return read()
  fs.mkdirSync(dataDir, { recursive: true })
  try {
    // 'wx' so two processes starting at once agree on one key.
    fs.writeFileSync(file, `1:${crypto.randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return read()
}

type EnvSource = Record<string, string | undefined>

class Refusal extends Error {}

/** One variable: its raw text (undefined when unset) to a value, or an issue with the message start-up prints. */
function variable<T>(read: (raw: string | undefined, refuse: (message: string) => never) => T) {
  return z.string().optional().transform((raw, ctx): T => {
    try {
      return read(raw, (message) => {
        throw new Refusal(message)
      })
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: error.message })
      return z.NEVER
    }
  })
}

const nonNegativeInteger = (name: string, fallback: number) =>
  variable((raw, refuse) => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 0) refuse(`${name} must be a non-negative integer, got "${raw}"`)
    return value
  })

const nonNegativeNumber = (name: string, fallback: number) =>
  variable((raw, refuse) => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isFinite(value) || value < 0) refuse(`${name} must be a non-negative number, got "${raw}"`)
    return value
  })

const url = (name: string) =>
  variable((raw, refuse) => {
    if (!raw) return null
    try {
      return new URL(raw)
    } catch {
      return refuse(`${name} is not a URL: "${raw}"`)
    }
  })

/** On unless set to `off`. */
const onUnlessOff = variable((raw) => raw !== 'off')
/** Off unless set to `1`. */
const offUnlessOne = variable((raw) => raw === '1')
/** Text, or null when unset or empty. */
const text = variable((raw) => raw || null)

// A positive whole number, or the default for anything else (these have never refused a value).
const limitOrDefault = (fallback: number) =>
  variable((raw) => {
    const value = Number(raw)
    return Number.isInteger(value) && value > 0 ? value : fallback
  })

/**
 * The variables, in the order start-up checks them (the first refusal is the one reported).
 * Cross-variable rules (live mode, the session secret, derived secrets) are in `loadEnv`.
 */
const variables = {
  NODE_ENV: variable((raw) => raw),
  PORT: nonNegativeInteger('PORT', 3000),
  HOST: variable((raw) => raw || '0.0.0.0'),
  DATABASE_PATH: variable((raw) => path.resolve(raw || './data/vigil.db')),
  // Set: Postgres (docs/decisions/016-two-engines.md); unset: the SQLite file at DATABASE_PATH.
  DATABASE_URL: variable((raw, refuse) => {
    if (!raw) return null
    let url: URL | null = null
    try {
      url = new URL(raw)
    } catch {
      // refused below, without echoing a value that may hold a password
    }
    if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
      refuse('DATABASE_URL must be a Postgres connection URL (postgres://user:password@host:5432/database), or unset for SQLite at DATABASE_PATH')
    }
    return raw
  }),
  DATABASE_POOL_SIZE: variable((raw, refuse) => {
    if (raw === undefined || raw === '') return 10
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 1 || value > 200) refuse(`DATABASE_POOL_SIZE must be how many Postgres connections one process keeps, 1 to 200, got "${raw}"`)
    return value
  }),
  UPLOADS_PATH: text,
  SESSION_SECRET: variable((raw, refuse) => {
    if (raw && raw.length < 32) refuse('SESSION_SECRET must be at least 32 characters long')
    return raw || null
  }),
  PUBLIC_URL: variable((raw, refuse) => {
    if (!raw) return null
    const publicUrl = raw.replace(/\/+$/, '')
    try {
      new URL(publicUrl)
    } catch {
      refuse(`PUBLIC_URL is not a URL: "${publicUrl}"`)
    }
    return publicUrl
  }),
  PAGE_CACHE_TTL_MS: nonNegativeInteger('PAGE_CACHE_TTL_MS', 5000),
  // A hop count as Express's `trust proxy` takes it; `true` was the old spelling of one proxy.
  TRUST_PROXY: variable((raw, refuse) => {
    if (raw === undefined || raw === '' || raw === 'false') return 0
    if (raw === 'true') return 1
    const hops = Number(raw)
    if (!Number.isInteger(hops) || hops < 0 || hops > 10) {
      refuse(`TRUST_PROXY must be the number of reverse proxies in front of Vigil (0 to 10), got "${raw}"`)
    }
    return hops
  }),
  VIGIL_FORM_BODY_DEADLINE_MS: variable((raw) => Number(raw) || 30_000),
  VIGIL_COMPRESS: onUnlessOff,
  VIGIL_QUIET_LOG: offUnlessOne,
  VIGIL_SENDER: onUnlessOff,
  VIGIL_RETENTION: onUnlessOff,
  VIGIL_REMINDERS: onUnlessOff,
  VIGIL_COUNT_LOG: onUnlessOff,
  SIGN_LIMIT_PER_10_MIN: limitOrDefault(10),
  SIGN_LIMIT_PER_DAY: limitOrDefault(100),
  VIGIL_DONATION_RECORDS_YEARS: variable((raw, refuse) => {
    if (raw === undefined || raw === '') return 10
    const years = Number(raw)
    if (!Number.isInteger(years) || years < 1 || years > 30) refuse(`VIGIL_DONATION_RECORDS_YEARS must be a whole number of years from 1 to 30, got "${raw}"`)
    return years
  }),
  VIGIL_DATA_KEY: variable((raw, refuse) => (raw ? parseDataKeys(raw, refuse) : null)),
  VIGIL_ALLOW_DEMO_DATA: offUnlessOne,
  VIGIL_BENCH_ROUTES: offUnlessOne,
  // /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; unset, it does not exist.
  METRICS_TOKEN: variable((raw, refuse) => {
    if (!raw) return null
    if (raw.length < 16) refuse('METRICS_TOKEN must be at least 16 characters long')
    return raw
  }),
  METRICS_PORT: variable((raw, refuse) => {
    if (raw === undefined || raw === '') return null
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 0 || value > 65_535) refuse(`METRICS_PORT must be the port npm run worker serves /metrics on, 0 to 65535, got "${raw}"`)
    return value
  }),
  // Below the 10 s `docker stop` and most orchestrators wait before SIGKILL; raise both together.
  SHUTDOWN_TIMEOUT_MS: variable((raw, refuse) => {
    if (raw === undefined || raw === '') return 8000
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 1 || value > 600_000) {
      refuse(`SHUTDOWN_TIMEOUT_MS must be how many milliseconds requests in flight may take after SIGTERM, 1 to 600000 (below your orchestrator's grace period), got "${raw}"`)
    }
    return value
  }),
  LOG_FORMAT: variable((raw, refuse) => {
    if (raw === undefined || raw === '' || raw === 'text') return 'text' as const
    if (raw !== 'json') refuse(`LOG_FORMAT must be text or json, got "${raw}"`)
    return 'json' as const
  }),
  STRIPE_SECRET_KEY: text,
  STRIPE_WEBHOOK_SECRET: text,
  STRIPE_API_BASE: url('STRIPE_API_BASE'),
  STRIPE_DEMO_PORT: variable((raw) => Number(raw) || null),
  STRIPE_DEMO_ASYNC_DELAY_MS: variable((raw) => Number(raw ?? 3000)),
  RESEND_API_KEY: text,
  MAIL_FROM: text,
  RESEND_BASE_URL: variable((raw) => raw || undefined),
  // Resend shows the secret as `whsec_` + base64; a mangled one would refuse every delivery, so say so at start.
  RESEND_WEBHOOK_SECRET: variable((raw, refuse) => {
    if (!raw) return null
    const key = raw.startsWith('whsec_') ? raw.slice('whsec_'.length) : raw
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) {
      refuse('RESEND_WEBHOOK_SECRET must be the signing secret Resend shows for the webhook: whsec_ followed by base64')
    }
    return raw
  }),
  // Unset: Resend's default limit. Set but empty or not a number: refused, since turning pacing
  // off by accident means a 429 for every request past the provider's limit.
  RESEND_REQUESTS_PER_SECOND: variable((raw, refuse) => {
    if (raw === undefined) return 2
    const value = raw.trim() === '' ? NaN : Number(raw)
    if (!Number.isFinite(value) || value < 0) {
      refuse(
        `RESEND_REQUESTS_PER_SECOND must be how many requests per second your Resend account allows (2 unless Resend raised it; 0 sends unpaced), got "${raw}"`,
      )
    }
    return value
  }),
  // 0 or less would stop the sender without a word; more than 16 is more than any provider limit needs.
  VIGIL_SENDER_CONCURRENCY: variable((raw, refuse) => {
    if (raw === undefined) return 4
    const value = raw.trim() === '' ? NaN : Number(raw)
    if (!Number.isInteger(value) || value < 1 || value > 16) {
      refuse(`VIGIL_SENDER_CONCURRENCY must be how many requests the sender keeps in flight at once, 1 to 16, got "${raw}"`)
    }
    return value
  }),
  VIGIL_BATCH_CLAIM_TIMEOUT_MS: variable((raw, refuse) => {
    if (raw === undefined || raw === '') return 120_000
    const value = Number(raw)
    if (!Number.isInteger(value) || value <= 0) refuse(`VIGIL_BATCH_CLAIM_TIMEOUT_MS must be a positive integer (ms), got "${raw}"`)
    return value
  }),
  DONATION_MIN_MINOR: nonNegativeInteger('DONATION_MIN_MINOR', 100),
  DONATION_MAX_MINOR: nonNegativeInteger('DONATION_MAX_MINOR', 1_000_000),
  // DONATION_PRESETS="EUR:1000,2500,5000;USD:1500,3000"
  DONATION_PRESETS: variable((raw, refuse) => {
    const presets: Record<string, number[]> = { '*': [1000, 2500, 5000, 10000] }
    for (const part of (raw ?? '').split(';')) {
      const [currency, amounts] = part.split(':')
      if (!currency?.trim() || !amounts) continue
      const values = amounts.split(',').map((a) => Number(a.trim()))
      if (values.some((v) => !Number.isInteger(v) || v <= 0)) refuse(`DONATION_PRESETS: "${part}" must be CUR:amount,amount in minor units`)
      presets[currency.trim().toUpperCase()] = values
    }
    return presets
  }),
  DONATION_FEE_PERCENT: nonNegativeNumber('DONATION_FEE_PERCENT', 1.5),
  DONATION_FEE_FIXED_MINOR: nonNegativeInteger('DONATION_FEE_FIXED_MINOR', 25),
}
const schema = z.object(variables)
type Variables = z.output<typeof schema>

function parse<T extends z.ZodTypeAny>(type: T, source: unknown): z.output<T> {
  const result = type.safeParse(source)
  if (!result.success) throw new ConfigError(result.error.issues[0]!.message)
  return result.data
}

/**
 * One variable on its own, with the same rule `loadEnv` applies: for the few values needed
 * before start-up has read the rest (at module load, or to find the database), without the
 * demo session secret `loadEnv` creates beside the database.
 */
export function readVariable<K extends keyof typeof variables>(name: K, source: EnvSource = process.env): Variables[K] {
  return parse(variables[name], source[name])
}

function demoSessionSecret(dataDir: string) {
  const file = path.join(dataDir, 'session-secret')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    fs.mkdirSync(dataDir, { recursive: true })
    const secret = crypto.randomBytes(32).toString('base64url')
    // 'wx' so two processes starting at once agree on one secret.
    try {
      fs.writeFileSync(file, secret, { flag: 'wx', mode: 0o600 })
      return secret
    } catch {
      return fs.readFileSync(file, 'utf8').trim()
    }
  }
}

export function loadEnv(source: EnvSource = process.env): Env {
  const live = LIVE_TRIGGERS.some((name) => source[name])
  if (live) {
    const missing = LIVE_VARIABLES.filter((name) => !source[name])
    if (missing.length > 0) {
      throw new ConfigError(
        `Live mode (a provider key is set) needs ${missing.join(', ')}. Set them, or unset the provider keys to run in demo mode.`,
      )
    }
  }
  const v = parse(schema, source)
  if (v.METRICS_PORT !== null && !v.METRICS_TOKEN) throw new ConfigError('METRICS_PORT is set but METRICS_TOKEN is not: /metrics answers only with the token. Set METRICS_TOKEN, or unset METRICS_PORT.')
  if (v.METRICS_PORT !== null && v.METRICS_PORT !== 0 && v.METRICS_PORT === v.PORT) {
    throw new ConfigError(`METRICS_PORT must differ from PORT (${v.PORT}): the web server serves /metrics on PORT, the worker on METRICS_PORT`)
  }
  const dataDir = path.dirname(v.DATABASE_PATH)
  // A generated one is long enough; a hand-edited file may not be.
  const sessionSecret = v.SESSION_SECRET ?? demoSessionSecret(dataDir)
  if (sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET must be at least 32 characters long')
  return {
    mode: live ? 'live' : 'demo',
    production: v.NODE_ENV === 'production',
    port: v.PORT,
    host: v.HOST,
    publicUrl: v.PUBLIC_URL ?? `http://localhost:${v.PORT}`,
    databasePath: v.DATABASE_PATH,
    databaseUrl: v.DATABASE_URL,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    metricsToken: v.METRICS_TOKEN,
    metricsPort: v.METRICS_PORT,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    logFormat: v.LOG_FORMAT,
    uploadsPath: path.resolve(v.UPLOADS_PATH ?? path.join(dataDir, 'uploads')),
    sessionSecret,
    pageCacheTtlMs: v.PAGE_CACHE_TTL_MS,
    trustProxy: v.TRUST_PROXY,
    formBodyDeadlineMs: v.VIGIL_FORM_BODY_DEADLINE_MS,
    compress: v.VIGIL_COMPRESS,
    quietLog: v.VIGIL_QUIET_LOG,
    jobs: { sender: v.VIGIL_SENDER, retention: v.VIGIL_RETENTION, reminders: v.VIGIL_REMINDERS, countLog: v.VIGIL_COUNT_LOG },
    signLimits: { per10Min: v.SIGN_LIMIT_PER_10_MIN, perDay: v.SIGN_LIMIT_PER_DAY },
    donationRecordsYears: v.VIGIL_DONATION_RECORDS_YEARS,
    dataKeys: v.VIGIL_DATA_KEY ?? demoDataKeys(dataDir),
    allowDemoData: v.VIGIL_ALLOW_DEMO_DATA,
    benchRoutes: v.VIGIL_BENCH_ROUTES,
    stripe: {
      secretKey: v.STRIPE_SECRET_KEY ?? DEMO_STRIPE_KEY,
      // Demo: derived from the session secret, so the server and its stand-in agree without configuration.
      webhookSecret:
        v.STRIPE_WEBHOOK_SECRET ?? `whsec_demo_${crypto.createHmac('sha256', sessionSecret).update('stripe-demo-webhook').digest('base64url')}`,
      apiBase: v.STRIPE_API_BASE,
      demoPort: v.STRIPE_DEMO_PORT,
      demoAsyncDelayMs: v.STRIPE_DEMO_ASYNC_DELAY_MS,
    },
    resend: {
      apiKey: v.RESEND_API_KEY,
      mailFrom: v.MAIL_FROM,
      baseUrl: v.RESEND_BASE_URL,
      // Demo: derived from the session secret, like Stripe's, so the endpoint is never open
      // (nothing signs with it unless a test or a local tool does). Same shape as a real one.
      webhookSecret: v.RESEND_WEBHOOK_SECRET ?? `whsec_${crypto.createHmac('sha256', sessionSecret).update('resend-demo-webhook').digest('base64')}`,
      requestsPerSecond: v.RESEND_REQUESTS_PER_SECOND,
      senderConcurrency: v.VIGIL_SENDER_CONCURRENCY,
      batchClaimTimeoutMs: v.VIGIL_BATCH_CLAIM_TIMEOUT_MS,
    },
    donations: {
      minMinor: v.DONATION_MIN_MINOR,
      maxMinor: v.DONATION_MAX_MINOR,
      presets: v.DONATION_PRESETS,
      feePercent: v.DONATION_FEE_PERCENT,
      feeFixedMinor: v.DONATION_FEE_FIXED_MINOR,
    },
  }
}

declare global {
  var __vigilEnv: Env | undefined
}

/** The configuration of this process, read on first use (start-up calls it first, to refuse a bad one). */
export function getEnv(): Env {
  globalThis.__vigilEnv ??= loadEnv()
  return globalThis.__vigilEnv
}
