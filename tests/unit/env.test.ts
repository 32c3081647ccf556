import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadEnv } from '~/utils/config.server.ts'

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-env-')), 'vigil.db')

describe('loadEnv', () => {
  it('runs in demo mode with nothing set and keeps one generated session secret', () => {
    const DATABASE_PATH = tmp()
    const first = loadEnv({ DATABASE_PATH })
    const second = loadEnv({ DATABASE_PATH })
    expect(first.mode).toBe('demo')
    expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(second.sessionSecret).toBe(first.sessionSecret)
    expect(first.publicUrl).toBe('http://localhost:3000')
  })

  it('refuses to start in live mode with variables missing, and names them', () => {
    expect(() => loadEnv({ DATABASE_PATH: tmp(), STRIPE_SECRET_KEY: 'sk_live_x' })).toThrow(ConfigError)
    expect(() => loadEnv({ DATABASE_PATH: tmp(), RESEND_API_KEY: 're_x' })).toThrow(/STRIPE_WEBHOOK_SECRET.*MAIL_FROM.*SESSION_SECRET.*PUBLIC_URL/)
  })

  it('starts in live mode when everything is there', () => {
    const env = loadEnv({
      DATABASE_PATH: tmp(),
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      RESEND_API_KEY: 're_x',
      RESEND_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      MAIL_FROM: 'Team <team@example.org>',
      SESSION_SECRET: 'x'.repeat(40),
      PUBLIC_URL: 'https://campaigns.example.org/',
      VIGIL_DATA_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    })
    expect(env.mode).toBe('live')
    expect(env.publicUrl).toBe('https://campaigns.example.org')
    expect(env.resend.webhookSecret).toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
  })

  it('derives a demo Resend webhook secret from the session secret, and refuses a mangled real one', () => {
    const DATABASE_PATH = tmp()
    const first = loadEnv({ DATABASE_PATH, SESSION_SECRET: 'a'.repeat(40) })
    expect(first.resend.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(loadEnv({ DATABASE_PATH, SESSION_SECRET: 'a'.repeat(40) }).resend.webhookSecret).toBe(first.resend.webhookSecret)
    expect(loadEnv({ DATABASE_PATH, SESSION_SECRET: 'b'.repeat(40) }).resend.webhookSecret).not.toBe(first.resend.webhookSecret)
    expect(() => loadEnv({ DATABASE_PATH, RESEND_WEBHOOK_SECRET: 'whsec_not base64!' })).toThrow(/RESEND_WEBHOOK_SECRET/)
  })

  it('paces Resend at 2 requests/s unless told otherwise, 0 meaning unpaced, and refuses a pace that is not a number', () => {
    const DATABASE_PATH = tmp()
    expect(loadEnv({ DATABASE_PATH }).resend.requestsPerSecond).toBe(2)
    expect(loadEnv({ DATABASE_PATH, RESEND_REQUESTS_PER_SECOND: '10' }).resend.requestsPerSecond).toBe(10)
    expect(loadEnv({ DATABASE_PATH, RESEND_REQUESTS_PER_SECOND: '0.5' }).resend.requestsPerSecond).toBe(0.5)
    expect(loadEnv({ DATABASE_PATH, RESEND_REQUESTS_PER_SECOND: '0' }).resend.requestsPerSecond).toBe(0)
    // Before, `abc` became NaN and turned pacing off without a word.
    for (const bad of ['abc', '-1', '', ' ', 'Infinity']) {
      expect(() => loadEnv({ DATABASE_PATH, RESEND_REQUESTS_PER_SECOND: bad })).toThrow(ConfigError)
      expect(() => loadEnv({ DATABASE_PATH, RESEND_REQUESTS_PER_SECOND: bad })).toThrow(`RESEND_REQUESTS_PER_SECOND must be how many requests per second your Resend account allows`)
    }
  })

  it('keeps 4 sender requests in flight unless told otherwise, and refuses a count that would stop or swamp the sender', () => {
    const DATABASE_PATH = tmp()
    expect(loadEnv({ DATABASE_PATH }).resend.senderConcurrency).toBe(4)
    expect(loadEnv({ DATABASE_PATH, VIGIL_SENDER_CONCURRENCY: '1' }).resend.senderConcurrency).toBe(1)
    // Before, -1 stopped the sender without a word and abc quietly became 4.
    for (const bad of ['-1', '0', 'abc', '', '2.5', '100']) {
      expect(() => loadEnv({ DATABASE_PATH, VIGIL_SENDER_CONCURRENCY: bad })).toThrow('VIGIL_SENDER_CONCURRENCY must be how many requests the sender keeps in flight at once, 1 to 16')
    }
  })

  it('gives requests in flight 8 s after SIGTERM unless SHUTDOWN_TIMEOUT_MS says otherwise, and refuses a deadline that is not one', () => {
    const DATABASE_PATH = tmp()
    expect(loadEnv({ DATABASE_PATH }).shutdownTimeoutMs).toBe(8000)
    expect(loadEnv({ DATABASE_PATH, SHUTDOWN_TIMEOUT_MS: '' }).shutdownTimeoutMs).toBe(8000)
    expect(loadEnv({ DATABASE_PATH, SHUTDOWN_TIMEOUT_MS: '25000' }).shutdownTimeoutMs).toBe(25_000)
    expect(loadEnv({ DATABASE_PATH, SHUTDOWN_TIMEOUT_MS: '1' }).shutdownTimeoutMs).toBe(1)
    for (const bad of ['0', '-1', 'abc', '2.5', '8s', '600001']) {
      expect(() => loadEnv({ DATABASE_PATH, SHUTDOWN_TIMEOUT_MS: bad })).toThrow(ConfigError)
      expect(() => loadEnv({ DATABASE_PATH, SHUTDOWN_TIMEOUT_MS: bad })).toThrow(`SHUTDOWN_TIMEOUT_MS must be how many milliseconds requests in flight may take after SIGTERM, 1 to 600000`)
    }
  })

  it('takes METRICS_PORT (the worker\'s /metrics) only with METRICS_TOKEN, as a port other than PORT', () => {
    const DATABASE_PATH = tmp()
    const METRICS_TOKEN = 'a-metrics-token-long-enough'
    expect(loadEnv({ DATABASE_PATH, METRICS_TOKEN }).metricsPort).toBeNull()
    expect(loadEnv({ DATABASE_PATH, METRICS_TOKEN, METRICS_PORT: '' }).metricsPort).toBeNull()
    expect(loadEnv({ DATABASE_PATH, METRICS_TOKEN, METRICS_PORT: '9464' }).metricsPort).toBe(9464)
    // 0: a free port, printed at start (tests).
    expect(loadEnv({ DATABASE_PATH, METRICS_TOKEN, METRICS_PORT: '0' }).metricsPort).toBe(0)
    for (const bad of ['-1', 'abc', '65536', '94.64']) {
      expect(() => loadEnv({ DATABASE_PATH, METRICS_TOKEN, METRICS_PORT: bad })).toThrow(`METRICS_PORT must be the port npm run worker serves /metrics on, 0 to 65535, got "${bad}"`)
    }
    // Without a token the port would serve nothing: said at start rather than ignored.
    expect(() => loadEnv({ DATABASE_PATH, METRICS_PORT: '9464' })).toThrow('METRICS_PORT is set but METRICS_TOKEN is not')
    expect(() => loadEnv({ DATABASE_PATH, METRICS_TOKEN, METRICS_PORT: '3000' })).toThrow('METRICS_PORT must differ from PORT')
    expect(() => loadEnv({ DATABASE_PATH, METRICS_TOKEN, METRICS_PORT: '8080', PORT: '8080' })).toThrow('METRICS_PORT must differ from PORT')
  })

  it('runs every background job unless told off, the count log among them (VIGIL_COUNT_LOG)', () => {
    const DATABASE_PATH = tmp()
    expect(loadEnv({ DATABASE_PATH }).jobs).toEqual({ sender: true, retention: true, reminders: true, countLog: true })
    expect(loadEnv({ DATABASE_PATH, VIGIL_COUNT_LOG: 'off' }).jobs).toEqual({ sender: true, retention: true, reminders: true, countLog: false })
  })

  it('explains bad numbers and short secrets', () => {
    expect(() => loadEnv({ DATABASE_PATH: tmp(), PORT: 'eighty' })).toThrow(/PORT/)
    expect(() => loadEnv({ DATABASE_PATH: tmp(), SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/)
  })
})
