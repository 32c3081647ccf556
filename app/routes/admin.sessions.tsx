import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import type { TFunction } from 'i18next'
import { useTranslation } from 'react-i18next'
import { endOtherSessions, endSession, listSessions, type ListedSession } from '~/models/sessions.server.ts'
import { sessionCookie } from '~/utils/auth-cookies.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDate, formatDateTime } from '~/utils/i18n.ts'
import { getSessionState, isDemoOrganizer, requireOrganizer } from '~/workflows/session.server.ts'

const HOUR_MS = 60 * 60_000

/** The guard first (a half or ended session never gets here), then which row is this browser's. */
async function currentSession(context: LoaderFunctionArgs['context'], request: Request) {
  const organizer = await requireOrganizer(context.db, request)
  const state = await getSessionState(context.db, request)
  if (!state) throw redirect('/admin/login')
  return { organizer, idHash: state.idHash }
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { organizer, idHash } = await currentSession(context, request)
  // Every visitor of the public demo signs in as the demo organiser: the others' browsers are theirs.
  const demo = isDemoOrganizer(organizer)
  const sessions = (await listSessions(context.db, { organizerId: organizer.id })).filter((s) => !demo || s.idHash === idHash)
  return {
    demo,
    // Coarse on purpose: the day of the sign-in, the hour of the last request; never an address.
    sessions: sessions.map((s: ListedSession) => ({
      idHash: s.idHash,
      current: s.idHash === idHash,
      device: s.device,
      level: s.level,
      secondFactor: s.secondFactor,
      signedInOn: new Date(s.createdAt).toISOString().slice(0, 10),
      lastSeenHour: Math.floor(s.lastSeenAt / HOUR_MS) * HOUR_MS,
    })),
    lang: context.lang,
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { organizer, idHash: currentIdHash } = await currentSession(context, request)
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  // In the demo, ending another visitor's session would sign a stranger out: only one's own.
  if (isDemoOrganizer(organizer)) {
    const idHash = formData.get('idHash')
    const anothers = intent === 'end' && idHash !== currentIdHash && (await listSessions(context.db, { organizerId: organizer.id })).some((s) => s.idHash === idHash)
    if (intent === 'end-others' || anothers) return data({ notice: null, error: t('admin.sessions.demoRefused') }, { status: 403 })
  }
  if (intent === 'end-others') {
    const count = await endOtherSessions(context.db, { organizerId: organizer.id, keepIdHash: currentIdHash, actorId: organizer.id })
    return { notice: count === 0 ? t('admin.sessions.noOthers') : t('admin.sessions.ended', { count }), error: null }
  }
  if (intent === 'end') {
    const idHash = formData.get('idHash')
    const ended = typeof idHash === 'string' && /^[0-9a-f]{64}$/.test(idHash)
      ? await endSession(context.db, { organizerId: organizer.id, idHash, actorId: organizer.id, others: idHash !== currentIdHash })
      : false
    if (!ended) return data({ notice: null, error: t('admin.sessions.notFound') }, { status: 400 })
    // Ending this browser's own session is signing out.
    if (idHash === currentIdHash) {
      throw redirect('/admin/login', { headers: { 'Set-Cookie': await sessionCookie().serialize('', { maxAge: 0 }) } })
    }
    return { notice: t('admin.sessions.ended', { count: 1 }), error: null }
  }
  return data({ notice: null, error: t('forms.choose') }, { status: 400 })
}

/** "Firefox unter Linux": describeUserAgent's names are fixed words, the joining word is the reader's. */
function deviceName(t: TFunction, device: string) {
  const parts = /^(.+) on (.+)$/.exec(device)
  if (parts) return t('admin.sessions.deviceOn', { browser: parts[1], system: parts[2] })
  return device || t('admin.sessions.unknownDevice')
}

function howCompleted(t: TFunction, s: { level: string; secondFactor: string | null }) {
  if (s.level === 'password' || s.level === 'setup') return t(`admin.sessions.pending.${s.level}`)
  return t(`admin.sessions.methods.${s.secondFactor ?? 'password'}`)
}

export default function Sessions() {
  const { sessions, lang, demo } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const others = sessions.filter((s) => !s.current).length
  return (
    <main className="wrap page">
      <h1>{t('admin.sessions.title')}</h1>
      <p>{t('admin.sessions.intro')}</p>
      <p className="muted">{t('admin.sessions.noIp')}</p>
      {demo ? <p className="notice">{t('admin.sessions.demo')}</p> : null}
      {actionData?.error ? <p className="notice notice--error">{actionData.error}</p> : null}
      {actionData?.notice ? (
        <p className="notice notice--success" role="status">
          {actionData.notice}
        </p>
      ) : null}
      <div className="stack">
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('admin.sessions.device')}</th>
                <th scope="col">{t('admin.sessions.signedIn')}</th>
                <th scope="col">{t('admin.sessions.lastSeen')}</th>
                <th scope="col">{t('admin.sessions.how')}</th>
                <th scope="col">{t('admin.sessions.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.idHash} data-session={s.current ? 'current' : 'other'}>
                  <td>
                    {deviceName(t, s.device)}
                    {s.current ? (
                      <>
                        {' '}
                        <strong>({t('admin.sessions.thisDevice')})</strong>
                      </>
                    ) : null}
                  </td>
                  <td>{formatDate(s.signedInOn, lang)}</td>
                  <td>{t('admin.sessions.lastSeenAbout', { when: formatDateTime(s.lastSeenHour, lang) })}</td>
                  <td>{howCompleted(t, s)}</td>
                  <td>
                    <Form method="post">
                      <input type="hidden" name="intent" value="end" />
                      <input type="hidden" name="idHash" value={s.idHash} />
                      <button type="submit" className="button button--quiet">
                        {s.current ? t('admin.sessions.endThis') : t('admin.sessions.end')}
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {demo ? null : others > 0 ? (
          <Form method="post">
            <input type="hidden" name="intent" value="end-others" />
            <button type="submit" className="button">
              {t('admin.sessions.endOthers')}
            </button>
          </Form>
        ) : (
          <p>{t('admin.sessions.noOthers')}</p>
        )}
        <p>
          <Link to="/admin/security">{t('admin.sessions.security')}</Link>
        </p>
      </div>
    </main>
  )
}
