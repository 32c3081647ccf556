import type { LoaderFunctionArgs } from '@remix-run/node'
import { listPublicCampaignSlugs } from '~/models/campaigns.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { LANGUAGE_PARAM, LANGUAGES } from '~/utils/i18n.ts'

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function urlEntry(loc: string, lastmod?: number) {
  const alternates = LANGUAGES.map(
    (lng) => `    <xhtml:link rel="alternate" hreflang="${lng}" href="${escapeXml(`${loc}?${LANGUAGE_PARAM}=${lng}`)}"/>`,
  ).concat(`    <xhtml:link rel="alternate" hreflang="x-default" href="${escapeXml(loc)}"/>`).join('\n')
  const modified = lastmod ? `\n    <lastmod>${new Date(lastmod).toISOString()}</lastmod>` : ''
  return `  <url>\n    <loc>${escapeXml(loc)}</loc>${modified}\n${alternates}\n  </url>`
}

export async function loader({ context }: LoaderFunctionArgs) {
  const base = getEnv().publicUrl
  const campaigns = await listPublicCampaignSlugs(context.db)
  const body = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    urlEntry(`${base}/`),
    ...campaigns.map((c) => urlEntry(`${base}/c/${c.slug}`, c.updatedAt)),
    // The legal pages every public page links to (a draft until the team has reviewed it).
    ...['privacy', 'imprint', 'contact'].map((page) => urlEntry(`${base}/${page}`)),
    '</urlset>',
    '',
  ].join('\n')
  return new Response(body, { headers: { 'Content-Type': 'application/xml; charset=utf-8', 'Cache-Control': 'public, max-age=600' } })
}
