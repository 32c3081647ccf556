/**
 * What a poster or flyer shows, read when it is opened (so printed at that moment): the
 * campaign's text in the language asked for, its image, the confirmed count from the
 * counters, the team's name, today's date and the QR code's target.
 */
import type { Handle } from '#db/client.server.ts'
import { getPublicCampaign, getSigningCampaign } from '~/models/campaigns.server.ts'
import { knownSourceForSlug } from '~/models/sources.server.ts'
import { getPetitionStats } from '~/models/signatures.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { renderQrCode, type QrFormat } from '~/utils/qr-codes.server.ts'
import { formatDate, type Language } from '~/utils/i18n.ts'
import {
  campaignQrUrl,
  PRINT_SIZES,
  qrCodePath,
  qrFileName,
  requestedLanguage,
  shortCampaignUrl,
  titleScale,
  type PrintSize,
} from '~/utils/print.ts'

export async function loadPrintSheet(db: Handle, { slug, lang, size, now = Date.now() }: { slug: string; lang: Language; size: PrintSize; now?: number }) {
  const campaign = await getPublicCampaign(db, { slug, lang })
  if (!campaign) return null
  const { confirmed } = await getPetitionStats(db, { campaignId: campaign.id, fixedGoal: campaign.signatureGoal })
  const { publicUrl } = getEnv()
  const source = PRINT_SIZES[size].source
  return {
    size,
    slug: campaign.slug,
    title: campaign.title,
    titleScale: titleScale(campaign.title.value),
    summary: campaign.summary,
    image: campaign.imagePath ? { src: campaign.imagePath, alt: campaign.imageAlt.value } : null,
    teamName: campaign.organizationName,
    confirmed,
    asOf: formatDate(new Date(now).toISOString().slice(0, 10), lang),
    qr: {
      src: qrCodePath({ slug: campaign.slug, source, lang, format: 'svg' }),
      url: campaignQrUrl({ publicUrl, slug: campaign.slug, source, lang }),
      shortUrl: shortCampaignUrl({ publicUrl, slug: campaign.slug }),
    },
  }
}

export type PrintSheet = NonNullable<Awaited<ReturnType<typeof loadPrintSheet>>>

/** Whether a QR code may be made for this slug: public campaigns only (a draft's address stays unknown). */
export async function isPrintableCampaign(db: Handle, { slug, lang }: { slug: string; lang: Language }) {
  return (await getSigningCampaign(db, { slug, lang })) !== null
}

/**
 * A QR code download (`/c/:slug/qr.svg`, `/c/:slug/qr.png`): the campaign's public URL with a
 * known source tag (utils/sources.ts; minted ones too) and, if asked, a language; a plain-text 4xx in the visitor's
 * language for an unknown campaign or language; 304 when the client has these bytes already.
 */
export async function qrCodeResponse(db: Handle, { request, slug, lang, format }: { request: Request; slug: string; lang: Language; format: QrFormat }) {
  const t = getT(lang)
  const refuse = (status: number, message: string) =>
    new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } })
  const { searchParams } = new URL(request.url)
  const codeLang = requestedLanguage(searchParams)
  if (codeLang === 'invalid') return refuse(400, t('print.errors.language'))
  if (!(await isPrintableCampaign(db, { slug, lang }))) return refuse(404, t('print.errors.campaign'))
  // Without a tag the code says it came from a QR code; a built-in or minted tag is kept, anything else dropped.
  const asked = searchParams.get('s')
  const source = asked === null ? 'qr' : await knownSourceForSlug(db, { slug, value: asked })
  const code = await renderQrCode({ url: campaignQrUrl({ publicUrl: getEnv().publicUrl, slug, source, lang: codeLang }), format })
  const headers = {
    'Content-Type': code.contentType,
    'Content-Disposition': `attachment; filename="${qrFileName({ slug, source, lang: codeLang, format })}"`,
    ETag: code.etag,
    // Revalidated within the hour: a renamed campaign or a new PUBLIC_URL gives new bytes and a new ETag.
    'Cache-Control': 'public, max-age=3600',
  }
  if (request.headers.get('if-none-match') === code.etag) return new Response(null, { status: 304, headers })
  return new Response(new Uint8Array(code.body), { headers })
}
