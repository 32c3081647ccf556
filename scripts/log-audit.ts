/**
 * The log audit: reads everything the servers and workers printed during a test run (the
 * files tests/helpers/server.ts writes to VIGIL_LOG_AUDIT_DIR) and fails when a line holds
 * what must never reach a log: an email address, a client's IP address, a token or a
 * signed value, or a provider key. `npm test` clears the folder, runs every suite with
 * logging on, then runs this.
 *
 *   tsx scripts/log-audit.ts [--clear] [folder]     (folder: VIGIL_LOG_AUDIT_DIR or .log-audit)
 *
 * What is not a leak, on purpose:
 * - demo@vigil.example: the demo organiser's login, printed in demo mode's start banner.
 * - an IP address that is the host of a URL (`http://127.0.0.1:4000/…`): the address the
 *   server listens on or is reached at, printed at start; a client's address never appears
 *   as a URL host.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export type Finding = { file: string; line: number; kind: 'email' | 'ip' | 'token' | 'key'; text: string }

/** Addresses the tests and the demo print on purpose (see above). */
export const ALLOWED_EMAILS = ['demo@vigil.example']

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g
const IPV4_CANDIDATE = /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)/g
const IPV6_CANDIDATE = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/g
/** Provider secrets: Stripe and Resend keys and webhook signing secrets. */
const KEY = /\b(?:whsec|sk_live|sk_test|rk_live|rk_test|pk_live|re)_[A-Za-z0-9_]{6,}/g
/** Signed values of ours: `id.mac` and `id.id.mac` (manage, preferences and unsubscribe links). */
const SIGNED = /\b\d+(?:\.\d+)?\.([A-Za-z0-9_-]{16,})/g
const HEX = /(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])/g
/**
 * base64 / base64url runs: a token when long and mixed (digits, upper and lower case, many
 * letters, no `---`), unlike words, identifiers and numbers. `/` splits runs (it splits paths
 * too); a token's halves are still long.
 */
const BASE64 = /[A-Za-z0-9+_-]{20,}={0,2}/g

/**
 * Not secrets, though long and mixed: built asset names and uploaded images' file names (both
 * public URLs on every page that shows them), and Stripe's object ids (`evt_…`, `pi_…`: the
 * provider's references, what an operator needs to find an event; keys have their own rule).
 */
const PUBLIC_FILE = /\/(?:assets|media)\/[\w.-]*$/
const STRIPE_ID = /^(?:evt|pi|in|cs_test|cs_live|ch|dp|du|sub|cus|py|pm|seti|prod|price|txn|po|ii|il)_/

function isPublicName(line: string, match: RegExpMatchArray) {
  const before = line.slice(0, match.index)
  const after = line.slice(match.index! + match[0].length)
  if (PUBLIC_FILE.test(before) && /^[\w.-]*\.[a-z0-9]{2,5}\b/.test(after)) return true
  return STRIPE_ID.test(match[0])
}

function looksRandom(run: string) {
  const letters = new Set(run.toLowerCase().replace(/[^a-z]/g, ''))
  return /\d/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run) && letters.size >= 6 && !/[-_+]{3}/.test(run)
}

/** Percent-escapes decoded where they decode, so an encoded token or address is seen too. */
function decodePercent(line: string) {
  return line.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escaped) => {
    try {
      return decodeURIComponent(escaped)
    } catch {
      return escaped
    }
  })
}

type Span = { start: number; end: number; kind: Finding['kind'] }

function spansIn(line: string): Span[] {
  const spans: Span[] = []
  const add = (regex: RegExp, kind: Finding['kind'], keep: (match: RegExpMatchArray) => boolean = () => true) => {
    for (const match of line.matchAll(regex)) {
      if (keep(match)) spans.push({ start: match.index, end: match.index + match[0].length, kind })
    }
  }
  const isUrlHost = (match: RegExpMatchArray) => /:\/\/\[?$/.test(line.slice(0, match.index))
  add(EMAIL, 'email', (m) => !ALLOWED_EMAILS.includes(m[0].toLowerCase()))
  add(IPV4_CANDIDATE, 'ip', (m) => net.isIPv4(m[0]) && !isUrlHost(m))
  add(IPV6_CANDIDATE, 'ip', (m) => net.isIPv6(m[0]) && !isUrlHost(m))
  add(KEY, 'key')
  add(SIGNED, 'token', (m) => looksRandom(m[1]!))
  add(HEX, 'token')
  add(BASE64, 'token', (m) => looksRandom(m[0]) && !isPublicName(line, m))
  return spans
}

/** The line with every finding replaced by its kind, so the report does not repeat the leak. */
function redact(line: string, spans: Span[]) {
  let out = ''
  let at = 0
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at) continue
    out += `${line.slice(at, span.start)}[${span.kind}]`
    at = span.end
  }
  return out + line.slice(at)
}

/** A long line cut to the part around the first place `marker` stands. */
function excerpt(line: string, marker: string) {
  if (line.length <= 300) return line
  const at = Math.max(line.indexOf(marker) - 100, 0)
  return `${at > 0 ? '…' : ''}${line.slice(at, at + 300)}…`
}

/** Every line of `text` that holds an email, a client address, a token or a key. */
export function auditLog(text: string, file = 'log'): Finding[] {
  const findings: Finding[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    for (const line of new Set([raw, decodePercent(raw)])) {
      const spans = spansIn(line)
      if (spans.length === 0) continue
      const redacted = redact(line, spans)
      for (const kind of new Set(spans.map((s) => s.kind))) findings.push({ file, line: index + 1, kind, text: excerpt(redacted, `[${kind}]`) })
      break
    }
  })
  return findings
}

function main(argv: string[]) {
  const clear = argv.includes('--clear')
  const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
  const folder = path.resolve(root, argv.find((a) => !a.startsWith('--')) ?? process.env.VIGIL_LOG_AUDIT_DIR ?? '.log-audit')
  if (clear) {
    fs.rmSync(folder, { recursive: true, force: true })
    fs.mkdirSync(folder, { recursive: true })
    console.log(`log-audit: cleared ${path.relative(root, folder) || folder}`)
    return 0
  }
  const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith('.log')).sort() : []
  if (files.length === 0) {
    console.error(`log-audit: no server logs in ${folder}: were the tests run with VIGIL_LOG_AUDIT_DIR set?`)
    return 1
  }
  let lines = 0
  const findings: Finding[] = []
  for (const file of files) {
    const text = fs.readFileSync(path.join(folder, file), 'utf8')
    lines += text.split('\n').length
    findings.push(...auditLog(text, file))
  }
  if (findings.length === 0) {
    console.log(`log-audit: ${lines} lines in ${files.length} server logs, no email, client address, token or key`)
    return 0
  }
  console.error(`log-audit: ${findings.length} finding(s) in ${lines} lines of ${files.length} server logs (values redacted):`)
  for (const f of findings.slice(0, 200)) console.error(`  ${f.file}:${f.line} ${f.kind}: ${f.text}`)
  if (findings.length > 200) console.error(`  … and ${findings.length - 200} more`)
  return 1
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2))
}
