import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signatureNameWords, signatures, supporters } from '#db/schema.ts'
import { execute, firstRow } from '#db/query.server.ts'
import { listPublicMessages } from '~/models/messages.server.ts'
import { nameWordHashes, openReply, sealSignature, sealSupporter } from '~/models/personal-data.server.ts'
import { createOrganiser } from '../helpers/organisers.ts'
import { petitionClient } from '../helpers/petition.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { databaseEnv, runScript, startServer, type RunningServer } from '../helpers/server.ts'

/**
 * The back office over sealed signatures (ADR 017, issue 16): the signers' table, search by a
 * whole address (its keyed hash) or whole name words (signature_name_words), bulk invalidation
 * by a whole domain (email_domain_hash), the CSV export, messages and replies, retention.
 *
 * The rows are written here the way signing writes them (sealed, hashed, with their name words),
 * through personal-data.server.ts under the key the server shares (tests/helpers/data-key.ts),
 * so this file does not depend on how the signing pages write them.
 */

let server: RunningServer
let db: ServerSql
let owner = ''
let manager = ''
const ids: Record<string, number> = {}

const MANAGER = { email: 'mona@example.org', name: 'Mona Manager', password: 'a long manager password' }

type Signer = {
  key: string
  firstName: string
  lastName: string
  email: string
  country?: string
  status?: 'pending' | 'confirmed'
  postalCode?: string
  message?: string
  showName?: boolean
  ipHash?: string
}

async function addSigner(signer: Signer) {
  const now = Date.now()
  const supporter = await firstRow(
    db.db
      .insert(supporters)
      .values({ ...sealSupporter(signer), country: signer.country ?? 'DE', locale: 'en' })
      .returning({ id: supporters.id }),
  )
  const status = signer.status ?? 'confirmed'
  const signature = await firstRow(
    db.db
      .insert(signatures)
      .values({
        campaignId: 1,
        supporterId: supporter!.id,
        status,
        ...sealSignature({ firstName: signer.firstName, lastName: signer.lastName, postalCode: signer.postalCode ?? null, message: signer.message ?? null }),
        country: signer.country ?? 'DE',
        locale: 'en',
        showName: signer.showName ?? false,
        messageStatus: signer.message ? 'pending' : null,
        ipHash: signer.ipHash ?? null,
        confirmedAt: status === 'confirmed' ? now : null,
      })
      .returning({ id: signatures.id }),
  )
  ids[signer.key] = signature!.id
  // As the app writes them: name words once a signature is confirmed, none while pending.
  if (status !== 'confirmed') return
  for (const wordHash of nameWordHashes(signer.firstName, signer.lastName)) {
    await execute(db.db.insert(signatureNameWords).values({ campaignId: 1, wordHash, signatureId: signature!.id }))
  }
}

