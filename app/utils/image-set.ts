/** A published image and its AVIF/WebP variants (app/utils/image-variants.server.ts describes them). */
export type ImageSet = {
  /** The JPEG or PNG: the fallback, and what emails and link previews use. */
  src: string
  /** The fallback's size, so the page keeps its space before the image arrives (unknown only for a missing file). */
  width?: number
  height?: number
  /** Best first; empty until the variants exist. */
  sources: { type: 'image/avif' | 'image/webp'; srcSet: string }[]
}
