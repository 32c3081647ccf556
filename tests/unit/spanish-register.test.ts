/**
 * Spanish speaks to one reader as "tú": no "vosotros" (Enviadme, vuestro, -ad
 * imperatives, -áis/-éis verbs) and no "usted" (Vuelva, inténtelo, Elija…) in any catalog.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/server.ts'

const DIR = path.join(ROOT, 'app/locales/es')

// Only pronouns and verb forms that belong to "vosotros" or "usted"; each was found in a catalog once.
const VOSOTROS = ['vosotros', 'vosotras', 'vuestro', 'vuestra', 'vuestros', 'vuestras', 'os', 'enviadme', 'enviad', 'firmad', 'confirmad', 'pulsad', 'haced', 'escribid', 'compartid', 'donad', 'volved', 'elegid', 'usad', 'abrid']
const USTED = ['usted', 'ustedes', 'vuelva', 'inténtelo', 'envíe', 'envíelo', 'elija', 'indique', 'publique', 'publíquela', 'déjela', 'abra', 'espere', 'acorte', 'use', 'pulse', 'haga', 'escriba', 'confirme', 'introduzca', 'compruebe', 'revise']
// -áis/-éis are vosotros present forms; "seis" and its compounds are numbers.
const VOSOTROS_ENDING = /(áis|éis)$/u
const NUMBERS = new Set(['seis', 'veintiséis'])

function strings(value: unknown, key = ''): { key: string; text: string }[] {
  if (typeof value === 'string') return [{ key, text: value }]
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, key ? `${key}.${k}` : k))
  return []
}

/** Every word of every Spanish string that speaks as vosotros or usted, with where it is. */
function formalOrPluralWords(catalog: unknown) {
  const found: string[] = []
  for (const { key, text } of strings(catalog)) {
    // Interpolations ({{count}}) are not Spanish words.
    for (const word of text.replace(/\{\{[^}]*\}\}/g, ' ').toLowerCase().match(/\p{L}+/gu) ?? []) {
      if (VOSOTROS.includes(word) || USTED.includes(word) || (VOSOTROS_ENDING.test(word) && !NUMBERS.has(word))) found.push(`${key}: ${word}`)
    }
  }
  return found
}

describe('the Spanish catalogs', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'))

  it('covers every Spanish catalog', () => {
    expect(files).toEqual(expect.arrayContaining(['common.json', 'emails.json']))
  })

  for (const file of files) {
    it(`speaks to the reader as "tú" in ${file}`, () => {
      expect(formalOrPluralWords(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')))).toEqual([])
    })
  }

  it('would notice the forms it looks for', () => {
    expect(formalOrPluralWords({ a: 'Enviadme novedades', b: { c: 'Vuelva atrás e inténtelo de nuevo.' }, d: 'Si firmáis hoy' })).toEqual([
      'a: enviadme',
      'b.c: vuelva',
      'b.c: inténtelo',
      'd: firmáis',
    ])
    expect(formalOrPluralWords({ a: 'Envíame novedades sobre {{count}} usos; seis países' })).toEqual([])
  })
})
