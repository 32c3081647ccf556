import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { AddPasskeyButton } from '~/components/passkeys.tsx'
import { RecoveryCodesPanel, TotpSetupPanel } from '~/components/two-factor.tsx'
import { getSecondFactorStatus } from '~/models/second-factors.server.ts'
import { confirmTotpSetup, startTotpSetup } from '~/models/totp.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { totpCodeSchema } from '~/utils/two-factor-schemas.ts'
import { setupTicket, totpSetupFor, validSetupTicket } from '~/workflows/two-factor.server.ts'
import { raiseSession, requirePendingSession, safeRedirect } from '~/workflows/session.server.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil — set up a second factor' }, { name: 'robots', content: 'noindex' }]

/** A 'setup' session: the policy requires a second factor and the organiser has none yet (ADR 019 §3). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const state = await requirePendingSession(context.db, request, 'setup')
  const status = await getSecondFactorStatus(context.db, { organizerId: state.organizer.id })
  const hasFactor = status.totp || status.passkeys > 0
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get('redirectTo'))
  return { hasFactor, redirectTo, setup: hasFactor ? null : await totpSetupFor(context.db, state.organizer, state.idHash) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const state = await requirePendingSession(context.db, request, 'setup')
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  const organizerId = state.organizer.id
  if (intent === 'totp-start') {
    await startTotpSetup(context.db, { organizerId, sessionIdHash: state.idHash })
    return { intent, result: undefined, recoveryCodes: null, ticket: null, error: null }
  }
  if (intent === 'totp-confirm') {
    const submission = parseWithZod(formData, { schema: totpCodeSchema(t) })
    if (submission.status !== 'success') return data({ intent, result: submission.reply(), recoveryCodes: null, ticket: null, error: null }, { status: 400 })
    const confirmed = await confirmTotpSetup(context.db, { organizerId, sessionIdHash: state.idHash, code: submission.value.code, actorId: organizerId })
    if (!confirmed.ok) {
      return data({ intent, result: submission.reply({ fieldErrors: { code: [t('twoFactor.wrongSetupCode')] } }), recoveryCodes: null, ticket: null, error: null }, { status: 400 })
    }
    // The codes are shown in this answer only; "Continue" raises the session (its ticket proves this session did the set-up).
    return { intent, result: submission.reply({ resetForm: true }), recoveryCodes: confirmed.recoveryCodes, ticket: setupTicket(state.idHash), error: null }
  }
  if (intent === 'continue') {
    const status = await getSecondFactorStatus(context.db, { organizerId })
    if (!(status.totp || status.passkeys > 0) || !validSetupTicket(state.idHash, formData.get('ticket'))) {
      return data({ intent, result: undefined, recoveryCodes: null, ticket: null, error: t('twoFactor.continueRefused') }, { status: 400 })
    }
    const { setCookie } = await raiseSession(context.db, request, { method: status.totp ? 'totp' : 'passkey' })
    return redirect(safeRedirect(formData.get('redirectTo')), { headers: { 'Set-Cookie': setCookie } })
  }
  return data({ intent: null, result: undefined, recoveryCodes: null, ticket: null, error: t('forms.choose') }, { status: 400 })
}

export default function TwoFactorSetup() {
  const { hasFactor, setup, redirectTo } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  // A passkey added here (P2's button, with JavaScript) raises the session itself and may bring codes.
  const [passkeyCodes, setPasskeyCodes] = useState<string[] | null | undefined>(undefined)
  const codes = actionData?.recoveryCodes ?? passkeyCodes ?? null
  return (
    <main className="wrap page page--narrow">
      <h1>{t('twoFactor.setupTitle')}</h1>
      {actionData?.error ? <p className="notice notice--error">{actionData.error}</p> : null}
      {codes && codes.length > 0 ? <RecoveryCodesPanel codes={codes} /> : null}
      {actionData?.ticket ? (
        <Form method="post" className="stack">
          <input type="hidden" name="ticket" value={actionData.ticket} />
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <button type="submit" name="intent" value="continue" className="button">
            {t('twoFactor.continue')}
          </button>
        </Form>
      ) : passkeyCodes !== undefined ? (
        <p>
          <a className="button" href={redirectTo}>
            {t('twoFactor.continue')}
          </a>
        </p>
      ) : hasFactor ? (
        <p>{t('twoFactor.setUpElsewhere')}</p>
      ) : (
        <>
          <p>{t('twoFactor.setupIntro')}</p>
          <h2>{t('twoFactor.appTitle')}</h2>
          <TotpSetupPanel setup={setup} lastResult={actionData?.intent === 'totp-confirm' ? actionData.result : undefined} />
          <AddPasskeyButton onAdded={(added) => setPasskeyCodes(added)} />
        </>
      )}
      <Form method="post" action="/admin/logout">
        <button type="submit" className="button button--quiet">
          {t('twoFactor.signOut')}
        </button>
      </Form>
    </main>
  )
}
