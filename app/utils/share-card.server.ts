/**
 * The share card: the 1200 × 630 PNG link previews show (Open Graph, Twitter), one per campaign
 * and language. satori lays out an object tree into SVG (text as paths, in Inter from
 * @fontsource/inter, read from node_modules once: nothing is fetched), resvg paints it off the
 * event loop, and sharp writes a palette PNG (a third of resvg's bytes, for crawlers on slow
 * links). The title is wrapped and shrunk here, measured with the font parser satori uses, so
 * it never overflows and is never cut inside a word without an ellipsis.
 *
 * What a card shows moves in visible steps (cardStep): the cache in share-card-cache.server.ts
 * renders again only when the step or the campaign's texts, image or branding change.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import opentype, { type Font, type Glyph } from '@shuding/opentype.js'
import { renderAsync } from '@resvg/resvg-js'
import type Satori from 'satori'
import type Sharp from 'sharp'
import { getT } from '~/utils/i18n.server.ts'
import { formatNumber, type Language } from '~/utils/i18n.ts'
import { CARD_HEIGHT, CARD_WIDTH, finalCount, formatShownCount, shownCount, type CardStatus } from '~/utils/share-card.ts'

export { CARD_HEIGHT, CARD_WIDTH, cardStep, shownCount } from '~/utils/share-card.ts'

const INK = '#1b1d22'
const INK_SOFT = '#4a4f5a'
const PAPER = '#fbfaf7'
const TRACK = '#e4e0d8'
/** app.css --accent: the card's colour when the team has not chosen one. */
const DEFAULT_ACCENT = '#b4540a'
const LINE_HEIGHT = 1.15
const HERO_WIDTH = 440

/** Where the title may go: the widest line, how many lines, and the sizes tried from largest to smallest. */
export type TitleBox = { maxWidth: number; maxLines: number; sizes: number[] }
export const TITLE_BOX = {
  withHero: { maxWidth: CARD_WIDTH - HERO_WIDTH - 56 - 64, maxLines: 4, sizes: [60, 54, 48, 42, 38] },
  typographic: { maxWidth: CARD_WIDTH - 20 - 72 - 72, maxLines: 4, sizes: [68, 60, 54, 48, 44] },
} satisfies Record<string, TitleBox>

export type CardContent = {
  title: string
  lang: Language
  confirmed: number
  goal: number
  teamName: string
  /** `#rrggbb` (the branding form checks its contrast on white), or null for Vigil's own. */
  accent: string | null
  /** The hero image's bytes (JPEG, PNG or WebP), or null for a typographic card. */
  hero: Buffer | null
  /** Live unless given: a closed or won campaign's card says so and shows the final count, no goal bar. */
  status?: CardStatus
}

/**
 * The words and figures on a card: the count and its noun, then either the goal bar (the part
 * filled, 0–1) and the goal, or, once the campaign ended, a badge and "final count".
 */
export function cardTexts({ lang, confirmed, goal, status = 'live' }: Pick<CardContent, 'lang' | 'confirmed' | 'goal' | 'status'>) {
  const t = getT(lang)
  const count = formatShownCount(confirmed, lang, status)
  if (status !== 'live') {
    return {
      count,
      noun: t('shareCard.signatures', { count: finalCount(confirmed) }),
      badge: t(status === 'won' ? 'shareCardEnded.won' : 'shareCardEnded.closed'),
      caption: t('shareCardEnded.caption'),
      bar: null,
    }
  }
  const shown = shownCount(confirmed)
  return {
    count,
    noun: t('shareCard.signatures', { count: shown.value }),
    badge: null,
    caption: t('shareCard.goal', { goal: formatNumber(goal, lang) }),
    bar: goal > 0 ? Math.min(1, shown.value / goal) : 0,
  }
}

// Latin (German umlauts and ß, Spanish ñ and ¿ are here) and Latin Extended (ő, ł, ș…), regular and bold.
const FONT_FILES = [
  ['latin', 400],
  ['latin-ext', 400],
  ['latin', 700],
  ['latin-ext', 700],
] as const

type Fonts = { satori: { name: string; data: Buffer; weight: 400 | 700; style: 'normal' }[]; boldForMeasure: Font[] }
let fonts: Fonts | undefined

function loadFonts(): Fonts {
  if (fonts) return fonts
  const require = createRequire(import.meta.url)
  const files = FONT_FILES.map(([subset, weight]) => ({
    weight,
    data: fs.readFileSync(require.resolve(`@fontsource/inter/files/inter-${subset}-${weight}-normal.woff`)),
  }))
  fonts = {
    satori: files.map(({ weight, data }) => ({ name: 'Inter', data, weight, style: 'normal' as const })),
    boldForMeasure: files
      .filter((f) => f.weight === 700)
      .map((f) => opentype.parse(f.data.buffer.slice(f.data.byteOffset, f.data.byteOffset + f.data.byteLength) as ArrayBuffer)),
  }
  return fonts
}

