import type { LoaderFunctionArgs } from '@remix-run/node'
import { getOutboxMessage } from '~/models/outbox.server.ts'
import { renderEmail } from '~/services/email-templates.server.tsx'
import { requireOrganizer } from '~/services/session.server.ts'

/**
 * The email's HTML for the outbox frame. Email HTML relies on inline styles, so it gets
 * its own policy: no scripts, no requests anywhere, framable only by our own pages.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireOrganizer(request)
  const message = await getOutboxMessage({ id: Number(params.id) })
  if (!message) throw new Response('Not found', { status: 404 })
  const { html } = await renderEmail(message)
  // Links open in a new tab rather than inside the frame.
  const withBase = html.replace(/<head>/i, '<head><base target="_blank">')
  return new Response(withBase, {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
      'X-Frame-Options': 'SAMEORIGIN',
      'Cache-Control': 'no-store',
    },
  })
}
