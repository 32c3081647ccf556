import { data, type ActionFunctionArgs, type AppLoadContext, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getCampaignConsent, grantUpdates, withdrawUpdates } from '~/models/consents.server.ts'
import { fromUnsubscribeToken, preferencesToken } from '~/utils/tokens.server.ts'
import type { Language } from '~/utils/i18n.ts'
import { ErrorPage } from '~/root.tsx'

/**
 * The unsubscribe link of every update email (one supporter, one campaign). Opening it
 * changes nothing: mail scanners follow links. The page's button POSTs, and so do mail
 * programs for RFC 8058 one-click unsubscribe (body `List-Unsubscribe=One-Click`, no
 * cookies, no Origin): either way the consent is withdrawn at once. The token is the
 * authority, so there is no CSRF check here (it guards only /admin).
 */
async function subjectOf(db: AppLoadContext['db'], token: string | undefined, lang: Language) {
  const ids = fromUnsubscribeToken(token ?? '')
  const consent = ids && (await getCampaignConsent(db, { ...ids, lang }))
  if (!ids || !consent) throw new Response('Not found', { status: 404 })
  return { ...ids, ...consent }
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { supporterId, title, updatesOn } = await subjectOf(context.db, params.token, context.lang)
  return { title, updatesOn, preferencesPath: `/preferences/${preferencesToken(supporterId)}` }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { supporterId, campaignId } = await subjectOf(context.db, params.token, context.lang)
  const form = await request.formData().catch(() => null)
  if (form?.get('List-Unsubscribe') === 'One-Click') {
    await withdrawUpdates(context.db, { supporterId, campaignId, source: 'one_click' })
    return { done: 'unsubscribed' as const }
  }
  switch (form?.get('intent')) {
    case 'unsubscribe':
      await withdrawUpdates(context.db, { supporterId, campaignId, source: 'unsubscribe_link' })
      return { done: 'unsubscribed' as const }
    case 'resubscribe':
      await grantUpdates(context.db, { supporterId, campaignId, source: 'unsubscribe_undo' })
      return { done: 'resubscribed' as const }
    default:
      throw data('Bad request', { status: 400 })
  }
}

// The page names a campaign a person follows: not for shared caches, nor for the next site's Referer.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' })
export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }, { name: 'referrer', content: 'no-referrer' }]

export default function Unsubscribe() {
  const { title, updatesOn, preferencesPath } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const campaign = (
    <p className="confirm-campaign" lang={title.lang}>
      <strong>{title.value}</strong>
    </p>
  )
  const preferences = (
    <p>
      <Link to={preferencesPath}>{t('unsubscribe.preferences')}</Link>
    </p>
  )
  if (actionData?.done === 'resubscribed') {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('unsubscribe.title')}</h1>
        {campaign}
        <p className="notice notice--success">{t('unsubscribe.undone')}</p>
        {preferences}
      </main>
    )
  }
  if (actionData?.done === 'unsubscribed') {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('unsubscribe.doneTitle')}</h1>
        {campaign}
        <p className="notice notice--success">{t('unsubscribe.done')}</p>
        <Form method="post">
          <button type="submit" name="intent" value="resubscribe" className="button button--quiet">
            {t('unsubscribe.undo')}
          </button>
        </Form>
        {preferences}
      </main>
    )
  }
  return (
    <main className="wrap page page--narrow">
      <h1>{t('unsubscribe.title')}</h1>
      {updatesOn ? (
        <>
          <p>{t('unsubscribe.intro')}</p>
          {campaign}
          <Form method="post">
            <button type="submit" name="intent" value="unsubscribe" className="button">
              {t('unsubscribe.button')}
            </button>
          </Form>
        </>
      ) : (
        <>
          {campaign}
          <p className="notice">{t('unsubscribe.alreadyOff')}</p>
        </>
      )}
      {preferences}
    </main>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
