import { useSearchParams } from '@remix-run/react'
import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'

/** "Saved." after a successful back-office POST (the action redirects with ?saved=1). */
export function SavedNotice({ stale = false, children }: { stale?: boolean; children?: ReactNode }) {
  const [searchParams] = useSearchParams()
  const { t } = useTranslation()
  if (!searchParams.get('saved') || stale) return null
  return (
    <p className="notice notice--success" role="status">
      {t('admin.saved')} {children}
    </p>
  )
}
