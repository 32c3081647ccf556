import crypto from 'node:crypto'
import type { LoaderFunctionArgs } from '@remix-run/node'
import { getPublicCampaign } from '~/models/campaigns.server.ts'
import { getPetitionStats, listCountryCounts } from '~/models/signatures.server.ts'

/** The count for widgets and CDNs: short max-age, stale-while-revalidate, and an ETag. */
export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const campaign = await getPublicCampaign({ slug: params.slug ?? '', lang: context.lang })
  if (!campaign) return Response.json({ error: 'No such campaign' }, { status: 404 })
  const [stats, countries] = await Promise.all([
    getPetitionStats({ campaignId: campaign.id, fixedGoal: campaign.signatureGoal }),
    listCountryCounts({ campaignId: campaign.id }),
  ])
  const body = JSON.stringify({
    confirmed: stats.confirmed,
    goal: stats.goal,
    countries: Object.fromEntries(countries.map((c) => [c.country, c.confirmed])),
  })
  const etag = `"${crypto.createHash('sha1').update(body).digest('base64url')}"`
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'public, max-age=5, stale-while-revalidate=30',
    ETag: etag,
  }
  if (request.headers.get('If-None-Match') === etag) return new Response(null, { status: 304, headers })
  return new Response(body, { headers })
}
