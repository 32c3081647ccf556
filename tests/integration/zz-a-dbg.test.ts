import { it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { seedDemo } from '../../scripts/seed/seed.ts'
import { snapshotUpdateSend } from '#db/sql/mail.server.ts'
import { snapshotUpdateSend as oldSnapshot } from '#db/sql/zz-old-mail.server.ts'
import { rawSql } from '../helpers/mail-worker.ts'

it('times the snapshot', { timeout: 120_000 }, async () => {
  await seedDemo(getDb(), { demoOrganizer: false })
  const campaignId = (await rawSql().get<{ id: number }>(`select id from campaigns where slug = 'free-andry'`))!.id
  await transaction(getDb(), async (tx) => {
    const q = rawSql(tx)
    for (let i = 0; i < 10000; i++) {
      const email = `update.${i}@example.org`
      const locale = ['en', 'de', 'es'][i % 3]!
      const id = await q.insert(`insert into supporters (email_normalized, email, first_name, last_name, country, locale) values (?, ?, 'Ana', 'P', 'VE', ?)`, email, email, locale)
      await q.run(`insert into signatures (campaign_id, supporter_id, status, first_name, last_name, country, locale, confirmed_at) values (?, ?, 'confirmed', 'Ana', 'P', 'VE', ?, ?)`, campaignId, id, locale, Date.now())
      await q.run(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, true, 'petition_form')`, id, campaignId)
    }
  })
  const updateId = await rawSql().insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-11-22', ?)`, campaignId, Date.now())
  const times: Record<string, number[]> = { old: [], new: [] }
  for (let round = 0; round < 6; round++) {
    for (const [name, fn] of (process.env.VIGIL_TEST_ENGINE === 'postgres' ? [['new', snapshotUpdateSend]] : [['old', oldSnapshot], ['new', snapshotUpdateSend]]) as [string, typeof snapshotUpdateSend][]) {
      await transaction(getDb(), async (tx) => {
        const sendId = await rawSql(tx).insert(`insert into update_sends (update_id, campaign_id, audience, recipients) values (?, ?, '{}', 0)`, updateId, campaignId)
        const t = performance.now()
        const n = await fn(tx, { sendId, updateId, campaignId, audience: { signers: true, donors: 'none' } })
        times[name]!.push(Math.round(performance.now() - t))
        if (n !== 10000) throw new Error(`n=${n}`)
        const check = await rawSql(tx).get<{ n: number; b: number }>(`select count(*) as n, count(distinct batch_id) as b from email_messages where batch_id is not null`)
        if (round === 0) console.log(name, check)
        await rawSql(tx).run(`delete from email_messages`)
        await rawSql(tx).run(`delete from email_batches`)
        await rawSql(tx).run(`delete from update_sends`)
      })
    }
  }
  console.log(JSON.stringify(times))
})
