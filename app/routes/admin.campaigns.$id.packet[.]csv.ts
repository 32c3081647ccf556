import type { LoaderFunctionArgs } from '@remix-run/node'
import { recordPacketExport } from '~/models/packet.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { isLanguage } from '~/utils/i18n.ts'
import { PACKET_CSV_PARTS, packetCsv, packetFilename } from '~/workflows/packet.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

/** The packet for the target's staff as CSV: `?locale=de&part=countries|signers|messages` (countries when none). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const query = new URL(request.url).searchParams
  const wanted = query.get('locale')
  const lang = isLanguage(wanted) ? wanted : context.lang
  const t = getT(context.lang)
  const text = (status: number, body: string) => new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } })
  // Without a part: the countries, the one every campaign may hand over.
  const part = PACKET_CSV_PARTS.find((p) => p === (query.get('part') ?? 'countries'))
  if (!part) return text(400, t('packet.csvPartUnknown'))
  const body = await packetCsv(context.db, { campaignId: campaign.id, lang, part })
  // Null only for the signers of a campaign whose supporters may be at risk.
  if (body === null) return text(403, t('packet.namesWithheld'))
  await recordPacketExport(context.db, { actorId: organizer.id, campaignId: campaign.id, slug: campaign.slug, locale: lang, kind: `csv:${part}` })
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${packetFilename(campaign.slug, lang, 'csv', part)}"`,
      'Cache-Control': 'private, no-store',
      'X-Robots-Tag': 'noindex',
    },
  })
}
