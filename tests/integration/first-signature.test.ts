import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { firstRow } from '#db/query.server.ts'
import { campaigns, MAIL_PRIORITIES, organizations } from '#db/schema.ts'
import { transaction } from '#db/transaction.server.ts'
import { onMailQueued } from '~/models/outbox.server.ts'
import { signPetition, TOKEN_TTL_MS, type SignCampaign, type SignInput } from '~/models/signatures.server.ts'
import { sha256 } from '~/utils/crypto.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { currentDataKeyId, emailDomainHash, emailHash, openResubmitted, openSignature, openSupporter } from '~/models/personal-data.server.ts'
import { outboxRows } from '../helpers/sealed.ts'
import { sqlOn } from '../helpers/sql.ts'

// A first signature is one statement on Postgres and several on SQLite
// (db/sql/signatures.server.ts): the rows must come out the same on both.
let first: SignCampaign
let second: SignCampaign
const q = () => sqlOn(getDb())

async function newCampaign(organizationId: number, slug: string): Promise<SignCampaign> {
  return transaction(getDb(), async (tx) => {
    const row = (await firstRow(tx.insert(campaigns).values({ organizationId, slug, status: 'live', publishedAt: Date.now() }).returning({ id: campaigns.id })))!
    return { id: row.id, slug, title: `Title of ${slug}`, petitionText: 'Let them go.', organizationName: 'First Org' }
  })
}

beforeAll(async () => {
  const organizationId = await transaction(getDb(), async (tx) => (await firstRow(tx.insert(organizations).values({ slug: 'first-org', name: 'First Org' }).returning({ id: organizations.id })))!.id)
  first = await newCampaign(organizationId, 'first-one')
  second = await newCampaign(organizationId, 'second-one')
})

const ana: SignInput = { firstName: 'Ana', lastName: 'Pérez', email: '  Ana.Perez@Example.org ', country: 'VE', postalCode: '1010', message: 'Free him.', showName: true, updates: true }

