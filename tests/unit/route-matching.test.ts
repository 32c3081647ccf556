import fs from 'node:fs'
import { createRequire } from 'node:module'
import type { AgnosticRouteObject, matchRoutes as MatchRoutes } from '@remix-run/router'
import { describe, expect, it } from 'vitest'

// The server's @remix-run/router, as @remix-run/server-runtime loads it: the CommonJS build that
// patches/ changes (ADR 009). The cached answers must be the ones the unpatched code would give.
const require = createRequire(import.meta.url)
const { matchRoutes } = require('@remix-run/router') as { matchRoutes: typeof MatchRoutes }

/** A tree shaped like Vigil's: a root layout, static and dynamic segments, a splat, an index. */
function routes(): AgnosticRouteObject[] {
  return [
    {
      id: 'root',
      path: '',
      children: [
        { id: 'home', index: true },
        { id: 'campaign', path: 'c/:slug' },
        { id: 'campaign-data', path: 'c/:slug/count.json' },
        { id: 'donate', path: 'c/:slug/donate' },
        { id: 'confirm', path: 'confirm/:token' },
        {
          id: 'admin',
          path: 'admin',
          children: [
            { id: 'admin-home', index: true },
            { id: 'admin-campaign', path: 'campaigns/:id' },
            { id: 'admin-new', path: 'campaigns/new' },
          ],
        },
        { id: 'not-found', path: '*' },
      ],
    },
  ]
}

const ids = (matches: ReturnType<typeof matchRoutes>) => matches?.map((m) => [m.route.id, m.pathname, m.params]) ?? null

describe('route matching, patched to compute once (ADR 009)', () => {
  const paths = ['/', '/c/free-andry', '/c/free-andry/count.json', '/c/free-andry/donate', '/confirm/abc', '/admin', '/admin/campaigns/7', '/admin/campaigns/new', '/nowhere/at/all', '/C/Free-Andry/']

  it('answers a pathname the same the second time as the first, and as for a fresh route table', () => {
    const table = routes()
    for (const pathname of paths) {
      const first = ids(matchRoutes(table, pathname))
      expect(ids(matchRoutes(table, pathname))).toEqual(first)
      expect(ids(matchRoutes(routes(), pathname))).toEqual(first)
    }
  })

  it('ranks static segments above dynamic ones, as the router always has', () => {
    const table = routes()
    expect(matchRoutes(table, '/admin/campaigns/new')?.at(-1)?.route.id).toBe('admin-new')
    expect(matchRoutes(table, '/admin/campaigns/new')?.at(-1)?.route.id).toBe('admin-new')
    expect(matchRoutes(table, '/admin/campaigns/12')?.at(-1)?.params).toEqual({ id: '12' })
    expect(matchRoutes(table, '/nowhere/at/all')?.at(-1)?.params).toEqual({ '*': 'nowhere/at/all' })
  })

  it('gives every caller its own matches: what one changes, the next does not see', () => {
    const table = routes()
    // The first answer is computed, the later ones come from memory: change one of those.
    matchRoutes(table, '/c/free-andry')
    const remembered = matchRoutes(table, '/c/free-andry')!
    ;(remembered[1]!.params as Record<string, string>).slug = 'changed'
    remembered[1]!.pathname = '/elsewhere'
    remembered.pop()
    const next = matchRoutes(table, '/c/free-andry')!
    expect(next).toHaveLength(2)
    expect(next[1]).toMatchObject({ pathname: '/c/free-andry', params: { slug: 'free-andry' } })
    // All matches of one answer share one params object, as the unpatched router's do.
    expect(next[0]!.params).toBe(next[1]!.params)
  })

  it('matches a new route table (a rebuild in development) against its own routes', () => {
    const before = routes()
    expect(matchRoutes(before, '/c/free-andry/donate')?.at(-1)?.route.id).toBe('donate')
    const after = routes()
    after[0]!.children = after[0]!.children!.filter((r) => r.id !== 'donate')
    expect(matchRoutes(after, '/c/free-andry/donate')?.at(-1)?.route.id).toBe('not-found')
    expect(matchRoutes(before, '/c/free-andry/donate')?.at(-1)?.route.id).toBe('donate')
  })

  it('answers right past the bound of remembered pathnames (5,000 unique tokens)', () => {
    const table = routes()
    for (let i = 0; i < 5000; i++) expect(matchRoutes(table, `/confirm/token-${i}`)?.at(-1)?.params).toEqual({ token: `token-${i}` })
    expect(matchRoutes(table, '/confirm/token-0')?.at(-1)?.params).toEqual({ token: 'token-0' })
  })

  it('is the patched build (patch-package ran on install)', () => {
    const source = fs.readFileSync(require.resolve('@remix-run/router'), 'utf8')
    expect(source).toContain('Patched (Vigil, patches/)')
  })
})
