/**
 * A suppressed supporter gets no mail at any point of a key rotation (ADR 017, "Rotating keys"),
 * on either engine (VIGIL_TEST_ENGINE=postgres). The sender's and the audience's suppression check
 * joins suppressed_addresses.email_hash = supporters.email_hash, and both hashes are keyed: a
 * supporter hashed under one key must always find its suppression under the same key. Checked
 * with the new key loaded behind, then first (with bounces recorded meanwhile and a suppressed
 * address signing anew), after each step of keys:rotate, and with the old key removed.
 */
import crypto from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { blockedMessageIds, countAudienceByLocale } from '#db/sql/mail.server.ts'
import { recordDeliveryEvent } from '~/models/delivery-events.server.ts'
import { forgetSupporter, getMyData } from '~/models/my-data.server.ts'
import { resealUnderNewestKey, sealAtStart } from '~/models/seal-existing.server.ts'
import { loadEnv } from '~/utils/config.server.ts'
import { TEST_DATA_KEY } from '../helpers/data-key.ts'
import { addUpdateReaders, rawSql, suppressAddress } from '../helpers/mail-worker.ts'
import { supporterIdOf } from '../helpers/sealed-data.ts'

const NEW_KEY = `2:${crypto.randomBytes(32).toString('base64')}`

/** This process as restarted with these keys (what every app server and worker does at each step). */
function useKeys(value: string) {
  globalThis.__vigilEnv = loadEnv({ ...process.env, VIGIL_DATA_KEY: value })
}

afterEach(() => {
  globalThis.__vigilEnv = undefined
})

describe('suppressions during a key rotation', () => {
  it('keep every suppressed supporter out of the audience and the sender at every step', async () => {
    const db = getDb()
    const q = rawSql(db)
    const organization = await q.insert(`insert into organizations (slug, name) values ('rot', 'Rotation Org')`)
    const campaignId = await q.insert(`insert into campaigns (organization_id, slug, status) values (?, 'rotation', 'live')`, organization)
    // bounced: suppressed from the start; after: bounces once the new key is first, while still hashed
    // under the old one; behind: bounces while the new key is loaded behind; newcomer: suppressed
    // from the start with no supporter (forgotten mail, say), signs once the new key is first.
    // straggler: suppressed under the old key alone after the new key came first (by a process that
    // was not restarted with both keys), so only keys:rotate's first step hashes it again.
    const [bounced, after, behind, fine, newcomer, straggler] = ['bounced.rot@example.org', 'after.rot@example.org', 'behind.rot@example.org', 'fine.rot@example.org', 'newcomer.rot@example.org', 'straggler.rot@example.org']
    await suppressAddress(q, bounced)
    await suppressAddress(q, newcomer, 'complaint')
    const readers: string[] = []
    const messageOf = new Map<string, number>()
    const addReaders = async (addresses: string[]) => {
      await addUpdateReaders(db, { campaignId, addresses, localeOf: () => 'en' })
      readers.push(...addresses)
      for (const address of addresses) {
        const supporterId = (await supporterIdOf(q, address))!
        messageOf.set(
          address,
          await q.insert(
            `insert into email_messages (template, locale, props, idempotency_key, campaign_id, supporter_id) values ('campaign-update', 'en', ?, ?, ?, ?)`,
            JSON.stringify({ updateId: 1, supporterId }),
            `rotation:${supporterId}`,
            campaignId,
            supporterId,
          ),
        )
      }
    }
    await addReaders([bounced, after, behind, fine, straggler])

    const suppressed = new Set([bounced, newcomer])
    const check = async (when: string) => {
      const audience = await countAudienceByLocale(db, { campaignId, audience: { signers: true, donors: 'none' } })
      expect(audience.reduce((n, row) => n + Number(row.n), 0), `audience ${when}`).toBe(readers.filter((a) => !suppressed.has(a)).length)
      const blocked = await blockedMessageIds(db, { messageIds: [...messageOf.values()], campaignId })
      expect(blocked.map(Number).sort(), `blocked ${when}`).toEqual(readers.filter((a) => suppressed.has(a)).map((a) => messageOf.get(a)!).sort())
    }
    const bounce = (address: string) => recordDeliveryEvent(db, { eventId: `evt_${address}`, type: 'bounced', bounceType: 'Permanent', providerId: 'none', emails: [address], at: Date.now() })
    await check('under the old key alone')

    // Step 1: the new key loaded behind the old one, every process restarted.
    useKeys(`${TEST_DATA_KEY},${NEW_KEY}`)
    await sealAtStart(db, { name: 'test' })
    await check('with the new key loaded behind')
    await bounce(behind)
    suppressed.add(behind)
    await check('after a bounce with the new key behind')

    // Step 2: the new key first, every process restarted. A bounce of a supporter still hashed under
    // the old key; a suppressed address signing anew (its supporter hashed under the new key).
    useKeys(`${NEW_KEY},${TEST_DATA_KEY}`)
    await sealAtStart(db, { name: 'test' })
    await check('with the new key first')
    await bounce(after)
    suppressed.add(after)
    await check('after a bounce of a supporter under the old key, with the new key first')
    // One suppression, however many keys it is hashed under: My data lists it once.
    expect((await getMyData(db, { supporterId: (await supporterIdOf(q, after))!, lang: 'en' }))!.suppressions).toHaveLength(1)
    // And forgetting an address keeps it once, as its hash alone.
    await addUpdateReaders(db, { campaignId, addresses: ['leaver.rot@example.org'], localeOf: () => 'en' })
    await bounce('leaver.rot@example.org')
    const leaverId = (await supporterIdOf(q, 'leaver.rot@example.org'))!
    expect((await forgetSupporter(db, { supporterId: leaverId, cancelledSubscriptions: [], rateLimitKeyOf: (address) => address, now: Date.now() }))!.suppressionsKept).toBe(1)
    await addReaders([newcomer])
    expect(await q.get(`select data_key_id as "keyId" from supporters where id = ?`, await supporterIdOf(q, newcomer))).toEqual({ keyId: '2' })
    await check('after a suppressed address signed under the new key')
    useKeys(TEST_DATA_KEY)
    await suppressAddress(q, straggler)
    useKeys(`${NEW_KEY},${TEST_DATA_KEY}`)
    suppressed.add(straggler)
    await check('after a suppression under the old key alone')

    // Step 3: keys:rotate, checked after each of its steps.
    const steps: string[] = []
    await resealUnderNewestKey(db, {
      batchSize: 2,
      afterStep: async (step) => {
        steps.push(step)
        await check(`during keys:rotate, after ${step}`)
      },
    })
    expect(steps.indexOf('suppressed_addresses')).toBeLessThan(steps.indexOf('supporters'))
    expect(steps.at(-1)).toBe('old suppressions removed')
    // Every suppression under the new key alone, once, and the supporters all under it.
    expect(await q.all(`select data_key_id as "keyId", count(*) as n from suppressed_addresses where sealed is not null group by data_key_id`)).toEqual([{ keyId: '2', n: 5 }])
    // The forgotten address stays suppressed under each key, by hash alone (nothing to hash again).
    expect(await q.all(`select data_key_id as "keyId" from suppressed_addresses where sealed is null order by data_key_id`)).toEqual([{ keyId: '2' }, { keyId: 'test' }])
    expect(await q.all(`select distinct data_key_id as "keyId" from supporters where id in (select supporter_id from signatures where campaign_id = ?)`, campaignId)).toEqual([{ keyId: '2' }])

    // Step 4: the old key removed.
    useKeys(NEW_KEY)
    await check('with the old key removed')
  })
})
