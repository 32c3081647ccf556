/**
 * npm run bench:pages — what a visitor's page costs, against two floors measured in the same run:
 *   bare     a node:http server answering a fixed 10 kB HTML page (the machine's ceiling)
 *   floor    /healthz of the same Remix build: a trivial React render (the framework's ceiling)
 * then the campaign and home pages as anonymous visitors get them (page cache on) and the
 * campaign page rendered on every request (a query string bypasses the cache); then the share card
 * as served from memory against bare node:http serving the same PNG bytes, and the time a fresh
 * card takes to render (and how long it holds the event loop).
 * autocannon, 50 connections, BENCH_SECONDS (default 10) per target, with a browser's
 * Accept-Encoding and Accept-Language. Not a test: it prints figures.
 */
import fs from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { renderShareCard } from '../app/utils/share-card.server.ts'
import { demoCampaign } from '../scripts/seed/content.ts'
import { startServer } from '../tests/helpers/server.ts'
import { startBare, startBareBytes } from './baselines.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = 50
// autocannon spends JS time on every response body; with one client thread on this
// 2-core machine the client, not the server, would cap the fast targets. Two worker
// threads for every target, baselines included.
const workers = Number(process.env.BENCH_WORKERS ?? 2)


type Result = { name: string; rps: number; p50: number; p99: number; non2xx: number; bytes: number }

// What a browser sends: pages are compressed for it (the bare server ignores this header).
const headers = { 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-US,en;q=0.9' }

// The page cache serves tracking and other unknown query parameters from the bare page's entry,
// so an uncached render is asked for as the server sees one: a request with a session cookie
// (an unknown one here, so the page still renders for an anonymous visitor).
const uncached = { cookie: 'vigil_session=bench-uncached' }

async function measure(name: string, url: string, extra: Record<string, string> = {}): Promise<Result> {
  const all = { ...headers, ...extra }
  // A short warm-up fills the cache and lets V8 optimise before the measured run.
  await autocannon({ url, headers: all, connections: 10, duration: 1 })
  const r = await autocannon({ url, headers: all, connections, duration: seconds, ...(workers > 0 ? { workers } : {}) })
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors,
    bytes: r.throughput.average / Math.max(1, r.requests.average),
  }
}

const bare = await startBare()
const vigil = await startServer({ env: { VIGIL_QUIET_LOG: '1' } })
const results: Result[] = []
try {
  results.push(await measure('bare node:http, 10 kB', `${bare.url}/`))
  results.push(await measure('Remix floor (/healthz)', `${vigil.url}/healthz`))
  results.push(await measure('campaign, uncached render', `${vigil.url}/c/free-andry`, uncached))
  results.push(await measure('campaign, anonymous (cached)', `${vigil.url}/c/free-andry`))
  results.push(await measure('home, anonymous (cached)', `${vigil.url}/`))
  results.push(await measure('home, uncached render', `${vigil.url}/`, uncached))
  const cardUrl = `${vigil.url}/c/free-andry/card-en.png`
  const png = Buffer.from(await (await fetch(cardUrl)).arrayBuffer())
  const bareCard = await startBareBytes(png, 'image/png')
  try {
    results.push(await measure('bare node:http, card PNG', `${bareCard.url}/`))
    results.push(await measure('share card (cached)', cardUrl))
  } finally {
    bareCard.stop()
  }
} finally {
  bare.stop()
  await vigil.stop()
}

/** A fresh card, as the server renders one: the wall time, and the longest the event loop waited meanwhile. */
async function timeFreshRender(hero: Buffer | null, confirmed: number) {
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const started = performance.now()
  await renderShareCard({ title: demoCampaign.translations.de!.title, lang: 'de', confirmed, goal: 2_000_000, teamName: 'Vigil', accent: null, hero })
  const ms = performance.now() - started
  loop.disable()
  return { ms, blockedMs: loop.max / 1e6 }
}
const hero = fs.readFileSync(new URL('../public/images/free-andry-vigil.png', import.meta.url))
const firstRender = await timeFreshRender(hero, 1)
const renders = []
for (let i = 0; i < 5; i++) renders.push(await timeFreshRender(i % 2 ? null : hero, 1_000_000 + i * 10_000))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const pad = (s: string | number, n: number) => String(s).padStart(n)
console.log(`\nbench:pages — ${connections} connections, ${seconds} s each, ${workers} client workers, ${new Date().toISOString()}`)
console.log(`${'target'.padEnd(32)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('kB/resp', 9)}${pad('errors', 8)}`)
for (const r of results) {
  console.log(
    `${r.name.padEnd(32)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}${pad((r.bytes / 1024).toFixed(1), 9)}${pad(r.non2xx, 8)}`,
  )
}
const by = (name: string) => results.find((r) => r.name.startsWith(name))!.rps
const uncachedVsFloor = by('campaign, uncached') / by('Remix floor')
const cachedVsBare = by('campaign, anonymous') / by('bare')
console.log(`\ncampaign uncached / Remix floor : ${(uncachedVsFloor * 100).toFixed(0)} %  (goal ≥ 50 %)`)
console.log(`campaign cached   / bare http   : ${(cachedVsBare * 100).toFixed(0)} %  (goal ≥ 30 %)`)
const cardVsBare = by('share card (cached)') / by('bare node:http, card PNG')
console.log(`share card cached / bare http, same bytes : ${(cardVsBare * 100).toFixed(0)} %  (goal ≥ 50 %)`)
console.log(
  `share card fresh render: ${median(renders.map((r) => r.ms)).toFixed(0)} ms median of 5 (first in a process ${firstRender.ms.toFixed(0)} ms); ` +
    `event loop held at most ${Math.max(...renders.map((r) => r.blockedMs)).toFixed(0)} ms (first ${firstRender.blockedMs.toFixed(0)} ms)`,
)
if (results.some((r) => r.non2xx > 0)) {
  console.log('\nwarning: some requests failed; figures are not comparable')
  process.exitCode = 1
}
