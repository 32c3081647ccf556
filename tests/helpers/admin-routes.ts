import type { ServerBuild } from '@remix-run/node'
import { routeTable } from './routes.ts'
import type { RunningServer } from './server.ts'
import { openServerSql } from './sql.ts'

export type AdminRouteUrl = {
  id: string
  pattern: string
  /** Concrete path (and `?index` for a pathless index route) to request. */
  url: string
  /** An index route without its own path: it shares its layout's URL, `?index` targets it. */
  isPathlessIndex: boolean
  hasAction: boolean
  /** A page (has a component); resource routes (CSV, HTML, JSON) answer with their own bodies. */
  isPage: boolean
}

/**
 * Every `routes/admin*` route of the build with a URL that reaches it on a server seeded with
 * the demo (params filled as admin-access.test.ts does). Arranges what some params need: a
 * fund on the demo campaign, and a signature whose confirmation email has the campaign's id
 * (so `/admin/outbox/:id` and `/admin/campaigns/:id` share one value). Throws on a param it
 * has no value for, so a new route with a new param is noticed.
 */
export async function adminRouteUrls(server: RunningServer, build: ServerBuild): Promise<AdminRouteUrl[]> {
  const db = openServerSql(server)
  let params: Record<string, string>
  try {
    const campaign = await db.get<{ id: number }>(`SELECT id FROM campaigns WHERE slug = 'free-andry'`)
    if (!campaign) throw new Error('adminRouteUrls: the seed did not create the demo campaign')
    const entry = await db.get<{ id: number }>('SELECT id FROM updates WHERE campaign_id = ? ORDER BY id LIMIT 1', campaign.id)
    if (!entry) throw new Error('adminRouteUrls: the seed did not create timeline entries')
    const fund =
      (await db.get<{ id: number }>('SELECT id FROM funds WHERE campaign_id = ? ORDER BY id LIMIT 1', campaign.id)) ??
      (await db.get<{ id: number }>(`INSERT INTO funds (campaign_id, slug, goal_minor, currency) VALUES (?, 'routes-probe', 100000, 'EUR') RETURNING id`, campaign.id))!
    await db.run(`INSERT INTO fund_translations (fund_id, locale, title) VALUES (?, 'en', 'Routes probe') ON CONFLICT DO NOTHING`, fund.id)
    if (!(await db.get('SELECT id FROM email_messages WHERE id = ?', campaign.id))) {
      const signed = await fetch(`${server.url}/c/free-andry`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ firstName: 'Ana', lastName: 'Lopez', email: 'ana.routes@example.org', country: 'ES' }),
      })
      if (signed.status !== 303) throw new Error(`adminRouteUrls: signing for the outbox fixture failed: ${signed.status}`)
    }
    if (!(await db.get('SELECT id FROM email_messages WHERE id = ?', campaign.id))) {
      throw new Error('adminRouteUrls: the outbox fixture must share the campaign id (both are :id)')
    }
    params = {
      id: String(campaign.id),
      locale: 'de',
      entryId: String(entry.id),
      fundId: String(fund.id),
      updateId: String(entry.id),
      page: 'privacy',
      token: 'no-such-token',
    }
  } finally {
    await db.close()
  }
  return routeTable(build)
    .filter(({ route }) => route.id.startsWith('routes/admin'))
    .map(({ route, pattern }) => {
      const concrete = pattern.replace(/:(\w+)/g, (_, name: string) => {
        const value = params[name]
        if (value === undefined) throw new Error(`adminRouteUrls: no value for :${name} in ${route.id}`)
        return value
      })
      const isPathlessIndex = Boolean(route.index) && !route.path
      return {
        id: route.id,
        pattern,
        url: isPathlessIndex ? `${concrete}?index` : concrete,
        isPathlessIndex,
        hasAction: typeof route.module.action === 'function',
        isPage: typeof route.module.default === 'function',
      }
    })
}
