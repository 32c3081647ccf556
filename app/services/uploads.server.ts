import fs from 'node:fs/promises'
import path from 'node:path'
import { randomToken } from './crypto.server.ts'
import { getEnv } from './env.server.ts'

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024

type ImageType = { ext: 'jpg' | 'png' | 'webp'; mime: string }

/** Trust the bytes, not the file name or the browser's claimed type. */
export function sniffImage(bytes: Uint8Array): ImageType | null {
  const b = bytes
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { ext: 'jpg', mime: 'image/jpeg' }
  if (b.length > 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v)) {
    return { ext: 'png', mime: 'image/png' }
  }
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to))
  if (b.length > 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { ext: 'webp', mime: 'image/webp' }
  return null
}

/**
 * Remove metadata that can locate or identify a photographer (EXIF GPS, camera serials,
 * XMP) before an image is published. JPEG: drop APP1–APP15 and COM segments; PNG: drop
 * text and eXIf chunks; WebP: drop EXIF and XMP chunks.
 */
export function stripImageMetadata(bytes: Uint8Array, type: ImageType): Uint8Array {
  if (type.ext === 'jpg') return stripJpeg(bytes)
  if (type.ext === 'png') return stripChunks(bytes, 8, 'png')
  return stripChunks(bytes, 12, 'webp')
}

function stripJpeg(b: Uint8Array) {
  const out: Uint8Array[] = [b.subarray(0, 2)]
  let i = 2
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!
    if (marker === 0xda) break // start of scan: the rest is image data
    const length = (b[i + 2]! << 8) | b[i + 3]!
    const end = i + 2 + length
    const isMetadata = (marker >= 0xe1 && marker <= 0xef) || marker === 0xfe
    if (!isMetadata) out.push(b.subarray(i, end))
    i = end
  }
  out.push(b.subarray(i))
  return Buffer.concat(out)
}

function stripChunks(b: Uint8Array, headerLength: number, kind: 'png' | 'webp') {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const drop = kind === 'png' ? new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']) : new Set(['EXIF', 'XMP '])
  const out: Uint8Array[] = [b.subarray(0, headerLength)]
  let i = headerLength
  while (i + 8 <= b.length) {
    const typeAt = kind === 'png' ? i + 4 : i
    const type = String.fromCharCode(...b.subarray(typeAt, typeAt + 4))
    const size = kind === 'png' ? view.getUint32(i) : view.getUint32(i + 4, true)
    const total = kind === 'png' ? 12 + size : 8 + size + (size % 2)
    if (!drop.has(type)) out.push(b.subarray(i, i + total))
    i += total
  }
  const result = Buffer.concat(out)
  // The RIFF header's size and the VP8X flags must describe what is left.
  if (kind === 'webp') {
    result.writeUInt32LE(result.length - 8, 4)
    if (String.fromCharCode(...result.subarray(12, 16)) === 'VP8X') result[20] = result[20]! & ~0x0c
  }
  return result
}

export class ImageRejectedError extends Error {
  constructor(public reason: 'type' | 'size' | 'missing') {
    super(reason)
  }
}

/** Validate, clean and store an uploaded image; returns the public path (/media/…). */
export async function storeCampaignImage(file: File | null | undefined, campaignId: number) {
  return storeImage(file, `campaign-${campaignId}`)
}

/** The same for a timeline entry's (an update's) image. */
export async function storeUpdateImage(file: File | null | undefined, updateId: number) {
  return storeImage(file, `update-${updateId}`)
}

async function storeImage(file: File | null | undefined, prefix: string) {
  if (!file || file.size === 0) throw new ImageRejectedError('missing')
  if (file.size > MAX_IMAGE_BYTES) throw new ImageRejectedError('size')
  const bytes = new Uint8Array(await file.arrayBuffer())
  const type = sniffImage(bytes)
  if (!type) throw new ImageRejectedError('type')
  const cleaned = stripImageMetadata(bytes, type)
  const dir = getEnv().uploadsPath
  await fs.mkdir(dir, { recursive: true })
  const name = `${prefix}-${randomToken(9)}.${type.ext}`
  await fs.writeFile(path.join(dir, name), cleaned)
  return `/media/${name}`
}
