import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { canOpenMyData, openMyData } from '~/workflows/my-data.server.ts'
import { ErrorPage } from '~/root.tsx'

/**
 * The link in the "My data" email. Opening it changes nothing (mail scanners follow links);
 * the button uses it, once, and the session cookie (scoped to /me) takes over. A link that is
 * unknown, used or over an hour old is a 404 that says so and how to get a new one.
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const usable = await canOpenMyData(context.db, { token: params.token ?? '' })
  return usable ? { usable } : data({ usable }, { status: 404 })
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  // Another site posting its own link from a sandboxed frame (`Origin: null`, let through for the
  // link's sake) would sign this browser into the attacker's data: it gets the button to press itself.
  const site = request.headers.get('Sec-Fetch-Site')
  if (site === 'cross-site' || site === 'same-site') return data({ invalid: false }, { status: 403 })
  const opened = await openMyData(context.db, { token: params.token ?? '' })
  if (!opened) return data({ invalid: true }, { status: 404 })
  throw redirect('/me', { status: 303, headers: { 'Set-Cookie': opened.cookie } })
}

export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' })
export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }, { name: 'referrer', content: 'no-referrer' }]

export default function OpenMyData() {
  const { usable } = useLoaderData<typeof loader>()
  const invalid = useActionData<typeof action>()?.invalid || !usable
  const { t } = useTranslation()
  return (
    <main className="wrap page page--narrow">
      <h1>{t('me.title')}</h1>
      {invalid ? (
        <>
          <p className="notice notice--error" role="alert">
            {t('me.open.invalid')}
          </p>
          <p>
            <Link to="/me">{t('me.open.again')}</Link>
          </p>
        </>
      ) : (
        <>
          <p>{t('me.open.intro')}</p>
          <Form method="post">
            <button type="submit" className="button">
              {t('me.open.button')}
            </button>
          </Form>
        </>
      )}
    </main>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
