import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { CampaignView } from '~/components/campaign-view.tsx'
import { getPublicCampaign } from '~/models/campaigns.server.ts'
import { getEnv } from '~/services/env.server.ts'
import { socialMeta } from '~/utils/meta.ts'

export async function loader({ params, context }: LoaderFunctionArgs) {
  const campaign = await getPublicCampaign({ slug: params.slug ?? '', lang: context.lang })
  if (!campaign) throw new Response('Not found', { status: 404 })
  return { campaign, lang: context.lang, publicUrl: getEnv().publicUrl }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return [{ title: 'Vigil' }]
  const { campaign, publicUrl } = data
  return socialMeta({
    title: campaign.title.value,
    description: campaign.summary.value,
    url: `${publicUrl}/c/${campaign.slug}`,
    image: campaign.imagePath ? `${publicUrl}${campaign.imagePath}` : null,
    imageAlt: campaign.imageAlt.value,
    locale: data.lang,
    siteName: campaign.organizationName,
  })
}

export default function CampaignPage() {
  const { campaign, lang } = useLoaderData<typeof loader>()
  return (
    <main>
      <CampaignView campaign={campaign} lang={lang} />
    </main>
  )
}
