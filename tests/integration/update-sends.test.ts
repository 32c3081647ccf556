import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { countAudience, getSendProgress, startUpdateSend, type Audience } from '~/models/update-sends.server.ts'
import { resendTransport, sendNextOnce, type Transport } from '~/workflows/mail-sender.server.ts'
import { fromUnsubscribeToken } from '~/utils/tokens.server.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { insertSignature, insertSupporter, outboxRows, rawSql, suppressAddress } from '../helpers/mail-worker.ts'
import { sealSupporter } from '~/models/personal-data.server.ts'

// Sending an update: the audience snapshot, batches through Resend's batch endpoint
// (the real SDK against the stand-in), per-message results, suppressions and consent.
let resend: ResendStandIn
let transport: Transport
let campaignId: number
let n = 0
const sql = () => rawSql(getDb())

beforeAll(async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  campaignId = ((await sql().get(`select id from campaigns where slug = 'free-andry'`)) as { id: number }).id
  resend = await startResendStandIn()
  transport = resendTransport({ apiKey: resend.apiKey, from: 'Vigil <team@example.org>', baseUrl: resend.url })
})

afterAll(async () => {
  await resend?.close()
})

beforeEach(() => resend.reset())

/** A supporter who signed (confirmed or not) and maybe asked for updates. */
async function supporter({ locale = 'en', confirmed = true, consent = true, email }: { locale?: string; confirmed?: boolean; consent?: boolean; email?: string } = {}) {
  n++
  const address = email ?? `person.${n}@example.org`
  const id = await insertSupporter(sql(), { email: address, locale })
  await insertSignature(sql(), { campaignId, supporterId: id, status: confirmed ? 'confirmed' : 'pending', locale })
  if (consent) await sql().run(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, true, 'petition_form')`, id, campaignId)
  return { id, email: address }
}

async function newUpdate(title = `Update ${++n}`) {
  const id = Number((await sql().insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-20', ?)`, campaignId, Date.now())))
  await sql().run(`insert into update_translations (update_id, locale, title, body_md) values (?, 'en', ?, 'He is **home**.')`, id, title)
  await sql().run(`insert into update_translations (update_id, locale, title, body_md) values (?, 'de', ?, 'Er ist **zu Hause**.')`, id, `DE ${title}`)
  return id
}

async function clearAudience() {
  await sql().exec(`delete from email_messages; delete from email_batches; delete from update_sends; delete from consents; delete from signatures; delete from suppressed_addresses; delete from supporters`)
}

async function sendAll() {
  let rounds = 0
  while (await sendNextOnce(getDb(), transport)) rounds++
  return rounds
}

const signers: Audience = { signers: true, donors: 'none' }

