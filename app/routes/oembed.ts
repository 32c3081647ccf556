import type { LoaderFunctionArgs } from '@remix-run/node'
import { answerOEmbed } from '~/workflows/oembed.server.ts'
import { getEnv } from '~/utils/config.server.ts'

// GET /oembed?url=…&format=json: the embed snippet for a campaign URL (app/workflows/oembed.server.ts).
export async function loader({ request, context }: LoaderFunctionArgs) {
  const answer = await answerOEmbed(context.db, { params: new URL(request.url).searchParams, publicUrl: getEnv().publicUrl })
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      // Consumers fetch it from their servers or, some, from the browser: the answer is public.
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': answer.status === 200 ? 'public, max-age=300' : 'no-store',
    },
  })
}
