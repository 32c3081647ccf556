/**
 * npm run verify-count-log -- <url or file> [--expect <code>]
 *
 * Checks a campaign's public count log (GET /c/<slug>/count-log.json, or a saved copy): every
 * entry's hash is that of its contents and names the entry before it, and the counts never go
 * backwards. With --expect (the verification code printed in a delivery packet), also that an
 * entry with that hash is in the log, so the log was not rewritten since the packet was made.
 * Needs no database and imports only the chain's pure module. Exit: 0 OK, 1 broken or the code
 * not found, 2 unreadable input or bad arguments.
 */
import fs from 'node:fs'
import { COUNT_LOG_FORMAT, shortCode, verifyChain, type CountLogEntry } from '../app/utils/count-log-chain.server.ts'

const USAGE = 'usage: npm run verify-count-log -- <url or file> [--expect <code>]'

function fail(message: string): never {
  console.error(`verify-count-log: ${message}`)
  process.exit(2)
}

function parseArgs(given: string[]) {
  const argv = given.flatMap((arg) => (arg.startsWith('--expect=') ? ['--expect', arg.slice('--expect='.length)] : [arg]))
  let source: string | null = null
  let expect: string | null = null
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--expect') {
      let value = argv[++i]
      if (value === undefined) fail(`--expect needs the verification code\n${USAGE}`)
      // The code as printed, in groups of four, may come unquoted: "--expect 3f9a 12bc 55de 0a71".
      while (/^[0-9a-f]{4}$/i.test(argv[i + 1] ?? '') && value.replace(/\s+/g, '').length < 64) value += argv[++i]
      const code = value.replace(/\s+/g, '').toLowerCase()
      if (!/^[0-9a-f]{16,64}$/.test(code)) fail(`--expect takes a verification code of 16 to 64 hex digits, got "${value}"`)
      expect = code
    } else if (arg.startsWith('--')) {
      fail(`unknown option ${arg}\n${USAGE}`)
    } else if (source === null) {
      source = arg
    } else {
      fail(`one log at a time: ${arg}\n${USAGE}`)
    }
  }
  if (source === null) fail(USAGE)
  return { source, expect }
}

async function readLog(source: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    let response: Response
    try {
      response = await fetch(source, { headers: { Accept: 'application/json' } })
    } catch (error) {
      fail(`cannot fetch ${source}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`)
    }
    if (!response.ok) fail(`cannot fetch ${source}: HTTP ${response.status}`)
    return response.text()
  }
  try {
    return fs.readFileSync(source, 'utf8')
  } catch (error) {
    fail(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
}

const number = (n: number) => n.toLocaleString('en-US')

const { source, expect } = parseArgs(process.argv.slice(2))
let log: unknown
try {
  log = JSON.parse(await readLog(source))
} catch {
  fail(`${source} is not JSON`)
}
if (typeof log !== 'object' || log === null || !Array.isArray((log as { entries?: unknown }).entries)) fail(`${source} is not a count log (no "entries" list)`)
const { format, campaign, head: named, entries } = log as { format?: unknown; campaign?: unknown; head?: { seq?: unknown; hash?: unknown } | null; entries: CountLogEntry[] }
if (format !== COUNT_LOG_FORMAT) fail(`${source} is in format ${JSON.stringify(format)}, this script checks ${COUNT_LOG_FORMAT}`)

const { problems, head } = verifyChain(entries)
const name = typeof campaign === 'string' ? campaign : 'this campaign'
const atOf = (seq: number) => entries.find((e) => e?.seq === seq)?.at

if (head === null) {
  console.log(`count log of ${name}: no entries yet (the log starts within the hour)`)
} else {
  console.log(`count log of ${name}: ${number(entries.length)} entries, ${entries[0]!.at} … ${head.at}`)
  console.log(`head: seq ${head.seq} at ${head.at}: ${number(head.confirmed)} confirmed, ${number(head.invalidated)} invalidated`)
  console.log(`verification code: ${shortCode(String(head.hash))}  (full: ${head.hash})`)
}
// The head the document names is its last entry (a page that shows one and serves another is caught here).
if (named && head && (named.seq !== head.seq || named.hash !== head.hash)) {
  problems.push({ seq: head.seq, kind: 'link', message: `the log names its head as seq ${String(named.seq)}, but its last entry is seq ${head.seq} with another hash` })
}
for (const p of problems) {
  const at = p.kind === 'changed' || p.kind === 'backwards' ? atOf(p.seq) : undefined
  console.log(`BROKEN at seq ${p.seq}${at ? ` (${at})` : ''}: ${p.message}`)
}
if (problems.length === 0 && head) console.log(`OK: every entry's hash matches its contents and names the entry before it; the counts never go backwards.`)

let found = true
if (expect !== null) {
  const index = entries.findIndex((e) => typeof e?.hash === 'string' && e.hash.startsWith(expect))
  found = index !== -1
  if (!found) {
    console.log(`expected code ${expect}: NOT FOUND in this log (it was rewritten since the code was printed, or the code belongs to another campaign)`)
  } else {
    const entry = entries[index]!
    const holds = problems.every((p) => p.seq < entry.seq)
    const state = index === entries.length - 1 ? 'it is the head' : `the log has grown since, and the chain from there ${holds ? 'holds' : 'is broken (see above)'}`
    console.log(`expected code ${expect}: found at seq ${entry.seq} (${entry.at}); ${state}.`)
  }
}
process.exit(problems.length === 0 && found ? 0 : 1)
