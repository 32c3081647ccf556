/**
 * npm run audit:pages — Lighthouse (mobile, its default simulated slow 4G and CPU slowdown)
 * on the public pages of the production build: performance, accessibility, best practices,
 * SEO and LCP per page, in a table. Builds nothing: run `npm run build` first.
 *
 * It starts the build on a free port with a seeded temporary database (as the tests do) and
 * stops it after. A page that answers 404 (a route not built yet) is skipped with a note.
 * `--strict` exits non-zero when a page is under the goals (performance ≥ 95, the rest 100).
 * Add a page to PAGES to audit it too.
 */
import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'
import { requireBuild, startServer } from '../tests/helpers/server.ts'

export const PAGES = ['/', '/c/free-andry', '/c/free-andry/donate', '/thanks/free-andry', '/embed/c/free-andry']

const GOALS = { performance: 95, accessibility: 100, 'best-practices': 100, seo: 100 } as const
type Category = keyof typeof GOALS
const CATEGORIES = Object.keys(GOALS) as Category[]

const strict = process.argv.includes('--strict')
const only = process.argv.find((a) => a.startsWith('--pages='))?.slice('--pages='.length).split(',')

try {
  requireBuild()
} catch (error) {
  console.error(`audit:pages: ${(error as Error).message}`)
  process.exit(2)
}

const server = await startServer({ env: { VIGIL_QUIET_LOG: '1' } })
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu'],
})
type Row = { path: string; scores?: Record<Category, number>; lcpMs?: number; note?: string; failed?: boolean; failing?: string[] }
const rows: Row[] = []
try {
  for (const page of only ?? PAGES) {
    const url = `${server.url}${page}`
    const probe = await fetch(url, { redirect: 'manual' })
    if (probe.status === 404) {
      rows.push({ path: page, note: 'skipped: 404 (no such route in this build)' })
      continue
    }
    const result = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES })
    if (!result) {
      rows.push({ path: page, note: 'lighthouse returned nothing' })
      continue
    }
    const { lhr } = result
    // A run Lighthouse could not finish (the page failed to load, Chrome went away) scores zeros: say so instead.
    if (lhr.runtimeError) {
      rows.push({ path: page, note: `lighthouse could not measure it: ${lhr.runtimeError.code} (${lhr.runtimeError.message}); run it again`, failed: true })
      continue
    }
    const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)])) as Record<Category, number>
    // What kept a category under 100, so a regression says where to look.
    const failing = CATEGORIES.flatMap((c) =>
      (lhr.categories[c]?.auditRefs ?? [])
        .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id]?.score ?? 1) < 0.9)
        .map((ref) => `${c}: ${ref.id}${lhr.audits[ref.id]?.displayValue ? ` (${lhr.audits[ref.id]!.displayValue})` : ''}`),
    )
    rows.push({ path: page, scores, lcpMs: lhr.audits['largest-contentful-paint']?.numericValue, failing })
  }
} finally {
  await chrome.kill()
  await server.stop()
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
console.log(`\naudit:pages — Lighthouse mobile (simulated throttling), production build, ${new Date().toISOString()}`)
console.log(`${'page'.padEnd(26)}${pad('perf', 6)}${pad('a11y', 6)}${pad('bp', 6)}${pad('seo', 6)}${pad('LCP s', 8)}`)
let under = false
for (const row of rows) {
  if (!row.scores) {
    console.log(`${row.path.padEnd(26)}  ${row.note}`)
    if (row.failed) under = true
    continue
  }
  const s = row.scores
  console.log(
    `${row.path.padEnd(26)}${pad(s.performance, 6)}${pad(s.accessibility, 6)}${pad(s['best-practices'], 6)}${pad(s.seo, 6)}${pad(((row.lcpMs ?? 0) / 1000).toFixed(1), 8)}`,
  )
  for (const line of row.failing ?? []) console.log(`${''.padEnd(28)}${line}`)
  if (CATEGORIES.some((c) => s[c] < GOALS[c])) under = true
}
console.log(`\ngoals: performance ≥ ${GOALS.performance}, accessibility, best practices and SEO ${GOALS.seo}`)
if (under && strict) {
  console.log('audit:pages: under the goals (--strict)')
  process.exitCode = 1
}