beforeAll(async () => {
  server = await startServer({ env: { PAGE_CACHE_TTL_MS: '0', TRUST_PROXY: '1' } })
  db = openServerSql(server)
  const client = petitionClient(server, db)
  owner = await client.login()
  await createOrganiser(server, { ...MANAGER, campaignRoles: [{ slug: 'free-andry', role: 'manager' }] })
  manager = await client.login(MANAGER.email, MANAGER.password)

  await addSigner({
    key: 'maria',
    firstName: 'María José',
    lastName: 'Núñez',
    email: 'Maria.Nunez+vigil@Example.org',
    country: 'ES',
    postalCode: '28004',
    message: 'Fuerza, Andry. Te esperamos.',
    showName: true,
    ipHash: 'Ab_cdEfGh1234567890abcdefghijklmnopqrstuvw',
  })
  await addSigner({ key: 'mariana', firstName: 'Mariana', lastName: 'Weber', email: 'mariana@example.net', ipHash: 'abXcdefgh1234567890abcdefghijklmnopqrstuvw' })
  await addSigner({ key: 'jonas', firstName: 'Jonas', lastName: 'Weber', email: 'jonas@example.net', status: 'pending' })
  for (let i = 0; i < 3; i++) await addSigner({ key: `bot${i}`, firstName: 'Bot', lastName: `Number${i}`, email: `bot${i}@Spam-Farm.example` })
  await addSigner({ key: 'sub', firstName: 'Sub', lastName: 'Domain', email: 'someone@mail.spam-farm.example' })
  // The rows were written beside the counters: the recount makes them agree (and must find them in agreement at the end).
  await runScript('scripts/recount.ts', [], databaseEnv(server))
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const page = (path: string, cookie = owner) =>
  fetch(`${server.url}${path}`, { headers: { Cookie: cookie } }).then(async (r) => ({ status: r.status, html: (await r.text()).replaceAll('<!-- -->', '') }))
const post = (path: string, form: Record<string, string | string[]>, cookie = owner) => {
  const body = new URLSearchParams()
  for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) body.append(key, v)
  return fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: server.url }, body }).then(async (r) => ({
    status: r.status,
    html: await r.text(),
  }))
}
const search = (q: string, cookie = owner, lang = 'en') => page(`/admin/campaigns/1/signatures?lng=${lang}&q=${encodeURIComponent(q)}`, cookie)
const counters = async () => (await db.get<{ confirmed: number; pending: number }>(`SELECT confirmed, pending FROM campaign_counters WHERE campaign_id = 1`))!

const PARTS_EN = 'No confirmed signer has this as a whole first or last name. Names are stored encrypted, so parts of names cannot be searched, and signatures awaiting confirmation are not searchable by name.'
const PARTS_DE = 'Keine bestätigte Unterschrift hat dies als vollständigen Vor- oder Nachnamen. Namen werden verschlüsselt gespeichert, daher können Teile von Namen nicht gesucht werden, und noch nicht bestätigte Unterschriften sind nicht nach Namen durchsuchbar.'
const PARTS_ES = 'Ninguna firma confirmada tiene esto como nombre o apellido completo. Los nombres se guardan cifrados, así que no puedes buscar partes de un nombre, y las firmas pendientes de confirmar no se pueden buscar por nombre.'

