import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getPublicCampaign } from '~/models/campaigns.server.ts'
import { confirmSignature, discardSignature, getPendingConfirmation } from '~/models/signatures.server.ts'
import { thanksCookie } from '~/utils/thanks-cookie.server.ts'
import { countSignatureConfirmed } from '~/utils/metrics.server.ts'
import { LANGUAGE_PARAM } from '~/utils/i18n.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }]

// Mail scanners open links, they do not press buttons: GET only shows, POST acts.
export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const pending = await getPendingConfirmation(context.db, { token: params.token ?? '' })
  // Unknown, expired or already used: nothing is here, so a 404 whose page says why.
  if (!pending) return data({ pending: null }, { status: 404 })
  // The page speaks the language of the email that linked here, whatever the browser's, even
  // for links sent before this: `?lng=` is the one switch the server reads before rendering
  // (ADR 002). A `?lng=` already there (the language switcher) is the visitor's own choice.
  const url = new URL(request.url)
  if (pending.locale !== context.lang && !url.searchParams.has(LANGUAGE_PARAM)) {
    throw redirect(`${url.pathname}${url.search ? `${url.search}&` : '?'}${LANGUAGE_PARAM}=${pending.locale}`, 303)
  }
  const campaign = await getPublicCampaign(context.db, { slug: pending.campaignSlug, lang: context.lang })
  return {
    pending: { firstName: pending.firstName, title: campaign?.title ?? null, slug: pending.campaignSlug },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const token = params.token ?? ''
  const formData = await request.formData().catch(() => null)
  if (!formData) throw new Response('Bad request', { status: 400 })
  const intent = formData.get('intent')
  if (intent === 'discard') {
    const discarded = await discardSignature(context.db, { token })
    if (!discarded) return data({ discarded: false, invalid: true }, { status: 404 })
    return { discarded: true, invalid: false }
  }
  const confirmed = await confirmSignature(context.db, { token })
  if (!confirmed) return data({ discarded: false, invalid: true }, { status: 404 })
  countSignatureConfirmed()
  // The name for the thanks page travels in a signed, short-lived cookie: nothing personal in the URL.
  // In the email's language too, even where the language cookie was refused.
  throw redirect(`/thanks/${confirmed.campaignSlug}?${LANGUAGE_PARAM}=${confirmed.locale}`, {
    status: 303,
    headers: { 'Set-Cookie': await thanksCookie({ slug: confirmed.campaignSlug, firstName: confirmed.firstName }) },
  })
}

export default function Confirm() {
  const { pending } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [searchParams] = useSearchParams()
  const { t } = useTranslation()
  if (actionData?.discarded) {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('confirm.title')}</h1>
        <p className="notice notice--success">{t('confirm.discarded')}</p>
      </main>
    )
  }
  if (!pending || actionData) {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('confirm.title')}</h1>
        <p className="notice notice--error">{t('confirm.invalid')}</p>
      </main>
    )
  }
  const notMe = searchParams.has('not-me')
  return (
    <main className="wrap page page--narrow">
      <h1>{t('confirm.title')}</h1>
      <p>{t('confirm.intro', { firstName: pending.firstName })}</p>
      {pending.title ? (
        <p className="confirm-campaign" lang={pending.title.lang}>
          <strong>{pending.title.value}</strong>
        </p>
      ) : null}
      <Form method="post" className="stack">
        {notMe ? null : (
          <button type="submit" name="intent" value="confirm" className="button">
            {t('confirm.button')}
          </button>
        )}
        <button type="submit" name="intent" value="discard" className={notMe ? 'button button--danger' : 'button button--quiet'}>
          {t('confirm.notMe')}
        </button>
      </Form>
      <p>
        <Link to={`/c/${pending.slug}`}>{t('confirm.back')}</Link>
      </p>
    </main>
  )
}
