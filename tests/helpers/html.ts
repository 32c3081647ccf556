/** Small readers for server-rendered HTML in integration tests (no DOM needed). */
export function decodeEntities(text: string) {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** Visible text: tags removed and entities decoded. */
export function textOf(html: string) {
  return decodeEntities(html.replace(/<[^>]*>/g, ''))
}

export function tagsOf(html: string, name: string): string[] {
  return html.match(new RegExp(`<${name}\\b[^>]*>`, 'gi')) ?? []
}

export function attr(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)
  return match ? decodeEntities(match[1]!) : undefined
}

export function htmlLang(html: string) {
  return attr(tagsOf(html, 'html')[0] ?? '', 'lang')
}

export function h1Text(html: string) {
  const match = /<h1\b[^>]*>([\s\S]*?)<\/h1>/i.exec(html)
  return match ? textOf(match[1]!) : undefined
}
