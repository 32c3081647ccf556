import crypto from 'node:crypto'
import type { Handle } from '#db/client.server.ts'
import { getShareCardSource, type ShareCardSource } from '~/models/share-cards.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatNumber, type Language } from '~/utils/i18n.ts'
import type { ShareCardMeta } from '~/utils/meta.ts'
import { CARD_HEIGHT, CARD_WIDTH, cardStep, finalCount, formatShownCount, shareCardPath, shownCount } from '~/utils/share-card.ts'

/** Short, and new whenever the card would look different: crawlers that keep images by URL fetch the new one. */
export function shareCardVersion(source: ShareCardSource) {
  return crypto.createHash('sha1').update(`${source.contentVersion}|${cardStep(source)}`).digest('base64url').slice(0, 10)
}

/** One sentence naming the campaign and its count (or that it ended, and its final count), in the page's language: the card's alt text. */
export function shareCardAlt(source: ShareCardSource, lang: Language) {
  const t = getT(lang)
  if (source.status !== 'live') {
    return t(source.status === 'won' ? 'shareCardEnded.altWon' : 'shareCardEnded.altClosed', {
      count: finalCount(source.confirmed),
      shown: formatShownCount(source.confirmed, lang, source.status),
      title: source.title,
    })
  }
  return t('shareCard.alt', {
    count: shownCount(source.confirmed).value,
    shown: formatShownCount(source.confirmed, lang),
    goal: formatNumber(source.goal, lang),
    title: source.title,
  })
}

/** The og:image / twitter:image of a campaign's pages in `lang`: an absolute URL on PUBLIC_URL. */
export async function getShareCardMeta(db: Handle, { slug, lang, publicUrl }: { slug: string; lang: Language; publicUrl: string }): Promise<ShareCardMeta | null> {
  const source = await getShareCardSource(db, { slug, lang })
  if (!source) return null
  return {
    url: `${publicUrl}${shareCardPath(slug, lang)}?v=${shareCardVersion(source)}`,
    width: CARD_WIDTH,
    height: CARD_HEIGHT,
    alt: shareCardAlt(source, lang),
  }
}
