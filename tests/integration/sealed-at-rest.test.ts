/**
 * THE PROOF of issue 16 ("A copy of the database alone reveals no supporter's address or name"):
 * through a real server, a supporter signs (with a postal code and a message, name shown, asking
 * for news), confirms, is answered by the team, donates (receipt name, donor-wall name, message),
 * their address bounces, and they ask for and open My data. Then a copy of the data folder (the
 * SQLite file with its WAL, as a backup or a stolen laptop would have it) and, on Postgres, a
 * pg_dump of the database hold none of the address, the names, the postal code or the messages.
 *
 * It passes once every part that writes personal data seals it (signing, mail, donations, replies,
 * bounces: ADR 017); until then it names the first place plaintext is still written.
 */
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emailHashes, openEmail } from '~/models/personal-data.server.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { signatureToken } from '~/utils/tokens.server.ts'
import { startStripeStandIn, type StripeStandIn } from '../../stand-ins/stripe/index.ts'
import { onPostgres } from '../helpers/engine.ts'
import { petitionClient } from '../helpers/petition.ts'
import { myDataPage } from '../helpers/sealed-data.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'

const STRIPE_SECRET = 'whsec_test_vigil_sealed_at_rest'
const RESEND_KEY = crypto.randomBytes(24)

// What the supporter types; none of it (nor its lower-case form) may be in the copy.
const ADDRESS = 'Zephyrine.Quorvantis+proof@Example.org'
const PERSON = {
  firstName: 'Zephyrine',
  lastName: 'Quorvantis',
  postalCode: 'PX 4471',
  message: 'Proofmarker solidarity from Zephyrine',
}
const REPLY = 'Proofmarker reply: thank you, Zephyrine'
const DONATION = { receiptName: 'Proofmarker Receiptname Quorvantis', publicName: 'Proofmarker Wallname', message: 'Proofmarker donor message' }
const MARKERS = [
  ADDRESS,
  ADDRESS.toLowerCase(),
  normalizeEmail(ADDRESS),
  'zephyrine.quorvantis',
  'Zephyrine',
  'zephyrine',
  'Quorvantis',
  'quorvantis',
  PERSON.postalCode,
  'Proofmarker',
]

let standIn: StripeStandIn
let server: RunningServer
let db: ServerSql

beforeAll(async () => {
  standIn = await startStripeStandIn({ deliver: false, webhookSecret: STRIPE_SECRET })
  server = await startServer({
    env: {
      STRIPE_API_BASE: standIn.url,
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      RESEND_WEBHOOK_SECRET: `whsec_${RESEND_KEY.toString('base64')}`,
      PAGE_CACHE_TTL_MS: '0',
      TRUST_PROXY: '1',
    },
  })
  db = openServerSql(server)
}, 90_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
  await standIn?.close()
})

/** The supporter's id, found as the app finds it (by keyed hash), or by the plain address while a part still writes it. */
async function supporterId() {
  const hashes = emailHashes(ADDRESS)
  const row = await db.get<{ id: number }>(
    `select id from supporters where email_hash in (${hashes.map(() => '?').join(', ')}) or email_normalized = ?`,
    ...hashes,
    normalizeEmail(ADDRESS),
  )
  if (!row) throw new Error('the signer has no supporter row')
  return row.id
}

