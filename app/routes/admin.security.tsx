import type { LoaderFunctionArgs } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { requireOrganizer } from '~/workflows/session.server.ts'

// Foundation stub (issue 18): part P1 builds the page; the guard is final.
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOrganizer(context.db, request)
  return null
}

export default function Security() {
  const { t } = useTranslation()
  return (
    <main className="wrap page">
      <h1>{t('admin.security.title')}</h1>
    </main>
  )
}
