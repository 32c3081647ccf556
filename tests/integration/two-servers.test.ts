/**
 * Two app servers on one Postgres, as behind a load balancer: two processes of the production
 * build on different ports, one database, both running their mail sender. Signing, confirming,
 * Stripe webhooks, an organiser's session and an update send are spread over both, and one of
 * them is killed with SIGKILL while it has a batch out at the provider and started again on the
 * same database. Afterwards every counter equals its recount, every email reached the provider
 * once, and every Stripe event was applied once.
 *
 * Live mode against the local stand-ins (Resend and Stripe), not demo mode: demo mode captures
 * mail without a request, so nothing would be in flight when the server dies and "delivered once"
 * could only be read from our own outbox. The Resend stand-in sees what a provider would: each
 * email it accepted (a replay under a used idempotency key adds none) and which process asked.
 *
 * Postgres only: on SQLite two processes cannot share the database (one file, one machine, one
 * writer at a time); the single-server behaviour is covered by petition, stripe-webhook,
 * update-compose and sender-crash on both engines.
 */
import { and, count, eq, inArray, like, ne } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { campaignCounters, campaigns, donations, emailBatches, emailMessages, fundCounters, organizations, organizers, stripeEvents, updateSends, updateTranslations } from '#db/schema.ts'
import { hashPassword } from '~/models/organizers.server.ts'
import { getSignatureCounters, recountFunds, recountSignatures } from '~/models/counters.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { startResendStandIn, type ResendStandIn } from '../../stand-ins/resend/index.ts'
import { startStripeStandIn, type StripeEventJson, type StripeStandIn } from '../../stand-ins/stripe/index.ts'
import { HANDLED_TYPES, WEBHOOK_SECRET } from '../helpers/donations.ts'
import { onPostgres } from '../helpers/engine.ts'
import { addUpdateReaders, waitFor } from '../helpers/mail-worker.ts'
import { setSecondFactorPolicy } from '../helpers/organisers.ts'
import { startPair, type Instance } from '../helpers/two-servers.ts'

const suite = onPostgres ? describe : describe.skip

const SIGNERS = 200
const DONATIONS = 10
// Enough readers for a few dozen batches, so that one server still has some to send when it dies.
const READERS = 2_500
// An owner of the organisation (live mode refuses to start while the demo organiser exists).
const OWNER = { email: 'olga.owner@two-servers.example', password: 'an owner passphrase for two servers 15' }
const SLUG = 'free-andry'

let resend: ResendStandIn
let stripe: StripeStandIn
let servers: Instance[] = []
let campaignId = 0
// The demo's counters before this test signs: the burst adds to them.
let confirmedBefore = 0
// The idempotency keys of the batches the killed server had out at the provider when it died.
const outWhenKilled = new Set<string>()

const db = () => getDb()
const otherOf = (i: number) => servers[(i + 1) % 2]!

/** What the provider accepted, per recipient and subject: each must be 1. */
function sentTwiceOrMore() {
  const perEmail = new Map<string, number>()
  for (const s of resend.sent()) {
    const key = `${String(s.email.to)} / ${String(s.email.subject)}`
    perEmail.set(key, (perEmail.get(key) ?? 0) + 1)
  }
  return [...perEmail].filter(([, n]) => n > 1)
}

const sentTo = (address: string) => resend.sent().filter((s) => String(s.email.to) === address)

