import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useRevalidator } from '@remix-run/react'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { AddPasskeyButton } from '~/components/passkeys.tsx'
import { listPasskeys, removePasskey, renamePasskey } from '~/models/passkeys.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'
import { PASSKEY_NAME_MAX, renamePasskeySchema } from '~/utils/passkey-schemas.ts'
import { isDemoOrganizer, requireOrganizer } from '~/workflows/session.server.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  return {
    passkeys: await listPasskeys(context.db, { organizerId: organizer.id }),
    isDemo: isDemoOrganizer(organizer),
    lang: context.lang,
  }
}

type ActionAnswer = { notice: string | null; error: string | null; failedId: number | null; confirm?: { id: number; name: string } }

/** Rename and remove: plain forms, so they work without JavaScript (adding one needs it: WebAuthn does). */
export async function action({ request, context }: ActionFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  const refuse = (error: string, failedId: number | null = null) => data<ActionAnswer>({ notice: null, error, failedId }, { status: 400 })
  if (intent === 'rename') {
    const parsed = renamePasskeySchema(t).safeParse(Object.fromEntries(formData))
    if (!parsed.success) {
      const id = Number(formData.get('id'))
      const nameIssue = parsed.error.issues.find((issue) => issue.path[0] === 'name')
      return refuse(nameIssue?.message ?? t('admin.passkeys.notFound'), Number.isSafeInteger(id) ? id : null)
    }
    const renamed = await renamePasskey(context.db, { organizerId: organizer.id, id: parsed.data.id, name: parsed.data.name })
    if (!renamed) return refuse(t('admin.passkeys.notFound'))
    return { notice: t('admin.passkeys.renamed', { name: parsed.data.name }), error: null, failedId: null } satisfies ActionAnswer
  }
  if (intent === 'remove') {
    const id = Number(formData.get('id'))
    if (!Number.isSafeInteger(id) || id <= 0) return refuse(t('admin.passkeys.notFound'))
    // First a question, then the removal: a second POST, so it works without JavaScript.
    if (formData.get('confirm') !== 'yes') {
      const passkey = (await listPasskeys(context.db, { organizerId: organizer.id })).find((p) => p.id === id)
      if (!passkey) return refuse(t('admin.passkeys.notFound'))
      return { notice: null, error: null, failedId: null, confirm: { id, name: passkey.name } } satisfies ActionAnswer
    }
    const removed = await removePasskey(context.db, { organizerId: organizer.id, id, actorId: organizer.id })
    if (removed === 'not-found') return refuse(t('admin.passkeys.notFound'))
    if (removed === 'last-factor') return refuse(t('admin.passkeys.lastFactor'), id)
    return { notice: t('admin.passkeys.removed'), error: null, failedId: null } satisfies ActionAnswer
  }
  return refuse(t('forms.choose'))
}

export default function Passkeys() {
  const { passkeys, isDemo, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const revalidator = useRevalidator()
  // Shown once, in the page that added the first factor; never from a loader (ADR 019 §9).
  const [codes, setCodes] = useState<string[] | null>(null)
  const [added, setAdded] = useState(false)
  const when = (ms: number | null) => (ms === null ? t('admin.passkeys.never') : formatDateTime(ms, lang))
  return (
    <main className="wrap page">
      <h1>{t('admin.passkeys.title')}</h1>
      <p>{t('admin.passkeys.intro')}</p>
      {actionData?.notice ? <p className="notice notice--success" role="status">{actionData.notice}</p> : null}
      {actionData?.error ? <p className="notice notice--error" role="alert">{actionData.error}</p> : null}
      {actionData && 'confirm' in actionData && actionData.confirm ? (
        <Form method="post" className="notice stack" aria-labelledby="remove-passkey-title">
          <h2 id="remove-passkey-title">{t('admin.passkeys.confirmTitle', { name: actionData.confirm.name })}</h2>
          <p>{t('admin.passkeys.confirmText')}</p>
          <input type="hidden" name="intent" value="remove" />
          <input type="hidden" name="id" value={actionData.confirm.id} />
          <div className="row">
            <button type="submit" name="confirm" value="yes" className="button button--danger">
              {t('admin.passkeys.confirmYes')}
            </button>
            <Link to="/admin/passkeys" className="button button--quiet">
              {t('admin.passkeys.confirmNo')}
            </Link>
          </div>
        </Form>
      ) : null}
      {added && !codes ? <p className="notice notice--success" role="status">{t('admin.passkeys.added')}</p> : null}
      {codes ? (
        <div className="notice notice--success stack" role="status">
          <p>{t('admin.passkeys.added')}</p>
          <p>{t('admin.passkeys.codesIntro')}</p>
          <ul aria-label={t('admin.passkeys.codesLabel')}>
            {codes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {passkeys.length === 0 ? (
        <p className="muted">{t('admin.passkeys.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('admin.passkeys.name')}</th>
                <th scope="col">{t('admin.passkeys.created')}</th>
                <th scope="col">{t('admin.passkeys.lastUsed')}</th>
                <th scope="col">{t('admin.passkeys.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {passkeys.map((p) => (
                <tr key={p.id}>
                  <td>
                    {p.name}
                    {p.backedUp ? <div className="muted">{t('admin.passkeys.synced')}</div> : null}
                  </td>
                  <td>{when(p.createdAt)}</td>
                  <td>{when(p.lastUsedAt)}</td>
                  <td className="stack">
                    <Form method="post" className="row">
                      <input type="hidden" name="intent" value="rename" />
                      <input type="hidden" name="id" value={p.id} />
                      <label className="visually-hidden" htmlFor={`passkey-name-${p.id}`}>
                        {t('admin.passkeys.newName', { name: p.name })}
                      </label>
                      <input id={`passkey-name-${p.id}`} name="name" defaultValue={p.name} maxLength={PASSKEY_NAME_MAX} autoComplete="off" />
                      <button type="submit" className="button button--quiet">
                        {t('admin.passkeys.rename')}
                      </button>
                    </Form>
                    <Form method="post">
                      <input type="hidden" name="intent" value="remove" />
                      <input type="hidden" name="id" value={p.id} />
                      <button type="submit" className="button button--danger" aria-label={t('admin.passkeys.removeNamed', { name: p.name })}>
                        {t('admin.passkeys.remove')}
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {isDemo ? (
        <p className="notice">{t('admin.passkeys.demo')}</p>
      ) : (
        <>
          <AddPasskeyButton
            onAdded={(newCodes) => {
              setAdded(true)
              setCodes(newCodes)
              revalidator.revalidate()
            }}
          />
          <noscript>
            <p className="muted">{t('admin.passkeys.needsJs')}</p>
          </noscript>
        </>
      )}
      <p>
        <Link to="/admin/security">{t('admin.passkeys.back')}</Link>
      </p>
    </main>
  )
}
