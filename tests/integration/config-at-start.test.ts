// sqlite-only: refusing a bad setting at start happens before a database is opened.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeDataDir, runScript } from '../helpers/server.ts'

// A pace that is not a number used to become NaN and turn pacing off without a word: every
// request past the provider's limit then drew a 429. Now the web server and the worker refuse to start.
describe('RESEND_REQUESTS_PER_SECOND at start', () => {
  for (const [script, name] of [
    ['server/index.ts', 'vigil'],
    ['scripts/worker.ts', 'vigil worker'],
  ] as const) {
    it(`${script} refuses abc, -1 and an empty value, naming the variable`, async () => {
      for (const value of ['abc', '-1', '']) {
        const result = await runScript(script, [], {
          NODE_ENV: 'production',
          PORT: '0',
          DATABASE_PATH: path.join(makeDataDir(), 'vigil.db'),
          RESEND_REQUESTS_PER_SECOND: value,
        })
        expect(result.code).toBe(1)
        expect(result.stderr).toContain(`${name}: configuration error: RESEND_REQUESTS_PER_SECOND must be how many requests per second your Resend account allows`)
        expect(result.stderr).toContain(`got "${value}"`)
      }
    })
  }
})

// LOG_FORMAT=json: a collector that parses every line would drop (or choke on) a bare text line,
// so the one line that says why the process did not start is JSON as well.
describe('a configuration error with LOG_FORMAT=json', () => {
  for (const [script, name] of [
    ['server/index.ts', 'vigil'],
    ['scripts/worker.ts', 'vigil worker'],
  ] as const) {
    it(`${script} prints it as one JSON line, and as text when LOG_FORMAT itself is wrong`, async () => {
      const base = { NODE_ENV: 'production', PORT: '0', DATABASE_PATH: path.join(makeDataDir(), 'vigil.db') }
      const json = await runScript(script, [], { ...base, LOG_FORMAT: 'json', SHUTDOWN_TIMEOUT_MS: 'soon' })
      expect(json.code).toBe(1)
      const lines = json.stderr.split('\n').filter((line) => line.trim())
      expect(lines).toHaveLength(1)
      const entry = JSON.parse(lines[0]!) as Record<string, unknown>
      expect(entry).toMatchObject({ level: 'error', msg: expect.stringContaining(`${name}: configuration error: SHUTDOWN_TIMEOUT_MS must be`) as unknown })
      expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false)
      expect(json.stdout.trim()).toBe('')

      // Which format was asked for is unknown: the text line, as before.
      const text = await runScript(script, [], { ...base, LOG_FORMAT: 'jsonl' })
      expect(text.code).toBe(1)
      expect(text.stderr.trim()).toBe(`${name}: configuration error: LOG_FORMAT must be text or json, got "jsonl"`)
    })
  }
})
