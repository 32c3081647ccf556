import { expect } from 'vitest'
import type { RunningServer } from './server.ts'
import { emailsTo } from './sealed.ts'
import { openServerSql, type ServerSql, type Sql } from './sql.ts'

/**
 * Signing and confirming through the real pages, as a supporter and an organiser would. It reads
 * the server's database through `given`, or through a handle of its own (`close()` closes it).
 */
export function petitionClient(server: RunningServer, given?: Sql) {
  let own: ServerSql | null = null
  const db = () => given ?? (own ??= openServerSql(server))
  let ip = 0
  let emails = 0

  async function login(email = 'demo@vigil.example', password = 'vigil-demo-2026') {
    const response = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url },
      body: new URLSearchParams({ email, password }),
    })
    return response.headers.get('set-cookie')!.split(';')[0]!
  }

  const person = (extra: Record<string, string> = {}) => ({
    firstName: 'Maria',
    lastName: 'González',
    email: `maria.${++emails}@example.org`,
    country: 'DE',
    ...extra,
  })

  function sign(form: Record<string, string>, { lang = 'en', from }: { lang?: string; from?: string } = {}) {
    ip += 1
    return fetch(`${server.url}/c/free-andry?lng=${lang}`, {
      method: 'POST',
      redirect: 'manual',
      // Each signature from its own address unless a test says otherwise (needs TRUST_PROXY=1).
      headers: { 'X-Forwarded-For': from ?? `10.1.${Math.floor(ip / 200)}.${ip % 200}` },
      body: new URLSearchParams(form),
    })
  }

  async function waitForEmails(address: string, count = 1) {
    for (let i = 0; i < 50; i++) {
      // Addresses are sealed in the outbox (ADR 017): opened here with the servers' data key.
      const rows = await emailsTo(db(), address)
      if (rows.length >= count && rows.every((r) => r.status === 'captured')) return rows
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`no captured email for ${address}`)
  }

  /** The links of an outbox email, as the organiser's outbox page lists them. */
  async function linksOf(messageId: number, cookie: string) {
    const page = await fetch(`${server.url}/admin/outbox/${messageId}`, { headers: { Cookie: cookie } })
    expect(page.status).toBe(200)
    const list = /<ul class="outbox-links">([\s\S]*?)<\/ul>/.exec(await page.text())?.[1] ?? ''
    return [...list.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'))
  }

  async function signAndConfirm(form: Record<string, string>, cookie: string) {
    expect((await sign(form)).status).toBe(303)
    const [email] = await waitForEmails(form.email!)
    const [confirmUrl] = await linksOf(email!.id, cookie)
    const confirmed = await fetch(confirmUrl!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ intent: 'confirm' }) })
    expect(confirmed.status).toBe(303)
  }

  const counters = async () =>
    (await db().get<{ confirmed: number; pending: number }>(`SELECT confirmed, pending FROM campaign_counters WHERE campaign_id = 1`)) ?? {
      confirmed: 0,
      pending: 0,
    }

  async function close() {
    await own?.close()
    own = null
  }

  return { login, person, sign, waitForEmails, linksOf, signAndConfirm, counters, close }
}
