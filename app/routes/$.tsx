import type { MetaFunction } from '@remix-run/node'
import { ErrorPage } from '~/root.tsx'

export const meta: MetaFunction = () => [{ title: 'Vigil — 404' }, { name: 'robots', content: 'noindex' }]

// Unknown paths: a real 404 page in the visitor's language, not a crash.
export async function loader() {
  throw new Response('Not found', { status: 404 })
}

export async function action() {
  throw new Response('Not found', { status: 404 })
}

export default function NotFound() {
  return null
}

export function ErrorBoundary() {
  return <ErrorPage error={{ status: 404, statusText: 'Not found', internal: false, data: null }} />
}
