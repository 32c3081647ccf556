import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { ImageRejectedError, removeStoredImage, storeCampaignImage, storeUpdateImage } from '~/utils/uploads.server.ts'
import {
  expectClean,
  expectMetadataIn,
  expectRedThenBlue,
  HEIGHT,
  jpegTurnedByExif,
  jpegWithExifAfterFillByte,
  jpegWithGpsAndTrailer,
  jpegWithP3Profile,
  pngClaiming,
  pngWithC2paAndTrailer,
  rawPixels,
  webpWithC2paExifXmp,
  WIDTH,
} from '../helpers/hostile-images.ts'

const uploadsDir = () => process.env.UPLOADS_PATH!
const storedFiles = () => (fs.existsSync(uploadsDir()) ? fs.readdirSync(uploadsDir()).sort() : [])

/** Store through the real upload path and read back exactly what /media would serve. */
async function publish(bytes: Buffer, name = 'upload.bin') {
  const publicPath = await storeCampaignImage(new File([new Uint8Array(bytes)], name), 1)
  expect(publicPath).toMatch(/^\/media\/campaign-1-[\w-]+\.(jpg|png)$/)
  const stored = fs.readFileSync(path.join(uploadsDir(), path.basename(publicPath)))
  expect(path.extname(publicPath)).toBe({ jpeg: '.jpg', png: '.png' }[(await sharp(stored).metadata()).format as string])
  return stored
}

async function refusal(bytes: Buffer | null) {
  const before = storedFiles()
  const error = await storeUpdateImage(bytes ? new File([new Uint8Array(bytes)], 'upload.bin') : null, 7).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ImageRejectedError)
  expect(storedFiles()).toEqual(before)
  return (error as ImageRejectedError).reason
}

describe('publishing an uploaded image', () => {
  it('drops EXIF with a GPS position, XMP, and a motion-photo video and Samsung trailer after the JPEG end marker', async () => {
    const { file, sentinels } = await jpegWithGpsAndTrailer()
    await expectMetadataIn(file)
    const stored = await publish(file, 'IMG_0001.JPG')
    await expectClean(stored, sentinels)
    expect(await sharp(stored).metadata()).toMatchObject({ format: 'jpeg', width: WIDTH, height: HEIGHT })
    await expectRedThenBlue(stored)
  })

  it('drops EXIF hidden behind a fill byte before its marker', async () => {
    const { file, sentinels } = await jpegWithExifAfterFillByte()
    await expectMetadataIn(file)
    const stored = await publish(file)
    await expectClean(stored, sentinels)
    expect(await sharp(stored).metadata()).toMatchObject({ width: WIDTH, height: HEIGHT })
  })

  it('drops a PNG C2PA manifest (caBX), text and eXIf chunks and the bytes after IEND', async () => {
    const { file, sentinels } = await pngWithC2paAndTrailer()
    await expectMetadataIn(file)
    const stored = await publish(file, 'screenshot.png')
    await expectClean(stored, sentinels)
    expect(await sharp(stored).metadata()).toMatchObject({ format: 'png', width: WIDTH, height: HEIGHT })
    await expectRedThenBlue(stored)
  })

  it('keeps a PNG transparent', async () => {
    const { file, sentinels } = await pngWithC2paAndTrailer({ alpha: true })
    const stored = await publish(file, 'logo.png')
    await expectClean(stored, sentinels)
    expect(await sharp(stored).metadata()).toMatchObject({ format: 'png', hasAlpha: true })
    const { data } = await sharp(stored).raw().toBuffer({ resolveWithObject: true })
    expect(data[3]).toBe(255) // top row opaque
    expect(data[data.length - 1]).toBe(0) // bottom row transparent
  })

  it('drops WebP C2PA, EXIF and XMP chunks and the bytes after the RIFF container, publishing a JPEG', async () => {
    const { file, sentinels } = await webpWithC2paExifXmp()
    await expectMetadataIn(file)
    const stored = await publish(file, 'photo.webp')
    await expectClean(stored, sentinels)
    expect(await sharp(stored).metadata()).toMatchObject({ format: 'jpeg', width: WIDTH, height: HEIGHT })
    await expectRedThenBlue(stored)
  })

  it('publishes a transparent WebP as a transparent PNG', async () => {
    const stored = await publish(await rawPixels(WIDTH, HEIGHT, 4).webp({ lossless: true }).toBuffer())
    await expectClean(stored)
    expect(await sharp(stored).metadata()).toMatchObject({ format: 'png', hasAlpha: true, width: WIDTH, height: HEIGHT })
  })

  it('turns the picture as its EXIF orientation says, then drops the orientation', async () => {
    const file = await jpegTurnedByExif()
    expect((await sharp(file).metadata()).orientation).toBe(6)
    const stored = await publish(file)
    await expectClean(stored)
    expect(await sharp(stored).metadata()).toMatchObject({ width: HEIGHT, height: WIDTH })
    await expectRedThenBlue(stored, 'top-bottom')
  })

  it('converts a wide-gamut picture to sRGB and drops its colour profile', async () => {
    const file = await jpegWithP3Profile()
    expect((await sharp(file).metadata()).icc).toBeDefined()
    const stored = await publish(file)
    await expectClean(stored)
    await expectRedThenBlue(stored)
  })

  it('scales a picture down to 2400 pixels on its long edge, and never up', async () => {
    const big = await publish(await rawPixels(3000, 1500).jpeg().toBuffer())
    expect(await sharp(big).metadata()).toMatchObject({ width: 2400, height: 1200 })
    const tall = await publish(await rawPixels(900, 3600).png().toBuffer())
    expect(await sharp(tall).metadata()).toMatchObject({ width: 600, height: 2400 })
    const small = await publish(await rawPixels(20, 10).png().toBuffer())
    expect(await sharp(small).metadata()).toMatchObject({ width: 20, height: 10 })
  })
})

