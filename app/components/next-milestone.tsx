import type { ReactNode } from 'react'
import type { Language } from '~/utils/i18n.ts'
import type { Localized } from './campaign-view.tsx'

/** app/models/milestones.server.ts's MilestoneSummary. */
export type NextMilestoneSummary = {
  next: { threshold: number; happens: Localized | null; remaining: number } | null
  reached: { threshold: number; reachedOn: string }[]
}

/**
 * Under the petition text: "At 10,000 signatures we deliver the petition to …", how many to go,
 * and the milestones reached so far. Foundation stub: Part A renders it.
 */
export function NextMilestone(_props: { summary: NextMilestoneSummary; lang: Language }): ReactNode {
  return null
}
