import type { ActionFunctionArgs } from '@remix-run/node'
import { passkeyRoute } from '~/workflows/passkeys.server.ts'

// The passkey ceremonies (ADR 019 §10-11): each intent has its own guard, in the workflow.

/** POST only: a GET is a 405 (JSON, like every answer here). */
export async function loader() {
  return Response.json({ error: 'Method not allowed' }, { status: 405, headers: { Allow: 'POST' } })
}

export async function action({ request, context }: ActionFunctionArgs) {
  return passkeyRoute(context.db, request, { lang: context.lang, clientIp: context.clientIp })
}
