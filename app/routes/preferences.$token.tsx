import { data, type ActionFunctionArgs, type AppLoadContext, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getSupporterEmailHint, listSupporterConsents, savePreferences } from '~/models/consents.server.ts'
import { fromPreferencesToken } from '~/utils/tokens.server.ts'
import { preferencesSchema } from '~/utils/schemas.ts'
import { ErrorPage } from '~/root.tsx'

/**
 * The "your email settings" link of every update email: one supporter, every campaign they
 * answered "updates?" for, a checkbox each. A plain form, so it works without JavaScript.
 * The address is shown masked (a•••@example.org): enough to know which of one's addresses
 * this is, not enough to learn it from a forwarded link.
 */
async function supporterOf(db: AppLoadContext['db'], token: string | undefined) {
  const supporterId = fromPreferencesToken(token ?? '')
  const emailHint = supporterId === null ? null : await getSupporterEmailHint(db, { supporterId })
  if (supporterId === null || emailHint === null) throw new Response('Not found', { status: 404 })
  return { supporterId, emailHint }
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { supporterId, emailHint } = await supporterOf(context.db, params.token)
  return { emailHint, campaigns: await listSupporterConsents(context.db, { supporterId, lang: context.lang }) }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { supporterId } = await supporterOf(context.db, params.token)
  const form = await request.formData().catch(() => null)
  const parsed = preferencesSchema.safeParse({ shown: form?.getAll('shown') ?? [], updates: form?.getAll('updates') ?? [] })
  if (!parsed.success) throw data('Bad request', { status: 400 })
  await savePreferences(context.db, { supporterId, shown: parsed.data.shown, on: parsed.data.updates })
  return { saved: true }
}

export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' })
export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }, { name: 'referrer', content: 'no-referrer' }]

export default function Preferences() {
  const { emailHint, campaigns } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  const saving = navigation.state === 'submitting'
  return (
    <main className="wrap page page--narrow">
      <h1>{t('preferences.title')}</h1>
      <p>
        {t('preferences.for', { email: emailHint })}
        <br />
        <small>{t('preferences.masked')}</small>
      </p>
      {actionData?.saved && !saving ? (
        <p className="notice notice--success" role="status">
          {t('preferences.saved')}
        </p>
      ) : null}
      {campaigns.length === 0 ? (
        <p className="notice">{t('preferences.empty')}</p>
      ) : (
        <Form method="post" className="stack">
          <p>{t('preferences.intro')}</p>
          <fieldset className="stack">
            <legend>{t('preferences.legend')}</legend>
            {campaigns.map((c) => (
              <div className="field field--checkbox" key={`${c.campaignId}:${c.updatesOn}`}>
                <input type="hidden" name="shown" value={c.campaignId} />
                <input type="checkbox" id={`updates-${c.campaignId}`} name="updates" value={c.campaignId} defaultChecked={c.updatesOn} />
                <label htmlFor={`updates-${c.campaignId}`} lang={c.title.lang}>
                  {c.title.value}
                </label>
              </div>
            ))}
          </fieldset>
          <div>
            <button type="submit" className="button" disabled={saving}>
              {saving ? t('preferences.saving') : t('preferences.save')}
            </button>
          </div>
        </Form>
      )}
    </main>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
