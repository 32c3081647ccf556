import type { LoaderFunctionArgs } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { requireOwner } from '~/workflows/session.server.ts'

// Foundation stub (issue 18): part P4 builds the page; the guard is final.
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  return null
}

export default function SecurityPolicy() {
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <h1>{t('admin.securityPolicy.title')}</h1>
    </main>
  )
}
