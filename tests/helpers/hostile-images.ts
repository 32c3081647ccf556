import zlib from 'node:zlib'
/**
 * Real image files carrying what a phone or an editing tool leaves in them (EXIF with a GPS
 * position, XMP, C2PA manifests, a colour profile, a motion-photo video after the picture),
 * built with sharp and then spliced by hand the way cameras do it, plus checks that a file
 * carries none of that any more.
 */
import sharp from 'sharp'
import { expect } from 'vitest'

export const WIDTH = 64
export const HEIGHT = 48

const ascii = (text: string) => Buffer.from(text, 'latin1')

/** Raw RGB pixels: a red left half and a blue right half, so a mirrored or rotated copy is told apart. */
export function rawPixels(width = WIDTH, height = HEIGHT, channels: 3 | 4 = 3) {
  const pixels = Buffer.alloc(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * channels
      pixels.set(x < width / 2 ? [220, 30, 40] : [30, 40, 220], at)
      if (channels === 4) pixels[at + 3] = y < height / 2 ? 255 : 0
    }
  }
  return sharp(pixels, { raw: { width, height, channels } })
}

const GPS_EXIF = {
  IFD0: { Artist: 'SENTINEL-EXIF-ARTIST', Make: 'SENTINEL-CAMERA-MAKE' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 31/1 12/1', GPSLongitudeRef: 'E', GPSLongitude: '13/1 24/1 18/1' },
}
const XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="SENTINEL-XMP-CREATOR"/></rdf:RDF></x:xmpmeta>'

// ——— JPEG ———

/** The JPEG's segments up to the start of scan: marker, and where the whole segment starts and ends. */
function jpegHeaderSegments(bytes: Buffer) {
  const segments: { marker: number; start: number; end: number }[] = []
  let i = 2
  while (i < bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]!
    if (marker === 0xda) break
    const end = i + 2 + bytes.readUInt16BE(i + 2)
    segments.push({ marker, start: i, end })
    i = end
  }
  return segments
}

/** EXIF with a GPS position and XMP in APP1 segments, then a motion-photo MP4 and a Samsung trailer after the end marker. */
export async function jpegWithGpsAndTrailer() {
  const picture = await rawPixels().jpeg().withExif(GPS_EXIF).withXmp(XMP).toBuffer()
  const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), ascii('ftypmp42\0\0\0\0mp42isom'), ascii('SENTINEL-MOTION-PHOTO-VIDEO')])
  const samsung = Buffer.concat([ascii('SEFH'), ascii('SENTINEL-SAMSUNG-TRAILER'), ascii('SEFT')])
  return { file: Buffer.concat([picture, mp4, samsung]), sentinels: ['SENTINEL-EXIF-ARTIST', 'SENTINEL-CAMERA-MAKE', 'SENTINEL-XMP-CREATOR', 'SENTINEL-MOTION-PHOTO-VIDEO', 'SENTINEL-SAMSUNG-TRAILER', 'ftypmp42', 'SEFH'] }
}

/** A clean JPEG with an EXIF segment spliced in behind a fill byte (FF FF E1 …), which JPEG allows before any marker. */
export async function jpegWithExifAfterFillByte() {
  const withExif = await rawPixels().jpeg().withExif(GPS_EXIF).toBuffer()
  const app1 = jpegHeaderSegments(withExif).find((s) => s.marker === 0xe1)!
  const clean = await rawPixels().jpeg().toBuffer()
  const file = Buffer.concat([clean.subarray(0, 2), Buffer.from([0xff]), withExif.subarray(app1.start, app1.end), clean.subarray(2)])
  expect(file.subarray(2, 5)).toEqual(Buffer.from([0xff, 0xff, 0xe1]))
  return { file, sentinels: ['SENTINEL-EXIF-ARTIST', 'SENTINEL-CAMERA-MAKE'] }
}

/** EXIF orientation 6: the stored pixels are landscape, the picture is meant to be shown turned a quarter clockwise. */
export async function jpegTurnedByExif() {
  return rawPixels().jpeg().withMetadata({ orientation: 6 }).toBuffer()
}

/** A JPEG in Display P3 with its ICC profile. */
export async function jpegWithP3Profile() {
  return rawPixels().jpeg().withIccProfile('p3').toBuffer()
}

/**
 * The segments and markers of a JPEG from start to end, following entropy-coded data, and
 * where it ends; throws on anything that is not a well-formed JPEG.
 */
