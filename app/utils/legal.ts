/** The legal pages, their public paths and the order footers list them in. */
export const LEGAL_PAGE_NAMES = ['privacy', 'imprint', 'contact'] as const
export type LegalPageName = (typeof LEGAL_PAGE_NAMES)[number]

export function isLegalPageName(value: unknown): value is LegalPageName {
  return typeof value === 'string' && (LEGAL_PAGE_NAMES as readonly string[]).includes(value)
}
