import type { LoaderFunctionArgs } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { listFailedPaymentEvents } from '~/models/donations.server.ts'
import { requireOwner } from '~/workflows/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

/**
 * Signed Stripe events that contradicted Vigil's data and were recorded as failed instead of
 * applied (ADR 005). Owners only; ids, types and reasons, never a donor's address.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  return { ...(await listFailedPaymentEvents(context.db)), lang: context.lang }
}

export default function PaymentEvents() {
  const { events, total, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <h1>{t('admin.audit.paymentEvents.title')}</h1>
      <p>{t('admin.audit.paymentEvents.intro')}</p>
      {events.length === 0 ? (
        <p>{t('admin.audit.paymentEvents.empty')}</p>
      ) : (
        <>
          {total > events.length ? <p>{t('admin.audit.paymentEvents.shown', { shown: events.length, total })}</p> : null}
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('admin.audit.paymentEvents.received')}</th>
                <th scope="col">{t('admin.audit.paymentEvents.event')}</th>
                <th scope="col">{t('admin.audit.paymentEvents.type')}</th>
                <th scope="col">{t('admin.audit.paymentEvents.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.receivedAt, lang)}</td>
                  <td>
                    <code>{e.id}</code>
                  </td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>{e.failure}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  )
}
