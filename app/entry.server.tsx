import type { AppLoadContext, EntryContext } from '@remix-run/node'
import { createReadableStreamFromReadable } from '@remix-run/node'
import { isRouteErrorResponse, RemixServer } from '@remix-run/react'
import { isbot } from 'isbot'
import { renderToPipeableStream } from 'react-dom/server'
import { I18nextProvider } from 'react-i18next'
import { getI18n } from './utils/i18n.server.ts'
import { holdDocumentEnd } from './utils/document-end.server.ts'
import { NonceProvider } from './utils/nonce.tsx'

export const streamTimeout = 5_000

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce
  const i18n = getI18n(loadContext.lang)
  // Bots and the page cache want the whole document at once; browsers get it streamed.
  const readyEvent = isbot(request.headers.get('user-agent') ?? '') ? 'onAllReady' : 'onShellReady'
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <I18nextProvider i18n={i18n}>
          <RemixServer context={remixContext} url={request.url} nonce={nonce} />
        </I18nextProvider>
      </NonceProvider>,
      {
        nonce,
        [readyEvent]() {
          shellRendered = true
          // The streamed single-fetch scripts go inside the body, not after `</html>`.
          const body = holdDocumentEnd()
          responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          )
          pipe(body)
        },
        onShellError(error: unknown) {
          reject(error)
        },
        onError(error: unknown) {
          responseStatusCode = 500
          // Errors during streaming after the shell are logged; earlier ones reach the boundary.
          if (shellRendered) console.error(error)
        },
      },
    )
    setTimeout(abort, streamTimeout + 1000)
  })
}

/**
 * Remix reports refusals it makes itself (a POST to a page without a form, an unknown path)
 * as errors too: those are the client's and are not logged. Our own errors are, with their
 * stack, but their message (which can quote a path, a token or an address) only masked.
 */
export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return
  if (isRouteErrorResponse(error) && error.status < 500) return
  if (!(error instanceof Error)) return console.error('vigil: unhandled error (not an Error)')
  const message = error.message
    .split('\n')[0]!
    .slice(0, 200)
    .replace(/[^\s@"'<>]+@[^\s@"'<>]+/g, ':email')
    .replace(/[\w.%-]{20,}/g, ':token')
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line))
  console.error(`vigil: unhandled error: ${error.name}: ${message}\n${frames.join('\n')}`)
}
