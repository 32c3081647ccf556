import de from './locales/de/common.json'
import en from './locales/en/common.json'
import es from './locales/es/common.json'

export const resources = {
  en: { common: en },
  de: { common: de },
  es: { common: es },
} as const