describe('a first signature', () => {
  it('writes the supporter, the signature, the pending count and the confirmation email, and wakes the sender', async () => {
    let woken = 0
    const stop = onMailQueued(() => woken++)
    const now = Date.now()
    try {
      expect(await signPetition(getDb(), { campaign: first, input: ana, locale: 'es', ipHash: 'iphash', source: 'wa', now })).toEqual({ outcome: 'created' })
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      stop()
    }
    expect(woken).toBe(1)
    // Sealed (ADR 017): found by the keyed hash of the normalised address; nothing personal in a plain column.
    const supporter = (await q().get<Record<string, unknown>>(`SELECT * FROM supporters WHERE email_hash = ?`, emailHash('ana.perez@example.org')))!
    expect(supporter).toMatchObject({
      email_domain_hash: emailDomainHash('example.org'), data_key_id: currentDataKeyId(), country: 'VE', locale: 'es',
      email_normalized: null, email: null, first_name: null, last_name: null,
    })
    // The address as typed (trimmed): where the app writes to.
    expect(openSupporter(String(supporter.sealed))).toEqual({ email: 'Ana.Perez@Example.org', firstName: 'Ana', lastName: 'Pérez' })
    const signature = (await q().get<Record<string, unknown>>(`SELECT * FROM signatures WHERE campaign_id = ?`, first.id))!
    expect(signature).toMatchObject({
      supporter_id: supporter.id, status: 'pending', country: 'VE', locale: 'es', data_key_id: currentDataKeyId(),
      show_name: 1, message_status: 'pending', token_expires_at: now + TOKEN_TTL_MS, confirmations_sent: 1, ip_hash: 'iphash',
      created_at: now, updates_requested: 1, source: 'wa', confirmed_at: null, resubmitted_details: null, resubmitted_sealed: null,
      first_name: null, last_name: null, postal_code: null, message: null,
    })
    expect(openSignature(signature.sealed as string)).toEqual({ firstName: 'Ana', lastName: 'Pérez', postalCode: '1010', message: 'Free him.' })
    // No name words while pending: the back office finds signers by name once they confirm (ADR 017).
    expect(await q().column<string>(`SELECT word_hash FROM signature_name_words WHERE signature_id = ?`, signature.id)).toEqual([])
    expect(await q().get(`SELECT confirmed, pending FROM campaign_counters WHERE campaign_id = ?`, first.id)).toEqual({ confirmed: 0, pending: 1 })
    const email = (await q().get<Record<string, unknown>>(`SELECT * FROM email_messages WHERE campaign_id = ?`, first.id))!
    expect(email).toMatchObject({
      template: 'confirm-signature', locale: 'es', idempotency_key: `signature:${signature.id}:confirm:1`,
      status: 'queued', attempts: 0, batch_id: null, supporter_id: null, priority: MAIL_PRIORITIES.confirmation, batchable: 1,
    })
    const [opened] = await outboxRows(q(), 'm.id = ?', email.id)
    expect(opened!.to).toBe('Ana.Perez@Example.org')
    const props = opened!.props
    expect(props).toEqual({ tokenSeed: props.tokenSeed, firstName: 'Ana', campaignTitle: 'Title of first-one', petitionText: 'Let them go.', organizationName: 'First Org' })
    // The emailed link is the one the signature waits for.
    expect(sha256(signatureToken(String(props.tokenSeed)))).toBe(signature.token_hash)
  })

  it('keeps the supporter an address already has, with its first details, when it signs another campaign', async () => {
    const outcome = await signPetition(getDb(), { campaign: second, input: { ...ana, email: 'ana.perez@example.org', firstName: 'Anita', country: 'ES' }, locale: 'en', ipHash: null })
    expect(outcome).toEqual({ outcome: 'created' })
    const supporters = await q().all<{ sealed: string; country: string; locale: string }>(`SELECT sealed, country, locale FROM supporters WHERE email_hash = ?`, emailHash('ana.perez@example.org'))
    expect(supporters.map((p) => ({ firstName: openSupporter(p.sealed).firstName, country: p.country, locale: p.locale }))).toEqual([{ firstName: 'Ana', country: 'VE', locale: 'es' }])
    const signature = (await q().get<{ sealed: string; country: string; locale: string }>(
      `SELECT s.sealed, s.country, s.locale FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE s.campaign_id = ? AND p.email_hash = ?`,
      second.id,
      emailHash('ana.perez@example.org'),
    ))!
    expect({ firstName: openSignature(signature.sealed)!.firstName, country: signature.country, locale: signature.locale }).toEqual({ firstName: 'Anita', country: 'ES', locale: 'en' })
    expect(await q().get(`SELECT count(*) AS n FROM supporters`)).toEqual({ n: 1 })
    expect(await q().get(`SELECT pending FROM campaign_counters WHERE campaign_id = ?`, second.id)).toEqual({ pending: 1 })
  })

  it('answers a second signature of the same campaign as a repeat, writing no second row or count', async () => {
    expect(await signPetition(getDb(), { campaign: first, input: ana, locale: 'es', ipHash: null })).toEqual({ outcome: 'resent' })
    expect(await q().get(`SELECT count(*) AS n FROM signatures WHERE campaign_id = ?`, first.id)).toEqual({ n: 1 })
    // The repeat's details wait sealed beside the first ones; neither has name words until a link is confirmed.
    const waiting = (await q().get<{ id: number; resubmitted_sealed: string | null; resubmitted_details: unknown }>(`SELECT id, resubmitted_sealed, resubmitted_details FROM signatures WHERE campaign_id = ?`, first.id))!
    expect(waiting.resubmitted_details).toBeNull()
    expect(openResubmitted(waiting.resubmitted_sealed)).toMatchObject({ firstName: 'Ana', lastName: 'Pérez', postalCode: '1010', message: 'Free him.', country: 'VE', locale: 'es' })
    expect(await q().get(`SELECT count(*) AS n FROM signature_name_words WHERE signature_id = ?`, waiting.id)).toEqual({ n: 0 })
    expect(await q().get(`SELECT pending FROM campaign_counters WHERE campaign_id = ?`, first.id)).toEqual({ pending: 1 })
    expect((await q().column<string>(`SELECT idempotency_key FROM email_messages WHERE campaign_id = ? ORDER BY id`, first.id)).map((k) => k.replace(/\d+/, 'N'))).toEqual([
      'signature:N:confirm:1',
      'signature:N:confirm:2',
    ])
  })

  it('over a rate limit writes only the attempt: no supporter, signature, count or email, and says when to try again', async () => {
    const bob: SignInput = { ...ana, firstName: 'Bob', email: 'bob@example.org' }
    const limits = [
      { bucket: 'sign-ip', keyHash: 'one-client', limit: 100, windowMs: 60_000 },
      { bucket: 'sign-ip-day', keyHash: 'one-client', limit: 2, windowMs: 86_400_000 },
    ]
    const now = Date.now()
    const before = await q().get(`SELECT pending FROM campaign_counters WHERE campaign_id = ?`, second.id)
    const signed = (await q().get<{ n: number }>(`SELECT count(*) AS n FROM signatures WHERE campaign_id = ?`, second.id))!.n
    for (const [i, email] of ['c1@example.org', 'c2@example.org'].entries()) {
      expect(await signPetition(getDb(), { campaign: second, input: { ...bob, email }, locale: 'en', ipHash: null, limits, now: now + i })).toEqual({ outcome: 'created' })
    }
    const mails = await q().get(`SELECT count(*) AS n FROM email_messages`)
    // The third attempt in the day's window: the next one is let through once two have left it (the second at now + 1).
    expect(await signPetition(getDb(), { campaign: second, input: bob, locale: 'en', ipHash: null, limits, now: now + 10 })).toEqual({ outcome: 'rate-limited', retryAfterMs: 86_400_000 - 9 })
    expect(await q().get(`SELECT count(*) AS n FROM supporters WHERE email_hash = ?`, emailHash('bob@example.org'))).toEqual({ n: 0 })
    expect(await q().get(`SELECT count(*) AS n FROM signatures WHERE campaign_id = ?`, second.id)).toEqual({ n: signed + 2 })
    expect(await q().get(`SELECT pending FROM campaign_counters WHERE campaign_id = ?`, second.id)).toEqual({ pending: Number((before as { pending?: number } | undefined)?.pending ?? 0) + 2 })
    expect(await q().get(`SELECT count(*) AS n FROM email_messages`)).toEqual(mails)
    // Refused attempts are still recorded, in every window: hammering keeps the window shut.
    expect(await q().column<string>(`SELECT bucket FROM rate_limit_hits WHERE key_hash = 'one-client' ORDER BY bucket`)).toEqual(['sign-ip', 'sign-ip', 'sign-ip', 'sign-ip-day', 'sign-ip-day', 'sign-ip-day'])
    // Under both limits again (the day's window moved on), the same address signs at once.
    expect(await signPetition(getDb(), { campaign: second, input: bob, locale: 'en', ipHash: null, limits: limits.slice(0, 1), now: now + 20 })).toEqual({ outcome: 'created' })
  })
})
