import type { ReactNode } from 'react'
import type { Language } from '~/utils/i18n.ts'
import type { Localized } from './campaign-view.tsx'

/** A target as app/models/targets.server.ts's listPublicTargets returns it. */
export type TargetsListItem = { id: number; name: Localized; role: Localized; note: Localized }

/**
 * "To:" and whom the petition addresses, in the petition panel instead of the old one-line target
 * (each field marked with the language it is written in). Foundation stub: Part B renders it.
 */
export function TargetsList(_props: { targets: TargetsListItem[]; lang: Language }): ReactNode {
  return null
}
