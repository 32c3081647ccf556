import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '~/utils/markdown.server.ts'

describe('renderMarkdown', () => {
  it('renders headings, emphasis and lists', () => {
    const html = renderMarkdown('## Home\n\nHe is **free**.\n\n- one\n- two')
    expect(html).toContain('<h2>Home</h2>')
    expect(html).toContain('<strong>free</strong>')
    expect(html).toContain('<li>one</li>')
  })

  it('removes scripts, event handlers and javascript: links', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src="/x.png" onerror="alert(1)">\n\n[click](javascript:alert(1))')
    expect(html).not.toMatch(/<script|onerror|javascript:/i)
  })

  it('keeps images from our own origin and drops images from other hosts', () => {
    const html = renderMarkdown('![a](/media/a.png) ![b](https://tracker.example/pixel.gif) ![c](//cdn.example/c.png)')
    expect(html).toContain('src="/media/a.png"')
    expect(html).not.toContain('tracker.example')
    expect(html).not.toContain('cdn.example')
  })

  it('marks outbound links so they pass no referrer and no ranking', () => {
    expect(renderMarkdown('[report](https://example.org/r)')).toContain('rel="noopener noreferrer nofollow"')
  })

  it('turns a top-level heading into a second-level one below the page title', () => {
    expect(renderMarkdown('# Big')).toBe('<h2>Big</h2>\n')
  })
})