// Per character: the subset that has it and its glyph. Titles use few distinct characters.
const glyphs = new Map<string, { font: Font; glyph: Glyph }>()

function glyphOf(char: string) {
  let found = glyphs.get(char)
  if (!found) {
    const [latin, ...others] = loadFonts().boldForMeasure
    const font = latin!.charToGlyphIndex(char) > 0 ? latin! : (others.find((f) => f.charToGlyphIndex(char) > 0) ?? latin!)
    found = { font, glyph: font.charToGlyph(char) }
    if (glyphs.size < 5000) glyphs.set(char, found)
  }
  return found
}

/** A title's width in bold Inter at `fontSize`: advances plus kerning, each character from the first subset that has it. */
export function measureTitle(text: string, fontSize: number) {
  let units = 0
  let previous: { font: Font; glyph: Glyph } | undefined
  let unitsPerEm = 2048
  for (const char of text) {
    const current = glyphOf(char)
    unitsPerEm = current.font.unitsPerEm
    units += current.glyph.advanceWidth ?? 0
    if (previous && previous.font === current.font) units += current.font.getKerningValue(previous.glyph, current.glyph)
    previous = current
  }
  return (units / unitsPerEm) * fontSize
}

// satori shapes with its own engine: a little room keeps its line from being a hair wider than ours.
const SLACK = 0.97

/**
 * The title's lines and size: the largest size at which every word fits and the lines fit the
 * box; failing that, the smallest size, cut after the last whole word that fits and ended with
 * an ellipsis (a single word too long for a line is cut only with an ellipsis too).
 */
export function fitTitle(title: string, { maxWidth, maxLines, sizes }: TitleBox): { fontSize: number; lines: string[] } {
  const words = title.trim().split(/\s+/).filter(Boolean)
  const limit = maxWidth * SLACK
  for (const fontSize of sizes) {
    const lines = wrapWords(words, fontSize, limit)
    if (lines && lines.length <= maxLines) return { fontSize, lines }
  }
  const fontSize = sizes.at(-1)!
  const fits = (text: string) => measureTitle(text, fontSize) <= limit
  const lines: string[] = []
  let line = ''
  let cut = false
  for (const word of words) {
    const joined = line ? `${line} ${word}` : word
    if (fits(joined)) {
      line = joined
      continue
    }
    if (line) lines.push(line)
    line = word
    if (lines.length === maxLines || !fits(word)) {
      cut = true
      break
    }
  }
  if (lines.length < maxLines && line) {
    if (cut && !fits(line)) lines.push(shortenWord(line, fits))
    else if (!cut || lines.length + 1 < maxLines) lines.push(line)
  }
  if (!cut) return { fontSize, lines }
  const kept = lines.slice(0, maxLines)
  const last = kept.at(-1) ?? ''
  if (!last.endsWith('…')) kept[kept.length - 1] = withEllipsis(last, fits)
  return { fontSize, lines: kept }
}

function wrapWords(words: string[], fontSize: number, limit: number) {
  const lines: string[] = []
  let line = ''
  for (const word of words) {
    if (measureTitle(word, fontSize) > limit) return null
    const joined = line ? `${line} ${word}` : word
    if (measureTitle(joined, fontSize) <= limit) line = joined
    else {
      lines.push(line)
      line = word
    }
  }
  if (line) lines.push(line)
  return lines
}

/** A line with "…" after its last whole word that leaves room for it (punctuation before it dropped). */
function withEllipsis(line: string, fits: (text: string) => boolean) {
  const words = line.split(' ')
  while (words.length > 1) {
    const candidate = `${words.join(' ').replace(/[\s,;:.–—-]+$/u, '')}…`
    if (fits(candidate)) return candidate
    words.pop()
  }
  return shortenWord(words[0] ?? '', fits)
}

/** A word too long for any line: as many of its characters as fit, then "…". */
function shortenWord(word: string, fits: (text: string) => boolean) {
  const chars = Array.from(word)
  while (chars.length > 1 && !fits(`${chars.join('')}…`)) chars.pop()
  return `${chars.join('')}…`
}

let loadingSharp: Promise<typeof Sharp> | undefined
const loadSharp = () => (loadingSharp ??= import('sharp').then((m) => m.default))
// satori (and yoga) load with the first card, not with every process (ADR 020).
let loadingSatori: Promise<typeof Satori> | undefined
const loadSatori = () => (loadingSatori ??= import('satori').then((m) => m.default))

