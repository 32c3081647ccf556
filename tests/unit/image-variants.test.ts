/**
 * AVIF and WebP variants of published images at the widths the layout uses: made from the
 * stored (already re-encoded) file, never wider than it, without metadata, written under a
 * temporary name and renamed, and deleted with the image.
 */
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  backfillImageVariants,
  describeImage,
  STATIC_IMAGES,
  variantWidths,
} from '~/utils/image-variants.server.ts'
import { ImageRejectedError, removeStoredImage, storeCampaignImage, storeUpdateImage } from '~/utils/uploads.server.ts'
import { jpegWithGpsAndTrailer, pngClaiming, rawPixels } from '../helpers/hostile-images.ts'

const uploadsDir = () => process.env.UPLOADS_PATH!
const storedFiles = () => (fs.existsSync(uploadsDir()) ? fs.readdirSync(uploadsDir()).sort() : [])
const stem = (imagePath: string) => path.basename(imagePath).replace(/\.\w+$/, '')
const variantsOf = (imagePath: string) => storedFiles().filter((name) => name.startsWith(`${stem(imagePath)}.w`))

/**
 * sharp's metadata, with the AVIF decoder allowed for the call: the upload code blocks every
 * decoder but JPEG, PNG and WebP in this process (sharp.block is global).
 */
async function inspect(bytes: Buffer) {
  sharp.unblock({ operation: ['VipsForeignLoadHeifBuffer'] })
  try {
    return await sharp(bytes).metadata()
  } finally {
    sharp.block({ operation: ['VipsForeignLoadHeifBuffer'] })
  }
}

async function store(bytes: Buffer, campaignId = 1) {
  return storeCampaignImage(new File([new Uint8Array(bytes)], 'photo.jpg'), campaignId)
}

describe('variant widths', () => {
  it('are 480, 800, 1200 and 1600, and the original’s own width when it is narrower, never wider', () => {
    expect(variantWidths(2400)).toEqual([480, 800, 1200, 1600])
    expect(variantWidths(1600)).toEqual([480, 800, 1200, 1600])
    expect(variantWidths(1000)).toEqual([480, 800, 1000])
    expect(variantWidths(480)).toEqual([480])
    expect(variantWidths(64)).toEqual([64])
  })
})

describe('an upload’s variants', () => {
  it('are AVIF and WebP at each width, no wider than the original, with the original’s proportions and no metadata', async () => {
    const { file, sentinels } = await jpegWithGpsAndTrailer()
    // A large photo with the hostile metadata: the variants are made from the stored, clean file.
    const big = await sharp(file).resize(2000, 1000, { fit: 'fill' }).withExif({ IFD0: { Artist: 'SENTINEL-EXIF-ARTIST' } }).jpeg().toBuffer()
    const imagePath = await store(big)
    const s = stem(imagePath)
    expect(variantsOf(imagePath)).toEqual(
      [480, 800, 1200, 1600].flatMap((w) => [`${s}.w${w}.avif`, `${s}.w${w}.webp`]).sort(),
    )
    for (const name of variantsOf(imagePath)) {
      const bytes = fs.readFileSync(path.join(uploadsDir(), name))
      const meta = await inspect(bytes)
      const width = Number(/\.w(\d+)\./.exec(name)![1])
      expect(meta.format).toBe(name.endsWith('.avif') ? 'heif' : 'webp')
      if (name.endsWith('.avif')) expect(meta.compression).toBe('av1')
      expect({ width: meta.width, height: meta.height }).toEqual({ width, height: width / 2 })
      expect({ exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc, icc: meta.icc, orientation: meta.orientation }).toEqual({
        exif: undefined,
        xmp: undefined,
        iptc: undefined,
        icc: undefined,
        orientation: undefined,
      })
      for (const marker of ['Exif', 'http://ns.adobe.com/xap', ...sentinels]) expect(bytes.includes(marker), `${marker} in ${name}`).toBe(false)
    }
    // No temporary file is left behind (and none is ever under a name /media would serve).
    expect(storedFiles().filter((n) => n.startsWith('.'))).toEqual([])
  })

  it('has just the original’s width for a small picture', async () => {
    const imagePath = await store(await rawPixels(300, 200).jpeg().toBuffer())
    expect(variantsOf(imagePath)).toEqual([`${stem(imagePath)}.w300.avif`, `${stem(imagePath)}.w300.webp`])
  })

  it('are described for the page: the fallback with its size, and an AVIF and a WebP srcset', async () => {
    const imagePath = await store(await rawPixels(1000, 500).jpeg().toBuffer())
    const s = stem(imagePath)
    expect(await describeImage(imagePath)).toEqual({
      src: imagePath,
      width: 1000,
      height: 500,
      sources: [
        { type: 'image/avif', srcSet: `/media/${s}.w480.avif 480w, /media/${s}.w800.avif 800w, /media/${s}.w1000.avif 1000w` },
        { type: 'image/webp', srcSet: `/media/${s}.w480.webp 480w, /media/${s}.w800.webp 800w, /media/${s}.w1000.webp 1000w` },
      ],
    })
  })

  it('are not made for the team’s logo, which the header shows a few dozen pixels tall', async () => {
    const { storeLogo } = await import('~/utils/uploads.server.ts')
    const logo = await storeLogo(new File([new Uint8Array(await rawPixels(400, 100).png().toBuffer())], 'logo.png'))
    expect(variantsOf(logo)).toEqual([])
    await removeStoredImage(logo)
  })

  it('go with the image when it is removed', async () => {
    const imagePath = await store(await rawPixels(900, 600).jpeg().toBuffer())
    expect(variantsOf(imagePath)).toHaveLength(6)
    await removeStoredImage(imagePath)
    expect(storedFiles().filter((n) => n.startsWith(stem(imagePath)))).toEqual([])
    expect(await describeImage(imagePath)).toEqual({ src: imagePath, sources: [] })
  })

  it('are never made for a refused upload', async () => {
    const before = storedFiles()
    for (const bytes of [await pngClaiming(10_000, 10_000), (await rawPixels(900, 600).jpeg().toBuffer()).subarray(0, 500)]) {
      const error = await storeUpdateImage(new File([new Uint8Array(bytes)], 'x.png'), 3).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ImageRejectedError)
    }
    expect(storedFiles()).toEqual(before)
  })
})

