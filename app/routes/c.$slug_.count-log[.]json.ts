import type { LoaderFunctionArgs } from '@remix-run/node'
import { countLogResponse } from '~/workflows/count-log.server.ts'

/** The campaign's public count log as JSON (ADR 018): anyone may fetch and verify it; a GET never writes. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  return countLogResponse(context.db, { slug: params.slug ?? '', ifNoneMatch: request.headers.get('if-none-match'), lang: context.lang })
}
