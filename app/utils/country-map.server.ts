import { countryName, isCountryCode } from './countries.ts'
import { escapeHtml } from './html.ts'
import { getT } from './i18n.server.ts'
import { formatNumber, type Language } from './i18n.ts'
import { COUNTRY_DOTS, COUNTRY_SHAPES, OTHER_SHAPES, WORLD_VIEWBOX } from './world-map-paths.server.ts'

/**
 * The signatures' countries on a world map (issue 17, ADR 018 "map"): a complete SVG string built
 * from the generated outlines (world-map-paths.server.ts), numbers and escaped names only. No
 * external references, no scripts, no <style>: fills are attributes, so the same string works
 * as /c/:slug/map.svg, inlined in the back office and in the delivery packet.
 */

export type CountryCount = { country: string; confirmed: number }

/** Lightest to darkest; a country without signatures is grey. */
export const MAP_FILLS = ['#dbeafe', '#93c5fd', '#3b82f6', '#1d4ed8', '#1e3a8a'] as const
export const MAP_NO_DATA = '#e5e7eb'

/** 1–5 on a log scale of the largest count: a few countries with thousands do not wash out the rest. */
export function mapClass(confirmed: number, max: number): number {
  if (max <= 1) return 5
  return Math.max(1, Math.min(5, 1 + Math.floor((4 * Math.log(Math.max(1, confirmed))) / Math.log(max))))
}

/** Each class's counts from … to (classes no count can fall in are left out), for the legend. */
export function mapClassRanges(max: number): { cls: number; from: number; to: number }[] {
  if (max <= 1) return [{ cls: 5, from: 1, to: Math.max(1, max) }]
  const ranges: { cls: number; from: number; to: number }[] = []
  for (let cls = 1; cls <= 5; cls++) {
    // The smallest count in the class: the formula's bound, nudged past floating-point error.
    let from = cls === 1 ? 1 : Math.ceil(max ** ((cls - 1) / 4))
    while (from > 1 && mapClass(from - 1, max) >= cls) from--
    while (from <= max && mapClass(from, max) < cls) from++
    let to = cls === 5 ? max : Math.ceil(max ** (cls / 4))
    while (to > from && mapClass(to, max) > cls) to--
    while (to < max && mapClass(to + 1, max) === cls) to++
    if (from <= to && mapClass(from, max) === cls) ranges.push({ cls, from, to })
  }
  return ranges
}

export function renderCountryMap({ counts, lang, title, idPrefix = 'map' }: { counts: CountryCount[]; lang: Language; title: string; idPrefix?: string }): string {
  const t = getT(lang)
  const p = escapeHtml(idPrefix)
  const known = new Map<string, number>()
  for (const { country, confirmed } of counts) if (isCountryCode(country) && confirmed > 0) known.set(country, (known.get(country) ?? 0) + confirmed)
  const max = Math.max(0, ...known.values())
  const titled = (code: string) => {
    const name = countryName(code, lang)
    const n = known.get(code)
    return escapeHtml(n ? t('countryMap.countryCount', { country: name, count: n, n: formatNumber(n, lang) }) : t('countryMap.countryNone', { country: name }))
  }
  const fillOf = (code: string) => {
    const n = known.get(code)
    if (!n) return { cls: `${p}-c0`, fill: MAP_NO_DATA }
    const k = mapClass(n, max)
    return { cls: `${p}-c${k}`, fill: MAP_FILLS[k - 1] }
  }

  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${WORLD_VIEWBOX}" role="img" aria-labelledby="${p}-title" lang="${escapeHtml(lang)}" font-family="system-ui, sans-serif">`,
    `<title id="${p}-title">${escapeHtml(title)}</title>`,
    '<rect width="960" height="470" fill="#fff"/>',
    // Borders: white hairlines between the countries.
    '<g stroke="#fff" stroke-width=".4" stroke-linejoin="round">',
  )
  for (const d of OTHER_SHAPES) parts.push(`<path fill="${MAP_NO_DATA}" d="${d}"/>`)
  for (const [code, d] of Object.entries(COUNTRY_SHAPES)) {
    const { cls, fill } = fillOf(code)
    parts.push(`<path class="${cls}" fill="${fill}" d="${d}"><title>${titled(code)}</title></path>`)
  }
  parts.push('</g>')
  // Countries too small for the outlines: a dot where they are, drawn only when someone there signed.
  const dots = [...known.keys()].filter((code) => !(code in COUNTRY_SHAPES) && code in COUNTRY_DOTS)
  if (dots.length > 0) {
    parts.push('<g stroke="#fff" stroke-width=".8">')
    for (const code of dots) {
      const [x, y] = COUNTRY_DOTS[code]!
      const { cls, fill } = fillOf(code)
      parts.push(`<circle class="${cls}" fill="${fill}" cx="${x}" cy="${y}" r="2.5"><title>${titled(code)}</title></circle>`)
    }
    parts.push('</g>')
  }
  parts.push(legend({ max, p, t, lang }))
  parts.push('</svg>')
  return parts.join('')
}

/** Bottom left, over the South Pacific: what each shade means. */
function legend({ max, p, t, lang }: { max: number; p: string; t: ReturnType<typeof getT>; lang: Language }) {
  const rows: { fill: string; cls: string; label: string }[] =
    max === 0
      ? [{ fill: MAP_NO_DATA, cls: `${p}-c0`, label: t('countryMap.legendEmpty') }]
      : [
          ...mapClassRanges(max)
            .reverse()
            .map(({ cls, from, to }) => ({
              fill: MAP_FILLS[cls - 1]!,
              cls: `${p}-c${cls}`,
              label: from === to ? formatNumber(from, lang) : t('countryMap.legendRange', { from: formatNumber(from, lang), to: formatNumber(to, lang) }),
            })),
          { fill: MAP_NO_DATA, cls: `${p}-c0`, label: t('countryMap.legendNone') },
        ]
  const top = 462 - 18 - rows.length * 16
  const out = [`<g class="${p}-legend" font-size="11" fill="#1f2937">`, `<text x="14" y="${top + 12}" font-weight="600">${escapeHtml(t('countryMap.legendTitle'))}</text>`]
  rows.forEach((row, i) => {
    const y = top + 18 + i * 16
    out.push(`<rect class="${row.cls}" x="14" y="${y}" width="18" height="12" fill="${row.fill}" stroke="#9ca3af" stroke-width=".5"/>`)
    out.push(`<text x="38" y="${y + 10}">${escapeHtml(row.label)}</text>`)
  })
  out.push('</g>')
  return out.join('')
}
