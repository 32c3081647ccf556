import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { PasskeySignInButton } from '~/components/passkeys.tsx'
import { ConformForm, TextField } from '~/components/ui/field.tsx'
import { getSecondFactorStatus } from '~/models/second-factors.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { recoveryCodeSchema, totpCodeSchema } from '~/utils/two-factor-schemas.ts'
import { presentSecondFactor } from '~/workflows/two-factor.server.ts'
import { requirePendingSession, safeRedirect } from '~/workflows/session.server.ts'
import { passRetryAfter } from '~/utils/retry-after.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil — confirm it is you' }, { name: 'robots', content: 'noindex' }]

export const headers = passRetryAfter

/** A 'password' session: the password passed, a second factor is owed (ADR 019 §3). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const state = await requirePendingSession(context.db, request, 'password')
  const status = await getSecondFactorStatus(context.db, { organizerId: state.organizer.id })
  return { totp: status.totp, passkeys: status.passkeys > 0, redirectTo: safeRedirect(new URL(request.url).searchParams.get('redirectTo')) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const state = await requirePendingSession(context.db, request, 'password')
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent') === 'recovery' ? 'recovery' : 'totp'
  const field = intent === 'recovery' ? 'recoveryCode' : 'code'
  const submission = intent === 'recovery'
    ? parseWithZod(formData, { schema: recoveryCodeSchema(t) })
    : parseWithZod(formData, { schema: totpCodeSchema(t) })
  if (submission.status !== 'success') return data({ intent, result: submission.reply({ hideFields: [field] }) }, { status: 400 })
  const value = submission.value as { code?: string; recoveryCode?: string; redirectTo?: string }
  const answer = await presentSecondFactor(context.db, request, {
    organizerId: state.organizer.id,
    sessionCreatedAt: state.createdAt,
    clientIp: context.clientIp,
    method: intent === 'recovery' ? 'recovery_code' : 'totp',
    code: (intent === 'recovery' ? value.recoveryCode : value.code) ?? '',
  })
  if (answer.status === 'ok') return redirect(safeRedirect(value.redirectTo), { headers: { 'Set-Cookie': answer.setCookie } })
  if (answer.status === 'wait') {
    const minutes = Math.ceil(answer.retryAfterMs / 60_000)
    return data(
      { intent, result: submission.reply({ formErrors: [t('twoFactor.tooMany', { count: minutes })], hideFields: [field] }) },
      { status: 429, headers: { 'Retry-After': String(Math.ceil(answer.retryAfterMs / 1000)) } },
    )
  }
  const message = answer.status === 'replayed' ? t('twoFactor.replayed') : intent === 'recovery' ? t('twoFactor.wrongRecoveryCode') : t('twoFactor.wrongCode')
  return data({ intent, result: submission.reply({ fieldErrors: { [field]: [message] }, hideFields: [field] }) }, { status: 400 })
}

export default function TwoFactor() {
  const { totp, passkeys, redirectTo } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const [codeForm, codeFields] = useForm({
    id: 'two-factor-code',
    lastResult: actionData?.intent === 'totp' ? actionData.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: totpCodeSchema(t) }),
    shouldRevalidate: 'onSubmit',
  })
  const [recoveryForm, recoveryFields] = useForm({
    id: 'two-factor-recovery',
    lastResult: actionData?.intent === 'recovery' ? actionData.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: recoveryCodeSchema(t) }),
    shouldRevalidate: 'onSubmit',
  })
  return (
    <main className="wrap page page--narrow stack">
      <h1>{t('twoFactor.title')}</h1>
      {totp ? (
        <ConformForm form={codeForm} className="stack" lastResult={actionData?.intent === 'totp' ? actionData.result : undefined} summary={{ code: t('twoFactor.code') }}>
          <input type="hidden" name="intent" value="totp" />
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <TextField meta={codeFields.code} label={t('twoFactor.code')} hint={t('twoFactor.codeHint')} autoComplete="one-time-code" inputMode="numeric" />
          <button type="submit" className="button">
            {t('twoFactor.verify')}
          </button>
        </ConformForm>
      ) : null}
      {passkeys ? <PasskeySignInButton mode="second_factor" redirectTo={redirectTo} /> : null}
      <section className="stack" aria-labelledby="recovery-title">
        <h2 id="recovery-title">{t('twoFactor.recoveryTitle')}</h2>
        <ConformForm form={recoveryForm} className="stack" lastResult={actionData?.intent === 'recovery' ? actionData.result : undefined} summary={{ recoveryCode: t('twoFactor.recoveryCode') }}>
          <input type="hidden" name="intent" value="recovery" />
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <TextField meta={recoveryFields.recoveryCode} label={t('twoFactor.recoveryCode')} hint={t('twoFactor.recoveryHint')} autoComplete="off" />
          <button type="submit" className="button button--quiet">
            {t('twoFactor.useRecoveryCode')}
          </button>
        </ConformForm>
        <p className="muted">{t('twoFactor.lostEverything')}</p>
      </section>
      <Form method="post" action="/admin/logout">
        <button type="submit" className="button button--quiet">
          {t('twoFactor.signOut')}
        </button>
      </Form>
    </main>
  )
}
