import { getEnv } from '~/utils/config.server.ts'

export async function loader() {
  const body = ['User-agent: *', 'Disallow: /admin', 'Disallow: /confirm/', '', `Sitemap: ${getEnv().publicUrl}/sitemap.xml`, ''].join('\n')
  return new Response(body, { headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=3600' } })
}
