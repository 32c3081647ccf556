// The font parser satori itself uses (a dependency of satori, pinned to the same version): only
// what share cards need to measure a title the way satori will lay it out.
declare module '@shuding/opentype.js' {
  export type Glyph = { advanceWidth?: number }
  export type Font = {
    unitsPerEm: number
    charToGlyphIndex(char: string): number
    charToGlyph(char: string): Glyph
    getKerningValue(left: Glyph, right: Glyph): number
  }
  const opentype: { parse(buffer: ArrayBuffer): Font }
  export default opentype
}
