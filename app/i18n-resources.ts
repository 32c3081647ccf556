import deAdmin from './locales/de/admin.json'
import de from './locales/de/common.json'
import deCountries from './locales/de/countries.json'
import deEmails from './locales/de/emails.json'
import enAdmin from './locales/en/admin.json'
import en from './locales/en/common.json'
import enCountries from './locales/en/countries.json'
import enEmails from './locales/en/emails.json'
import esAdmin from './locales/es/admin.json'
import es from './locales/es/common.json'
import esCountries from './locales/es/countries.json'
import esEmails from './locales/es/emails.json'

// Server side only. The back office's strings (admin.json, the `admin.*` keys) live beside the
// public ones in the `common` namespace; the browser loads them only on /admin pages (entry.client.tsx).
export const resources = {
  en: { common: { ...en, ...enAdmin }, emails: enEmails, countries: enCountries },
  de: { common: { ...de, ...deAdmin }, emails: deEmails, countries: deCountries },
  es: { common: { ...es, ...esAdmin }, emails: esEmails, countries: esCountries },
} as const
