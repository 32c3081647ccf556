/** WCAG 2 contrast between two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string) {
  const [la, lb] = [luminance(a), luminance(b)]
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

function luminance(hex: string) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
  const [r, g, b] = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

export const HEX_COLOR = /^#[0-9a-f]{6}$/i
/** The page background (app.css --paper): the accent is also the colour of links on it. */
export const PAGE_BACKGROUND = '#fbfaf7'
/** WCAG 2 AA for body text. */
export const AA_CONTRAST = 4.5

/** The accent's contrast with white text on it and with the page behind it (as link colour); AA needs both. */
export function accentContrast(color: string) {
  return { onWhite: contrastRatio(color, '#ffffff'), onPage: contrastRatio(color, PAGE_BACKGROUND) }
}
