import type { ActionFunctionArgs } from '@remix-run/node'

// Foundation stub (issue 18): part P2 writes the intents of the plan's §4b here, each with its
// own guard (requireFactorEnrolment, requirePendingSession('password'), or anyone with the
// passkey:ip limit). Until then every POST is refused without looking at who asks.

/** POST only: a GET is a 405 (JSON, like every answer here). */
export async function loader() {
  return Response.json({ error: 'Method not allowed' }, { status: 405, headers: { Allow: 'POST' } })
}

export async function action(_args: ActionFunctionArgs) {
  return Response.json({ error: 'Unknown request' }, { status: 400 })
}
