/**
 * The authenticator-app model (ADR 019 §7) with fixed clocks, on this file's own database (either
 * engine): RFC 6238's SHA-1 vector; a set-up confirmed by a code otplib computes; a code accepted
 * once per step (a replay, and two requests racing with one code, pass once); one step of drift
 * either way, never two; the secret sealed and bound to its organiser.
 */
import { generate } from 'otplib'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { confirmTotpSetup, getPendingTotpSecret, startTotpSetup, totpPurpose, verifyTotpCode } from '~/models/totp.server.ts'
import { dataCrypto } from '~/utils/data-crypto.server.ts'
import { checkTotp, TOTP_PERIOD_S, totpStep, totpUri } from '~/utils/totp.server.ts'
import { rawSql } from '../helpers/mail-worker.ts'

const q = rawSql(getDb())
// A fixed moment at the start of a 30-second step, so ±1 step is exactly ±30 s.
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % (TOTP_PERIOD_S * 1000))
const at = (secret: string, steps: number) => generate({ secret, epoch: T0 / 1000 + steps * TOTP_PERIOD_S })

let organizerId: number

async function newOrganizer(email: string) {
  return q.insert(`insert into organizers (organization_id, email, name, role) values (?, ?, 'Tess Totp', 'owner')`, 1, email)
}

beforeAll(async () => {
  await q.run(`insert into organizations (id, slug, name) values (1, 'totp-unit', 'TOTP unit') on conflict (id) do nothing`)
  organizerId = await newOrganizer('tess@totp.example')
})

describe('checkTotp', () => {
  it('matches RFC 6238 (SHA-1, "12345678901234567890", 59 s → 287082)', async () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' // base32 of the ASCII seed
    expect(await checkTotp({ secret, code: '287082', now: 59_000 })).toEqual({ step: 1 })
    expect(await checkTotp({ secret, code: '287083', now: 59_000 })).toBeNull()
    expect(await checkTotp({ secret, code: '28708', now: 59_000 })).toBeNull()
    expect(await checkTotp({ secret, code: 'abcdef', now: 59_000 })).toBeNull()
    expect(await checkTotp({ secret, code: '287082', now: 59_000, afterStep: 1 })).toBeNull()
  })

  it('names the issuer and the account in the otpauth address', () => {
    const uri = totpUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'tess@totp.example', issuer: 'Free Andry Team' })
    expect(uri).toBe('otpauth://totp/Free%20Andry%20Team:tess%40totp.example?secret=JBSWY3DPEHPK3PXP&issuer=Free%20Andry%20Team')
  })
})

describe('the authenticator app of an organiser', () => {
  let secret: string

  const mine = 'session-a-id-hash'
  const thiefs = 'session-b-id-hash'

  it('seals the secret, bound to its organiser and, until confirmed, to the session that started the set-up', async () => {
    const started = await startTotpSetup(getDb(), { organizerId, sessionIdHash: mine })
    if (!('secret' in started)) throw new Error('expected a new set-up')
    secret = started.secret
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(await getPendingTotpSecret(getDb(), { organizerId, sessionIdHash: mine })).toBe(secret)
    // Another session of the same organiser (the same password, someone else) does not see it.
    expect(await getPendingTotpSecret(getDb(), { organizerId, sessionIdHash: thiefs })).toBeNull()
    const row = await q.get<{ sealed: string; data_key_id: string }>('select sealed, data_key_id from organizer_totp where organizer_id = ?', organizerId)
    expect(row!.sealed).not.toContain(secret)
    expect(row!.data_key_id).toBe(dataCrypto().keyIds[0])
    // Moved to another organiser's row, the envelope does not open.
    expect(() => dataCrypto().open(row!.sealed, totpPurpose(organizerId + 1))).toThrow()
  })

  it('refuses a wrong code at set-up and confirms with the right one, giving ten recovery codes', async () => {
    expect(await confirmTotpSetup(getDb(), { organizerId, sessionIdHash: mine, code: '000000', actorId: organizerId, now: T0 })).toEqual({ ok: false })
    // The right code from another session does not confirm this session's set-up.
    expect(await confirmTotpSetup(getDb(), { organizerId, sessionIdHash: thiefs, code: await at(secret, 0), actorId: organizerId, now: T0 })).toEqual({ ok: false })
    const confirmed = await confirmTotpSetup(getDb(), { organizerId, sessionIdHash: mine, code: await at(secret, 0), actorId: organizerId, now: T0 })
    expect(confirmed.ok).toBe(true)
    if (!confirmed.ok) return
    expect(confirmed.recoveryCodes).toHaveLength(10)
    for (const code of confirmed.recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)
    expect(await getPendingTotpSecret(getDb(), { organizerId, sessionIdHash: mine })).toBeNull()
    expect(await startTotpSetup(getDb(), { organizerId, sessionIdHash: mine })).toEqual({ alreadyConfirmed: true })
    // Confirmed, the secret is sealed for the organiser alone (as sign-in and keys:rotate open it).
    const row = await q.get<{ sealed: string }>('select sealed from organizer_totp where organizer_id = ?', organizerId)
    expect(dataCrypto().open(row!.sealed, totpPurpose(organizerId))).toBe(secret)
    // The set-up's step is used: its code does not open a session afterwards.
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 0), now: T0 })).toBe('replayed')
  })

  it('accepts a code once per step, and one step of drift either way but not two', async () => {
    const now = T0 + 10 * TOTP_PERIOD_S * 1000
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 8), now })).toBe('wrong')
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 12), now })).toBe('wrong')
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 9), now })).toBe('ok')
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 9), now })).toBe('replayed')
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 10), now })).toBe('ok')
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 11), now })).toBe('ok')
    // Step 11 is the last accepted: an earlier step's code, even a right one, is a replay.
    expect(await verifyTotpCode(getDb(), { organizerId, code: await at(secret, 10), now })).toBe('replayed')
    expect(await q.get('select last_time_step from organizer_totp where organizer_id = ?', organizerId)).toEqual({ last_time_step: totpStep(now) + 1 })
  })

  it('lets only one of two requests racing with the same code through', async () => {
    const now = T0 + 20 * TOTP_PERIOD_S * 1000
    const code = await at(secret, 20)
    const answers = await Promise.all([1, 2, 3].map(() => verifyTotpCode(getDb(), { organizerId, code, now })))
    expect(answers.sort()).toEqual(['ok', 'replayed', 'replayed'])
  })

  it('keeps only hashes of the recovery codes', async () => {
    const rows = await q.all<{ code_hash: string }>('select code_hash from organizer_recovery_codes where organizer_id = ?', organizerId)
    expect(rows).toHaveLength(10)
    for (const row of rows) expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/)
  })
})
