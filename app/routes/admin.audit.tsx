import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { listAuditEntries } from '~/models/audit.server.ts'
import { requireOwner } from '~/services/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(request)
  const before = Number(new URL(request.url).searchParams.get('before')) || undefined
  return { ...(await listAuditEntries({ before })), lang: context.lang }
}

export default function AuditLog() {
  const { entries, nextBefore, lang } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <h1>{t('admin.audit.title')}</h1>
      <p>
        <Link to="/admin/payment-events">{t('admin.audit.paymentEvents.title')}</Link>
      </p>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('admin.audit.when')}</th>
            <th scope="col">{t('admin.audit.who')}</th>
            <th scope="col">{t('admin.audit.what')}</th>
            <th scope="col">{t('admin.audit.details')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatDateTime(e.createdAt, lang)}</td>
              <td>{e.organizerName ?? t('admin.audit.system')}</td>
              <td>
                <code>{e.action}</code> {e.subjectType} {e.subjectId ? `#${e.subjectId}` : ''}
              </td>
              <td>
                <code className="audit-details">{e.details ? JSON.stringify(e.details) : ''}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextBefore ? (
        <p>
          <Link to={`?before=${nextBefore}`}>{t('admin.audit.older')}</Link>
        </p>
      ) : null}
    </main>
  )
}