export function jpegMarkers(bytes: Buffer) {
  expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
  const markers: number[] = []
  let i = 2
  for (;;) {
    expect(bytes[i]).toBe(0xff)
    const marker = bytes[i + 1]!
    markers.push(marker)
    if (marker === 0xd9) return { markers, end: i + 2 }
    i += 2 + bytes.readUInt16BE(i + 2)
    if (marker === 0xda) {
      // Entropy-coded data: 0xFF is followed by 00 (a stuffed byte) or a restart marker.
      while (!(bytes[i] === 0xff && bytes[i + 1] !== 0x00 && !(bytes[i + 1]! >= 0xd0 && bytes[i + 1]! <= 0xd7))) i++
    }
  }
}

// ——— PNG ———

export function pngChunk(type: string, data: Buffer) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([ascii(type), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(zlib.crc32(body))
  return Buffer.concat([length, body, crc])
}

/** Every chunk of a PNG in order, and where the last one ends. */
export function pngChunks(bytes: Buffer) {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  const chunks: { type: string; data: Buffer }[] = []
  let i = 8
  while (i + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(i)
    const type = bytes.subarray(i + 4, i + 8).toString('latin1')
    chunks.push({ type, data: bytes.subarray(i + 8, i + 8 + length) })
    i += 12 + length
    if (type === 'IEND') break
  }
  return { chunks, end: i }
}

/** A 1200 dpi PNG with text and eXIf chunks before the image data, a C2PA manifest (caBX) before IEND, and bytes after IEND. */
export async function pngWithC2paAndTrailer({ alpha = false } = {}) {
  // A scanner's resolution too (pHYs), which could tell which device made it.
  const picture = await rawPixels(WIDTH, HEIGHT, alpha ? 4 : 3).png().withMetadata({ density: 1200 }).toBuffer()
  expect((await sharp(picture).metadata()).density).toBe(1200)
  const { chunks } = pngChunks(picture)
  const before = chunks.slice(0, -1).map((c) => pngChunk(c.type, c.data))
  const exif = await rawPixels().jpeg().withExif(GPS_EXIF).toBuffer()
  const app1 = jpegHeaderSegments(exif).find((s) => s.marker === 0xe1)!
  const file = Buffer.concat([
    picture.subarray(0, 8),
    before[0]!, // IHDR
    pngChunk('tEXt', ascii('Comment\0SENTINEL-PNG-TEXT')),
    pngChunk('eXIf', exif.subarray(app1.start + 10, app1.end)), // the TIFF structure after "Exif\0\0"
    ...before.slice(1),
    pngChunk('caBX', Buffer.concat([Buffer.from([0, 0, 0, 40]), ascii('jumbSENTINEL-PNG-C2PA-MANIFEST c2pa.signature')])),
    pngChunk('IEND', Buffer.alloc(0)),
    ascii('SENTINEL-AFTER-IEND'),
  ])
  return { file, sentinels: ['SENTINEL-PNG-TEXT', 'SENTINEL-EXIF-ARTIST', 'SENTINEL-PNG-C2PA-MANIFEST', 'SENTINEL-AFTER-IEND', 'caBX', 'c2pa', 'jumb'] }
}

/** A valid PNG whose header claims width × height (nothing else needs to be read to refuse it). */
export async function pngClaiming(width: number, height: number) {
  const { chunks } = pngChunks(await rawPixels(1, 1).png().toBuffer())
  const ihdr = Buffer.from(chunks[0]!.data)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks.map((c) => pngChunk(c.type, c.type === 'IHDR' ? ihdr : c.data))])
}

// ——— WebP ———

function riffChunk(type: string, data: Buffer) {
  const size = Buffer.alloc(4)
  size.writeUInt32LE(data.length)
  return Buffer.concat([ascii(type), size, data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)])
}

/** The chunks of a WebP (RIFF) file, and where the RIFF container ends. */
export function webpChunks(bytes: Buffer) {
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF')
  expect(bytes.subarray(8, 12).toString('latin1')).toBe('WEBP')
  const end = 8 + bytes.readUInt32LE(4)
  const chunks: { type: string; data: Buffer }[] = []
  for (let i = 12; i + 8 <= end; ) {
    const size = bytes.readUInt32LE(i + 4)
    chunks.push({ type: bytes.subarray(i, i + 4).toString('latin1'), data: bytes.subarray(i + 8, i + 8 + size) })
    i += 8 + size + (size % 2)
  }
  return { chunks, end }
}