describe('searching sealed signers', () => {
  it('finds an owner’s signer by their whole address, whatever its case or +tag, and opens what the table shows', async () => {
    for (const q of ['maria.nunez@example.org', 'MARIA.NUNEZ+other@EXAMPLE.ORG', ' Maria.Nunez+vigil@Example.org ']) {
      const { status, html } = await search(q)
      expect(status).toBe(200)
      expect(html).toContain('María José Núñez')
      expect(html).toContain('Maria.Nunez+vigil@Example.org')
      expect(html).toContain('28004')
      expect(html).toContain('Fuerza, Andry. Te esperamos.')
      expect(html).not.toContain('Mariana Weber')
      expect(html).not.toContain(PARTS_EN)
    }
    // Never a part of an address, and no other address.
    const part = await search('nunez@example')
    expect(part.html).not.toContain('Núñez')
    expect((await search('maria.nunez@example.net')).html).not.toContain('Núñez')
  })

  it('finds signers by whole name words, accents and case folded, every word having to match', async () => {
    for (const q of ['maria', 'MARÍA', 'nunez', 'Núñez', 'jose nunez', 'núñez, maría']) {
      const { html } = await search(q)
      expect(html, q).toContain('María José Núñez')
      // A whole word: Maria is not Mariana.
      expect(html, q).not.toContain('Mariana Weber')
    }
    const webers = await search('weber')
    expect(webers.html).toContain('Mariana Weber')
    // Jonas Weber has not confirmed: not found by name (found by address, below).
    expect(webers.html).not.toContain('Jonas')
    expect((await search('weber', owner)).html).not.toContain('Núñez')
    // Every word must match: nobody is called both.
    const both = await search('maria weber')
    expect(both.html).not.toContain('Mariana Weber')
    expect(both.html).toContain(PARTS_EN)
    // With a filter beside it.
    const pending = await page('/admin/campaigns/1/signatures?q=weber&status=pending')
    expect(pending.html).not.toContain('Jonas')
    expect(pending.html).not.toContain('Mariana Weber')
    expect(pending.html).toContain(PARTS_EN)
    expect((await search('jonas@example.net')).html).toContain('Jonas')
  })

  it('says, in the organiser’s language, that parts of names cannot be searched, rather than showing an empty table', async () => {
    const en = await search('mar')
    expect(en.status).toBe(200)
    expect(en.html).not.toContain('Núñez')
    expect(en.html).toContain(PARTS_EN)
    expect(en.html).toContain('Whole first or last name of a confirmed signer, or whole email address')
    const de = await search('Nuñ', owner, 'de')
    expect(de.html).toContain(PARTS_DE)
    expect(de.html).toContain('Vollständiger Vor- oder Nachname einer bestätigten Unterschrift oder vollständige E-Mail-Adresse')
    const es = await search('webe', manager, 'es')
    expect(es.html).toContain(PARTS_ES)
    // Those who may not search by address are told only what they can search by.
    expect(es.html).toContain('Nombre o apellido completo')
    expect(es.html).not.toContain('dirección de correo completa')
    // Only punctuation: nothing, explained, never everything.
    const dash = await search('-')
    expect(dash.html).not.toContain('Mariana Weber')
    expect(dash.html).toContain(PARTS_EN)
    // An address search that finds nothing is not about names.
    const noAddress = await search('nobody@example.org')
    expect(noAddress.html).toContain('No signatures match.')
    expect(noAddress.html).not.toContain(PARTS_EN)
  })

  it('gives managers names but never addresses, and no search by one', async () => {
    const byName = await search('nunez', manager)
    expect(byName.html).toContain('María José Núñez')
    expect(byName.html).not.toMatch(/nunez\+vigil@/i)
    // An address is searched as name words for them: it matches nobody.
    expect((await search('maria.nunez@example.org', manager)).html).not.toContain('Núñez')
  })
})

describe('invalidating by a whole domain and by an address hash', () => {
  it('matches a whole email domain (any case), not its subdomains, and moves the counters', async () => {
    const before = await counters()
    const preview = await post('/admin/campaigns/1/signatures', { intent: 'preview', emailDomain: 'SPAM-FARM.example', reason: 'bot farm' })
    expect(preview.status).toBe(200)
    expect(preview.html).toContain('3 signatures match')
    expect(preview.html).toContain('The whole domain after the @')
    expect(await counters()).toEqual(before)

    const part = await post('/admin/campaigns/1/signatures', { intent: 'preview', emailDomain: 'farm.example', reason: 'bot farm' })
    expect(part.html).toContain('0 signatures match')

    const done = await post('/admin/campaigns/1/signatures', { intent: 'invalidate', emailDomain: 'spam-farm.example', reason: 'bot farm' })
    expect(done.html).toContain('3 signatures invalidated')
    expect(await counters()).toEqual({ confirmed: before.confirmed - 3, pending: before.pending })
    const statuses = await db.all<{ id: number; status: string }>(`SELECT id, status FROM signatures WHERE id IN (?, ?, ?, ?) ORDER BY id`, ids.bot0, ids.bot1, ids.bot2, ids.sub)
    expect(statuses.map((s) => s.status)).toEqual(['invalidated', 'invalidated', 'invalidated', 'confirmed'])
    // The audit entry names the filter (a domain, as typed), never an address.
    const audit = await db.get<{ details: string }>(`SELECT details FROM audit_log WHERE action = 'signatures.invalidate' ORDER BY id DESC LIMIT 1`)
    expect(audit!.details).not.toContain('bot0')
    expect((await runScript('scripts/recount.ts', [], databaseEnv(server))).stdout).toContain('all counters match')
  })

  it('matches an address hash by its exact prefix, case and underscores included', async () => {
    const exact = await post('/admin/campaigns/1/signatures', { intent: 'preview', ipHash: 'Ab_cdEfGh12', reason: 'one client' })
    expect(exact.html).toContain('1 signature matches')
    // Another case of the same letters is another hash.
    const otherCase = await post('/admin/campaigns/1/signatures', { intent: 'preview', ipHash: 'ab_cdefgh12', reason: 'one client' })
    expect(otherCase.html).toContain('0 signatures match')
  })
})

