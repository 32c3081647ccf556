/**
 * The world map (app/utils/country-map.server.ts) as a string: well-formed XML for 0, 1 and 190
 * countries, each drawn country in the class its count gives, a <title> per country with its
 * name escaped, a legend, and nothing that reaches outside the file.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { COUNTRY_CODES } from '~/utils/countries.ts'
import { MAP_FILLS, MAP_NO_DATA, mapClass, mapClassRanges, renderCountryMap, type CountryCount } from '~/utils/country-map.server.ts'
import { COUNTRY_DOTS, COUNTRY_SHAPES, OTHER_SHAPES } from '~/utils/world-map-paths.server.ts'
import { ROOT } from '../helpers/server.ts'

type Element = { name: string; attrs: Record<string, string>; children: Element[]; text: string }

/**
 * A strict reader for the XML this renderer writes: every tag closed in order, every attribute
 * quoted and unique, no `<` or bare `&` in text or attributes. Throws where a browser's XML parser
 * would refuse the image.
 */
function parseXml(xml: string): Element {
  const root: Element = { name: '#root', attrs: {}, children: [], text: '' }
  const stack = [root]
  const checkText = (text: string, where: string) => {
    if (text.includes('<')) throw new Error(`raw < in ${where}`)
    for (const m of text.matchAll(/&([^;]*);?/g)) if (!/^&(?:amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);$/.test(m[0])) throw new Error(`bare & in ${where}: ${m[0]}`)
  }
  let i = 0
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    const text = xml.slice(i, lt === -1 ? xml.length : lt)
    if (text) {
      checkText(text, `text of <${stack.at(-1)!.name}>`)
      if (stack.length === 1 && text.trim()) throw new Error('text outside the root element')
      stack.at(-1)!.text += text
    }
    if (lt === -1) break
    const gt = xml.indexOf('>', lt)
    if (gt === -1) throw new Error('unclosed tag')
    const tag = xml.slice(lt + 1, gt)
    i = gt + 1
    if (tag.startsWith('/')) {
      const open = stack.pop()
      if (!open || open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open?.name}>`)
      continue
    }
    const selfClosing = tag.endsWith('/')
    const body = selfClosing ? tag.slice(0, -1) : tag
    const name = /^[A-Za-z][\w:-]*/.exec(body)?.[0]
    if (!name) throw new Error(`bad tag <${tag.slice(0, 20)}>`)
    const attrs: Record<string, string> = {}
    const rest = body.slice(name.length)
    const attrPattern = /\s+([A-Za-z_:][\w:.-]*)="([^"]*)"/gy
    let end = 0
    for (const m of rest.matchAll(attrPattern)) {
      if (m[1]! in attrs) throw new Error(`duplicate attribute ${m[1]} on <${name}>`)
      checkText(m[2]!, `attribute ${m[1]} of <${name}>`)
      attrs[m[1]!] = m[2]!
      end = m.index! + m[0].length
    }
    if (rest.slice(end).trim()) throw new Error(`unquoted or malformed attributes on <${name}>: ${rest.slice(end, end + 30)}`)
    const element: Element = { name, attrs, children: [], text: '' }
    if (stack.length === 1 && root.children.length > 0) throw new Error('two root elements')
    stack.at(-1)!.children.push(element)
    if (!selfClosing) stack.push(element)
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> never closed`)
  return root.children[0]!
}

function all(element: Element, name: string): Element[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...all(child, name)])
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&')
const titleOf = (el: Element) => decode(el.children.find((c) => c.name === 'title')?.text ?? '')
const shapeCount = Object.keys(COUNTRY_SHAPES).length

/** A small deterministic generator, so a failure names the same counts every run. */
function random(seed: number) {
  let state = seed
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
}

