import { RemixBrowser } from '@remix-run/react'
import i18next from 'i18next'
import { startTransition, StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { I18nextProvider } from 'react-i18next'
import { DEFAULT_LANGUAGE, isBackOffice, isLanguage } from './utils/i18n.ts'

const catalogs = import.meta.glob<{ default: Record<string, unknown> }>('./locales/*/common.json')
// The back office's strings (two thirds of the catalog): fetched only by /admin pages, never by public ones.
const adminCatalogs = import.meta.glob<{ default: Record<string, unknown> }>('./locales/*/admin.json')
const countryCatalogs = import.meta.glob<{ default: Record<string, string> }>('./locales/*/countries.json')

async function hydrate() {
  const htmlLang = document.documentElement.lang
  const lng = isLanguage(htmlLang) ? htmlLang : DEFAULT_LANGUAGE
  const load = catalogs[`./locales/${lng}/common.json`]
  const loadCountries = countryCatalogs[`./locales/${lng}/countries.json`]
  const loadAdmin = isBackOffice(window.location.pathname) ? adminCatalogs[`./locales/${lng}/admin.json`] : undefined
  const [publicStrings, adminStrings, countries] = await Promise.all([
    load ? load().then((m) => m.default) : {},
    loadAdmin ? loadAdmin().then((m) => m.default) : {},
    loadCountries ? loadCountries().then((m) => m.default) : {},
  ])
  const common = { ...publicStrings, ...adminStrings }
  const i18n = i18next.createInstance()
  await i18n.init({
    lng,
    fallbackLng: false,
    resources: { [lng]: { common, countries } },
    defaultNS: 'common',
    ns: ['common', 'countries'],
    interpolation: { escapeValue: false },
    react: { useSuspense: false },
  })
  startTransition(() => {
    hydrateRoot(
      document,
      <I18nextProvider i18n={i18n}>
        <StrictMode>
          <RemixBrowser />
        </StrictMode>
      </I18nextProvider>,
    )
  })
}

void hydrate()
