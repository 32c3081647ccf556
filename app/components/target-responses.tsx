import type { ReactNode } from 'react'
import type { ImageSet } from '~/utils/image-set.ts'
import type { Language } from '~/utils/i18n.ts'

/** An answer as app/models/responses.server.ts's listPublicResponses returns it (PublicResponse). */
export type TargetResponseItem = {
  id: number
  responder: string
  respondedOn: string
  lang: Language
  title: string
  bodyHtml: string
  document: { type: 'pdf'; path: string; bytes: number } | { type: 'image'; path: string; image: ImageSet } | null
}

/**
 * The target's answer, above the timeline: who answered, when, the text and the letter. The
 * campaign page wraps it in the `#response` anchor (app/components/campaign-view.tsx), so the
 * panel itself carries no id. Foundation stub: Part D renders it.
 */
export function TargetResponses(_props: { responses: TargetResponseItem[]; lang: Language }): ReactNode {
  return null
}