describe('refusing an upload', () => {
  it('refuses files that are not JPEG, PNG or WebP, whatever they are called', async () => {
    expect(await refusal(Buffer.from('GPS is not a picture, this is plain text\n'))).toBe('type')
    expect(await refusal(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'))).toBe('type')
    expect(await refusal(Buffer.from('<!doctype html><title>x</title>'))).toBe('type')
    expect(await refusal(await rawPixels(8, 8).gif().toBuffer())).toBe('type')
    expect(await refusal(await rawPixels(8, 8).tiff().toBuffer())).toBe('type')
  })

  it('refuses truncated JPEG, PNG and WebP files as damaged', async () => {
    for (const file of [await rawPixels().jpeg().toBuffer(), await rawPixels().png().toBuffer(), await rawPixels().webp().toBuffer()]) {
      expect(await refusal(file.subarray(0, Math.floor(file.length * 0.6)))).toBe('damaged')
    }
  })

  it('refuses a picture of more than 50 megapixels before decoding it (a decompression bomb)', async () => {
    const bomb = await pngClaiming(10_000, 10_000)
    expect(bomb.length).toBeLessThan(200)
    expect(await refusal(bomb)).toBe('pixels')
  })

  it('refuses a file over 5 MB and an empty or missing file', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 1)
    ;(await rawPixels().png().toBuffer()).copy(big)
    expect(await refusal(big)).toBe('size')
    expect(await refusal(Buffer.alloc(0))).toBe('missing')
    expect(await refusal(null)).toBe('missing')
  })
})

describe('removing a stored image', () => {
  it('deletes an upload, and nothing that is not one', async () => {
    const stored = await storeCampaignImage(new File([new Uint8Array(await rawPixels().png().toBuffer())], 'a.png'), 2)
    const outside = path.join(uploadsDir(), '..', 'keep-me.txt')
    fs.writeFileSync(outside, 'not an upload')
    fs.writeFileSync(path.join(uploadsDir(), 'notes.txt'), 'not an upload either')
    for (const imagePath of ['/media/../keep-me.txt', '/media/notes.txt', '/images/free-andry-vigil.png', `${stored}/../../keep-me.txt`, '', null, undefined]) {
      await removeStoredImage(imagePath)
    }
    expect(fs.existsSync(outside)).toBe(true)
    expect(storedFiles()).toContain('notes.txt')
    expect(storedFiles()).toContain(path.basename(stored))
    await removeStoredImage(stored)
    expect(storedFiles()).not.toContain(path.basename(stored))
    await removeStoredImage(stored) // already gone: no error
  })
})
