import type { LoaderFunctionArgs } from '@remix-run/node'
import { getOutboxMessage } from '~/models/outbox.server.ts'
import { emailFrameResponse, renderEmail } from '~/services/email-templates.server.tsx'
import { requireOrganizer } from '~/services/session.server.ts'

/** The email's HTML for the outbox frame, under the email frames' own policy (emailFrameResponse). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireOrganizer(request)
  const message = await getOutboxMessage({ id: Number(params.id) })
  if (!message) throw new Response('Not found', { status: 404 })
  const { html } = await renderEmail(message)
  return emailFrameResponse(html)
}
