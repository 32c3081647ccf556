import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { useActionData, useNavigation, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ConformForm, TextField } from '~/components/ui/field.tsx'
import { getT } from '~/utils/i18n.server.ts'
import { logInOrganizer } from '~/workflows/login.server.ts'
import { PasskeySignInButton } from '~/components/passkeys.tsx'
import { getSessionState, safeRedirect, startSession, TWO_FACTOR_PATH, TWO_FACTOR_SETUP_PATH } from '~/workflows/session.server.ts'
import { loginSchema, textLimits } from '~/utils/schemas.ts'
import { passRetryAfter } from '~/utils/retry-after.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil — log in' }, { name: 'robots', content: 'noindex' }]

export const headers = passRetryAfter

export async function loader({ request, context }: LoaderFunctionArgs) {
  const state = await getSessionState(context.db, request)
  if (state?.level === 'full') throw redirect('/admin')
  // A half session finishes its sign-in first; signing in again would only start another one.
  if (state) throw redirect(state.level === 'password' ? TWO_FACTOR_PATH : TWO_FACTOR_SETUP_PATH)
  return null
}

export async function action({ request, context }: ActionFunctionArgs) {
  const t = getT(context.lang)
  const formData = await request.formData()
  // Only the first redirectTo counts, and only as safeRedirect reads it: a repeated or odd one is no reason to refuse the login.
  formData.set('redirectTo', safeRedirect(formData.get('redirectTo')))
  const submission = parseWithZod(formData, { schema: loginSchema(t) })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  const { email, password, redirectTo } = submission.value
  const login = await logInOrganizer(context.db, { email, password, clientIp: context.clientIp })
  if (login.status === 'wait') {
    const minutes = Math.ceil(login.retryAfterMs / 60_000)
    return data(
      { result: submission.reply({ formErrors: [t('login.tooMany', { count: minutes })], hideFields: ['password'] }) },
      { status: 429, headers: { 'Retry-After': String(Math.ceil(login.retryAfterMs / 1000)) } },
    )
  }
  if (login.status === 'failed') {
    return data({ result: submission.reply({ formErrors: [t('login.failed')], hideFields: ['password'] }) }, { status: 400 })
  }
  const { headers, location } = await startSession(context.db, {
    organizerId: login.organizer.id,
    request,
    lang: context.lang,
    redirectTo: safeRedirect(redirectTo),
  })
  return redirect(location, { headers })
}

export default function Login() {
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const [searchParams] = useSearchParams()
  const navigation = useNavigation()
  const [form, fields] = useForm({
    id: 'login-form',
    lastResult: actionData?.result,
    constraint: textLimits(loginSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: loginSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <main className="wrap page page--narrow">
      <h1>{t('login.title')}</h1>
      {searchParams.get('passwordSet') ? <p className="notice notice--success">{t('login.passwordSet')}</p> : null}
      <ConformForm form={form} className="stack" lastResult={actionData?.result} summary={{ email: t('login.email'), password: t('login.password') }}>
        <input type="hidden" name="redirectTo" value={searchParams.get('redirectTo') ?? ''} />
        <TextField meta={fields.email} type="email" label={t('login.email')} autoComplete="username" />
        <TextField meta={fields.password} type="password" label={t('login.password')} autoComplete="current-password" />
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? t('login.submitting') : t('login.submit')}
        </button>
      </ConformForm>
      <PasskeySignInButton mode="sign_in" redirectTo={searchParams.get('redirectTo') ?? '/admin'} />
    </main>
  )
}
