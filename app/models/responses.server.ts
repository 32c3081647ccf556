import type { Handle } from '#db/client.server.ts'
import type { Locale } from '#db/schema.ts'
import type { ImageSet } from '~/utils/image-set.ts'
import type { Language } from '~/utils/i18n.ts'

/**
 * The target's answers (issue 17): a `target_responses` row and its `updates` row (kind
 * 'response'), whose translations hold the answer's text. Foundation stub: Part D fills it in.
 */

/** An answer as the campaign page shows it, above the timeline. */
export type PublicResponse = {
  id: number
  /** Who answered, as they signed it. */
  responder: string
  /** 'YYYY-MM-DD'. */
  respondedOn: string
  /** The language the title and text are written in (`lang`, or the campaign's default language). */
  lang: Language
  title: string
  bodyHtml: string
  /** The letter as received: a PDF (served as a download) or a picture of it. */
  document: { type: 'pdf'; path: string; bytes: number } | { type: 'image'; path: string; image: ImageSet } | null
}

/** Published answers, newest first. */
export async function listPublicResponses(_db: Handle, _args: { campaignId: number; lang: Language; defaultLocale: Locale }): Promise<PublicResponse[]> {
  return []
}
