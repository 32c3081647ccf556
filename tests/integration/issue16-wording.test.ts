import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../helpers/html.ts'
import { petitionClient } from '../helpers/petition.ts'
import { byAddress, outboxRows } from '../helpers/sealed.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { startServer, type RunningServer } from '../helpers/server.ts'

/**
 * What Vigil says about issue 16 in words, over real HTTP against the production build: the
 * generated privacy policy (My data, withdrawing, forgetting and what stays for how long, at-risk
 * mode and its shorter retention) and the audit log's sentences for what /me and at-risk mode
 * record. SQLite and Postgres (VIGIL_TEST_ENGINE=postgres).
 */

let server: RunningServer
let db: ServerSql
let client: ReturnType<typeof petitionClient>
let owner: string
const CAMPAIGN_ID = 1

beforeAll(async () => {
  server = await startServer({ env: { VIGIL_DONATION_RECORDS_YEARS: '7', TRUST_PROXY: '1', PAGE_CACHE_TTL_MS: '0' } })
  db = openServerSql(server)
  client = petitionClient(server, db)
  owner = await client.login()
}, 60_000)

afterAll(async () => {
  await client?.close()
  await db?.close()
  await server?.stop()
})

const draftIn = async (lang: string) => textOf(await (await fetch(`${server.url}/privacy?lng=${lang}`)).text())

function post(path: string, fields: Record<string, string>, cookie = owner) {
  return fetch(server.url + path, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: server.url }, body: new URLSearchParams(fields) })
}

async function turnAtRiskOn() {
  const c = (await db.get(`SELECT * FROM campaigns WHERE id = ?`, CAMPAIGN_ID)) as Record<string, string | number | null>
  const settings = {
    slug: String(c.slug),
    status: String(c.status),
    defaultLocale: String(c.default_locale),
    currency: String(c.currency),
    signatureGoal: c.signature_goal == null ? '' : String(c.signature_goal),
    target: String(c.target ?? ''),
    retentionDays: String(c.retention_days),
    ...(c.confirmation_reminder ? { confirmationReminder: 'on' } : {}),
    atRisk: 'on',
  }
  expect((await post(`/admin/campaigns/${CAMPAIGN_ID}?index`, settings)).status).toBe(302)
}

describe('the generated privacy policy', () => {
  it('tells supporters about My data: what it shows, withdrawing, forgetting and what stays for how long', async () => {
    const en = await draftIn('en')
    expect(en).toMatch(/My data/)
    expect(en).toContain('/me')
    for (const shown of ['signatures', 'donations', 'consents', 'emails we sent you']) expect(en).toContain(shown)
    expect(en).toMatch(/withdraw your signature yourself/i)
    expect(en).toMatch(/Forget me/)
    expect(en).toContain('7 years')
    expect(en).toMatch(/amount, currency, dates, receipt number and Stripe’s payment ids/)
    expect(en).toContain('vigil_me')
    // The old promise ("ask us to delete your signature") gave way to doing it yourself.
    expect(en).not.toContain('You can ask us to delete your signature')
    const de = await draftIn('de')
    expect(de).toContain('Meine Daten')
    expect(de).toContain('Vergessen Sie mich')
    expect(de).toContain('7 Jahre')
    expect(de).toContain('vigil_me')
    const es = await draftIn('es')
    expect(es).toContain('Mis datos')
    expect(es).toContain('Olvídame')
    expect(es).toContain('7 años')
    expect(es).toContain('vigil_me')
  })

  it('explains at-risk mode, and lists an at-risk campaign with its shorter retention', async () => {
    const before = await draftIn('en')
    expect(before).toMatch(/supporters may be at risk/i)
    expect(before).toMatch(/postal code/)
    expect(before).toMatch(/30 days/)
    expect(before).not.toMatch(/Justice for Andry[^”]*”: 30 days after it closes/)
    await turnAtRiskOn()
    // The settings are read again after a second at most.
    await new Promise((r) => setTimeout(r, 1100))
    expect(await draftIn('en')).toMatch(/Justice for Andry[^”]*”: 30 days after it closes \(supporters may be at risk\)/)
    expect(await draftIn('de')).toMatch(/30 Tage nach ihrem Ende \(Unterstützende könnten gefährdet sein\)/)
    expect(await draftIn('es')).toMatch(/30 días después de cerrarse \(quienes apoyan podrían estar en peligro\)/)
  })
})

