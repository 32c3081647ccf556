import { data, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { clearedMyDataCookie, forgetMe, mySupporterId } from '~/workflows/my-data.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { ErrorPage } from '~/root.tsx'

/**
 * Forget me: this page says what will be deleted and what kept, and why; its button (the one
 * confirmation step) does it. Afterwards the same page says what was done, and the session is gone.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  // No redirect without a session: after forgetting, this loader runs again to show the report.
  return { years: getEnv().donationRecordsYears, signedIn: (await mySupporterId(context.db, request)) !== null }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const years = getEnv().donationRecordsYears
  const supporterId = await mySupporterId(context.db, request)
  if (supporterId === null) return data({ years, done: 'no-session' as const, report: null }, { status: 401 })
  const form = await request.formData().catch(() => null)
  if (form?.get('confirm') !== 'yes') return data({ years, done: 'not-confirmed' as const, report: null }, { status: 400 })
  const forgotten = await forgetMe(context.db, { supporterId })
  if (forgotten.outcome === 'stripe-unavailable') return data({ years, done: 'stripe-unavailable' as const, report: null }, { status: 503, headers: { 'Retry-After': '60' } })
  const report = forgotten.outcome === 'forgotten' ? forgotten.report : null
  return data({ years, done: 'forgotten' as const, report }, { headers: { 'Set-Cookie': clearedMyDataCookie() } })
}

export const headers: HeadersFunction = ({ actionHeaders }) => {
  const headers = new Headers({ 'Cache-Control': 'private, no-store' })
  for (const name of ['Set-Cookie', 'Retry-After']) {
    const value = actionHeaders.get(name)
    if (value) headers.set(name, value)
  }
  return headers
}

export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }]

export default function ForgetMe() {
  const loaded = useLoaderData<typeof loader>()
  const answer = useActionData<typeof action>()
  const { t } = useTranslation()
  const years = answer?.years ?? loaded.years
  if (answer?.done === 'forgotten') {
    const r = answer.report
    return (
      <main className="wrap page page--narrow">
        <h1>{t('me.forget.doneTitle')}</h1>
        <p className="notice notice--success" role="status">
          {t('me.forget.done')}
        </p>
        {r ? (
          <>
            <h2>{t('me.forget.deletedTitle')}</h2>
            {/* Only what happened: a line whose count is 0 says nothing the person needs. */}
            <ul>
              <li>{t('meSealed.deletedDetails')}</li>
              {r.signaturesDeleted > 0 ? <li>{t('me.forget.deletedPending', { count: r.signaturesDeleted })}</li> : null}
              {r.consentsDeleted > 0 ? <li>{t('me.forget.deletedConsents', { count: r.consentsDeleted })}</li> : null}
              {r.emailsDeleted > 0 ? <li>{t('me.forget.deletedEmails', { count: r.emailsDeleted })}</li> : null}
              {r.monthlyCancelled > 0 ? <li>{t('me.forget.cancelledMonthly', { count: r.monthlyCancelled })}</li> : null}
            </ul>
            {r.signaturesAnonymised + r.donationsKept + r.suppressionsKept > 0 ? (
              <>
                <h2>{t('me.forget.keptTitle')}</h2>
                <ul>
                  {r.signaturesAnonymised > 0 ? <li>{t('me.forget.keptSignatures', { count: r.signaturesAnonymised })}</li> : null}
                  {r.donationsKept > 0 ? <li>{t('me.forget.keptDonations', { count: r.donationsKept, years })}</li> : null}
                  {r.suppressionsKept > 0 ? <li>{t('meSealed.keptBlock', { count: r.suppressionsKept })}</li> : null}
                </ul>
              </>
            ) : null}
          </>
        ) : null}
        <p>
          <Link to="/">{t('me.forget.home')}</Link>
        </p>
      </main>
    )
  }
  if (!loaded.signedIn && !answer) {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('me.forget.title')}</h1>
        <p className="notice">{t('me.request.ended')}</p>
        <p>
          <Link to="/me">{t('me.open.again')}</Link>
        </p>
      </main>
    )
  }
  return (
    <main className="wrap page page--narrow">
      <h1>{t('me.forget.title')}</h1>
      {answer?.done === 'stripe-unavailable' ? (
        <p className="notice notice--error" role="alert">
          {t('me.forget.stripeUnavailable')}
        </p>
      ) : null}
      {answer?.done === 'no-session' ? (
        <p className="notice notice--error" role="alert">
          {t('me.request.ended')}
        </p>
      ) : null}
      <p>{t('me.forget.intro')}</p>
      <h2>{t('me.forget.willDelete')}</h2>
      <ul>
        <li>{t('meSealed.deleteDetails')}</li>
        <li>{t('me.forget.deletePending')}</li>
        <li>{t('me.forget.deleteEmails')}</li>
        <li>{t('me.forget.cancelMonthly')}</li>
      </ul>
      <h2>{t('me.forget.willKeep')}</h2>
      <ul>
        <li>{t('me.forget.keepSignatures')}</li>
        <li>{t('me.forget.keepDonations', { years })}</li>
        <li>{t('meSealed.keepBlock')}</li>
      </ul>
      <p>
        <strong>{t('me.forget.final')}</strong>
      </p>
      <Form method="post" className="stack">
        <input type="hidden" name="confirm" value="yes" />
        <div>
          <button type="submit" className="button button--danger">
            {t('me.forget.confirm')}
          </button>
        </div>
      </Form>
      <p>
        <Link to="/me">{t('me.forget.cancel')}</Link>
      </p>
    </main>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
