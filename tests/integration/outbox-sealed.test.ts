/**
 * The back office's outbox over sealed rows (ADR 017), over real HTTP against the production build
 * in demo mode: an email queued by queueEmail keeps its address and props sealed, an update's
 * email has none of its own and shows its supporter's; owners read addresses whole, an editor of
 * the campaign masked (ADR 011), and an update's email whose supporter was deleted shows none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DB } from '#db/client.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { queueEmail } from '~/models/outbox.server.ts'
import { textOf } from '../helpers/html.ts'
import { closeDatabase, openServerDatabase } from '../helpers/engine.ts'
import { insertSupporter, rawSql } from '../helpers/mail-worker.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

const EDITOR = { email: 'eda.editor@outbox.example', name: 'Eda Editor', password: 'an editor passphrase of some length' }
const SIGNER = 'Lucia.Nunez+petition@Example.org'
const READER = 'reader.of.updates@example.net'

let server: RunningServer
let db: DB
const cookies = { owner: '', editor: '' }
const ids = { confirmation: 0, update: 0, orphan: 0 }

async function page(who: keyof typeof cookies, path: string) {
  const response = await fetch(server.url + path, { headers: { Cookie: cookies[who], 'Accept-Language': 'en' } })
  expect(response.status, path).toBe(200)
  return textOf(await response.text())
}

beforeAll(async () => {
  // The sender off: the rows stay as the test wrote them.
  server = await startServer({ env: { VIGIL_SENDER: 'off', PAGE_CACHE_TTL_MS: '0' } })
  db = openServerDatabase(server)
  const q = rawSql(db)
  const campaignId = (await q.get<{ id: number }>(`select id from campaigns where slug = 'free-andry'`))!.id
  await transaction(db, (tx) =>
    queueEmail(tx, {
      template: 'already-signed',
      to: SIGNER,
      locale: 'en',
      campaignId,
      idempotencyKey: 'outbox-sealed:already',
      props: { firstName: 'Lucía', campaignTitle: 'Free Andry', organizationName: 'Demo', campaignSlug: 'free-andry' },
    }),
  )
  ids.confirmation = (await q.get<{ id: number }>(`select id from email_messages where idempotency_key = 'outbox-sealed:already'`))!.id
  // An update's emails as the fan-out writes them: no address, no envelope, the supporter's id.
  const updateId = await q.insert(`insert into updates (campaign_id, happened_on, published_at) values (?, '2026-12-01', ?)`, campaignId, Date.now())
  await q.run(`insert into update_translations (update_id, locale, title, body_md) values (?, 'en', 'He is home', 'Andry is **home**.')`, updateId)
  const fanOut = async (email: string) => {
    const supporterId = await insertSupporter(q, { email, firstName: 'Rea', lastName: 'Der' })
    return await q.insert(
      `insert into email_messages (template, locale, props, idempotency_key, campaign_id, supporter_id, status) values ('campaign-update', 'en', ?, ?, ?, ?, 'captured')`,
      JSON.stringify({ updateId, supporterId }),
      `outbox-sealed:update:${supporterId}`,
      campaignId,
      supporterId,
    )
  }
  ids.update = await fanOut(READER)
  ids.orphan = await fanOut('gone.since@example.net')
  // Retention (or forget-me) deleted that supporter since.
  await q.run(`update email_messages set supporter_id = null where id = ?`, ids.orphan)
  await q.run(`delete from supporters where id = (select max(id) from supporters)`)

  cookies.owner = await petitionClient(server).login()
  expect((await createOrganiser(server, { ...EDITOR, campaignRoles: [{ slug: 'free-andry', role: 'editor' }] })).status).toBe(302)
  cookies.editor = await petitionClient(server).login(EDITOR.email, EDITOR.password)
})

afterAll(async () => {
  if (db) await closeDatabase(db)
  await server?.stop()
})

describe('the outbox over sealed rows', () => {
  it('stores neither the address nor the props of a queued email in plain', async () => {
    const row = (await rawSql(db).get<{ toEmail: string | null; props: unknown; sealed: string }>(`select to_email as "toEmail", props, sealed from email_messages where id = ?`, ids.confirmation))!
    expect(row.toEmail).toBeNull()
    expect(JSON.stringify(row.props)).not.toMatch(/Luc|Free Andry/)
    expect(row.sealed.toLowerCase()).not.toContain('lucia')
  })

  it('shows owners the address opened, an update’s from its supporter, and none for a supporter deleted since', async () => {
    const list = await page('owner', '/admin/outbox')
    expect(list).toContain(SIGNER)
    expect(list).toContain(READER)
    expect(list).toContain('(address deleted)')
    expect(await page('owner', `/admin/outbox/${ids.confirmation}`)).toContain(`To: ${SIGNER}`)
    const update = await page('owner', `/admin/outbox/${ids.update}`)
    expect(update).toContain(`To: ${READER}`)
    expect(update).toContain('He is home')
    expect(await page('owner', `/admin/outbox/${ids.orphan}`)).toContain('To: (address deleted)')
  })

  it('masks the addresses for an editor of the campaign', async () => {
    const list = await page('editor', '/admin/outbox')
    expect(list).not.toContain(SIGNER)
    expect(list).not.toContain(READER)
    expect(list).toContain('l•••@e•••.org')
    expect(list).toContain('r•••@e•••.net')
    const one = await page('editor', `/admin/outbox/${ids.confirmation}`)
    expect(one).not.toContain(SIGNER)
    expect(one).toContain('To: l•••@e•••.org')
  })
})
