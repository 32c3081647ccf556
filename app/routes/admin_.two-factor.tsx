import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { requirePendingSession } from '~/workflows/session.server.ts'

// Foundation stub (issue 18): part P1 builds the page; the guard is final.
export const meta: MetaFunction = () => [{ title: 'Vigil — confirm it is you' }, { name: 'robots', content: 'noindex' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePendingSession(context.db, request, 'password')
  return null
}

export default function TwoFactor() {
  const { t } = useTranslation()
  return (
    <main className="wrap page page--narrow">
      <h1>{t('twoFactor.title')}</h1>
    </main>
  )
}