describe('uploads from before variants', () => {
  it('get them from the backfill at start, and only the missing ones', async () => {
    // An upload stored by an earlier version: the re-encoded JPEG alone.
    const name = 'update-42-olduploadtoken1.jpg'
    fs.mkdirSync(uploadsDir(), { recursive: true })
    await rawPixels(1300, 650).jpeg().toFile(path.join(uploadsDir(), name))
    const half = 'campaign-43-halfdonetoken.png'
    await rawPixels(500, 250).png().toFile(path.join(uploadsDir(), half))
    await rawPixels(480, 240).avif().toFile(path.join(uploadsDir(), 'campaign-43-halfdonetoken.w480.avif'))
    const before = fs.statSync(path.join(uploadsDir(), 'campaign-43-halfdonetoken.w480.avif')).mtimeMs

    // Not yet: the page gets the original with its size, and no sources.
    expect(await describeImage(`/media/${name}`, { generate: false })).toEqual({ src: `/media/${name}`, width: 1300, height: 650, sources: [] })

    await backfillImageVariants()
    expect(variantsOf(`/media/${name}`)).toEqual(['update-42-olduploadtoken1.w1200.avif', 'update-42-olduploadtoken1.w1200.webp', 'update-42-olduploadtoken1.w1300.avif', 'update-42-olduploadtoken1.w1300.webp', 'update-42-olduploadtoken1.w480.avif', 'update-42-olduploadtoken1.w480.webp', 'update-42-olduploadtoken1.w800.avif', 'update-42-olduploadtoken1.w800.webp'].sort())
    expect(variantsOf(`/media/${half}`)).toHaveLength(4)
    expect(fs.statSync(path.join(uploadsDir(), 'campaign-43-halfdonetoken.w480.avif')).mtimeMs).toBe(before)
    expect((await describeImage(`/media/${name}`)).sources.map((s) => s.type)).toEqual(['image/avif', 'image/webp'])
    expect(await backfillImageVariants()).toBe(0) // nothing left to do
  })

  it('get them on first use when the backfill has not reached them yet', async () => {
    const name = 'campaign-44-lazyuploadtok.jpg'
    await rawPixels(600, 300).jpeg().toFile(path.join(uploadsDir(), name))
    const first = await describeImage(`/media/${name}`)
    expect(first).toMatchObject({ width: 600, height: 300 })
    // The first page is not held up; the variants follow and are described once complete.
    await expect.poll(() => variantsOf(`/media/${name}`).length, { timeout: 10_000 }).toBe(4)
    await expect.poll(async () => (await describeImage(`/media/${name}`)).sources.length, { timeout: 10_000 }).toBe(2)
  })
})

describe('the demo’s own image', () => {
  it('has committed AVIF and WebP variants (npm run images:demo) no larger than a phone needs', async () => {
    for (const [imagePath, size] of Object.entries(STATIC_IMAGES)) {
      const original = path.join('public', imagePath)
      expect(await inspect(fs.readFileSync(original))).toMatchObject(size)
      const described = await describeImage(imagePath)
      expect(described).toMatchObject({ src: imagePath, ...size })
      expect(described.sources.map((s) => s.type)).toEqual(['image/avif', 'image/webp'])
      for (const source of described.sources) {
        for (const candidate of source.srcSet.split(', ')) {
          const [url, w] = candidate.split(' ')
          const bytes = fs.readFileSync(path.join('public', url!))
          expect((await inspect(bytes)).width).toBe(parseInt(w!, 10))
          // The PNG is 295 kB; what a phone downloads instead is a few kB.
          expect(bytes.length).toBeLessThan(40_000)
        }
      }
    }
  })
})
