import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { IMAGE_SIZES, ResponsiveImage } from '~/components/responsive-image.tsx'
import type { ImageSet } from '~/utils/image-set.ts'

const image: ImageSet = {
  src: '/media/campaign-1-abc.jpg',
  width: 2400,
  height: 1260,
  sources: [
    { type: 'image/avif', srcSet: '/media/campaign-1-abc.w480.avif 480w, /media/campaign-1-abc.w800.avif 800w' },
    { type: 'image/webp', srcSet: '/media/campaign-1-abc.w480.webp 480w, /media/campaign-1-abc.w800.webp 800w' },
  ],
}

const html = (element: React.ReactElement) => renderToStaticMarkup(element)

describe('ResponsiveImage', () => {
  it('gives the hero a picture with AVIF then WebP sources, the JPEG fallback with its size, and high priority', () => {
    const out = html(<ResponsiveImage image={image} alt="Andry" lang="es" layout="hero" priority className="campaign__image" />)
    expect(out).toBe(
      '<picture>' +
        `<source type="image/avif" srcSet="/media/campaign-1-abc.w480.avif 480w, /media/campaign-1-abc.w800.avif 800w" sizes="${IMAGE_SIZES.hero}"/>` +
        `<source type="image/webp" srcSet="/media/campaign-1-abc.w480.webp 480w, /media/campaign-1-abc.w800.webp 800w" sizes="${IMAGE_SIZES.hero}"/>` +
        '<img class="campaign__image" src="/media/campaign-1-abc.jpg" alt="Andry" lang="es" width="2400" height="1260" fetchpriority="high"/>' +
        '</picture>',
    )
    expect(out).not.toContain('loading=')
  })

  it('loads images below the fold lazily and decodes them off the main thread', () => {
    const out = html(<ResponsiveImage image={image} alt="" layout="timeline" className="timeline__image" />)
    expect(out).toContain(`sizes="${IMAGE_SIZES.timeline}"`)
    expect(out).toContain('loading="lazy"')
    expect(out).toContain('decoding="async"')
    expect(out).not.toContain('fetchpriority')
  })

  it('falls back to the plain image (with its size when known) while variants are not made yet', () => {
    expect(html(<ResponsiveImage image={{ src: '/media/update-2-x.png', width: 640, height: 480, sources: [] }} alt="Chart" layout="card" />)).toBe(
      '<img src="/media/update-2-x.png" alt="Chart" width="640" height="480" loading="lazy" decoding="async"/>',
    )
    expect(html(<ResponsiveImage image={{ src: '/media/gone.jpg', sources: [] }} alt="" layout="card" />)).toBe(
      '<img src="/media/gone.jpg" alt="" loading="lazy" decoding="async"/>',
    )
  })

  it('has sizes that match the CSS layout at 390 px and at 1280 px', () => {
    // The hero spans the viewport; cards fill the .wrap (1.25rem padding, max 72rem) in columns of at least 20rem, less a
    // 1 px border each side; the
    // timeline shares the .wrap with the 22rem forms column from 60rem on, indented by 30 px.
    const width = (sizes: string, viewport: number) => {
      for (const part of sizes.split(', ')) {
        const m = /^(?:\(min-width: (\d+)px\) )?(.+)$/.exec(part)!
        if (m[1] && viewport < Number(m[1])) continue
        const value = m[2]!.replace(/^calc\((.+)\)$/, '$1').replace(/(\d+)vw/g, (_, n: string) => String((Number(n) / 100) * viewport)).replace(/px/g, '')
        return Function(`return ${value}`)() as number
      }
      throw new Error('no size')
    }
    expect(width(IMAGE_SIZES.hero, 390)).toBe(390)
    expect(width(IMAGE_SIZES.hero, 1280)).toBe(1280)
    expect(width(IMAGE_SIZES.card, 390)).toBe(348)
    expect(width(IMAGE_SIZES.card, 1280)).toBe(353)
    expect(width(IMAGE_SIZES.timeline, 390)).toBe(320)
    expect(width(IMAGE_SIZES.timeline, 1280)).toBe(706)
  })
})
