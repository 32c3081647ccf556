/**
 * The back office in sentences, over HTTP: the audit log says who did what ("Demo Organiser
 * logged in"), the outbox names each email by its subject and language ("Confirm your
 * signature — es"), long addresses wrap after the @ and before dots, and inviting an
 * organiser emails the set-password link through the outbox as well as showing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openEmail } from '~/models/personal-data.server.ts'
import { decodeEntities, textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const INVITEE = { email: 'ivy.invitee@partner-organisation.example', name: 'Ivy Invitee' }
let server: RunningServer
let db: ServerSql
let cookie: string
let shownLink: string

const get = (path: string) => fetch(`${server.url}${path}`, { headers: { Cookie: cookie } })
const post = (path: string, fields: Record<string, string>) =>
  fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: server.url }, body: new URLSearchParams(fields) })

type Row = { id: number; template: string; locale: string; to_email: string; campaign_id: number | null; props: string; status: string }
async function captured(template: string) {
  for (let i = 0; i < 100; i++) {
    const row = await db.get(`select * from email_messages where template = ? order by id desc limit 1`, template) as (Row & { sealed: string | null }) | undefined
    // Recipient and props are sealed (ADR 017): opened with the server's test key.
    if (row?.status === 'captured') {
      const opened = row.sealed ? openEmail(row.sealed) : null
      return opened ? { ...row, to_email: opened.to, props: JSON.stringify(opened.props) } : row
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no captured ${template} email`)
}

beforeAll(async () => {
  server = await startServer()
  db = openServerSql(server)
  cookie = await petitionClient(server, db).login()
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('inviting an organiser', () => {
  it('emails the set-password link through the outbox, in the chosen language, and still shows it to the owner', async () => {
    const response = await post('/admin/organizers', { intent: 'create', ...INVITEE, role: 'editor', locale: 'de' })
    expect(response.status).toBe(200)
    const page = decodeEntities(await response.text())
    shownLink = /(https?:\/\/[^\s<"]+\/admin\/set-password\/[\w-]+)/.exec(page)?.[1] ?? ''
    expect(shownLink).not.toBe('')
    expect(textOf(page)).toContain(`The invitation with the link is on its way to ${INVITEE.email}`)

    const row = await captured('organizer-invite')
    expect(row).toMatchObject({ to_email: INVITEE.email, locale: 'de', campaign_id: null })
    // The row keeps a seed, never the token: the database alone cannot set the password.
    const token = shownLink.split('/').pop()!
    expect(row.props).not.toContain(token)

    const message = textOf(await (await get(`/admin/outbox/${row.id}`)).text())
    expect(message).toContain('Einladung in die Verwaltung von')
    // Owners in demo mode follow the links of captured emails: it is the same link.
    const html = decodeEntities(await (await get(`/admin/outbox/${row.id}/html`)).text())
    expect(html).toContain(`href="${shownLink}"`)
    expect(html).toContain('Passwort setzen')
  })

  it('lets the invitee set a password with the emailed link, once', async () => {
    const body = new URLSearchParams({ password: 'an invitee passphrase of length', confirm: 'an invitee passphrase of length' })
    const first = await fetch(shownLink, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body })
    expect(first.status).toBe(302)
    const again = await fetch(shownLink, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body })
    expect(again.status).not.toBe(302)
  })
})

describe('the outbox', () => {
  it('names each email by its subject and language, not its template key, and wraps long addresses at sensible points', async () => {
    const petition = petitionClient(server)
    const signer = petition.person({ email: 'maria.fernanda.gonzalez-rodriguez@una-organizacion-muy-larga.example.org' })
    expect((await petition.sign(signer, { lang: 'es' })).status).toBe(303)
    await petition.waitForEmails(signer.email)
    const html = await (await get('/admin/outbox')).text()
    // The table as people read it (the page's data for hydration still carries the keys).
    const text = textOf(/<table[\s\S]*<\/table>/.exec(html)?.[0] ?? '')
    expect(text).toContain('Confirm your signature — es')
    expect(text).toContain('Invitation to the back office — de')
    expect(text).not.toMatch(/confirm-signature|organizer-invite/)
    expect(html).toContain('maria<wbr/>.fernanda<wbr/>.gonzalez-<wbr/>rodriguez@<wbr/>una-<wbr/>organizacion-<wbr/>muy-<wbr/>larga<wbr/>.example<wbr/>.org')
  })
})

describe('the audit log', () => {
  it('says who did what, in sentences', async () => {
    const entry = await post('/admin/campaigns/1/timeline', { happenedOn: '2026-12-01', locale: 'en', title: 'Hearing postponed', bodyMd: '', publish: 'now' })
    expect(entry.status).toBe(302)
    const text = textOf(/<table[\s\S]*<\/table>/.exec(await (await get('/admin/audit')).text())?.[0] ?? '')
    expect(text).toContain('Demo Organiser logged in')
    expect(text).toContain('Demo Organiser invited Ivy Invitee as an organiser')
    expect(text).toContain('Ivy Invitee set their password')
    expect(text).toMatch(/Demo Organiser added “Hearing postponed” to the timeline of “[^”]+”/)
    // The keys remain only in each entry's details, closed by default.
    expect(text.replace(/Details\{[^}]*\}/g, '')).not.toMatch(/organizer\.login|timeline\.create/)
  })
})
