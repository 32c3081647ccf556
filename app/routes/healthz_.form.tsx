import type { ActionFunctionArgs } from '@remix-run/node'
import { benchOnly } from '~/utils/bench-only.ts'

// The framework's floor for a form a page posts with a fetcher (single fetch, POST /healthz/form.data), used by bench:sign.
export async function action({ request }: ActionFunctionArgs) {
  benchOnly()
  const form = await request.formData().catch(() => null)
  if (!form) return Response.json({ error: 'Send a form.' }, { status: 400 })
  return { ok: true }
}

export default function Form() {
  return <p>ok</p>
}
