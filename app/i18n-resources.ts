import de from './locales/de/common.json'
import deCountries from './locales/de/countries.json'
import deEmails from './locales/de/emails.json'
import en from './locales/en/common.json'
import enCountries from './locales/en/countries.json'
import enEmails from './locales/en/emails.json'
import es from './locales/es/common.json'
import esCountries from './locales/es/countries.json'
import esEmails from './locales/es/emails.json'

// Server side only: the browser loads just its page's `common` and `countries` (entry.client.tsx).
export const resources = {
  en: { common: en, emails: enEmails, countries: enCountries },
  de: { common: de, emails: deEmails, countries: deCountries },
  es: { common: es, emails: esEmails, countries: esCountries },
} as const
