import type { HeadersFunction } from '@remix-run/node'

/**
 * A route's `headers`: Remix hands only Set-Cookie from an action on to the document by
 * itself, so a refusal's Retry-After (a rate limit, an outage) is passed on here, or clients
 * never see it.
 */
export const passRetryAfter: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After')
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers()
}
