import i18next, { type i18n, type TFunction } from 'i18next'
import { resources } from '~/i18n-resources.ts'
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '~/utils/i18n.ts'

declare global {
  var __vigilI18n: Map<Language, i18n> | undefined
}

// One ready instance per language, created once: no per-request init, no shared changeLanguage.
function instances() {
  if (globalThis.__vigilI18n) return globalThis.__vigilI18n
  const map = new Map<Language, i18n>()
  for (const lng of LANGUAGES) {
    const instance = i18next.createInstance()
    void instance.init({
      lng,
      fallbackLng: DEFAULT_LANGUAGE,
      supportedLngs: [...LANGUAGES],
      resources,
      defaultNS: 'common',
      ns: ['common', 'emails', 'countries'],
      interpolation: { escapeValue: false },
      react: { useSuspense: false },
      initImmediate: false,
    })
    map.set(lng, instance)
  }
  globalThis.__vigilI18n = map
  return map
}

export function getI18n(lang: Language): i18n {
  return instances().get(lang)!
}

export function getT(lang: Language): TFunction {
  return getI18n(lang).t
}
