import { describe, expect, it } from 'vitest'
import { embedSnippet, frameAncestors } from '../../app/utils/embed.ts'
import { normaliseOrigin, parseOriginList } from '../../app/utils/embed-origins.ts'

describe('allowed framing origins', () => {
  it('normalises an origin: lower case, Punycode, no default port, no trailing slash', () => {
    expect(normaliseOrigin('HTTPS://Magazin.Example.ORG/')).toEqual({ origin: 'https://magazin.example.org' })
    expect(normaliseOrigin('https://example.org:443')).toEqual({ origin: 'https://example.org' })
    expect(normaliseOrigin('https://example.org:8443')).toEqual({ origin: 'https://example.org:8443' })
    expect(normaliseOrigin('https://bücher.example')).toEqual({ origin: 'https://xn--bcher-kva.example' })
    expect(normaliseOrigin('  http://localhost:4000 ')).toEqual({ origin: 'http://localhost:4000' })
    expect(normaliseOrigin('http://127.0.0.1:8080')).toEqual({ origin: 'http://127.0.0.1:8080' })
  })

  it('refuses what is not an origin, saying why', () => {
    expect(normaliseOrigin('example.org')).toEqual({ problem: 'notOrigin' })
    expect(normaliseOrigin('http://example.org')).toEqual({ problem: 'scheme' })
    expect(normaliseOrigin('javascript://x')).toEqual({ problem: 'scheme' })
    expect(normaliseOrigin('https://example.org/blog')).toEqual({ problem: 'path' })
    expect(normaliseOrigin('https://example.org?x=1')).toEqual({ problem: 'path' })
    expect(normaliseOrigin('https://example.org#top')).toEqual({ problem: 'path' })
    expect(normaliseOrigin('https://user:pw@example.org')).toEqual({ problem: 'credentials' })
    expect(normaliseOrigin('https://*.example.org')).toEqual({ problem: 'wildcard' })
    expect(normaliseOrigin("https://example.org; script-src 'unsafe-inline'")).not.toHaveProperty('origin')
    expect(normaliseOrigin(`https://${'a'.repeat(300)}.org`)).toEqual({ problem: 'tooLong' })
  })

  it('reads a list line by line, numbering the bad lines and dropping duplicates', () => {
    const parsed = parseOriginList('https://a.example\n\nhttp://b.example\r\nhttps://A.example/\nhttps://c.example/x')
    expect(parsed.origins).toEqual(['https://a.example'])
    expect(parsed.errors).toEqual([
      { line: 3, value: 'http://b.example', problem: 'scheme' },
      { line: 5, value: 'https://c.example/x', problem: 'path' },
    ])
    expect(parsed.tooMany).toBe(false)
    expect(parseOriginList(Array.from({ length: 21 }, (_, i) => `https://s${i}.example`).join('\n')).tooMany).toBe(true)
  })

  it('builds frame-ancestors from the list: our own origin always, the listed sites after it', () => {
    expect(frameAncestors([])).toBe("frame-ancestors 'self'")
    expect(frameAncestors(['https://a.example', 'http://localhost:4000'])).toBe("frame-ancestors 'self' https://a.example http://localhost:4000")
  })

  it('writes a snippet with a title, lazy loading and the escaped embed URL', () => {
    const html = embedSnippet({ publicUrl: 'https://vigil.example', slug: 'free-andry', lang: 'de', panel: 'petition', title: 'Freiheit für "Andry" <jetzt>' })
    expect(html).toContain('src="https://vigil.example/embed/c/free-andry?lng=de"')
    expect(html).toContain('title="Freiheit für &quot;Andry&quot; &lt;jetzt&gt;"')
    expect(html).toContain('loading="lazy"')
    expect(embedSnippet({ publicUrl: 'https://vigil.example', slug: 'free-andry', lang: 'es', panel: 'donate', title: 'x' })).toContain('/embed/c/free-andry/donate?lng=es')
  })
})
