import type { Handle } from '#db/client.server.ts'
import { getShareText } from '~/models/sources.server.ts'
import type { Language } from '~/utils/i18n.ts'
import type { ShareData } from '~/utils/share-links.ts'
import { getEnv } from '~/utils/config.server.ts'

export async function loadShare(db: Handle, { campaign, lang }: { campaign: { id: number; slug: string; title: string }; lang: Language }): Promise<ShareData> {
  return {
    url: `${getEnv().publicUrl}/c/${campaign.slug}`,
    slug: campaign.slug,
    title: campaign.title,
    text: await getShareText(db, { campaignId: campaign.id, lang, title: campaign.title }),
    lang,
  }
}
