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
  trustProxy: boolean
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
    trustProxy: source.TRUST_PROXY === '1' || source.TRUST_PROXY === 'true',
  }
}

declare global {
  var __vigilEnv: Env | undefined
}

export function getEnv(): Env {
  globalThis.__vigilEnv ??= loadEnv()
  return globalThis.__vigilEnv
}
