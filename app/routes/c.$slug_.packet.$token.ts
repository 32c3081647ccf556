import type { LoaderFunctionArgs } from '@remix-run/node'
import { getT } from '~/utils/i18n.server.ts'
import { campaignForPacketLink, loadPacket, packetHeaders, renderPacketHtml } from '~/workflows/packet.server.ts'

/**
 * The packet for the petition's targets, by the link in their milestone email (`?lng=de`): the
 * token is the campaign's, derived and never stored. A wrong token or slug is a 404, as is a
 * campaign that is not public. Nothing is recorded: the target's reading is their own.
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const campaignId = await campaignForPacketLink(context.db, { slug: params.slug ?? '', token: params.token ?? '' })
  const packet = campaignId === null ? null : await loadPacket(context.db, { campaignId, lang: context.lang })
  if (!packet) {
    return new Response(getT(context.lang)('packet.notFound'), { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' } })
  }
  return new Response(renderPacketHtml(packet), { headers: packetHeaders() })
}
