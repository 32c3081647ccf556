import { describe, expect, it } from 'vitest'
import { sniffImage, stripImageMetadata } from '~/services/uploads.server.ts'

const bytes = (...parts: (number[] | string | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))))
const u16 = (n: number) => [n >> 8, n & 0xff]
const segment = (marker: number, payload: Buffer) => bytes([0xff, marker], u16(payload.length + 2), payload)

function jpegWithExif() {
  return bytes(
    [0xff, 0xd8],
    segment(0xe0, bytes('JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0])),
    segment(0xe1, bytes('Exif\0\0', 'GPSLatitude 52.52 GPSLongitude 13.40')),
    segment(0xfe, bytes('shot by reporter X')),
    segment(0xdb, Buffer.alloc(65, 1)),
    [0xff, 0xda], u16(8), [1, 1, 0, 0, 0x3f, 0],
    Buffer.alloc(32, 0x55),
    [0xff, 0xd9],
  )
}

function pngChunk(type: string, data: Buffer) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  return bytes(length, type, data, [0, 0, 0, 0])
}

function riffChunk(type: string, data: Buffer) {
  const size = Buffer.alloc(4)
  size.writeUInt32LE(data.length)
  return bytes(type, size, data, data.length % 2 ? [0] : [])
}

describe('sniffImage', () => {
  it('recognises JPEG, PNG and WebP by their bytes, not their names', () => {
    expect(sniffImage(jpegWithExif())?.ext).toBe('jpg')
    expect(sniffImage(bytes([0x89], 'PNG\r\n\x1a\n', Buffer.alloc(8)))?.ext).toBe('png')
    expect(sniffImage(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))?.ext).toBe('webp')
  })

  it('refuses anything else, including SVG and HTML', () => {
    expect(sniffImage(bytes('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'))).toBeNull()
    expect(sniffImage(bytes('<!doctype html>'))).toBeNull()
    expect(sniffImage(bytes('GIF89a'))).toBeNull()
  })
})

describe('stripImageMetadata', () => {
  it('drops EXIF (with GPS) and comments from a JPEG and keeps the image data', () => {
    const input = jpegWithExif()
    const out = Buffer.from(stripImageMetadata(input, { ext: 'jpg', mime: 'image/jpeg' }))
    expect(out.includes('GPSLatitude')).toBe(false)
    expect(out.includes('reporter X')).toBe(false)
    expect(out.includes('JFIF')).toBe(true)
    expect(out.subarray(-34).equals(input.subarray(-34))).toBe(true)
  })

  it('drops text and EXIF chunks from a PNG', () => {
    const png = bytes(
      [0x89], 'PNG\r\n\x1a\n',
      pngChunk('IHDR', Buffer.alloc(13, 1)),
      pngChunk('tEXt', bytes('Author\0Jane Reporter')),
      pngChunk('eXIf', bytes('GPS 52.52')),
      pngChunk('IDAT', Buffer.alloc(20, 7)),
      pngChunk('IEND', Buffer.alloc(0)),
    )
    const out = Buffer.from(stripImageMetadata(png, { ext: 'png', mime: 'image/png' }))
    expect(out.includes('Jane Reporter')).toBe(false)
    expect(out.includes('GPS')).toBe(false)
    expect(out.includes('IDAT')).toBe(true)
    expect(out.includes('IEND')).toBe(true)
  })

  it('drops EXIF and XMP chunks from a WebP and fixes the RIFF size and flags', () => {
    const vp8x = Buffer.alloc(10)
    vp8x[0] = 0x0c // EXIF and XMP present
    const body = bytes(
      'WEBP',
      riffChunk('VP8X', vp8x),
      riffChunk('VP8L', Buffer.alloc(15, 3)),
      riffChunk('EXIF', bytes('GPS 52.52')),
      riffChunk('XMP ', bytes('<x:xmpmeta>creator</x:xmpmeta>')),
    )
    const size = Buffer.alloc(4)
    size.writeUInt32LE(body.length)
    const out = Buffer.from(stripImageMetadata(bytes('RIFF', size, body), { ext: 'webp', mime: 'image/webp' }))
    expect(out.includes('GPS')).toBe(false)
    expect(out.includes('creator')).toBe(false)
    expect(out.readUInt32LE(4)).toBe(out.length - 8)
    expect(out[20]! & 0x0c).toBe(0)
  })
})
