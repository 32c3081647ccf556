import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { requirePendingSession } from '~/workflows/session.server.ts'

// Foundation stub (issue 18): part P1 builds the page; the guard is final.
export const meta: MetaFunction = () => [{ title: 'Vigil — set up a second factor' }, { name: 'robots', content: 'noindex' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePendingSession(context.db, request, 'setup')
  return null
}

export default function TwoFactorSetup() {
  const { t } = useTranslation()
  return (
    <main className="wrap page page--narrow">
      <h1>{t('twoFactor.setupTitle')}</h1>
    </main>
  )
}
