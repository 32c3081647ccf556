import type { ActionFunctionArgs } from '@remix-run/node'

// The framework's floor for a form a page posts with a fetcher (single fetch, POST /healthz/form.data), used by bench:sign.
export async function action({ request }: ActionFunctionArgs) {
  const form = await request.formData().catch(() => null)
  if (!form) return Response.json({ error: 'Send a form.' }, { status: 400 })
  return { ok: true }
}

export default function Form() {
  return <p>ok</p>
}
