import { RemixBrowser } from '@remix-run/react'
import i18next from 'i18next'
import { startTransition, StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { I18nextProvider } from 'react-i18next'
import { DEFAULT_LANGUAGE, isLanguage } from './utils/i18n.ts'

const catalogs = import.meta.glob<{ default: Record<string, unknown> }>('./locales/*/common.json')

async function hydrate() {
  const htmlLang = document.documentElement.lang
  const lng = isLanguage(htmlLang) ? htmlLang : DEFAULT_LANGUAGE
  const load = catalogs[`./locales/${lng}/common.json`]
  const common = load ? (await load()).default : {}
  const i18n = i18next.createInstance()
  await i18n.init({
    lng,
    fallbackLng: false,
    resources: { [lng]: { common } },
    defaultNS: 'common',
    ns: ['common'],
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
