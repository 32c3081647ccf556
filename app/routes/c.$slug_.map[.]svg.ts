import { createHash } from 'node:crypto'
import type { LoaderFunctionArgs } from '@remix-run/node'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { listCountryCounters } from '~/models/counters.server.ts'
import { renderCountryMap } from '~/utils/country-map.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { isLanguage } from '~/utils/i18n.ts'

// The last maps drawn, by campaign and language: the string (~75 KB) is rebuilt only when a count changes.
const MEMO_SIZE = 200
const memo = new Map<string, { etag: string; svg: string }>()

/**
 * The signatures' countries as an SVG image (`/c/:slug/map.svg?v=<confirmed>&l=<lang>`), for the
 * campaign page's <img>. `v` only busts caches; `l` picks the language of the names in the
 * tooltips (not `lng`, which would set the visitor's language cookie from an image).
 * Public campaigns only: a draft's countries stay private.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const url = new URL(request.url)
  const asked = url.searchParams.get('l')
  const lang = isLanguage(asked) ? asked : context.lang
  const t = getT(lang)
  const campaign = await getSigningCampaign(context.db, { slug: params.slug ?? '', lang })
  if (!campaign) {
    return new Response(t('countryMap.notFound'), { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } })
  }
  const counts = await listCountryCounters(context.db, campaign.id)
  const title = t('countryMap.svgTitle', { title: campaign.title })
  const etag = `"${createHash('sha1')
    .update(JSON.stringify([lang, title, counts.map((c) => [c.country, c.confirmed])]))
    .digest('base64url')}"`
  const headers = {
    'Content-Type': 'image/svg+xml; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Cache-Control': 'public, max-age=300, stale-while-revalidate=600',
    ETag: etag,
  }
  const sent = request.headers.get('if-none-match')
  if (sent && sent.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return new Response(null, { status: 304, headers })
  const key = `${campaign.id}:${lang}`
  let entry = memo.get(key)
  if (entry?.etag !== etag) {
    entry = { etag, svg: renderCountryMap({ counts, lang, title }) }
    memo.delete(key)
    memo.set(key, entry)
    if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!)
  }
  return new Response(entry.svg, { headers })
}
