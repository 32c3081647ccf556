import type { ReactNode } from 'react'
import type { Language } from '~/utils/i18n.ts'

/**
 * The signatures' countries: the map as an image (/c/:slug/map.svg?v=<confirmed>) and, after it,
 * a table of every country with a count. Foundation stub: renders nothing until Part B draws it.
 */
export function CountryMap(_props: { slug: string; counts: { country: string; confirmed: number }[]; lang: Language; confirmed: number }): ReactNode {
  return null
}
