import { Marked } from 'marked'
import sanitizeHtml from 'sanitize-html'

const marked = new Marked({ gfm: true, breaks: false, async: false })

const allowed: sanitizeHtml.IOptions = {
  allowedTags: [
    'h2', 'h3', 'h4', 'p', 'br', 'hr', 'blockquote', 'ul', 'ol', 'li', 'strong', 'em', 'del',
    'code', 'pre', 'a', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  allowedAttributes: { a: ['href', 'title', 'rel'], img: ['src', 'alt', 'title'], th: ['align'], td: ['align'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  // Images only from our own origin: no third-party requests from public pages.
  allowedSchemesByTag: { img: [] },
  allowProtocolRelative: false,
  transformTags: {
    // Headings inside a story sit below the page title.
    h1: 'h2',
    a: (tagName, attribs) => ({
      tagName,
      attribs: /^https?:/i.test(attribs.href ?? '')
        ? { ...attribs, rel: 'noopener noreferrer nofollow' }
        : attribs,
    }),
  },
  allowedClasses: {},
}

// Stories change rarely and are read often: remember the last renders.
const memo = new Map<string, string>()
const MEMO_SIZE = 200

/** Markdown to HTML that is safe to inject: parsed by marked, then sanitised. */
export function renderMarkdown(markdown: string): string {
  const hit = memo.get(markdown)
  if (hit !== undefined) return hit
  const html = sanitizeHtml(marked.parse(markdown) as string, allowed)
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!)
  memo.set(markdown, html)
  return html
}