describe('the CSV export', () => {
  it('opens each confirmed row: names, postal code and message, and addresses for owners only', async () => {
    const forOwner = (await (await fetch(`${server.url}/admin/campaigns/1/export.csv`, { headers: { Cookie: owner } })).text()).replace(/^\uFEFF/, '')
    const lines = forOwner.trim().split('\r\n')
    expect(lines[0]).toBe('first_name,last_name,email,country,postal_code,confirmed_at,message')
    expect(lines).toContainEqual(expect.stringMatching(/^María José,Núñez,Maria\.Nunez\+vigil@Example\.org,ES,28004,[^,]+,"Fuerza, Andry\. Te esperamos\."$/))
    expect(lines).toContainEqual(expect.stringMatching(/^Mariana,Weber,mariana@example\.net,DE,,/))
    // Confirmed only, invalidated ones gone.
    expect(forOwner).not.toContain('Jonas')
    expect(forOwner).not.toContain('Number0')

    const forManager = (await (await fetch(`${server.url}/admin/campaigns/1/export.csv`, { headers: { Cookie: manager } })).text()).replace(/^\uFEFF/, '')
    expect(forManager.split('\r\n')[0]).toBe('first_name,last_name,country,postal_code,confirmed_at,message')
    expect(forManager).toContain('María José,Núñez,ES,28004')
    expect(forManager).not.toContain('@')
  })

  it('streams a large export in batches, every row opened once', async () => {
    // 2,500 more sealed confirmed rows: three batches of the export.
    const rows = Array.from({ length: 2500 }, (_, i) => i)
    for (let i = 0; i < rows.length; i += 250) {
      await execute(
        db.db.insert(signatures).values(
          rows.slice(i, i + 250).map((n) => ({
            campaignId: 1,
            status: 'confirmed' as const,
            ...sealSignature({ firstName: `Filler${n}`, lastName: 'Row', postalCode: null, message: null }),
            country: 'FR',
            locale: 'en' as const,
            confirmedAt: Date.now(),
          })),
        ),
      )
    }
    const csv = await (await fetch(`${server.url}/admin/campaigns/1/export.csv`, { headers: { Cookie: manager } })).text()
    const lines = csv.trim().split('\r\n')
    const fillers = lines.filter((l) => /^Filler\d+,Row,FR,/.test(l))
    expect(fillers).toHaveLength(2500)
    expect(new Set(fillers.map((l) => l.split(',')[0])).size).toBe(2500)
    await db.run(`DELETE FROM signatures WHERE country = 'FR'`)
  })
})

