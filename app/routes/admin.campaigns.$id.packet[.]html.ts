import type { LoaderFunctionArgs } from '@remix-run/node'
import { recordPacketExport } from '~/models/packet.server.ts'
import { isLanguage } from '~/utils/i18n.ts'
import { loadPacket, packetFilename, packetHeaders, renderPacketHtml } from '~/workflows/packet.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

/** The delivery packet as one printable HTML document: `?locale=de`, `&download=1` to save it as a file. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const query = new URL(request.url).searchParams
  const wanted = query.get('locale')
  const lang = isLanguage(wanted) ? wanted : context.lang
  const packet = await loadPacket(context.db, { campaignId: campaign.id, lang })
  if (!packet) throw new Response('Campaign not found', { status: 404 })
  await recordPacketExport(context.db, { actorId: organizer.id, campaignId: campaign.id, slug: campaign.slug, locale: lang, kind: 'html' })
  const download: Record<string, string> = query.get('download') === '1' ? { 'Content-Disposition': `attachment; filename="${packetFilename(campaign.slug, lang, 'html')}"` } : {}
  return new Response(renderPacketHtml(packet), { headers: packetHeaders(download) })
}
