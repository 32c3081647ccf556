import type { LoaderFunctionArgs } from '@remix-run/node'
import { qrCodeResponse } from '~/workflows/print.server.ts'

/** The campaign's QR code alone as a 1024 px PNG, for any design program: `?s=poster|flyer|qr&lng=de`. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  return qrCodeResponse(context.db, { request, slug: params.slug ?? '', lang: context.lang, format: 'png' })
}