describe('messages of support and replies', () => {
  it('shows the opened message for moderation, seals the reply, and shows both on the campaign page', async () => {
    const queue = await page('/admin/campaigns/1/messages')
    expect(queue.html).toContain('Fuerza, Andry. Te esperamos.')
    expect(queue.html).toContain('María José Núñez')

    // A signature without a message has nothing to moderate or answer.
    expect((await post('/admin/campaigns/1/messages', { intent: 'approve', signatureId: String(ids.mariana) })).status).toBe(404)
    expect((await post('/admin/campaigns/1/messages', { intent: 'reply', signatureId: String(ids.mariana), body: 'Hola' })).status).toBe(404)

    expect((await post('/admin/campaigns/1/messages', { intent: 'reply', signatureId: String(ids.maria), body: '¡Gracias, María José!' })).status).toBe(200)
    const reply = await db.get<{ body: string | null; sealed: string; data_key_id: string }>(`SELECT body, sealed, data_key_id FROM replies WHERE signature_id = ?`, ids.maria)
    expect(reply!.body).toBeNull()
    expect(reply!.sealed).not.toContain('Gracias')
    expect(openReply(reply!.sealed)).toEqual({ body: '¡Gracias, María José!' })
    expect(reply!.data_key_id).toBeTruthy()

    // Shown as its signer asked: first name and the last name's initial.
    expect(await listPublicMessages(db.db, { campaignId: 1 })).toEqual([
      { id: ids.maria, name: 'María José N.', country: 'ES', message: 'Fuerza, Andry. Te esperamos.', replies: ['¡Gracias, María José!'] },
    ])
    // The page itself, at risk (recent signers by country only: the names of the signing part are not this file's).
    await db.run(`UPDATE campaigns SET at_risk = ? WHERE id = 1`, true)
    const campaign = (await (await fetch(`${server.url}/c/free-andry?lng=es&fresh`)).text()).replaceAll('<!-- -->', '')
    expect(campaign).toContain('Fuerza, Andry. Te esperamos.')
    expect(campaign).toContain('¡Gracias, María José!')
    expect(campaign).not.toContain('Núñez')

    await post('/admin/campaigns/1/messages', { intent: 'reject', signatureId: String(ids.maria) })
    expect(await (await fetch(`${server.url}/c/free-andry?again`)).text()).not.toContain('Fuerza, Andry')
    expect(await listPublicMessages(db.db, { campaignId: 1 })).toEqual([])
    expect((await page('/admin/campaigns/1/messages?status=rejected')).html).toContain('¡Gracias, María José!')
    await db.run(`UPDATE campaigns SET at_risk = ? WHERE id = 1`, false)
  })
})

describe('retention', () => {
  it('anonymises by dropping the sealed row and its name words, so the names can no longer be found', async () => {
    expect(Number((await db.get<{ n: number }>(`SELECT count(*) AS n FROM signature_name_words WHERE signature_id = ?`, ids.maria))!.n)).toBeGreaterThan(0)
    await db.run(`UPDATE campaigns SET status = 'closed', closed_at = ?, retention_days = 1 WHERE id = 1`, Date.now() - 3 * 86_400_000)
    const run = await runScript('scripts/retention.ts', [], databaseEnv(server))
    expect(run.code, run.stderr).toBe(0)

    const left = await db.all<{ id: number; sealed: string | null; resubmitted_sealed: string | null; message_status: string | null; anonymised_at: number | null }>(
      `SELECT id, sealed, resubmitted_sealed, message_status, anonymised_at FROM signatures WHERE campaign_id = 1`,
    )
    expect(left.length).toBeGreaterThan(0)
    for (const row of left) {
      expect(row.sealed).toBeNull()
      expect(row.resubmitted_sealed).toBeNull()
      expect(row.message_status).toBeNull()
      expect(row.anonymised_at).not.toBeNull()
    }
    expect(Number((await db.get<{ n: number }>(`SELECT count(*) AS n FROM signature_name_words WHERE campaign_id = 1`))!.n)).toBe(0)
    expect(Number((await db.get<{ n: number }>(`SELECT count(*) AS n FROM replies`))!.n)).toBe(0)
    // Nobody here asked for the campaign's news: their supporters are gone too.
    expect(Number((await db.get<{ n: number }>(`SELECT count(*) AS n FROM supporters WHERE id IN (SELECT supporter_id FROM signatures)`))!.n)).toBe(0)

    const table = await page('/admin/campaigns/1/signatures')
    expect(table.html).toContain('Anonymised')
    expect(table.html).not.toContain('Núñez')
    const found = await search('maria')
    expect(found.html).not.toContain('Núñez')
    expect(found.html).toContain(PARTS_EN)
    const csv = await (await fetch(`${server.url}/admin/campaigns/1/export.csv`, { headers: { Cookie: owner } })).text()
    expect(csv).not.toContain('Núñez')
    expect(csv).toContain('Anonymised,')
    expect((await runScript('scripts/recount.ts', [], databaseEnv(server))).stdout).toContain('all counters match')
  })
})
