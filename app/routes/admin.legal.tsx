import type { LoaderFunctionArgs } from '@remix-run/node'
import { NavLink, Outlet, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getSiteSettings, LEGAL_PAGES } from '~/models/site-settings.server.ts'
import { requireOwner } from '~/workflows/session.server.ts'
import { isLanguage, languageName, LANGUAGES } from '~/utils/i18n.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  const { texts } = await getSiteSettings(context.db)
  return {
    pages: LEGAL_PAGES.map((page) => ({
      page,
      languages: LANGUAGES.map((lang) => ({ lang, savedAt: texts[`${page}:${lang}`]?.updatedAt ?? null })),
    })),
  }
}

export default function LegalPages() {
  const { pages } = useLoaderData<typeof loader>()
  const { t, i18n } = useTranslation()
  const uiLang = isLanguage(i18n.language) ? i18n.language : 'en'
  return (
    <main className="wrap page">
      <h1>{t('admin.legal.title')}</h1>
      <p className="muted">{t('admin.legal.intro')}</p>
      <table className="table legal-admin-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.legal.page')}</th>
            {LANGUAGES.map((lang) => (
              <th key={lang} scope="col">
                {languageName(lang, uiLang)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {pages.map(({ page, languages }) => (
            <tr key={page}>
              <th scope="row">{t(`legal.${page}.title`)}</th>
              {languages.map(({ lang, savedAt }) => (
                <td key={lang}>
                  <NavLink to={`/admin/legal/${page}/${lang}`}>{savedAt ? t('admin.legal.reviewed') : t('admin.legal.toReview')}</NavLink>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Outlet />
    </main>
  )
}
