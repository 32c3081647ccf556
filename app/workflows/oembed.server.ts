/**
 * oEmbed (https://oembed.com) for campaign URLs, so blog platforms that auto-embed links show
 * the petition panel: `GET /oembed?url=<campaign URL>&format=json[&maxwidth=…&maxheight=…]`.
 * Only this instance's public campaigns have an answer; the snippet only shows on sites the
 * campaign's organisers allowed (frame-ancestors), so answering for any campaign leaks nothing.
 */
import type { Handle } from '#db/client.server.ts'
import { getSigningCampaign } from '~/models/campaigns.server.ts'
import { getSiteSettings } from '~/models/site-settings.server.ts'
import { EMBED_HEIGHTS, EMBED_MAX_WIDTH, embedSnippet, type EmbedPanel } from '~/utils/embed.ts'
import { isLanguage, LANGUAGE_PARAM, type Language } from '~/utils/i18n.ts'

export type OEmbedAnswer = { status: 200 | 400 | 404 | 501; body: Record<string, unknown> }

const CAMPAIGN_PATH = /^\/c\/([a-z0-9-]{1,100})(\/donate)?\/?$/

function dimension(value: string | null): number | null | 'bad' {
  if (value === null || value === '') return null
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1) return 'bad'
  return Number(value)
}

export async function answerOEmbed(db: Handle, { params, publicUrl }: { params: URLSearchParams; publicUrl: string }): Promise<OEmbedAnswer> {
  const format = params.get('format') ?? 'json'
  if (format !== 'json') return { status: 501, body: { error: `Only format=json is offered, not format=${format.slice(0, 20)}.` } }
  const raw = params.get('url')
  if (!raw) return { status: 400, body: { error: 'The url parameter is missing: give the address of a campaign on this site.' } }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { status: 400, body: { error: 'The url parameter is not an absolute URL.' } }
  }
  const maxWidth = dimension(params.get('maxwidth'))
  const maxHeight = dimension(params.get('maxheight'))
  if (maxWidth === 'bad' || maxHeight === 'bad') return { status: 400, body: { error: 'maxwidth and maxheight must be positive whole numbers of pixels.' } }
  const match = CAMPAIGN_PATH.exec(url.pathname)
  if (url.origin !== new URL(publicUrl).origin || !match) return { status: 404, body: { error: 'That URL is not a campaign on this site.' } }
  const wanted = url.searchParams.get(LANGUAGE_PARAM)
  const found = await getSigningCampaign(db, { slug: match[1]!, lang: isLanguage(wanted) ? wanted : 'en' })
  if (!found) return { status: 404, body: { error: 'There is no public campaign at that URL.' } }
  // A URL without ?lng= names the campaign in its own first language.
  const lang: Language = isLanguage(wanted) ? wanted : found.defaultLocale
  const campaign = lang === 'en' || isLanguage(wanted) ? found : ((await getSigningCampaign(db, { slug: found.slug, lang })) ?? found)
  const title = campaign.title
  const panel: EmbedPanel = match[2] ? 'donate' : 'petition'
  const width = Math.min(maxWidth ?? EMBED_MAX_WIDTH, EMBED_MAX_WIDTH)
  const height = Math.min(maxHeight ?? EMBED_HEIGHTS[panel], EMBED_HEIGHTS[panel])
  const team = (await getSiteSettings(db)).teamName ?? campaign.organizationName
  return {
    status: 200,
    body: {
      version: '1.0',
      type: 'rich',
      title,
      provider_name: team,
      provider_url: publicUrl,
      html: embedSnippet({ publicUrl, slug: campaign.slug, lang, panel, title, height, maxWidth: width }),
      width,
      height,
      cache_age: 3600,
    },
  }
}
