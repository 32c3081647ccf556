import { Link } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { isLanguage, languageName, type Language } from '~/utils/i18n.ts'
import type { LegalPageName } from '~/utils/legal.ts'

/**
 * In live mode, until an owner has reviewed (saved) every legal page in every language: the
 * privacy policy is still the generated draft, and an imprint may be missing (required in Germany).
 */
export function LegalReviewBanner({
  missing,
  isOwner,
}: {
  /** The pages not yet saved, each with the languages it is missing in (the root loader's legalToReview). */
  missing?: { page: LegalPageName; locales: Language[] }[] | null
  isOwner: boolean
}) {
  const { t, i18n } = useTranslation()
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
      {isOwner ? (
        <p>
          <Link to="/admin/legal">{t('admin.legal.bannerLink')}</Link>
        </p>
      ) : null}
    </div>
  )
}
