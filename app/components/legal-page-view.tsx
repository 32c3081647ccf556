import { useTranslation } from 'react-i18next'
import type { LegalPageName } from '~/utils/legal.ts'

export type LegalPageData = { page: LegalPageName; html: string | null; lang: string; updatedAt: number | null }

/** A privacy policy, imprint or contact page as the public sees it. */
export function LegalPageView({ data }: { data: LegalPageData }) {
  const { t, i18n } = useTranslation()
  return (
    <main className="wrap page page--narrow legal-page">
      <h1>{t(`legal.${data.page}.title`)}</h1>
      {data.html ? (
        <div className="prose" lang={data.lang} dangerouslySetInnerHTML={{ __html: data.html }} />
      ) : (
        <p>{t('legal.notYet')}</p>
      )}
      {data.updatedAt ? (
        <p className="muted">{t('legal.updated', { date: new Date(data.updatedAt).toLocaleDateString(i18n.language, { dateStyle: 'long', timeZone: 'UTC' }) })}</p>
      ) : null}
    </main>
  )
}
