import type { Handle } from '#db/client.server.ts'
import { LOCALES, type Locale } from '#db/schema.ts'
import { getSiteSettings, type LegalPage } from '~/models/site-settings.server.ts'
import { renderMarkdown } from '~/utils/markdown.server.ts'
import { generatePrivacyDraft } from './privacy-draft.server.ts'

/**
 * What a legal page shows in a language: the owners' saved text; else, for the privacy
 * policy, the draft generated from this instance's settings; else the page saved in another
 * language (an imprint is often written once, in German); else nothing yet.
 */
export async function getLegalPage(db: Handle, { page, lang }: { page: LegalPage; lang: Locale }) {
  const settings = await getSiteSettings(db)
  const saved = settings.texts[`${page}:${lang}`]
  if (saved) return { html: renderMarkdown(saved.body), lang, updatedAt: saved.updatedAt }
  if (page === 'privacy') return { html: renderMarkdown(await legalPageDraft(db, { page, lang })), lang, updatedAt: null }
  for (const other of LOCALES) {
    const text = settings.texts[`${page}:${other}`]
    if (text) return { html: renderMarkdown(text.body), lang: other, updatedAt: text.updatedAt }
  }
  return { html: null, lang, updatedAt: null }
}

/** What the editor starts from when nothing is saved yet. */
export async function legalPageDraft(db: Handle, { page, lang }: { page: LegalPage; lang: Locale }) {
  const settings = await getSiteSettings(db)
  return page === 'privacy' ? generatePrivacyDraft(db, { locale: lang, teamName: settings.organizationName }) : ''
}