/** The hero cut to the card's left column (libvips picks the busiest part), as a data URI for satori. */
async function heroDataUri(hero: Buffer) {
  const sharp = await loadSharp()
  const jpeg = await sharp(hero, { limitInputPixels: 50_000_000 })
    .rotate()
    .resize(HERO_WIDTH, CARD_HEIGHT, { fit: 'cover', position: sharp.strategy.attention })
    .jpeg({ quality: 82 })
    .toBuffer()
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`
}

type Node = { type: string; props: Record<string, unknown> & { style?: Record<string, unknown>; children?: unknown } }
const h = (type: string, style: Record<string, unknown>, ...children: unknown[]): Node => ({
  type,
  props: { style, children: children.length === 1 ? children[0] : children },
})

function cardTree({ content, heroUri }: { content: CardContent; heroUri: string | null }): Node {
  const accent = content.accent ?? DEFAULT_ACCENT
  const box = heroUri ? TITLE_BOX.withHero : TITLE_BOX.typographic
  const { fontSize, lines } = fitTitle(content.title, box)
  const texts = cardTexts(content)
  const column = h(
    'div',
    {
      display: 'flex',
      flexDirection: 'column',
      justifyContent: 'space-between',
      // Stretched by the row to the card's height, padding inside it.
      flexGrow: 1,
      padding: heroUri ? '52px 64px 52px 56px' : '48px 72px',
    },
    h(
      'div',
      { display: 'flex', flexDirection: 'column' },
      h('div', { display: 'flex', fontSize: 26, fontWeight: 700, color: accent, marginBottom: 24 }, content.teamName),
      ...lines.map((line) => h('div', { display: 'flex', fontSize, fontWeight: 700, lineHeight: LINE_HEIGHT, color: INK, whiteSpace: 'nowrap' }, line)),
    ),
    h(
      'div',
      { display: 'flex', flexDirection: 'column', width: box.maxWidth },
      h(
        'div',
        { display: 'flex', alignItems: 'baseline', color: INK },
        h('div', { display: 'flex', fontSize: 46, fontWeight: 700, marginRight: 14 }, texts.count),
        h('div', { display: 'flex', fontSize: 28 }, texts.noun),
      ),
      texts.bar === null
        ? // Ended: the badge and "final count" in the bar's and goal's room, so the title keeps all of its own.
          h(
            'div',
            { display: 'flex', alignItems: 'center', marginTop: 16 },
            // White on the accent passes contrast: the branding form checks the accent against white.
            h('div', { display: 'flex', fontSize: 26, fontWeight: 700, color: '#ffffff', backgroundColor: content.status === 'won' ? accent : INK_SOFT, borderRadius: 10, padding: '6px 18px', marginRight: 18 }, texts.badge),
            h('div', { display: 'flex', fontSize: 24, color: INK_SOFT }, texts.caption),
          )
        : h(
            'div',
            { display: 'flex', flexDirection: 'column' },
            h(
              'div',
              { display: 'flex', width: box.maxWidth, height: 20, borderRadius: 10, backgroundColor: TRACK, marginTop: 14, marginBottom: 12 },
              h('div', { display: 'flex', width: Math.round(texts.bar * box.maxWidth), height: 20, borderRadius: 10, backgroundColor: accent }),
            ),
            h('div', { display: 'flex', fontSize: 24, color: INK_SOFT }, texts.caption),
          ),
    ),
  )
  return h(
    'div',
    { display: 'flex', width: CARD_WIDTH, height: CARD_HEIGHT, backgroundColor: PAPER, fontFamily: 'Inter' },
    heroUri
      ? { type: 'img', props: { src: heroUri, width: HERO_WIDTH, height: CARD_HEIGHT, style: { width: HERO_WIDTH, height: CARD_HEIGHT } } }
      : h('div', { display: 'flex', width: 20, height: CARD_HEIGHT, backgroundColor: accent }),
    column,
  )
}

/**
 * One card as PNG bytes. satori's layout runs on the event loop (a few ms once warm; the first
 * card of a process also loads the fonts and yoga); painting and encoding run in libuv's pool.
 * A hero that cannot be read gives a typographic card rather than none.
 */
export async function renderShareCard(content: CardContent): Promise<Buffer> {
  const fontSet = loadFonts()
  const heroUri = content.hero ? await heroDataUri(content.hero).catch(() => null) : null
  const satori = await loadSatori()
  const svg = await satori(cardTree({ content, heroUri }) as Parameters<typeof Satori>[0], {
    width: CARD_WIDTH,
    height: CARD_HEIGHT,
    fonts: fontSet.satori,
  })
  const painted = await renderAsync(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } })
  const sharp = await loadSharp()
  return sharp(painted.pixels, { raw: { width: painted.width, height: painted.height, channels: 4 } })
    // No dithering: it spread the hero's glow as a pale ghost into the flat text panel (and doubled the bytes).
    .png({ palette: true, quality: 90, effort: 4, compressionLevel: 9, dither: 0 })
    .toBuffer()
}
