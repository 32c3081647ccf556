import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useActionData, useLoaderData, useRouteError, type ShouldRevalidateFunction } from '@remix-run/react'
import { EmbedError, EmbedFrame, useLiveCount } from '~/components/embed-frame.tsx'
import { PetitionPanel } from '~/components/petition-panel.tsx'
import { loadEmbedPetition, signFromEmbed } from '~/workflows/embed.server.ts'
import { EMBED_SOURCE } from '~/utils/embed.ts'
import { languageUrl, pageMeta } from '~/utils/meta.ts'
import { passRetryAfter } from '~/utils/retry-after.ts'

// The root layout reads this: no site header, footer or language switcher inside another site's frame.
export const handle = { bare: true }

export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const signed = new URL(request.url).searchParams.get('signed') === '1'
  return loadEmbedPetition(context.db, { slug: params.slug ?? '', lang: context.lang, countryHint: context.countryHint, signed })
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const formData = await request.formData().catch(() => null)
  if (!formData) throw new Response('Bad request', { status: 400 })
  const answer = await signFromEmbed(context.db, { slug: params.slug ?? '', formData, lang: context.lang, clientIp: context.clientIp })
  if (answer.kind === 'redirect') throw redirect(answer.location, 303)
  return data(answer.body, { status: answer.status, headers: answer.retryAfterSeconds ? { 'Retry-After': String(answer.retryAfterSeconds) } : {} })
}

// Signing changes nothing the frame shows until the email is confirmed (the count comes from count.json).
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod?.toUpperCase() === 'POST' ? false : defaultShouldRevalidate

export const headers = passRetryAfter

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? data.campaign.title.value : 'Vigil' },
  // The campaign page is the one to find; this is a part of it for other sites' pages.
  ...(data ? pageMeta({ description: data.campaign.summary, canonical: languageUrl(data.campaignUrl, data.lang) }) : [{ name: 'robots', content: 'noindex' }]),
]

export default function EmbedPetition() {
  const { campaign, petition, lang, action: formAction, mailWaitMinutes } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const live = useLiveCount(campaign.slug, { confirmed: petition.confirmed, goal: petition.goal })
  return (
    <EmbedFrame campaign={campaign} lang={lang}>
      <PetitionPanel
        petition={{ ...petition, ...live }}
        lang={lang}
        actionData={actionData}
        signedMailWaitMinutes={mailWaitMinutes}
        compact
        action={formAction}
        source={EMBED_SOURCE}
      />
    </EmbedFrame>
  )
}

export function ErrorBoundary() {
  return <EmbedError error={useRouteError()} />
}
