/**
 * Writes app/utils/world-map-paths.server.ts (`npm run map:generate`): every country's outline as
 * an SVG path, keyed by ISO alpha-2, in the Equal Earth projection. Generated once and committed,
 * like scripts/generate-countries.ts, so the server draws the map from plain strings and the
 * geography packages stay devDependencies.
 *
 * Source: world-atlas (Natural Earth, public domain). 1:110m outlines; a country too small for
 * 1:110m gets a dot at its 1:50m centroid. Antarctica is left out (it squashes the map).
 */
import fs from 'node:fs'
import { geoCentroid, geoEqualEarth, geoPath } from 'd3-geo'
import type { Feature, FeatureCollection, Geometry } from 'geojson'
import countries from 'i18n-iso-countries'
import { feature } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'
import atlas110 from 'world-atlas/countries-110m.json' with { type: 'json' }
import atlas50 from 'world-atlas/countries-50m.json' with { type: 'json' }
import worldAtlasPackage from 'world-atlas/package.json' with { type: 'json' }
import { COUNTRY_CODES } from '../app/utils/countries.ts'

const WIDTH = 960
const HEIGHT = 470
const PAD = 4
const ANTARCTICA = '010'
const OUT = new URL('../app/utils/world-map-paths.server.ts', import.meta.url)
// 1 decimal place (0.1 px at 960 wide): past 120 KB the plan says drop to whole pixels.
const DIGITS = Number(process.env.MAP_DIGITS ?? 1)

type Props = { name: string }
function featuresOf(topology: unknown): Feature<Geometry, Props>[] {
  const t = topology as Topology<{ countries: GeometryCollection<Props> }>
  return (feature(t, t.objects.countries) as FeatureCollection<Geometry, Props>).features
}

function alpha2(id: string | number | undefined): string | null {
  if (id === undefined) return null
  return countries.numericToAlpha2(String(id)) ?? null
}

const round = (n: number) => Math.round(n * 10 ** DIGITS) / 10 ** DIGITS

const world = featuresOf(atlas110).filter((f) => f.id !== ANTARCTICA)
const projection = geoEqualEarth().fitExtent(
  [
    [PAD, PAD],
    [WIDTH - PAD, HEIGHT - PAD],
  ],
  { type: 'FeatureCollection', features: world },
)
const path = geoPath(projection)

/**
 * d3's absolute path data, rewritten with relative moves in whole units of 10^-DIGITS px: each
 * point rounded once, so the deltas are exact and the outline lands where the absolute one
 * would; repeated points dropped. About half the bytes of the absolute form.
 */
function compact(d: string): string {
  const scale = 10 ** DIGITS
  const fmt = (n: number) => {
    const s = String(n / scale)
    return s.startsWith('0.') ? s.slice(1) : s.startsWith('-0.') ? `-${s.slice(2)}` : s
  }
  let out = ''
  let at: Point = [0, 0]
  let start: Point = [0, 0]
  for (const { cmd, point } of commands(d)) {
    if (cmd === 'Z') {
      // After z the pen is back at the subpath's start: the next m is relative to that.
      out += 'z'
      at = start
      continue
    }
    const [ax, ay] = point
    const dx = ax - at[0]
    const dy = ay - at[1]
    if (cmd === 'L' && dx === 0 && dy === 0) continue
    out += `${cmd === 'M' ? 'm' : 'l'}${fmt(dx)}${dy < 0 ? '' : ','}${fmt(dy)}`
    at = point
    if (cmd === 'M') start = point
  }
  if (absolute(out) !== absolute(d)) throw new Error(`map: the compact path does not redraw ${d.slice(0, 40)}…`)
  return out
}

type Point = [number, number]

/** Path data (absolute M/L/Z or relative m/l/z) as commands with points in whole units of 10^-DIGITS px. */
function* commands(d: string): Generator<{ cmd: 'M' | 'L' | 'Z'; point: Point; relative: boolean }> {
  const scale = 10 ** DIGITS
  for (const match of d.matchAll(/([MLZmlz])([^MLZmlz]*)/g)) {
    const letter = match[1] ?? 'Z'
    const numbers = (match[2]?.match(/-?(?:\d+\.?\d*|\.\d+)/g) ?? []).map((v) => Math.round(Number(v) * scale))
    yield { cmd: letter.toUpperCase() as 'M' | 'L' | 'Z', point: [numbers[0] ?? 0, numbers[1] ?? 0], relative: letter !== letter.toUpperCase() }
  }
}

/** Either form back to absolute points, repeats dropped (the generator's self-check). */
function absolute(d: string): string {
  const points: string[] = []
  let at: Point = [0, 0]
  let start: Point = [0, 0]
  let last = ''
  for (const { cmd, point, relative } of commands(d)) {
    if (cmd === 'Z') {
      points.push('z')
      at = start
      last = ''
      continue
    }
    at = relative ? [at[0] + point[0], at[1] + point[1]] : point
    if (cmd === 'M') start = at
    const here = `${at[0]},${at[1]}`
    if (cmd === 'M') points.push(`M${here}`)
    else if (here !== last) points.push(here)
    last = here
  }
  return points.join(' ')
}

const shapes = new Map<string, string>()
const others: string[] = []
for (const f of world) {
  const raw = path(f)
  if (!raw) continue
  const d = compact(raw)
  const code = alpha2(f.id)
  if (!code) others.push(d)
  // One feature per code at 1:110m; should a later atlas split one, the parts are joined.
  else shapes.set(code, (shapes.get(code) ?? '') + d)
}

const dots = new Map<string, readonly [number, number]>()
for (const f of featuresOf(atlas50)) {
  const code = alpha2(f.id)
  if (!code || code === 'AQ' || shapes.has(code) || dots.has(code)) continue
  const point = projection(geoCentroid(f))
  if (!point || !point.every(Number.isFinite)) continue
  dots.set(code, [round(point[0]), round(point[1])])
}

const known = new Set<string>(COUNTRY_CODES)
const byCode = <T>(m: Map<string, T>) => [...m].filter(([code]) => known.has(code)).sort(([a], [b]) => a.localeCompare(b))
const shapeLines = byCode(shapes).map(([code, d]) => `  ${code}: '${d}',`)
const dotLines = byCode(dots).map(([code, [x, y]]) => `  ${code}: [${x}, ${y}],`)
const missing = COUNTRY_CODES.filter((code) => !shapes.has(code) && !dots.has(code))

const text = `// Generated by scripts/generate-world-map.ts from world-atlas ${worldAtlasPackage.version} (Natural Earth 1:110m, public domain). Do not edit.
// Equal Earth projection, Antarctica left out. Countries too small for 1:110m are dots at their 1:50m centroid.
export const WORLD_VIEWBOX = '0 0 ${WIDTH} ${HEIGHT}'
/** ISO alpha-2 → the country's outline (SVG path data). */
export const COUNTRY_SHAPES: Readonly<Record<string, string>> = {
${shapeLines.join('\n')}
}
/** ISO alpha-2 → where to put a dot for a country too small to draw at this scale. */
export const COUNTRY_DOTS: Readonly<Record<string, readonly [number, number]>> = {
${dotLines.join('\n')}
}
/** Land without an ISO code of its own (N. Cyprus, Somaliland, Kosovo): drawn grey. */
export const OTHER_SHAPES: readonly string[] = [
${others.map((d) => `  '${d}',`).join('\n')}
]
`
fs.writeFileSync(OUT, text)
console.log(
  `world map: ${shapeLines.length} shapes, ${dotLines.length} dots, ${others.length} other shapes, ${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB; no shape or dot: ${missing.join(' ') || 'none'}`,
)
