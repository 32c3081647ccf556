import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getOutboxMessage } from '~/models/outbox.server.ts'
import { renderEmail } from '~/services/email-templates.server.tsx'
import { requireOrganizer } from '~/services/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireOrganizer(request)
  const message = await getOutboxMessage({ id: Number(params.id) })
  if (!message) throw new Response('Not found', { status: 404 })
  const email = await renderEmail(message)
  return {
    id: message.id,
    to: message.toEmail,
    status: message.status,
    createdAt: message.createdAt,
    subject: email.subject,
    text: email.text,
    links: email.links,
    // Bulk mail carries List-Unsubscribe headers: shown so organisers can check them.
    headers: Object.entries(email.headers ?? {}),
    lang: context.lang,
  }
}

/** One email as its recipient sees it: the HTML in a sandboxed frame, the text part, and its links. */
export default function OutboxMessage() {
  const m = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <p>
        <Link to="/admin/outbox">← {t('admin.outbox.title')}</Link>
      </p>
      <h1>{m.subject}</h1>
      <p className="muted">
        {t('admin.outbox.to')}: {m.to || t('admin.outbox.addressRemoved')} · {formatDateTime(m.createdAt, m.lang)} · {t(`admin.outbox.statuses.${m.status}`)}
      </p>
      <h2>{t('admin.outbox.links')}</h2>
      <ul className="outbox-links">
        {m.links.map((href) => (
          <li key={href}>
            <a href={href}>{href}</a>
          </li>
        ))}
      </ul>
      {m.headers.length ? (
        <>
          <h2>{t('admin.updates.outboxHeaders')}</h2>
          <dl className="email-headers">
            {m.headers.map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </>
      ) : null}
      <iframe
        className="email-frame"
        title={m.subject}
        src={`/admin/outbox/${m.id}/html`}
        sandbox="allow-popups allow-popups-to-escape-sandbox"
      />
      <details>
        <summary>{t('admin.outbox.text')}</summary>
        <pre className="email-text">{m.text}</pre>
      </details>
    </main>
  )
}
