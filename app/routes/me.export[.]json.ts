import type { LoaderFunctionArgs } from '@remix-run/node'
import { loadMyData, myDataExport, mySupporterId } from '~/workflows/my-data.server.ts'
import { getT } from '~/utils/i18n.server.ts'

/** The download of everything held, as JSON (docs/my-data-export.md). Only with the session /me set. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const supporterId = await mySupporterId(context.db, request)
  const mine = supporterId === null ? null : await loadMyData(context.db, { supporterId, lang: context.lang })
  const noStore = { 'Cache-Control': 'private, no-store' }
  if (!mine) return Response.json({ error: getT(context.lang)('me.request.ended') }, { status: 401, headers: noStore })
  return new Response(JSON.stringify(myDataExport(mine), null, 2), {
    headers: { ...noStore, 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': 'attachment; filename="my-data.json"' },
  })
}
