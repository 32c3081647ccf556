import { Link } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { useRootData } from '~/root.tsx'
import { isLanguage, languageName } from '~/utils/i18n.ts'

/**
 * In live mode, until an owner has reviewed (saved) every legal page in every language: the
 * privacy policy is still the generated draft, and an imprint may be missing (required in Germany).
 */
export function LegalReviewBanner() {
  const data = useRootData()
  const { t, i18n } = useTranslation()
  const missing = data?.legalToReview
  if (!missing || missing.length === 0) return null
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  return (
    <div className="legal-banner" role="status">
      <p>
        <strong>{t('admin.legal.banner')}</strong>
      </p>
      <p>
        {missing
          .map(({ page, locales }) => `${t(`legal.${page}.title`)} (${locales.map((l) => languageName(l, uiLang)).join(', ')})`)
          .join('; ')}
      </p>
      {data.organizer?.role === 'owner' ? (
        <p>
          <Link to="/admin/legal">{t('admin.legal.bannerLink')}</Link>
        </p>
      ) : null}
    </div>
  )
}
