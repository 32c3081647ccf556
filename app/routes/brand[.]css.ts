import type { LoaderFunctionArgs } from '@remix-run/node'
import { getSiteSettings } from '~/models/site-settings.server.ts'
import { HEX_COLOR } from '~/utils/contrast.ts'

/** The team's accent colour as CSS custom properties, after app.css. The colour was checked for AA contrast when saved. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { accentColor, version } = await getSiteSettings(context.db)
  const css =
    accentColor && HEX_COLOR.test(accentColor)
      ? `:root{--accent:${accentColor};--accent-dark:${accentColor};--accent-soft:color-mix(in srgb,${accentColor} 10%,#fff)}\n`
      : ''
  // The page links to it with its version: that URL never changes its answer.
  const current = new URL(request.url).searchParams.get('v') === String(version)
  return new Response(css, {
    headers: { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': current ? 'public, max-age=31536000, immutable' : 'no-cache' },
  })
}
