import type { LoaderFunctionArgs } from '@remix-run/node'
import { emailFrameResponse } from '~/workflows/email-templates.server.tsx'
import { getT } from '~/utils/i18n.server.ts'
import { renderOutboxMessage, requireOutboxMessage } from '~/workflows/outbox-view.server.ts'
import { requireOrganizer } from '~/workflows/session.server.ts'

/**
 * The email's HTML for the outbox frame, under the email frames' own policy (emailFrameResponse),
 * with the recipient's own links removed unless renderOutboxMessage may show them (ADR 011).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  const message = await requireOutboxMessage(context.db, organizer, params.id)
  const { html } = await renderOutboxMessage(context.db, organizer, message, getT(context.lang)('admin.outbox.linkRemoved'))
  return emailFrameResponse(html)
}
