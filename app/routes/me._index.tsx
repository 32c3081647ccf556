import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { clearedMyDataCookie, loadMyData, mySupporterId, requestMyDataLink, signOutOfMyData, withdrawMySignature } from '~/workflows/my-data.server.ts'
import { countryName } from '~/utils/countries.ts'
import { formatDateTime, formatMoney, type Language } from '~/utils/i18n.ts'
import { receiptNumber } from '~/utils/receipt-number.ts'
import { ErrorPage } from '~/root.tsx'

/**
 * "My data": without a session, the form that emails a link (the same answer for every address);
 * with one (the cookie the link's page set), everything held about the supporter, the downloads,
 * withdrawing a signature, forgetting, and signing out. Plain forms: all of it works without JavaScript.
 */

// No control characters: a NUL would reach Postgres as an error, and no mailbox has one.
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u

export async function loader({ request, context }: LoaderFunctionArgs) {
  const supporterId = await mySupporterId(context.db, request)
  if (supporterId === null) return { view: 'request' as const, ended: request.headers.get('Cookie')?.includes('vigil_me=') ?? false }
  const mine = await loadMyData(context.db, { supporterId, lang: context.lang })
  if (!mine) return { view: 'request' as const, ended: true }
  return { view: 'data' as const, mine }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData().catch(() => null)
  const intent = form?.get('intent')
  if (intent === 'request') {
    const email = String(form?.get('email') ?? '').trim()
    if (email.length > 254 || !EMAIL.test(email)) return data({ done: 'invalid-email' as const, email }, { status: 400 })
    const answer = await requestMyDataLink(context.db, { email, clientIp: context.clientIp })
    if (answer.outcome === 'rate-limited') {
      return data({ done: 'rate-limited' as const, email, minutes: Math.ceil(answer.retryAfterMs / 60_000) }, { status: 429, headers: { 'Retry-After': String(Math.ceil(answer.retryAfterMs / 1000)) } })
    }
    return { done: 'sent' as const }
  }
  const supporterId = await mySupporterId(context.db, request)
  if (supporterId === null) return data({ done: 'no-session' as const }, { status: 401 })
  if (intent === 'withdraw') {
    const signatureId = Number(form?.get('signatureId'))
    if (!Number.isSafeInteger(signatureId) || signatureId <= 0) return data({ done: 'not-found' as const }, { status: 404 })
    const outcome = await withdrawMySignature(context.db, { supporterId, signatureId })
    if (outcome === 'not-found') return data({ done: 'not-found' as const }, { status: 404 })
    if (outcome === 'closed') return data({ done: 'closed' as const }, { status: 409 })
    return { done: 'withdrawn' as const }
  }
  if (intent === 'signout') {
    await signOutOfMyData(context.db, { supporterId })
    throw redirect('/me?signed-out', { status: 303, headers: { 'Set-Cookie': clearedMyDataCookie() } })
  }
  return data({ done: 'bad-request' as const }, { status: 400 })
}

export const headers: HeadersFunction = ({ actionHeaders }) => {
  const headers = new Headers({ 'Cache-Control': 'private, no-store' })
  const retryAfter = actionHeaders.get('Retry-After')
  if (retryAfter) headers.set('Retry-After', retryAfter)
  return headers
}

export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }]

export default function MyDataPage() {
  const loaded = useLoaderData<typeof loader>()
  return loaded.view === 'request' ? <RequestLink ended={loaded.ended} /> : <MyDataView mine={loaded.mine} />
}

