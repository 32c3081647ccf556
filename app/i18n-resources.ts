import de from './locales/de/common.json'
import deEmails from './locales/de/emails.json'
import en from './locales/en/common.json'
import enEmails from './locales/en/emails.json'
import es from './locales/es/common.json'
import esEmails from './locales/es/emails.json'

// Server side only: the browser loads just its page's `common` catalog (entry.client.tsx).
export const resources = {
  en: { common: en, emails: enEmails },
  de: { common: de, emails: deEmails },
  es: { common: es, emails: esEmails },
} as const