/** An outbox row's props, opened when sealed. */
async function propsOf(idempotencyPrefix: string) {
  for (let i = 0; i < 50; i++) {
    const row = await db.get<{ sealed: string | null; props: string | Record<string, unknown> }>(
      `select sealed, props from email_messages where idempotency_key like ? order by id desc`,
      `${idempotencyPrefix}%`,
    )
    if (row) return row.sealed ? openEmail(row.sealed).props : typeof row.props === 'string' ? (JSON.parse(row.props) as Record<string, unknown>) : row.props
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no email ${idempotencyPrefix}…`)
}

function resendSignature(id: string, timestamp: number, body: string) {
  return `v1,${crypto.createHmac('sha256', RESEND_KEY).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

/** Every file of the data folder, copied as a backup would (the database, its WAL and whatever lies beside them). */
function copyOfDataFolder() {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-copy-'))
  fs.cpSync(server.dir, copy, { recursive: true })
  const files: string[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else files.push(full)
    }
  }
  walk(copy)
  return { copy, files }
}

describe('a copy of the database', () => {
  it('holds none of a supporter’s address, names, postal code or messages after they signed, donated, bounced and used My data', async () => {
    const client = petitionClient(server, db)
    const organiser = await client.login()
    const campaign = (await db.get<{ id: number }>(`select id from campaigns where slug = 'free-andry'`))!

    // Sign, with everything a signer may give, and confirm through the emailed link.
    const signed = await client.sign({ ...PERSON, email: ADDRESS, country: 'DE', showName: 'on', updates: 'on' })
    expect(signed.status).toBe(303)
    const signature = (await db.get<{ id: number }>(`select id from signatures where supporter_id = ? and campaign_id = ?`, await supporterId(), campaign.id))!
    const confirmProps = await propsOf(`signature:${signature.id}:confirm`)
    const confirmed = await fetch(`${server.url}/confirm/${signatureToken(String(confirmProps.tokenSeed))}`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ intent: 'confirm' }),
    })
    expect(confirmed.status).toBe(303)

    // The team approves the message and answers it.
    const moderate = (body: Record<string, string>) =>
      fetch(`${server.url}/admin/campaigns/${campaign.id}/messages`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Cookie: organiser, Origin: server.url },
        body: new URLSearchParams({ signatureId: String(signature.id), ...body }),
      })
    expect((await moderate({ intent: 'approve' })).status).toBeLessThan(400)
    expect((await moderate({ intent: 'reply', body: REPLY })).status).toBeLessThan(400)

    // A gift with a receipt name, a donor-wall name and a message, paid at the Stripe stand-in.
    const donated = await fetch(`${server.url}/c/free-andry/donate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': '10.99.0.2' },
      body: new URLSearchParams({ fundId: '1', currency: 'EUR', interval: 'one_time', amount: '2500', email: ADDRESS, ...DONATION, updates: 'on' }).toString(),
    })
    expect(donated.status).toBe(303)
    const sessionId = /\/c\/pay\/(cs_[A-Za-z0-9_]+)$/.exec(donated.headers.get('location') ?? '')![1]!
    const mark = standIn.events().length
    standIn.complete(sessionId, { method: 'card', outcome: 'succeeded' })
    for (const event of standIn.events().slice(mark)) {
      const { body, headers } = standIn.webhookRequest(event)
      expect((await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', headers, body })).status).toBe(200)
    }

    // Their address bounces (the provider reports it, with the address).
    const bounceBody = JSON.stringify({
      type: 'email.bounced',
      created_at: new Date().toISOString(),
      data: { email_id: crypto.randomUUID(), created_at: new Date().toISOString(), from: 'Vigil <team@vigil.example>', to: [ADDRESS], subject: 'Confirm', bounce: { type: 'Permanent', subType: 'General', message: 'no' } },
    })
    const svixId = `msg_${crypto.randomBytes(8).toString('hex')}`
    const timestamp = Math.floor(Date.now() / 1000)
    const bounced = await fetch(`${server.url}/webhooks/resend`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'svix-id': svixId, 'svix-timestamp': String(timestamp), 'svix-signature': resendSignature(svixId, timestamp, bounceBody) },
      body: bounceBody,
    })
    expect(bounced.status).toBe(200)

    // My data: asked for, opened, shown (it reads the sealed rows).
    const me = await myDataPage(db.db, server.url, ADDRESS, await supporterId())
    expect(me.status).toBe(200)
    expect(me.html).toContain(PERSON.lastName)

    // Let the sender take what was queued (it writes its outcome into the same rows).
    for (let i = 0; i < 100; i++) {
      const queued = await db.get<{ n: number }>(`select count(*) as n from email_messages where status in ('queued', 'sending')`)
      if (Number(queued!.n) === 0) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    const { copy, files } = copyOfDataFolder()
    try {
      expect(files.some((file) => file.endsWith('vigil.db'))).toBe(!onPostgres)
      for (const file of files) {
        const bytes = fs.readFileSync(file)
        for (const marker of MARKERS) {
          // UTF-8 and, for SQLite's UTF-16 databases or a JSON escape, UTF-16 too.
          expect(bytes.includes(Buffer.from(marker, 'utf8')), `${path.relative(copy, file)} holds "${marker}"`).toBe(false)
          expect(bytes.includes(Buffer.from(marker, 'utf16le')), `${path.relative(copy, file)} holds "${marker}" (UTF-16)`).toBe(false)
        }
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true })
    }

    if (onPostgres) {
      // What a dump handed to someone holds: every table's rows as text.
      const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', '--no-owner', server.databaseUrl!], { maxBuffer: 256 * 1024 * 1024 })
      expect(stdout.length).toBeGreaterThan(1000)
      for (const marker of MARKERS) expect(stdout.includes(marker), `pg_dump holds "${marker}"`).toBe(false)
    }
  }, 120_000)
})