function RequestLink({ ended }: { ended: boolean }) {
  const { t } = useTranslation()
  const answer = useActionData<typeof action>()
  const navigation = useNavigation()
  const sending = navigation.state === 'submitting'
  const invalid = answer?.done === 'invalid-email'
  const typed = answer && 'email' in answer ? answer.email : ''
  return (
    <main className="wrap page page--narrow">
      <h1>{t('me.title')}</h1>
      {invalid ? (
        <div className="error-summary" role="alert" tabIndex={-1} aria-labelledby="me-errors-title">
          <h2 id="me-errors-title">{t('forms.errorSummary')}</h2>
          <ul>
            <li>
              <a href="#me-email">{t('me.request.invalid')}</a>
            </li>
          </ul>
        </div>
      ) : null}
      {ended && !answer ? <p className="notice">{t('me.request.ended')}</p> : null}
      {answer?.done === 'sent' ? (
        <p className="notice notice--success" role="status">
          {t('me.request.sent')}
        </p>
      ) : null}
      {answer?.done === 'rate-limited' ? (
        <p className="notice notice--error" role="alert">
          {t('me.request.limited', { count: answer.minutes })}
        </p>
      ) : null}
      {answer?.done === 'no-session' ? (
        <p className="notice notice--error" role="alert">
          {t('me.request.ended')}
        </p>
      ) : null}
      <p>{t('me.request.intro')}</p>
      <Form method="post" className="stack" noValidate>
        <input type="hidden" name="intent" value="request" />
        <div className={`field${invalid ? ' field--error' : ''}`}>
          <label htmlFor="me-email">{t('me.request.email')}</label>
          {invalid ? (
            <p className="field__errors" id="me-email-error">
              {t('me.request.invalid')}
            </p>
          ) : null}
          <input
            id="me-email"
            name="email"
            type="email"
            autoComplete="email"
            required
            maxLength={254}
            defaultValue={typed}
            aria-invalid={invalid || undefined}
            aria-describedby={invalid ? 'me-email-error' : undefined}
          />
        </div>
        <div>
          <button type="submit" className="button" disabled={sending}>
            {t('me.request.button')}
          </button>
        </div>
      </Form>
      <p>
        <small>{t('me.request.privacy')}</small>
      </p>
    </main>
  )
}

type Mine = Extract<ReturnType<typeof useLoaderData<typeof loader>>, { view: 'data' }>['mine']

