import type { Language } from './i18n.ts'

/**
 * The signatures' countries on a world map (issue 17): a complete SVG string, no external
 * references, no scripts. Foundation stub: Part B draws the map.
 */

export type CountryCount = { country: string; confirmed: number }

/** A complete <svg>: choropleth in 5 classes on a log scale, legend, a <title> per country. */
export function renderCountryMap(_args: { counts: CountryCount[]; lang: Language; title: string; idPrefix?: string }): string {
  return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 470"/>'
}