describe('the audience', () => {
  beforeEach(clearAudience)

  it('counts confirmed signers whose latest consent is granted, not suppressed, by language', async () => {
    await supporter({ locale: 'en' })
    await supporter({ locale: 'de' })
    await supporter({ locale: 'de' })
    await supporter({ confirmed: false })
    await supporter({ consent: false })
    const withdrawn = await supporter()
    await sql().run(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, false, 'unsubscribe_link')`, withdrawn.id, campaignId)
    const bounced = await supporter()
    // Suppressed by its keyed hash, whatever the case or +tag the provider reported it with.
    await suppressAddress(sql(), bounced.email.toUpperCase().replace('@', '+news@'))
    expect(await countAudience(getDb(), { campaignId, audience: signers })).toEqual({ total: 3, byLocale: { en: 1, de: 2, es: 0 } })
  })
})

describe('sending an update', () => {
  beforeEach(clearAudience)

  it('snapshots 250 recipients into 3 batches, sends each once with its idempotency key, unsubscribe headers and language', async () => {
    const people: { id: number; email: string }[] = []
    for (let i = 0; i < 250; i++) people.push(await supporter({ locale: i % 5 === 0 ? 'de' : 'en' }))
    const updateId = await newUpdate('He is home')
    const started = await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })
    expect(started).toMatchObject({ status: 'started', recipients: 250 })
    const batches = (await sql().all(`select size, idempotency_key as key from email_batches order by id`)) as { size: number; key: string }[]
    expect(batches.map((b) => b.size)).toEqual([100, 100, 50])

    // Pressing Send again sends nothing more.
    expect(await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })).toEqual({ status: 'already-sent' })

    expect(await sendAll()).toBe(3)
    const sent = resend.sent()
    expect(sent).toHaveLength(250)
    expect(new Set(sent.map((s) => s.email.to))).toEqual(new Set(people.map((p) => p.email)))
    expect(new Set(sent.map((s) => s.idempotencyKey))).toEqual(new Set(batches.map((b) => b.key)))
    expect(resend.rejected()).toEqual([])
    const german = sent.find((s) => s.email.to === people[0]!.email)!
    expect(german.email.subject).toBe('DE He is home')
    const headers = german.email.headers as Record<string, string>
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    const link = /^<(https?:\/\/[^>]+\/unsubscribe\/([^>]+))>$/.exec(headers['List-Unsubscribe']!)
    expect(link).not.toBeNull()
    expect(fromUnsubscribeToken(link![2]!)).toEqual({ supporterId: people[0]!.id, campaignId })
    expect(String(german.email.html)).toContain(link![1])
    // Each email has its own link.
    expect(new Set(sent.map((s) => (s.email.headers as Record<string, string>)['List-Unsubscribe'])).size).toBe(250)

    const progress = await getSendProgress(getDb(), { updateId })
    expect(progress).toMatchObject({ recipients: 250, sent: 250, failed: 0, remaining: 0 })
    const ids = (await sql().get(`select count(distinct provider_id) as n from email_messages where status = 'sent'`)) as { n: number }
    expect(ids.n).toBe(250)
  })

  it('keeps going when Resend refuses one address of a batch (permissive validation), recording why', async () => {
    for (let i = 0; i < 9; i++) await supporter()
    await supporter({ email: 'not-an-address' })
    const updateId = await newUpdate()
    await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })
    await sendAll()
    expect(resend.sent()).toHaveLength(9)
    const failed = await outboxRows(sql(), `m.status = 'failed'`)
    expect(failed).toHaveLength(1)
    expect(failed[0]!.to).toBe('not-an-address')
    expect(failed[0]!.lastError).toMatch(/refused/)
    expect(await getSendProgress(getDb(), { updateId })).toMatchObject({ sent: 9, failed: 1, remaining: 0 })
  })

  it('retries a batch after a 429 and a 500 with the same key, and sends it once', async () => {
    for (let i = 0; i < 5; i++) await supporter()
    const updateId = await newUpdate()
    await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })
    resend.failNext(1, { status: 429, retryAfterSeconds: 1 })
    expect(await sendNextOnce(getDb(), transport)).toBe(5)
    const batch = (await sql().get(`select status, next_attempt_at, attempts from email_batches`)) as { status: string; next_attempt_at: number; attempts: number }
    expect(batch.status).toBe('pending')
    expect(batch.next_attempt_at).toBeGreaterThan(Date.now() + 500)
    // Not due yet: nothing is claimed before Retry-After has passed.
    expect(await sendNextOnce(getDb(), transport)).toBe(0)
    resend.failNext(1, { status: 500 })
    expect(await sendNextOnce(getDb(), transport, Date.now() + 2000)).toBe(5)
    expect(await sendNextOnce(getDb(), transport, Date.now() + 60_000)).toBe(5)
    expect(resend.sent()).toHaveLength(5)
    const keys = resend.requests().map((r) => r.idempotencyKey)
    expect(new Set(keys).size).toBe(1)
  })

  it('leaves out whoever unsubscribed or bounced after the snapshot', async () => {
    const [a, b, c] = [await supporter(), await supporter(), await supporter()]
    const updateId = await newUpdate()
    await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })
    await sql().run(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, false, 'unsubscribe_link')`, a.id, campaignId)
    await suppressAddress(sql(), b.email, 'complaint')
    await sendAll()
    expect(resend.sent().map((s) => s.email.to)).toEqual([c.email])
    expect(await getSendProgress(getDb(), { updateId })).toMatchObject({ recipients: 3, sent: 1, failed: 2, unsubscribed: 1 })
  })

  it('writes no address into the outbox: each email goes to its supporter’s address as it is when sent, none to a supporter deleted since', async () => {
    const [a, b, c] = [await supporter(), await supporter(), await supporter()]
    const updateId = await newUpdate()
    await startUpdateSend(getDb(), { updateId, campaignId, audience: signers, organizerId: null })
    const rows = await sql().all<{ toEmail: string | null; sealed: string | null; props: string | Record<string, unknown> }>(`select to_email as toEmail, sealed, props from email_messages order by id`)
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(row).toMatchObject({ toEmail: null, sealed: null })
      expect(JSON.stringify(row.props)).not.toContain('@')
    }
    // After the snapshot: b typed a new address (signing again re-seals the row), c was deleted (retention).
    const moved = sealSupporter({ email: 'b.moved@example.org', firstName: 'P', lastName: 'Q' })
    await sql().run(`update supporters set sealed = ?, email_hash = ?, email_domain_hash = ? where id = ?`, moved.sealed, moved.emailHash, moved.emailDomainHash, b.id)
    await sql().run(`update email_messages set supporter_id = null where supporter_id = ?`, c.id)
    await sql().run(`delete from consents where supporter_id = ?`, c.id)
    await sql().run(`delete from signatures where supporter_id = ?`, c.id)
    await sql().run(`delete from supporters where id = ?`, c.id)
    await sendAll()
    expect(resend.sent().map((s) => s.email.to).sort()).toEqual([a.email, 'b.moved@example.org'].sort())
    expect(await getSendProgress(getDb(), { updateId })).toMatchObject({ recipients: 3, sent: 2, failed: 1 })
  })

  it('does not start a send with nobody to send to', async () => {
    await supporter({ consent: false })
    expect(await startUpdateSend(getDb(), { updateId: await newUpdate(), campaignId, audience: signers, organizerId: null })).toEqual({ status: 'empty' })
    expect((await sql().get(`select count(*) as n from update_sends`))).toEqual({ n: 0 })
  })
})
