import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { RecoveryCodesPanel, TotpSetupPanel } from '~/components/two-factor.tsx'
import { getSecondFactorStatus } from '~/models/second-factors.server.ts'
import { factorRequiredFor } from '~/models/second-factors.server.ts'
import { confirmTotpSetup, regenerateRecoveryCodes, removeTotp, startTotpSetup } from '~/models/totp.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { totpCodeSchema } from '~/utils/two-factor-schemas.ts'
import { totpSetupFor } from '~/workflows/two-factor.server.ts'
import { isDemoOrganizer, requireFactorEnrolment, requireFullSession } from '~/workflows/session.server.ts'

/** Any signed-in organiser's own second factors (ADR 019): the app, recovery codes, links to passkeys and sessions. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { organizer: me, idHash } = await requireFullSession(context.db, request)
  const status = await getSecondFactorStatus(context.db, { organizerId: me.id })
  const isDemo = isDemoOrganizer(me)
  return {
    status,
    isDemo,
    required: await factorRequiredFor(context.db, { organizerId: me.id }),
    setup: isDemo || status.totp ? null : await totpSetupFor(context.db, me, idHash),
  }
}

type Answer = { intent: string | null; result?: SubmissionResult<string[]>; recoveryCodes: string[] | null; notice: string | null; error: string | null }

function answer(fields: Partial<Answer>, status = 200) {
  return data<Answer>({ intent: null, result: undefined, recoveryCodes: null, notice: null, error: null, ...fields }, { status })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { organizer: me, idHash } = await requireFullSession(context.db, request)
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  if (intent === 'totp-start' || intent === 'totp-confirm') {
    // Adding a factor: the demo organiser is refused (403), its password being published.
    await requireFactorEnrolment(context.db, request)
    if (intent === 'totp-start') {
      const started = await startTotpSetup(context.db, { organizerId: me.id, sessionIdHash: idHash })
      return 'alreadyConfirmed' in started ? answer({ intent, error: t('admin.security.alreadySetUp') }, 409) : answer({ intent })
    }
    const submission = parseWithZod(formData, { schema: totpCodeSchema(t) })
    if (submission.status !== 'success') return answer({ intent, result: submission.reply() }, 400)
    const confirmed = await confirmTotpSetup(context.db, { organizerId: me.id, sessionIdHash: idHash, code: submission.value.code, actorId: me.id })
    if (!confirmed.ok) return answer({ intent, result: submission.reply({ fieldErrors: { code: [t('twoFactor.wrongSetupCode')] } }) }, 400)
    return answer({ intent, result: submission.reply({ resetForm: true }), recoveryCodes: confirmed.recoveryCodes, notice: t('admin.security.appAdded') })
  }
  if (intent === 'totp-remove') {
    const removed = await removeTotp(context.db, { organizerId: me.id, actorId: me.id })
    return removed === 'last-factor' ? answer({ intent, error: t('admin.security.lastFactor') }, 400) : answer({ intent, notice: t('admin.security.appRemoved') })
  }
  if (intent === 'recovery-codes') {
    const codes = await regenerateRecoveryCodes(context.db, { organizerId: me.id, actorId: me.id })
    return codes ? answer({ intent, recoveryCodes: codes }) : answer({ intent, error: t('admin.security.noFactorForCodes') }, 400)
  }
  return answer({ error: t('forms.choose') }, 400)
}

export default function Security() {
  const { status, isDemo, required, setup } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  return (
    <main className="wrap page page--narrow">
      <h1>{t('admin.security.title')}</h1>
      {actionData?.error ? <p className="notice notice--error">{actionData.error}</p> : null}
      {actionData?.notice ? <p className="notice notice--success" role="status">{actionData.notice}</p> : null}
      {actionData?.recoveryCodes && actionData.recoveryCodes.length > 0 ? <RecoveryCodesPanel codes={actionData.recoveryCodes} /> : null}
      {isDemo ? <p className="notice">{t('admin.security.demo')}</p> : null}
      {required && !status.totp && status.passkeys === 0 ? <p className="notice">{t('admin.security.required')}</p> : null}

      <h2>{t('admin.security.appTitle')}</h2>
      {status.totp ? (
        <Form method="post" className="stack">
          <p>{t('admin.security.appOn')}</p>
          <button type="submit" name="intent" value="totp-remove" className="button button--quiet">
            {t('admin.security.removeApp')}
          </button>
        </Form>
      ) : isDemo ? (
        <p>{t('admin.security.appOff')}</p>
      ) : (
        <>
          <p>{t('admin.security.appOff')}</p>
          <TotpSetupPanel setup={setup} lastResult={actionData?.intent === 'totp-confirm' ? actionData.result : undefined} />
        </>
      )}

      <h2>{t('admin.security.passkeysTitle')}</h2>
      <p>
        {t('admin.security.passkeysCount', { count: status.passkeys })} <Link to="/admin/passkeys">{t('admin.security.managePasskeys')}</Link>
      </p>

      <h2>{t('admin.security.codesTitle')}</h2>
      {status.totp || status.passkeys > 0 ? (
        <Form method="post" className="stack">
          <p>{t('admin.security.codesLeft', { count: status.recoveryCodesLeft })}</p>
          <button type="submit" name="intent" value="recovery-codes" className="button button--quiet">
            {t('admin.security.newCodes')}
          </button>
        </Form>
      ) : (
        <p>{t('admin.security.codesNone')}</p>
      )}

      <h2>{t('admin.security.sessionsTitle')}</h2>
      <p>
        <Link to="/admin/sessions">{t('admin.security.manageSessions')}</Link>
      </p>
    </main>
  )
}
