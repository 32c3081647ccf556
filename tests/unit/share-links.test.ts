import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { mastodonInstance, shareLinks, shareUrl, SHARE_NETWORKS } from '~/utils/share-links.ts'
import { BUILT_IN_SOURCES, isBuiltInSource, sourceShape } from '~/utils/sources.ts'
import { ROOT } from '../helpers/server.ts'

// Every character that breaks a hand-built URL: umlauts, ñ, &, #, +, %, a quote, emoji and a line break.
const TEXTS = {
  en: 'Free Andry & his sources #FreeAndry 100% — “now” 🕯️',
  de: 'Freiheit für Andry: Grüße & Unterstützung #FreeAndry ✊🏽',
  es: 'Libertad para Andry, niño de Peñalolén & #LibertadAndry +1 🇻🇪\nFirma ya',
}
const URL_BASE = 'https://vigil.example/c/free-andry'

/** The one query parameter of `href` named `name`, as a browser would decode it. */
function param(href: string, name: string) {
  return new URL(href).searchParams.get(name)
}

describe('share links', () => {
  for (const [lang, text] of Object.entries(TEXTS)) {
    describe(`in ${lang}`, () => {
      const links = shareLinks({ url: URL_BASE, title: `Title ${lang} & ñ #1`, text })
      const href = (network: string) => links.find((l) => l.network === network)!.href

      it('builds every network with the campaign URL carrying its own source tag', () => {
        expect(links.map((l) => l.network)).toEqual([...SHARE_NETWORKS])
        expect(shareUrl(URL_BASE, 'wa')).toBe(`${URL_BASE}?s=wa`)
      })

      it('encodes the text so each network gets it back exactly (no raw &, #, space or non-ASCII)', () => {
        for (const link of links) {
          expect(link.href, link.network).toMatch(/^[\x21-\x7e]+$/)
          expect(link.href.split('#').length, link.network).toBe(1)
        }
        expect(param(href('wa'), 'text')).toBe(`${text} ${URL_BASE}?s=wa`)
        expect(param(href('tg'), 'url')).toBe(`${URL_BASE}?s=tg`)
        expect(param(href('tg'), 'text')).toBe(text)
        expect(param(href('bsky'), 'text')).toBe(`${text} ${URL_BASE}?s=bsky`)
        expect(param(href('x'), 'text')).toBe(text)
        expect(param(href('x'), 'url')).toBe(`${URL_BASE}?s=x`)
        expect(param(href('fb'), 'u')).toBe(`${URL_BASE}?s=fb`)
        expect(param(href('li'), 'url')).toBe(`${URL_BASE}?s=li`)
      })

      it('writes mailto links as RFC 6068 asks (%20 for spaces, CRLF line breaks)', () => {
        const mail = href('mail')
        expect(mail.startsWith('mailto:?subject=')).toBe(true)
        expect(mail).not.toContain('+')
        const query = new URLSearchParams(mail.slice('mailto:?'.length))
        expect(query.get('subject')).toBe(`Title ${lang} & ñ #1`)
        expect(query.get('body')).toBe(`${text.replaceAll('\n', '\r\n')}\r\n\r\n${URL_BASE}?s=mail`)
      })

      it('sends Mastodon to the instance’s own share page', () => {
        const masto = shareLinks({ url: URL_BASE, title: 't', text, mastodon: 'mastodon.social' }).find((l) => l.network === 'masto')!.href
        expect(masto.startsWith('https://mastodon.social/share?text=')).toBe(true)
        expect(param(masto, 'text')).toBe(`${text} ${URL_BASE}?s=masto`)
      })
    })
  }

  it('keeps an existing query string and replaces an old tag', () => {
    expect(shareUrl(`${URL_BASE}?s=copy`, 'wa')).toBe(`${URL_BASE}?s=wa`)
    expect(shareUrl(`${URL_BASE}?lng=de`, 'tg')).toBe(`${URL_BASE}?lng=de&s=tg`)
  })
})

describe('mastodonInstance', () => {
  it('accepts a host as people type it', () => {
    expect(mastodonInstance('mastodon.social')).toBe('mastodon.social')
    expect(mastodonInstance('  Mastodon.Social/ ')).toBe('mastodon.social')
    expect(mastodonInstance('https://chaos.social/')).toBe('chaos.social')
    expect(mastodonInstance('@maria@troet.cafe')).toBe('troet.cafe')
    expect(mastodonInstance('mastodón.example')).toBe('xn--mastodn-q0a.example')
  })
  it('refuses anything that is not a public host name', () => {
    for (const bad of [
      '',
      'localhost',
      '127.0.0.1',
      '[::1]',
      'javascript:alert(1)',
      'evil.example/phish?x=',
      'evil.example:8080',
      'user:pass@evil.example',
      'https://evil.example/path',
      '//evil.example',
      'evil..example',
      '-evil.example',
      'a'.repeat(300) + '.example',
      'evil.example\r\nSet-Cookie: x',
      'data:text/html,hi',
    ]) {
      expect(mastodonInstance(bad), bad).toBeNull()
    }
  })
})

describe('source tags', () => {
  it('has exactly the built-in tags the other parts use', () => {
    expect([...BUILT_IN_SOURCES]).toEqual(['wa', 'tg', 'sig', 'bsky', 'masto', 'x', 'fb', 'li', 'mail', 'copy', 'share', 'poster', 'flyer', 'qr', 'embed'])
    expect(isBuiltInSource('wa')).toBe(true)
    expect(isBuiltInSource('newsletter-dec')).toBe(false)
  })
  it('takes a well-formed tag and ignores anything else', () => {
    expect(sourceShape('newsletter-dec')).toBe('newsletter-dec')
    for (const bad of [null, undefined, '', '<script>', 'x'.repeat(500), 'Newsletter', '-x', 'a b', 'ä', 'a'.repeat(33), ['wa']]) {
      expect(sourceShape(bad), String(bad)).toBeNull()
    }
  })
})

describe('share text catalogs', () => {
  it('has a default share text with the title in every language', () => {
    for (const lang of ['en', 'de', 'es']) {
      const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, `app/locales/${lang}/common.json`), 'utf8')) as { share?: { defaultText?: string } }
      expect(catalog.share?.defaultText, lang).toContain('{{title}}')
    }
  })
})
