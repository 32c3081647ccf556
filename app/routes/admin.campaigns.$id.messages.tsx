import { parseWithZod } from '@conform-to/zod'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { listMessagesForModeration, moderateMessage, replyToMessage } from '~/models/messages.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { countryName } from '~/utils/countries.ts'
import { formatDateTime } from '~/utils/i18n.ts'
import { replySchema } from '~/utils/schemas.ts'

const TABS = ['pending', 'approved', 'rejected'] as const

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const wanted = new URL(request.url).searchParams.get('status')
  const status = TABS.find((s) => s === wanted) ?? 'pending'
  const messages = await listMessagesForModeration(context.db, { campaignId: campaign.id, status })
  return {
    status,
    lang: context.lang,
    messages: messages.map((m) => ({ ...m, countryName: countryName(m.country, context.lang) })),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  const signatureId = Number(formData.get('signatureId'))
  if (intent === 'approve' || intent === 'reject') {
    const ok = await moderateMessage(context.db, { actorId: organizer.id, campaignId: campaign.id, signatureId, decision: intent === 'approve' ? 'approved' : 'rejected' })
    if (!ok) throw new Response('Message not found', { status: 404 })
    return { replyErrors: null, replyTo: null }
  }
  if (intent === 'reply') {
    const submission = parseWithZod(formData, { schema: replySchema(t) })
    if (submission.status !== 'success') {
      return data({ replyErrors: submission.error?.body ?? [t('forms.required')], replyTo: signatureId }, { status: 400 })
    }
    const ok = await replyToMessage(context.db, { actorId: organizer.id, campaignId: campaign.id, ...submission.value })
    if (!ok) throw new Response('Message not found', { status: 404 })
    return { replyErrors: null, replyTo: null }
  }
  return data({ replyErrors: [t('forms.choose')], replyTo: null }, { status: 400 })
}

export default function Messages() {
  const { status, messages, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [searchParams] = useSearchParams()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <h2>{t('admin.messages.title')}</h2>
      <nav className="tabs" aria-label={t('admin.messages.title')}>
        {TABS.map((s) => (
          <Link key={s} to={`?status=${s}`} aria-current={s === status ? 'page' : undefined}>
            {t(`admin.messages.tabs.${s}`)}
          </Link>
        ))}
      </nav>
      {messages.length === 0 ? <p>{t('admin.messages.none')}</p> : null}
      <ul className="moderation">
        {messages.map((m) => (
          <li key={m.id} className="panel">
            <p className="muted">
              {m.firstName} {m.lastName} · {m.countryName} · {formatDateTime(m.createdAt, lang)} ·{' '}
              {t(`admin.signatures.statuses.${m.signatureStatus}`)}
            </p>
            <blockquote className="support-message">{m.message}</blockquote>
            {m.replies.map((r, i) => (
              <div key={i} className="reply">
                <strong>{t('admin.messages.replyBy', { name: r.author ?? t('admin.audit.system') })}</strong>
                <p>{r.body}</p>
              </div>
            ))}
            <Form method="post" className="row" action={`?${searchParams}`}>
              <input type="hidden" name="signatureId" value={m.id} />
              {status !== 'approved' ? (
                <button type="submit" name="intent" value="approve" className="button">
                  {t('admin.messages.approve')}
                </button>
              ) : null}
              {status !== 'rejected' ? (
                <button type="submit" name="intent" value="reject" className="button button--quiet">
                  {t('admin.messages.reject')}
                </button>
              ) : null}
            </Form>
            <Form method="post" className="stack" action={`?${searchParams}`}>
              <input type="hidden" name="signatureId" value={m.id} />
              <div className="field">
                <label htmlFor={`reply-${m.id}`}>{t('admin.messages.reply')}</label>
                <textarea id={`reply-${m.id}`} name="body" rows={2} maxLength={2000} aria-invalid={actionData?.replyTo === m.id ? true : undefined} />
                {actionData?.replyTo === m.id && actionData.replyErrors ? (
                  <ul className="field__errors">
                    {actionData.replyErrors.map((e) => (
                      <li key={e}>{e}</li>
                    ))}
                  </ul>
                ) : null}
              </div>
              <button type="submit" name="intent" value="reply" className="button button--quiet">
                {t('admin.messages.sendReply')}
              </button>
            </Form>
          </li>
        ))}
      </ul>
    </section>
  )
}
