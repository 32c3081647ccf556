/**
 * `npm run worker` operated like the web server, on either engine (VIGIL_TEST_ENGINE=postgres):
 * its own /metrics on METRICS_PORT behind METRICS_TOKEN, and SIGTERM's deadline from
 * SHUTDOWN_TIMEOUT_MS.
 */
import os from 'node:os'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { killWorkers, mailCampaign, outboxRows, queueConfirmations, rawSql, startWorker, waitFor, type MailCampaign } from '../helpers/mail-worker.ts'
import { freePort } from '../helpers/server.ts'

const TOKEN = 'metrics-token-for-the-worker-test'
let resend: ResendStandIn
let campaign: MailCampaign
let queued = 0
const sql = () => rawSql(getDb())

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  campaign = await mailCampaign('free-andry')
  resend = await startResendStandIn()
})

afterEach(async () => {
  await killWorkers()
  resend.reset()
})

afterAll(async () => {
  await killWorkers()
  await resend?.close()
})

async function queueOne() {
  queued++
  const address = `worker.${queued}@example.org`
  await queueConfirmations(getDb(), { campaign, addresses: [address], keyPrefix: `worker-ops-${queued}` })
  return address
}

const statusOf = async (address: string) => (await outboxRows(sql())).find((m) => m.to === address)?.status

/** A sample's value: the sum over the series of `name` whose labels include every one given. */
function figure(text: string, name: string, labels: Record<string, string> = {}) {
  let total: number | null = null
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = Object.fromEntries([...match[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(match[3])
  }
  return total
}

describe('the worker\'s /metrics', () => {
  it('serves the sender\'s figures on METRICS_PORT to the bearer token only, every sample labelled with the worker', { timeout: 60_000 }, async () => {
    const port = await freePort()
    const worker = startWorker(resend, { METRICS_TOKEN: TOKEN, METRICS_PORT: String(port) })
    await worker.ready
    const url = `http://127.0.0.1:${port}`
    expect(worker.output()).toContain(`vigil worker: metrics on port ${port}`)

    for (const headers of [{} as Record<string, string>, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: `Basic ${TOKEN}` }]) {
      const refused = await fetch(`${url}/metrics`, { headers })
      expect(refused.status).toBe(401)
      expect(await refused.text()).not.toContain('vigil_')
    }
    // Only /metrics: the worker serves no pages.
    expect((await fetch(`${url}/`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404)
    expect((await fetch(`${url}/metrics`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(405)

    const address = await queueOne()
    await waitFor(async () => (await statusOf(address)) === 'sent', 15_000, async () => `the confirmation is ${await statusOf(address)}`)
    const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await res.text()
    const samples = text.split('\n').filter((line) => line && !line.startsWith('#'))
    expect(samples.length).toBeGreaterThan(5)
    const processLabel = `${os.hostname()}:${port}`
    for (const line of samples) expect(line).toContain(`process="${processLabel}"`)
    expect(figure(text, 'vigil_sender_emails_total', { result: 'sent' })).toBeGreaterThanOrEqual(1)
    expect(figure(text, 'vigil_sender_requests_total', { result: 'ok' })).toBeGreaterThanOrEqual(1)
    expect(figure(text, 'vigil_database_up')).toBe(1)
    expect(text).toContain('# TYPE vigil_outbox_backlog gauge')

    // Stopped, it lets go of the port.
    await worker.kill('SIGTERM')
    expect(worker.output()).toMatch(/vigil worker: stopped\n/)
    await expect(fetch(`${url}/metrics`)).rejects.toThrow()
  })
})

describe('SIGTERM with SHUTDOWN_TIMEOUT_MS', () => {
  it('cuts the sender\'s request still in flight at the configured deadline, not 8 s later', { timeout: 60_000 }, async () => {
    const worker = startWorker(resend, { SHUTDOWN_TIMEOUT_MS: '1000' })
    await worker.ready
    // The provider takes far longer than the deadline to answer.
    resend.delay(20_000)
    const address = await queueOne()
    // Out to the provider: the message on its own, or in a transactional batch.
    const inFlight = async () =>
      (await statusOf(address)) === 'sending' || (await sql().get(`select id from email_batches where send_id is null and status = 'submitting'`)) !== undefined
    await waitFor(inFlight, 15_000, async () => `the confirmation is ${await statusOf(address)}`)
    const signalledAt = Date.now()
    await worker.kill('SIGTERM')
    const took = Date.now() - signalledAt
    expect(took).toBeGreaterThanOrEqual(900)
    expect(took).toBeLessThan(4000)
    expect(worker.output()).toContain('vigil worker: stopped (work in flight cut at the deadline')
    resend.delay(0)
  })
})
