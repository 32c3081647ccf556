/**
 * `npm test`'s closing lines name what failed (scripts/test-engines.ts): CI keeps only the tail
 * of the output, where two runs' lines are interleaved. Read from a real vitest run of a
 * throwaway test file with two failures.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failureRecap } from '../../scripts/test-engines.ts'

let dir: string
let output: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-recap-'))
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}')
  fs.writeFileSync(
    path.join(dir, 'sample.test.ts'),
    [
      "import { describe, expect, test } from 'vitest'",
      "describe('outer', () => { test('compares', () => { expect(1).toBe(2) }); test('passes', () => {}) })",
      "test('throws', () => { throw new TypeError('boom') })",
    ].join('\n'),
  )
  const vitest = path.resolve('node_modules/vitest/vitest.mjs')
  const run = spawnSync(process.execPath, [vitest, 'run', '--root', dir], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '1' } })
  output = run.stdout + run.stderr
}, 60_000)

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('the failure recap', () => {
  it('keeps each failed test and its error, and nothing that passed', () => {
    const recap = failureRecap()
    for (const line of output.split('\n')) recap.read(line)
    expect(recap.lines).toEqual([
      'FAIL  sample.test.ts > outer > compares',
      '  AssertionError: expected 1 to be 2 // Object.is equality',
      'FAIL  sample.test.ts > throws',
      '  TypeError: boom',
    ])
  })

  it('is empty for a run without failures', () => {
    const recap = failureRecap()
    for (const line of ['', ' ✓ sample.test.ts (2 tests) 3ms', ' Test Files  1 passed (1)']) recap.read(line)
    expect(recap.lines).toEqual([])
  })
})
