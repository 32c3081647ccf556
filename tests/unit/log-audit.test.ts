import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { auditLog } from '../../scripts/log-audit.ts'

// A stack frame names a file of this checkout, wherever it is.
const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

/** What a clean run prints: start banners, request lines with tokens masked, a stack trace. */
const CLEAN = `vigil: listening on http://localhost:41234 (demo mode, production build)
vigil: demo mode: emails are captured to the outbox, payments are simulated.
vigil: demo payments: a local Stripe stand-in on http://127.0.0.1:40123 (no money moves)
vigil: organiser login: http://127.0.0.1:41234/admin/login  (demo@vigil.example / vigil-demo-2026)
GET /c/free-andry 200 12.3ms
POST /c/free-andry 303 48.0ms
GET /confirm/:token 200 8.1ms
GET /unsubscribe/:token 200 3.0ms
GET /assets/entry.client-BdFq1x2Z.js 200 1.2ms
GET /admin/campaigns/1/timeline/3 200 20.5ms
vigil: unhandled error Error: boom
    at processTicksAndRejections (node:internal/process/task_queues:95:5)
    at async Object.callRouteAction (${ROOT}/node_modules/@remix-run/server-runtime/dist/data.js:36:16)
vigil worker: retention: campaign 2 (free-andry): 3 signature(s) anonymised, 3 supporter(s) deleted
vigil: SIGTERM received, closing`

describe('the log audit', () => {
  it('passes a clean log', () => {
    expect(auditLog(CLEAN)).toEqual([])
  })

  it.each([
    ['a supporter’s email', 'vigil: mail sender error: bounced for maria.1@example.org', 'email'],
    ['an encoded email in a path', 'GET /preferences/maria%40example.org 404 2ms', 'email'],
    ['a client IPv4 address', 'POST /c/free-andry 429 3ms from 203.0.113.7', 'ip'],
    ['loopback as the client', 'vigil: refused 127.0.0.1 for too many attempts', 'ip'],
    ['a client IPv6 address', 'login failed for ::ffff:10.1.0.4', 'ip'],
    ['a full IPv6 address', 'client 2001:db8:0:0:8:800:200c:417a', 'ip'],
    ['a raw token', 'GET /confirm/Yq0tC7m3Vn2bX8rK1pLz4Hd9Gf6Sa5Wj0Ue3Ro7Ti2O.data 200 3ms', 'token'],
    ['a percent-encoded token', 'GET /confirm/%59q0tC7m3Vn2bX8rK1pLz4Hd9Gf6Sa5Wj0Ue3Ro7Ti2O 200 3ms', 'token'],
    ['a signed id.id.mac value', 'GET /unsubscribe/12.3.q0tC7m3Vn2bX8rK1pLz4Hd9Gf6 200 3ms', 'token'],
    ['a hex digest', 'session 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 expired', 'token'],
    ['a signed cookie value', 'cookie vigil_session=InRva2VuMTIzIg%3D%3D.k2Jd8Vq1bNz7Lw0Xc3Yt5Rp9Sm4Qa6Ue', 'token'],
    ['a webhook signing secret', 'bad config: whsec_c2VuZGVyLWNyYXNoLXRlc3Qtc2VjcmV0', 'key'],
    ['a Stripe key', 'stripe: sk_test_51Habc123', 'key'],
    ['a Resend key', 'resend: re_123456789abc', 'key'],
  ])('flags %s', (_name, line, kind) => {
    const findings = auditLog(`${CLEAN}\n${line}`, 'server.log')
    expect(findings.map((f) => [f.file, f.line, f.kind])).toContainEqual(['server.log', CLEAN.split('\n').length + 1, kind])
  })

  it('passes public file names and Stripe’s object ids, but not a token that borrows their look', () => {
    const publicNames = [
      'GET /assets/entry.client-Cq2bXk9zLmNoPqRsTuVw.js 200 1.1ms',
      'GET /media/campaign-1-q3Jx0vV9pZ8bS2nR4tW6yA1c.jpg 404 1.4ms',
      'vigil: stripe event evt_1QxRtG2eZvKYlo2C8b7pX0aN (invoice.paid) recorded as failed: invoice in_1QxRtG2eZvKYlo2CwXk4L9dD names no donation',
    ]
    for (const line of publicNames) expect(auditLog(line), line).toEqual([])
    expect(auditLog('GET /confirm/Yq0tC7m3Vn2bX8rK1pLz4Hd9Gf6Sa5Wj0Ue3Ro7Ti2O.js 200 3ms')).toHaveLength(1)
    expect(auditLog('GET /media/Yq0tC7m3Vn2bX8rK1pLz4Hd9Gf6Sa5Wj0Ue3Ro7Ti2O 200 3ms')).toHaveLength(1)
  })

  it('reports the line with the leaked value redacted', () => {
    const [finding] = auditLog('POST /c/free-andry 400 from 203.0.113.7 for maria@example.org')
    expect(finding!.text).toBe('POST /c/free-andry 400 from [ip] for [email]')
  })
})