describe('the audit log', () => {
  const auditText = async (lang = 'en') => textOf(await (await fetch(`${server.url}/admin/audit?lng=${lang}`, { headers: { Cookie: owner } })).text())

  async function openMyData(email: string) {
    const asked = await fetch(`${server.url}/me?index`, { method: 'POST', redirect: 'manual', headers: { Origin: server.url, 'X-Forwarded-For': '10.70.0.1' }, body: new URLSearchParams({ intent: 'request', email }) })
    expect(asked.status).toBe(200)
    for (let i = 0; i < 50; i++) {
      const row = (await outboxRows(db, `m.template = 'my-data-link'`)).filter((m) => m.to === email).at(-1)
      if (row?.status === 'captured') {
        const link = (await client.linksOf(row.id, owner)).find((l) => l.includes('/me/open/'))!
        const opened = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: new URLSearchParams() })
        expect(opened.status).toBe(303)
        return opened.headers.get('set-cookie')!.split(';')[0]!
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('no My data link')
  }

  it('says in a sentence, naming nobody, that a supporter withdrew a signature and that one was forgotten', async () => {
    const person = client.person({ email: 'audit.words@example.org', firstName: 'Wendelin', lastName: 'Auditmann' })
    await client.signAndConfirm(person, owner)
    const me = await openMyData(person.email)
    const signer = byAddress(person.email, 'p.email_hash')
    const signature = await db.get<{ id: number }>(`SELECT s.id FROM signatures s JOIN supporters p ON p.id = s.supporter_id WHERE ${signer.where}`, ...signer.params)
    expect((await post('/me?index', { intent: 'withdraw', signatureId: String(signature!.id) }, me)).status).toBe(200)
    expect((await post('/me/forget', { confirm: 'yes' }, me)).status).toBe(200)

    const en = await auditText()
    expect(en).toMatch(/A supporter withdrew their signature from “Justice for Andry[^”]*” \(My data\)/)
    expect(en).toContain('A supporter had Vigil forget them (My data)')
    // An action without a sentence shows as "Vigil: signature.withdraw".
    expect(en).not.toMatch(/Vigil: (signature\.withdraw|supporter\.forget)/)
    const de = await auditText('de')
    expect(de).toMatch(/Eine unterstützende Person hat ihre Unterschrift unter „[^“]+“ zurückgezogen \(Meine Daten\)/)
    const es = await auditText('es')
    expect(es).toMatch(/Una persona que apoya retiró su firma de «[^»]+» \(Mis datos\)/)
    for (const text of [en, de, es]) expect(text).not.toMatch(/Wendelin|Auditmann|audit\.words/)
  })

  it('says when at-risk mode was turned on and when an export carried names', async () => {
    // At-risk mode was turned on in the privacy policy's test above; now an export without names, then one with them.
    expect((await fetch(`${server.url}/admin/campaigns/${CAMPAIGN_ID}/export.csv?kind=signatures`, { headers: { Cookie: owner } })).status).toBe(200)
    expect((await fetch(`${server.url}/admin/campaigns/${CAMPAIGN_ID}/export.csv?kind=signatures&names=1`, { headers: { Cookie: owner } })).status).toBe(200)
    const en = await auditText()
    expect(en).toMatch(/changed the settings of “Justice for Andry[^”]*” and turned at-risk mode on/)
    expect(en).toMatch(/downloaded the signatures of “Justice for Andry[^”]*” without names \(supporters may be at risk\)/)
    expect(en).toMatch(/downloaded the signatures of “Justice for Andry[^”]*” with names and email addresses \(supporters may be at risk\)/)
    const de = await auditText('de')
    expect(de).toMatch(/und den Schutzmodus eingeschaltet/)
    expect(de).toMatch(/mit Namen und E-Mail-Adressen/)
    const es = await auditText('es')
    expect(es).toMatch(/y activó el modo de protección/)
    expect(es).toMatch(/con nombres y correos/)
  })
})
