import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ConformForm, TextField } from '~/components/ui/field.tsx'
import { getPasswordToken, setPasswordWithToken } from '~/models/organizers.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { setPasswordSchema, textLimits } from '~/utils/schemas.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil — set your password' }, { name: 'robots', content: 'noindex' }]

export async function loader({ params, context }: LoaderFunctionArgs) {
  const found = await getPasswordToken(context.db, { token: params.token ?? '' })
  return { valid: found !== null, name: found?.name ?? null }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const t = getT(context.lang)
  const submission = parseWithZod(await request.formData(), { schema: setPasswordSchema(t) })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password', 'confirm'] }) }, { status: 400 })
  }
  const organizerId = await setPasswordWithToken(context.db, { token: params.token ?? '', password: submission.value.password })
  if (organizerId === null) {
    return data({ result: submission.reply({ formErrors: [t('setPassword.invalid')], hideFields: ['password', 'confirm'] }) }, { status: 400 })
  }
  return redirect('/admin/login?passwordSet=1')
}

export default function SetPassword() {
  const { valid, name } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const [form, fields] = useForm({
    id: 'set-password-form',
    lastResult: actionData?.result,
    constraint: textLimits(setPasswordSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: setPasswordSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  if (!valid) {
    return (
      <main className="wrap page page--narrow">
        <h1>{t('setPassword.title')}</h1>
        <p className="notice notice--error">{t('setPassword.invalid')}</p>
      </main>
    )
  }
  return (
    <main className="wrap page page--narrow">
      <h1>{t('setPassword.title')}</h1>
      <p>{t('setPassword.intro', { name })}</p>
      <ConformForm form={form} className="stack" lastResult={actionData?.result} summary={{ password: t('setPassword.password'), confirm: t('setPassword.confirm') }}>
        <TextField meta={fields.password} type="password" label={t('setPassword.password')} hint={t('setPassword.hint')} autoComplete="new-password" />
        <TextField meta={fields.confirm} type="password" label={t('setPassword.confirm')} autoComplete="new-password" />
        <button type="submit" className="button">
          {t('setPassword.submit')}
        </button>
      </ConformForm>
    </main>
  )
}