function checkCommon(svg: string) {
  const doc = parseXml(svg)
  expect(doc.name).toBe('svg')
  expect(doc.attrs.xmlns).toBe('http://www.w3.org/2000/svg')
  expect(doc.attrs.viewBox).toBe('0 0 960 470')
  // Nothing reaches outside the file: no link, script, style sheet, font or image, and no URL but the namespace.
  expect(svg.replace('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:|\/\/|href|<script|<style|<image|<use|<foreignObject|url\(|@import|on[a-z]+=/i)
  return doc
}

describe('renderCountryMap', () => {
  it('renders for 0 countries: a grey world, every country titled, and a legend that says there are none yet', () => {
    const svg = renderCountryMap({ counts: [], lang: 'en', title: 'Signatures by country: Free Andry' })
    const doc = checkCommon(svg)
    const countries = all(doc, 'path').filter((p) => p.attrs.class)
    expect(countries).toHaveLength(shapeCount)
    expect(countries.every((p) => p.attrs.class === 'map-c0' && p.attrs.fill === MAP_NO_DATA)).toBe(true)
    expect(countries.every((p) => / no signatures yet$/.test(titleOf(p)))).toBe(true)
    // Land without a code of its own is drawn grey and untitled.
    expect(all(doc, 'path').filter((p) => !p.attrs.class)).toHaveLength(OTHER_SHAPES.length)
    expect(all(doc, 'circle')).toHaveLength(0)
    expect(all(doc, 'text').map((t) => t.text)).toEqual(['Signatures', 'No signatures yet'])
    expect(doc.attrs['aria-labelledby']).toBe('map-title')
    expect(decode(doc.children.find((c) => c.name === 'title')!.text)).toBe('Signatures by country: Free Andry')
  })

  it('renders for 1 country in the darkest class, named in the reader’s language', () => {
    const svg = renderCountryMap({ counts: [{ country: 'DE', confirmed: 7 }], lang: 'es', title: 'Firmas', idPrefix: 'packet-map' })
    const doc = checkCommon(svg)
    const countries = all(doc, 'path').filter((p) => p.attrs.class)
    const germany = countries.filter((p) => p.attrs.class === 'packet-map-c5')
    expect(germany).toHaveLength(1)
    expect(germany[0]!.attrs.fill).toBe(MAP_FILLS[4])
    expect(titleOf(germany[0]!)).toBe('Alemania: 7 firmas')
    expect(countries.filter((p) => p.attrs.class === 'packet-map-c0')).toHaveLength(shapeCount - 1)
    expect(doc.attrs.lang).toBe('es')
    expect(doc.attrs['aria-labelledby']).toBe('packet-map-title')
    // The scale up to the largest count, darkest first, then "none yet".
    expect(all(doc, 'text').map((t) => decode(t.text))).toEqual(['Firmas', '7', '5–6', '3–4', '2', '1', 'aún ninguna'])
  })

  it('renders for 190 countries: a shape or a dot for each that has one, in the class its count gives', () => {
    const next = random(17)
    const codes = [...COUNTRY_CODES].sort(() => next() - 0.5).slice(0, 190)
    const counts: CountryCount[] = codes.map((country) => ({ country, confirmed: 1 + Math.floor(next() ** 3 * 50_000) }))
    const max = Math.max(...counts.map((c) => c.confirmed))
    const svg = renderCountryMap({ counts, lang: 'de', title: 'Unterschriften nach Land' })
    const doc = checkCommon(svg)
    const drawn = new Map<string, Element>()
    for (const el of [...all(doc, 'path'), ...all(doc, 'circle')]) {
      if (!el.attrs.class || el.attrs.class === 'map-c0') continue
      drawn.set(titleOf(el).split(':')[0]!, el)
    }
    const names = new Intl.DisplayNames(['de'], { type: 'region' })
    const withPlace = counts.filter((c) => c.country in COUNTRY_SHAPES || c.country in COUNTRY_DOTS)
    expect(drawn.size).toBe(withPlace.length)
    expect(all(doc, 'circle')).toHaveLength(counts.filter((c) => !(c.country in COUNTRY_SHAPES) && c.country in COUNTRY_DOTS).length)
    for (const { country, confirmed } of withPlace) {
      const el = drawn.get(names.of(country)!)
      expect(el, country).toBeDefined()
      const cls = mapClass(confirmed, max)
      expect(el!.attrs.class).toBe(`map-c${cls}`)
      expect(el!.attrs.fill).toBe(MAP_FILLS[cls - 1])
      expect(titleOf(el!)).toBe(`${names.of(country)}: ${new Intl.NumberFormat('de').format(confirmed)} ${confirmed === 1 ? 'Unterschrift' : 'Unterschriften'}`)
    }
    // The largest count is in the darkest class, and the legend shows each class a count can fall in.
    expect(counts.some((c) => mapClass(c.confirmed, max) === 5)).toBe(true)
    const legend = all(doc, 'rect').filter((r) => r.attrs.class?.startsWith('map-c'))
    expect(legend.map((r) => r.attrs.class)).toEqual([...mapClassRanges(max).map((r) => `map-c${r.cls}`).reverse(), 'map-c0'])
  })

  it('escapes the title and the names (Bosnia & Herzegovina) and ignores codes it does not know', () => {
    const svg = renderCountryMap({
      counts: [
        { country: 'BA', confirmed: 3 },
        { country: 'XX', confirmed: 900 },
        { country: 'de', confirmed: 900 },
        { country: '<script>', confirmed: 900 },
      ],
      lang: 'en',
      title: 'Free <Andry> & "friends"',
      idPrefix: 'x"y',
    })
    const doc = checkCommon(svg)
    expect(svg).toContain('Free &lt;Andry&gt; &amp; &quot;friends&quot;')
    expect(svg).toContain('Bosnia &amp; Herzegovina: 3 signatures')
    expect(svg).not.toContain('<script')
    // Unknown codes count for nothing: Bosnia holds the largest count, so the darkest class.
    const bosnia = all(doc, 'path').find((p) => titleOf(p).startsWith('Bosnia & Herzegovina'))
    expect(bosnia!.attrs.class).toBe('x&quot;y-c5')
  })
})

describe('the XML reader used above', () => {
  it('refuses what an XML parser refuses, so a pass means something', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow()
    expect(() => parseXml('<svg a=1/>')).toThrow()
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow()
    expect(() => parseXml('<svg>Bosnia & Herzegovina</svg>')).toThrow()
    expect(() => parseXml('<svg><title>a < b</title></svg>')).toThrow()
    expect(parseXml('<svg a="&amp;"><g/></svg>').children).toHaveLength(1)
  })
})

describe('the classes', () => {
  it('puts every count from 1 to the largest in exactly one legend range, the one mapClass gives', () => {
    for (const max of [1, 2, 3, 7, 10, 16, 81, 100, 999, 1000, 12_345, 1_000_000]) {
      const ranges = mapClassRanges(max)
      expect(ranges[0]!.from).toBe(1)
      expect(ranges.at(-1)!.to).toBe(max)
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.to + 1)
      const step = Math.max(1, Math.floor(max / 5000))
      for (let c = 1; c <= max; c += step) {
        const range = ranges.find((r) => r.from <= c && c <= r.to)!
        expect(range.cls, `${c} of ${max}`).toBe(mapClass(c, max))
      }
      expect(mapClass(max, max)).toBe(5)
    }
  })
})

describe('the generated outlines', () => {
  it('stays small: the committed file is under 120 KB, and every key is a country Vigil knows', () => {
    const bytes = fs.statSync(path.join(ROOT, 'app/utils/world-map-paths.server.ts')).size
    expect(bytes).toBeLessThan(120 * 1024)
    const known = new Set<string>(COUNTRY_CODES)
    expect([...Object.keys(COUNTRY_SHAPES), ...Object.keys(COUNTRY_DOTS)].filter((code) => !known.has(code))).toEqual([])
    // 170-odd outlines and 60-odd dots: well over 190 countries can be drawn.
    expect(shapeCount + Object.keys(COUNTRY_DOTS).length).toBeGreaterThan(220)
    expect(Object.keys(COUNTRY_SHAPES).filter((code) => code in COUNTRY_DOTS)).toEqual([])
  })
})
