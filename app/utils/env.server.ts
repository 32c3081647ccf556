import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/**
 * Configuration from the environment, read once. Vigil runs in one of two modes:
 * demo (no provider keys: mail is captured, payments go to the local stand-in) and
 * live (any provider key set: then every live variable is required, and start-up
 * fails naming the missing ones rather than half-working).
 */
const LIVE_VARIABLES = [
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'RESEND_API_KEY',
  'RESEND_WEBHOOK_SECRET',
  'MAIL_FROM',
  'SESSION_SECRET',
  'PUBLIC_URL',
] as const
const LIVE_TRIGGERS = ['STRIPE_SECRET_KEY', 'RESEND_API_KEY'] as const

export type Env = {
  mode: 'demo' | 'live'
  production: boolean
  port: number
  host: string
  publicUrl: string
  databasePath: string
  uploadsPath: string
  sessionSecret: string
  pageCacheTtlMs: number
  /** How many reverse proxies stand in front (TRUST_PROXY): the client address is taken that many hops from the right. */
  trustProxy: number
  stripe: {
    secretKey: string
    webhookSecret: string
    /** Where the Stripe API is: null for Stripe itself; in demo mode the local stand-in (set by the server). */
    apiBase: URL | null
  }
  resend: {
    /** Verifies Resend's webhook deliveries (Standard Webhooks / Svix): `whsec_` and base64. */
    webhookSecret: string
    /** The sender's pace (RESEND_REQUESTS_PER_SECOND, Resend's default limit 2); 0 unpaced. */
    requestsPerSecond: number
    /** Requests one sender keeps in flight at once (VIGIL_SENDER_CONCURRENCY). */
    senderConcurrency: number
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

function readPresets(source: EnvSource): Record<string, number[]> {
  const presets: Record<string, number[]> = { '*': [1000, 2500, 5000, 10000] }
  // DONATION_PRESETS="EUR:1000,2500,5000;USD:1500,3000"
  for (const part of (source.DONATION_PRESETS ?? '').split(';')) {
    const [currency, amounts] = part.split(':')
    if (!currency?.trim() || !amounts) continue
    const values = amounts.split(',').map((a) => Number(a.trim()))
    if (values.some((v) => !Number.isInteger(v) || v <= 0)) throw new ConfigError(`DONATION_PRESETS: "${part}" must be CUR:amount,amount in minor units`)
    presets[currency.trim().toUpperCase()] = values
  }
  return presets
}

export class ConfigError extends Error {}

type EnvSource = Record<string, string | undefined>

function readInt(name: string, fallback: number, source: EnvSource) {
  const raw = source[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`)
  return value
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
  const port = readInt('PORT', 3000, source)
  const databasePath = path.resolve(source.DATABASE_PATH || './data/vigil.db')
  const dataDir = path.dirname(databasePath)
  const sessionSecret = source.SESSION_SECRET || demoSessionSecret(dataDir)
  if (sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET must be at least 32 characters long')
  const publicUrl = (source.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '')
  try {
    new URL(publicUrl)
  } catch {
    throw new ConfigError(`PUBLIC_URL is not a URL: "${publicUrl}"`)
  }
  return {
    mode: live ? 'live' : 'demo',
    production: source.NODE_ENV === 'production',
    port,
    host: source.HOST || '0.0.0.0',
    publicUrl,
    databasePath,
    uploadsPath: path.resolve(source.UPLOADS_PATH || path.join(dataDir, 'uploads')),
    sessionSecret,
    pageCacheTtlMs: readInt('PAGE_CACHE_TTL_MS', 5000, source),
    trustProxy: readTrustProxy(source.TRUST_PROXY),
    stripe: {
      secretKey: source.STRIPE_SECRET_KEY || DEMO_STRIPE_KEY,
      // Demo: derived from the session secret, so the server and its stand-in agree without configuration.
      webhookSecret:
        source.STRIPE_WEBHOOK_SECRET ||
        `whsec_demo_${crypto.createHmac('sha256', sessionSecret).update('stripe-demo-webhook').digest('base64url')}`,
      apiBase: readUrl('STRIPE_API_BASE', source),
    },
    resend: {
      // Demo: derived from the session secret, like Stripe's, so the endpoint is never open
      // (nothing signs with it unless a test or a local tool does). Same shape as a real one.
      webhookSecret: readWebhookSecret(source.RESEND_WEBHOOK_SECRET) ?? `whsec_${crypto.createHmac('sha256', sessionSecret).update('resend-demo-webhook').digest('base64')}`,
      requestsPerSecond: readRequestsPerSecond(source.RESEND_REQUESTS_PER_SECOND),
      senderConcurrency: readSenderConcurrency(source.VIGIL_SENDER_CONCURRENCY),
    },
    donations: {
      minMinor: readInt('DONATION_MIN_MINOR', 100, source),
      maxMinor: readInt('DONATION_MAX_MINOR', 1_000_000, source),
      presets: readPresets(source),
      feePercent: readNumber('DONATION_FEE_PERCENT', 1.5, source),
      feeFixedMinor: readInt('DONATION_FEE_FIXED_MINOR', 25, source),
    },
  }
}

// A hop count as Express's `trust proxy` takes it; `true` was the old spelling of one proxy.
function readTrustProxy(raw: string | undefined) {
  if (raw === undefined || raw === '' || raw === 'false') return 0
  if (raw === 'true') return 1
  const hops = Number(raw)
  if (!Number.isInteger(hops) || hops < 0 || hops > 10) {
    throw new ConfigError(`TRUST_PROXY must be the number of reverse proxies in front of Vigil (0 to 10), got "${raw}"`)
  }
  return hops
}

function readUrl(name: string, source: EnvSource) {
  const raw = source[name]
  if (!raw) return null
  try {
    return new URL(raw)
  } catch {
    throw new ConfigError(`${name} is not a URL: "${raw}"`)
  }
}

// Resend shows the secret as `whsec_` + base64; a mangled one would refuse every delivery, so say so at start.
function readWebhookSecret(raw: string | undefined) {
  if (!raw) return null
  const key = raw.startsWith('whsec_') ? raw.slice('whsec_'.length) : raw
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) {
    throw new ConfigError('RESEND_WEBHOOK_SECRET must be the signing secret Resend shows for the webhook: whsec_ followed by base64')
  }
  return raw
}

// Unset: Resend's default limit. Set but empty or not a number: refused, since turning pacing
// off by accident means a 429 for every request past the provider's limit.
function readRequestsPerSecond(raw: string | undefined) {
  if (raw === undefined) return 2
  const value = raw.trim() === '' ? NaN : Number(raw)
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigError(
      `RESEND_REQUESTS_PER_SECOND must be how many requests per second your Resend account allows (2 unless Resend raised it; 0 sends unpaced), got "${raw}"`,
    )
  }
  return value
}

// 0 or less would stop the sender without a word; more than 16 is more than any provider limit needs.
function readSenderConcurrency(raw: string | undefined) {
  if (raw === undefined) return 4
  const value = raw.trim() === '' ? NaN : Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 16) {
    throw new ConfigError(`VIGIL_SENDER_CONCURRENCY must be how many requests the sender keeps in flight at once, 1 to 16, got "${raw}"`)
  }
  return value
}

function readNumber(name: string, fallback: number, source: EnvSource) {
  const raw = source[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a non-negative number, got "${raw}"`)
  return value
}

declare global {
  var __vigilEnv: Env | undefined
}

export function getEnv(): Env {
  globalThis.__vigilEnv ??= loadEnv()
  return globalThis.__vigilEnv
}
