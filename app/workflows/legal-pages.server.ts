import { LOCALES, type Locale } from '#db/schema.ts'
import { getSiteSettings, type LegalPage } from '~/models/site-settings.server.ts'
import { renderMarkdown } from '~/utils/markdown.server.ts'
import { generatePrivacyDraft } from './privacy-draft.server.ts'

/**
 * What a legal page shows in a language: the owners' saved text; else, for the privacy
 * policy, the draft generated from this instance's settings; else the page saved in another
 * language (an imprint is often written once, in German); else nothing yet.
 */
export function getLegalPage({ page, lang }: { page: LegalPage; lang: Locale }) {
  const settings = getSiteSettings()
  const saved = settings.texts[`${page}:${lang}`]
  if (saved) return { html: renderMarkdown(saved.body), lang, updatedAt: saved.updatedAt }
  if (page === 'privacy') return { html: renderMarkdown(legalPageDraft({ page, lang })), lang, updatedAt: null }
  for (const other of LOCALES) {
    const text = settings.texts[`${page}:${other}`]
    if (text) return { html: renderMarkdown(text.body), lang: other, updatedAt: text.updatedAt }
  }
  return { html: null, lang, updatedAt: null }
}

/** What the editor starts from when nothing is saved yet. */
export function legalPageDraft({ page, lang }: { page: LegalPage; lang: Locale }) {
  const settings = getSiteSettings()
  return page === 'privacy' ? generatePrivacyDraft({ locale: lang, teamName: settings.organizationName }) : ''
}
