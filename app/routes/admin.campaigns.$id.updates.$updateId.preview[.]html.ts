import type { LoaderFunctionArgs } from '@remix-run/node'
import { getUpdateForCompose } from '~/models/update-compose.server.ts'
import { emailFrameResponse, renderEmail } from '~/workflows/email-templates.server.tsx'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { isLanguage } from '~/utils/i18n.ts'

/**
 * An update's email as a recipient in `?lang=` reads it, for the preview frames on the
 * send page. Rendered by the same code as the real emails, with stand-in unsubscribe
 * links; the same policy as the outbox frame (no scripts, no requests elsewhere).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const update = await getUpdateForCompose(context.db, { campaignId: campaign.id, updateId: Number(params.updateId) })
  if (!update) throw new Response('Update not found', { status: 404 })
  const wanted = new URL(request.url).searchParams.get('lang')
  const locale = isLanguage(wanted) ? wanted : campaign.defaultLocale
  const { html } = await renderEmail(context.db, { template: 'campaign-update', locale, props: { updateId: update.id } })
  return emailFrameResponse(html)
}
