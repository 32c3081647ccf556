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
