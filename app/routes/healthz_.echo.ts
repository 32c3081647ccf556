import type { ActionFunctionArgs } from '@remix-run/node'
import { benchOnly } from '~/utils/bench-only.ts'

// The framework's floor for a form POST, used by bench:sign: read the form, answer JSON.
export async function action({ request }: ActionFunctionArgs) {
  benchOnly()
  const form = await request.formData().catch(() => null)
  if (!form) return Response.json({ error: 'Send a form.' }, { status: 400 })
  return Response.json({ ok: true })
}
