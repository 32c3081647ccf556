import type Sharp from 'sharp'

let loading: Promise<typeof Sharp> | undefined

/** libvips, loaded on the first use rather than in every process that imports the models. */
export function loadSharp() {
  loading ??= import('sharp').then(({ default: sharp }) => {
    // libvips reads dozens of formats (SVG, PDF, TIFF, HEIF, …); uploaded bytes reach only these three decoders.
    sharp.block({ operation: ['VipsForeignLoad'] })
    sharp.unblock({ operation: ['VipsForeignLoadJpegBuffer', 'VipsForeignLoadPngBuffer', 'VipsForeignLoadWebpBuffer'] })
    // Each image is decoded once or twice: caching decoded images would only hold memory.
    sharp.cache(false)
    return sharp
  })
  return loading
}