function MyDataView({ mine }: { mine: Mine }) {
  const { t, i18n } = useTranslation()
  const lang = i18n.language as Language
  const answer = useActionData<typeof action>()
  const when = (ms: number | null) => (ms === null ? '—' : formatDateTime(ms, lang))
  const day = (ms: number) => new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(ms))
  return (
    <main className="wrap page my-data">
      <h1>{t('me.title')}</h1>
      {answer?.done === 'withdrawn' ? (
        <p className="notice notice--success" role="status">
          {t('me.withdraw.done')}
        </p>
      ) : null}
      {answer?.done === 'closed' ? (
        <p className="notice notice--error" role="alert">
          {t('me.withdraw.closed')}
        </p>
      ) : null}
      {answer?.done === 'not-found' ? (
        <p className="notice notice--error" role="alert">
          {t('me.withdraw.notFound')}
        </p>
      ) : null}
      <p>{t('me.data.intro')}</p>
      <div className="my-data__actions">
        <a className="button button--quiet" href="/me/export.json" download>
          {t('me.export.json')}
        </a>{' '}
        <a className="button button--quiet" href="/me/export.html" download>
          {t('me.export.html')}
        </a>{' '}
        <Form method="post" className="inline-form">
          <input type="hidden" name="intent" value="signout" />
          <button type="submit" className="button button--quiet">
            {t('me.signOut')}
          </button>
        </Form>
      </div>

      <section aria-labelledby="me-you">
        <h2 id="me-you">{t('me.data.you')}</h2>
        <dl className="my-data__list">
          <dt>{t('me.data.email')}</dt>
          <dd>{mine.supporter.email}</dd>
          <dt>{t('me.data.name')}</dt>
          <dd>
            {mine.supporter.firstName} {mine.supporter.lastName}
          </dd>
          <dt>{t('me.data.country')}</dt>
          <dd>{countryName(mine.supporter.country, lang)}</dd>
          <dt>{t('me.data.since')}</dt>
          <dd>{when(mine.supporter.createdAt)}</dd>
        </dl>
      </section>

      <section aria-labelledby="me-signatures">
        <h2 id="me-signatures">{t('me.data.signatures')}</h2>
        {mine.signatures.length === 0 ? <p>{t('me.data.none')}</p> : null}
        {mine.signatures.map((s) => (
          <article key={s.id} className="my-data__item">
            <h3>{s.campaignTitle}</h3>
            <dl className="my-data__list">
              <dt>{t('me.data.signedAt')}</dt>
              <dd>{when(s.createdAt)}</dd>
              <dt>{t('me.data.status')}</dt>
              <dd>{t(`me.status.${s.status}`)}</dd>
              <dt>{t('me.data.nameShown')}</dt>
              <dd>{s.anonymisedAt ? '—' : s.showName ? t('me.data.yes') : t('me.data.no')}</dd>
              {s.anonymisedAt ? null : (
                <>
                  <dt>{t('me.data.signedAs')}</dt>
                  <dd>
                    {s.firstName} {s.lastName}, {countryName(s.country, lang)}
                    {s.postalCode ? `, ${s.postalCode}` : ''}
                  </dd>
                </>
              )}
              <dt>{t('me.data.message')}</dt>
              <dd>{s.message ? <q>{s.message}</q> : '—'}</dd>
            </dl>
            {s.replies.length > 0 ? (
              <ul>
                {s.replies.map((r, i) => (
                  <li key={i}>
                    {t('me.data.reply')}: {r.body}
                  </li>
                ))}
              </ul>
            ) : null}
            {s.anonymisedAt ? (
              <p className="notice">{t('me.withdraw.anonymised', { date: day(s.anonymisedAt) })}</p>
            ) : s.campaignStatus === 'live' ? (
              <Form method="post">
                <input type="hidden" name="intent" value="withdraw" />
                <input type="hidden" name="signatureId" value={s.id} />
                <button type="submit" className="button button--quiet">
                  {t('me.withdraw.button')}
                </button>
              </Form>
            ) : (
              <p className="notice">{s.anonymiseOn ? t('me.withdraw.willAnonymise', { date: day(s.anonymiseOn) }) : t('me.withdraw.notLive')}</p>
            )}
          </article>
        ))}
      </section>

      <section aria-labelledby="me-donations">
        <h2 id="me-donations">{t('me.data.donations')}</h2>
        {mine.donations.length === 0 ? (
          <p>{t('me.data.none')}</p>
        ) : (
          // Focusable, so that a keyboard can scroll it on a phone.
          <div className="table-scroll" tabIndex={0} role="group" aria-labelledby="me-donations">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('me.data.date')}</th>
                  <th scope="col">{t('me.data.amount')}</th>
                  <th scope="col">{t('me.data.fund')}</th>
                  <th scope="col">{t('me.data.monthly')}</th>
                  <th scope="col">{t('me.data.receipt')}</th>
                </tr>
              </thead>
              <tbody>
                {mine.donations.map((d) => (
                  <tr key={d.id}>
                    <td>{when(d.paidAt ?? d.createdAt)}</td>
                    <td>
                      {formatMoney(d.amountMinor, d.currency, lang)}
                      {d.paidAt === null ? ` (${t('me.data.unpaid')})` : ''}
                    </td>
                    <td>
                      {d.fundTitle} <small>({d.campaignTitle})</small>
                    </td>
                    <td>{d.monthly ? (d.subscriptionEndedAt ? t('me.data.monthlyEnded', { date: day(d.subscriptionEndedAt) }) : t('me.data.yes')) : t('me.data.no')}</td>
                    <td>{d.receiptNumber === null ? '—' : receiptNumber(d.receiptNumber)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="me-consents">
        <h2 id="me-consents">{t('me.data.consents')}</h2>
        {mine.consents.length === 0 ? (
          <p>{t('me.data.none')}</p>
        ) : (
          <ul>
            {mine.consents.map((c, i) => (
              <li key={i}>
                {when(c.createdAt)}: {t(c.granted ? 'me.data.consentGranted' : 'me.data.consentWithdrawn', { campaign: c.campaignTitle })}{' '}
                <small>({t(`me.source.${c.source}`, { defaultValue: c.source })})</small>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="me-suppressions">
        <h2 id="me-suppressions">{t('me.data.suppressions')}</h2>
        {mine.suppressions.length === 0 ? (
          <p>{t('me.data.noSuppressions')}</p>
        ) : (
          <ul>
            {mine.suppressions.map((s, i) => (
              <li key={i}>{t(`me.data.suppressed.${s.reason}`, { date: day(s.createdAt) })}</li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="me-emails">
        <h2 id="me-emails">{t('me.data.emails')}</h2>
        {mine.emails.length === 0 ? (
          <p>{t('me.data.none')}</p>
        ) : (
          <ul>
            {mine.emails.map((e, i) => (
              <li key={i}>
                {when(e.sentAt ?? e.queuedAt)}: {e.subject || t('me.data.noSubject')}
                {e.sentAt === null ? <small> ({t('me.data.notSent')})</small> : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="me-forget">
        <h2 id="me-forget">{t('me.forget.title')}</h2>
        <p>{t('me.forget.summary')}</p>
        <p>
          <Link to="/me/forget" className="button button--danger">
            {t('me.forget.start')}
          </Link>
        </p>
      </section>
    </main>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
