import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { EmailFrame } from '~/components/email-frame.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { recipientFor, renderOutboxMessage, requireOutboxMessage, showsLiveLinks } from '~/workflows/outbox-view.server.ts'
import { requireOrganizer } from '~/workflows/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  const message = await requireOutboxMessage(context.db, organizer, params.id)
  const email = await renderOutboxMessage(context.db, organizer, message, getT(context.lang)('admin.outbox.linkRemoved'))
  return {
    id: message.id,
    to: recipientFor(organizer, message.toEmail),
    // Why the links work or do not (ADR 011): said on the page, so no one thinks the email is broken.
    linksNote: showsLiveLinks(organizer) ? 'linksDemo' : getEnv().mode === 'demo' ? 'linksOwnersInDemo' : 'linksRemoved',
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
      <p className="muted">{t(`admin.outbox.${m.linksNote}`)}</p>
      <ul className="outbox-links">
        {m.links.map((link, i) => (
          <li key={i}>{link.removed ? <span className="muted">{t('admin.outbox.linkRemovedKind', { kind: link.kind })}</span> : <a href={link.href}>{link.href}</a>}</li>
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
      <EmailFrame title={m.subject} src={`/admin/outbox/${m.id}/html`} />
      <details>
        <summary>{t('admin.outbox.text')}</summary>
        <pre className="email-text">{m.text}</pre>
      </details>
    </main>
  )
}