suite('two app servers on one Postgres', () => {
  beforeAll(async () => {
    // The test file's own Postgres database (tests/helpers/setup-env.ts) is the one both servers use.
    await seedDemo(db(), { demoOrganizer: false })
    const organizationId = (await firstRow(db().select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, 'demo'))))!.id
    await execute(db().insert(organizers).values({ organizationId, email: OWNER.email, name: 'Olga Owner', role: 'owner', passwordHash: await hashPassword(OWNER.password) }))
    await setSecondFactorPolicy(db(), 'none')
    campaignId = (await firstRow(db().select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, SLUG))))!.id
    await addUpdateReaders(db(), { campaignId, addresses: Array.from({ length: READERS }, (_, i) => `reader.${i}@example.org`), localeOf: (i) => (['en', 'de', 'es'] as const)[i % 3]! })
    // The readers were written straight into signatures: bring the counters to them once, so a
    // drift found at the end is this test's doing.
    await recountSignatures(db())
    confirmedBefore = (await getSignatureCounters(db(), campaignId)).confirmed
    resend = await startResendStandIn()
    stripe = await startStripeStandIn({ deliver: false, webhookSecret: WEBHOOK_SECRET })
    servers = await startPair({ databaseUrl: process.env.DATABASE_URL!, resend, stripe })
  }, 90_000)

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await resend?.close()
    await stripe?.close()
  })

  it('counts a burst of signatures posted to both, each confirmed on the other server, once', { timeout: 60_000 }, async () => {
    const addresses = Array.from({ length: SIGNERS }, (_, i) => `burst.${i}@example.org`)
    const posted = await Promise.all(
      addresses.map((email, i) =>
        fetch(`${servers[i % 2]!.url}/c/${SLUG}?lng=en`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'X-Forwarded-For': `10.15.${Math.floor(i / 200)}.${(i % 200) + 1}` },
          body: new URLSearchParams({ firstName: 'Ana', lastName: 'Pérez', email, country: ['DE', 'FR', 'KE', 'VE'][i % 4]!, ...(i % 2 ? { updates: 'on' } : {}) }),
        }),
      ),
    )
    expect(posted.map((r) => r.status).filter((s) => s !== 303)).toEqual([])

    // The confirmation emails, as the provider received them from either sender.
    await waitFor(() => addresses.every((a) => sentTo(a).length > 0), 30_000, () => `${addresses.filter((a) => sentTo(a).length === 0).length} confirmation emails not sent`, 100)
    const tokens = addresses.map((a) => {
      const html = String(sentTo(a)[0]!.email.html)
      const token = /\/confirm\/([A-Za-z0-9_-]+)/.exec(html)?.[1]
      if (!token) throw new Error(`no confirmation link in the email to ${a}`)
      return token
    })
    // Each link on the server the signature was not posted to; every tenth also clicked twice at once there.
    const confirm = (i: number) =>
      fetch(`${otherOf(i).url}/confirm/${tokens[i]}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    const answers = await Promise.all([...tokens.map((_, i) => confirm(i)), ...tokens.flatMap((_, i) => (i % 10 === 0 ? [confirm(i)] : []))])
    const statuses = answers.map((r) => r.status)
    // The first of each pair redirects to the thanks page; the repeat is told the link was used (404, as any used link).
    expect(statuses.filter((s) => s === 303)).toHaveLength(SIGNERS)
    expect(statuses.filter((s) => s !== 303 && s !== 404)).toEqual([])
    expect(statuses.filter((s) => s === 404)).toHaveLength(answers.length - SIGNERS)

    expect((await getSignatureCounters(db(), campaignId)).confirmed).toBe(confirmedBefore + SIGNERS)
    expect(await recountSignatures(db())).toEqual([])
    // Either server's count.json catches up within the page cache's TTL (PAGE_CACHE_TTL_MS).
    for (const server of servers) {
      await waitFor(
        async () => ((await (await fetch(`${server.url}/c/${SLUG}/count.json`)).json()) as { confirmed: number }).confirmed === confirmedBefore + SIGNERS,
        5_000,
        () => `count.json of ${server.name} is stale`,
        200,
      )
    }
  })

  it('applies each Stripe event delivered to both servers at once, twice each, once', { timeout: 60_000 }, async () => {
    const fundBefore = await firstRow(db().select().from(fundCounters).where(eq(fundCounters.fundId, 1)))
    const mark = stripe.events().length
    const gifts: { sessionId: string; email: string }[] = []
    for (let i = 0; i < DONATIONS; i++) {
      const email = `donor.${i}@example.org`
      const response = await fetch(`${servers[i % 2]!.url}/c/${SLUG}/donate`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': `10.16.0.${i + 1}` },
        body: new URLSearchParams({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email, publicName: 'Ada', message: 'For Andry' }).toString(),
      })
      expect(response.status).toBe(303)
      const sessionId = /\/c\/pay\/(cs_[A-Za-z0-9_]+)$/.exec(response.headers.get('location') ?? '')?.[1]
      if (!sessionId) throw new Error(`not a stand-in checkout URL: ${response.headers.get('location')}`)
      stripe.complete(sessionId, { method: 'card' })
      gifts.push({ sessionId, email })
    }
    const events: StripeEventJson[] = stripe.events().slice(mark)
    const handled = events.filter((e) => HANDLED_TYPES.has(e.type))
    expect(handled.length).toBeGreaterThanOrEqual(DONATIONS)
    // Every event four times at once: twice to each server, each delivery freshly signed.
    const deliveries = events.flatMap((event) =>
      [0, 1, 0, 1].map(async (s) => {
        const { body, headers } = stripe.webhookRequest(event)
        return (await fetch(`${servers[s]!.url}/webhooks/stripe`, { method: 'POST', headers, body })).status
      }),
    )
    expect((await Promise.all(deliveries)).filter((status) => status !== 200)).toEqual([])

    const ledger = await allRows(db().select({ id: stripeEvents.id, n: count() }).from(stripeEvents).where(inArray(stripeEvents.id, events.map((e) => String(e.id)))).groupBy(stripeEvents.id))
    expect(ledger.map((r) => r.id).sort()).toEqual(handled.map((e) => String(e.id)).sort())
    expect(ledger.filter((r) => r.n !== 1)).toEqual([])
    const paid = await allRows(db().select({ status: donations.status, counted: donations.countedMinor, receipt: donations.receiptNumber }).from(donations).where(inArray(donations.stripeCheckoutSessionId, gifts.map((g) => g.sessionId))))
    expect(paid).toHaveLength(DONATIONS)
    expect(paid.filter((d) => d.status !== 'succeeded' || d.counted !== 2500)).toEqual([])
    expect(new Set(paid.map((d) => d.receipt)).size).toBe(DONATIONS)
    const fund = await firstRow(db().select().from(fundCounters).where(eq(fundCounters.fundId, 1)))
    expect(fund!.raisedMinor - (fundBefore?.raisedMinor ?? 0)).toBe(DONATIONS * 2500)
    expect(fund!.donations - (fundBefore?.donations ?? 0)).toBe(DONATIONS)
    expect(await recountFunds(db())).toEqual([])
    // One receipt each, queued once and delivered once.
    const receipts = await allRows(db().select({ key: emailMessages.idempotencyKey }).from(emailMessages).where(like(emailMessages.idempotencyKey, 'donation:%:receipt')))
    expect(receipts).toHaveLength(DONATIONS)
    await waitFor(() => gifts.every((g) => sentTo(g.email).length > 0), 30_000, () => 'receipts not sent', 100)
    expect(gifts.filter((g) => sentTo(g.email).length !== 1).map((g) => g.email)).toEqual([])
  })

  let updateId = 0
  let sendId = 0

  it("keeps an organiser logged in on server 1 logged in on server 2, whose forms take the session and refuse another site's", { timeout: 30_000 }, async () => {
    const [one, two] = servers as [Instance, Instance]
    const login = await fetch(`${one.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { Origin: one.url }, body: new URLSearchParams(OWNER) })
    expect(login.status).toBe(302)
    const cookie = /(vigil_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1]
    if (!cookie) throw new Error('no session cookie from server 1')

    const page = await fetch(`${two.url}/admin`, { redirect: 'manual', headers: { Cookie: cookie } })
    expect(page.status).toBe(200)
    const title = `Released: two servers ${Date.now()}`
    const write = (origin: string, withCookie = true) =>
      fetch(`${two.url}/admin/campaigns/${campaignId}/timeline`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: origin, ...(withCookie ? { Cookie: cookie } : {}) },
        body: new URLSearchParams({ happenedOn: '2026-11-20', locale: 'en', title, bodyMd: 'Andry walked free **today**.', publish: 'now' }),
      })
    // The CSRF check and the session are both there on server 2: another site's form is refused, no cookie is sent to log in.
    expect((await write('https://evil.example')).status).toBe(403)
    const anonymous = await write(two.url, false)
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('location')).toMatch(/\/admin\/login/)
    expect(await firstRow(db().select({ id: updateTranslations.updateId }).from(updateTranslations).where(eq(updateTranslations.title, title)))).toBeUndefined()
    const created = await write(two.url)
    expect(created.status).toBe(302)
    updateId = (await firstRow(db().select({ id: updateTranslations.updateId }).from(updateTranslations).where(eq(updateTranslations.title, title))))!.id

    // The send itself, from server 2 with server 1's session. The provider holds each answer a
    // while from now on, so that a server killed mid-send has a batch out.
    resend.delay(250)
    const send = await fetch(`${two.url}/admin/campaigns/${campaignId}/updates/${updateId}/send`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: two.url, Cookie: cookie },
      body: new URLSearchParams({ intent: 'send', signers: 'on', donors: 'none', confirmed: 'yes' }),
    })
    expect(send.status).toBe(302)
    sendId = (await firstRow(db().select({ id: updateSends.id }).from(updateSends).where(eq(updateSends.updateId, updateId))))!.id
  })

  it('sends the update once through two senders, one killed with SIGKILL mid-send and started again on the same database', { timeout: 90_000 }, async () => {
    expect(sendId).toBeGreaterThan(0)
    const { recipients } = (await firstRow(db().select({ recipients: updateSends.recipients }).from(updateSends).where(eq(updateSends.id, sendId))))!
    // Readers, and the burst's signers who asked for news.
    expect(recipients).toBeGreaterThanOrEqual(READERS + SIGNERS / 2)
    const keys = new Set((await allRows(db().select({ key: emailBatches.idempotencyKey }).from(emailBatches).where(eq(emailBatches.sendId, sendId)))).map((b) => b.key))
    const batchRequests = () => resend.requests().filter((r) => keys.has(r.idempotencyKey ?? ''))
    const [one] = servers as [Instance, Instance]

    // Server 1 dies the moment its second batch of this send reaches the provider (which holds
    // its answer): that batch is out, claimed and not recorded.
    await waitFor(() => batchRequests().filter((r) => r.headers['user-agent'] === one.userAgent).length >= 2, 30_000, () => 'server 1 sent no batch of the update', 2)
    one.kill()
    for (const r of batchRequests()) if (r.headers['user-agent'] === one.userAgent && !r.answered) outWhenKilled.add(r.idempotencyKey!)
    expect(outWhenKilled.size).toBeGreaterThan(0)
    const left = await firstRow(db().select({ n: count() }).from(emailBatches).where(and(eq(emailBatches.sendId, sendId), ne(emailBatches.status, 'submitted'))))
    expect(left!.n).toBeGreaterThan(0)

    servers[0] = await one.restart()
    expect((await fetch(`${servers[0].url}/healthz`)).status).toBe(200)
    await waitFor(
      async () => (await firstRow(db().select({ n: count() }).from(emailBatches).where(and(eq(emailBatches.sendId, sendId), ne(emailBatches.status, 'submitted')))))!.n === 0,
      60_000,
      () => 'batches of the update still unsent',
      200,
    )
    // The batch that was out when server 1 died went again under its key; the provider answered it without sending twice.
    const perKey = new Map<string, number>()
    for (const r of batchRequests()) perKey.set(r.idempotencyKey!, (perKey.get(r.idempotencyKey!) ?? 0) + 1)
    expect([...perKey.values()].filter((n) => n > 1).length).toBeGreaterThan(0)
    expect(perKey.size).toBe(keys.size)
    const agents = new Set(batchRequests().map((r) => r.headers['user-agent']))
    expect(agents.has(servers[1]!.userAgent)).toBe(true)
    expect(agents.has(one.userAgent)).toBe(true)
  })

  it('leaves every counter equal to its recount, every email delivered once and no claim open', { timeout: 30_000 }, async () => {
    // Nothing left to send, in flight or claimed (the restarted server and the other one finish what is due).
    await waitFor(
      async () => (await firstRow(db().select({ n: count() }).from(emailMessages).where(ne(emailMessages.status, 'sent'))))!.n === 0,
      20_000,
      async () => `messages not sent: ${JSON.stringify(await allRows(db().select({ status: emailMessages.status, n: count() }).from(emailMessages).where(ne(emailMessages.status, 'sent')).groupBy(emailMessages.status)))}`,
      200,
    )
    expect(await allRows(db().select({ id: emailBatches.id, status: emailBatches.status }).from(emailBatches).where(ne(emailBatches.status, 'submitted')))).toEqual([])

    const messages = await allRows(db().select({ id: emailMessages.id, template: emailMessages.template, providerId: emailMessages.providerId }).from(emailMessages))
    const sent = resend.sent()
    // The provider accepted exactly the emails of the outbox, each once, and each row holds its own email's id.
    expect(sentTwiceOrMore()).toEqual([])
    // Each key (an email, or a batch) was asked for once: no two senders ever claimed the same
    // work. The only exception is a batch the killed server had out, sent again after its claim timed out.
    const perKey = new Map<string, number>()
    for (const r of resend.requests()) perKey.set(r.idempotencyKey ?? 'none', (perKey.get(r.idempotencyKey ?? 'none') ?? 0) + 1)
    expect([...perKey].filter(([key, n]) => n > 1 && !outWhenKilled.has(key))).toEqual([])
    expect(sent).toHaveLength(messages.length)
    expect(messages.filter((m) => m.providerId === null)).toEqual([])
    expect(new Set(messages.map((m) => m.providerId))).toEqual(new Set(sent.map((s) => s.id)))
    expect(resend.rejected()).toEqual([])
    // A batch sent again carried the very same request (a different one under a used key is refused, and its emails' ids are lost).
    expect(resend.requests().filter((r) => r.outcome === 'conflict' && (r.responseBody as { name?: string }).name === 'invalid_idempotent_request')).toEqual([])

    expect(await recountSignatures(db())).toEqual([])
    expect(await recountFunds(db())).toEqual([])
    const counter = await firstRow(db().select({ confirmed: campaignCounters.confirmed }).from(campaignCounters).where(eq(campaignCounters.campaignId, campaignId)))
    expect(counter!.confirmed).toBe(confirmedBefore + SIGNERS)
    // Nothing a server recorded as a failure: neither process printed a sender or database error.
    for (const server of servers) expect(server.output()).not.toMatch(/mail sender error|unhandled|DatabaseError/i)
  })
})