/** EXIF (with GPS), XMP and a C2PA chunk, the VP8X flags saying so, and bytes after the RIFF container. */
export async function webpWithC2paExifXmp() {
  const picture = await rawPixels().webp().withExif(GPS_EXIF).toBuffer()
  const { chunks } = webpChunks(picture)
  expect(chunks[0]!.type).toBe('VP8X')
  const vp8x = Buffer.from(chunks[0]!.data)
  vp8x[0] = vp8x[0]! | 0x08 | 0x04 // EXIF and XMP present
  const body = Buffer.concat([
    ascii('WEBP'),
    riffChunk('VP8X', vp8x),
    ...chunks.slice(1).map((c) => riffChunk(c.type, c.data)),
    riffChunk('XMP ', ascii(XMP)),
    riffChunk('C2PA', Buffer.concat([Buffer.from([0, 0, 0, 40]), ascii('jumbSENTINEL-WEBP-C2PA-MANIFEST c2pa.signature')])),
  ])
  const size = Buffer.alloc(4)
  size.writeUInt32LE(body.length)
  const file = Buffer.concat([ascii('RIFF'), size, body, ascii('SENTINEL-AFTER-RIFF')])
  return { file, sentinels: ['SENTINEL-EXIF-ARTIST', 'SENTINEL-CAMERA-MAKE', 'SENTINEL-XMP-CREATOR', 'SENTINEL-WEBP-C2PA-MANIFEST', 'SENTINEL-AFTER-RIFF', 'C2PA', 'c2pa', 'jumb'] }
}

// ——— Checks ———

/** Sharp sees the metadata we put in (so a clean result means something). */
export async function expectMetadataIn(file: Buffer) {
  const meta = await sharp(file).metadata()
  expect(meta.exif ?? meta.xmp ?? meta.icc ?? meta.comments).toBeDefined()
}

/**
 * A published file: one well-formed JPEG or PNG ending where its container ends, with no
 * EXIF, XMP, IPTC, ICC profile, text or C2PA anywhere, and none of the sentinels.
 */
export async function expectClean(bytes: Buffer, sentinels: string[] = []) {
  const meta = await sharp(bytes).metadata()
  expect(meta.format === 'jpeg' || meta.format === 'png').toBe(true)
  expect({ exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc, icc: meta.icc, orientation: meta.orientation, comments: meta.comments, gainMap: meta.gainMap }).toEqual({
    exif: undefined,
    xmp: undefined,
    iptc: undefined,
    icc: undefined,
    orientation: undefined,
    comments: undefined,
    gainMap: undefined,
  })
  expect(meta.space).toBe('srgb')
  expect(meta.density ?? 72).toBe(72) // the default, whatever the upload said
  if (meta.format === 'jpeg') {
    const { markers, end } = jpegMarkers(bytes)
    expect(end).toBe(bytes.length)
    // Only JFIF (APP0), tables, frame and scans: no APP1–APP15 (EXIF, XMP, ICC, MPF, Adobe), no comments.
    expect(markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([])
  } else {
    const { chunks, end } = pngChunks(bytes)
    expect(end).toBe(bytes.length)
    expect(chunks.map((c) => c.type).filter((t) => !['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND', 'pHYs'].includes(t))).toEqual([])
  }
  for (const marker of ['Exif', 'http://ns.adobe.com/xap', 'adobe:ns:meta', 'ICC_PROFILE', ...sentinels]) {
    expect(bytes.includes(marker), `${marker} in the published file`).toBe(false)
  }
}

/** Mean colour of two halves of a picture (left and right, or top and bottom), as [red, green, blue]. */
export async function halfColours(bytes: Buffer, split: 'left-right' | 'top-bottom') {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const sums = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const half = split === 'left-right' ? Number(x >= info.width / 2) : Number(y >= info.height / 2)
      const at = (y * info.width + x) * info.channels
      for (let c = 0; c < 3; c++) sums[half]![c]! += data[at + c]!
      sums[half]![3]!++
    }
  }
  return sums.map(([r, g, b, n]) => [r! / n!, g! / n!, b! / n!])
}

/** The first half red, the second blue, as rawPixels() drew them (give or take compression). */
export async function expectRedThenBlue(bytes: Buffer, split: 'left-right' | 'top-bottom' = 'left-right') {
  const [first, second] = await halfColours(bytes, split)
  expect(first![0]! - first![2]!).toBeGreaterThan(100)
  expect(second![2]! - second![0]!).toBeGreaterThan(100)
}
