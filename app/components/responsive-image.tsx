import type { ImageSet } from '~/utils/image-set.ts'

/**
 * The width each layout gives the image, as app.css lays it out (root font 16 px): the hero
 * spans the viewport; home cards fill the .wrap (max 72rem, 1.25rem padding each side) in
 * columns of at least 20rem with 1.5rem gaps (two from 704 px, three from 1048 px), inside the
 * card's 1 px border; a timeline image fills its column (which shares the .wrap with the 22rem
 * forms from 60rem on) less the timeline's indent of 30 px. tests/e2e/responsive-images.test.ts measures them at 390 and 1280 px.
 */
export const IMAGE_SIZES = {
  hero: '100vw',
  card: '(min-width: 1048px) 353px, (min-width: 704px) calc(50vw - 34px), calc(100vw - 42px)',
  timeline: '(min-width: 1152px) 706px, (min-width: 960px) calc(100vw - 446px), calc(100vw - 70px)',
} as const

type Props = {
  image: ImageSet
  alt: string
  lang?: string
  layout: keyof typeof IMAGE_SIZES
  /** The largest thing in the first screen: fetched first, never lazily. */
  priority?: boolean
  className?: string
}

export function ResponsiveImage({ image, alt, lang, layout, priority = false, className }: Props) {
  // React 18 knows no fetchPriority prop; the lowercase attribute passes through as it is.
  const loading = priority ? { fetchpriority: 'high' } : { loading: 'lazy' as const, decoding: 'async' as const }
  const img = <img className={className} src={image.src} alt={alt} lang={lang} width={image.width} height={image.height} {...loading} />
  if (image.sources.length === 0) return img
  return (
    <picture>
      {image.sources.map((source) => (
        <source key={source.type} type={source.type} srcSet={source.srcSet} sizes={IMAGE_SIZES[layout]} />
      ))}
      {img}
    </picture>
  )
}
