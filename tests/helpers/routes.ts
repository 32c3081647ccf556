import type { ServerBuild } from '@remix-run/node'

type BuildRoute = NonNullable<ServerBuild['routes'][string]>

/**
 * Every route of a production build (the root excepted) with its full URL pattern, its
 * parents' paths joined as Remix nests them, so suites that must cover every route
 * enumerate the real table rather than a list someone keeps.
 */
export function routeTable(build: ServerBuild): { route: BuildRoute; pattern: string }[] {
  const all = build.routes
  const fullPattern = (id: string) => {
    const segments: string[] = []
    for (let route = all[id]; route; route = route.parentId ? all[route.parentId] : undefined) {
      if (route.path) segments.unshift(route.path.replace(/^\/+|\/+$/g, ''))
    }
    return `/${segments.filter(Boolean).join('/')}`
  }
  return Object.values(all)
    .filter((route): route is BuildRoute => Boolean(route) && route!.id !== 'root')
    .map((route) => ({ route, pattern: fullPattern(route.id) }))
}
