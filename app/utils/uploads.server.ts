/**
 * Uploaded images are decoded and encoded afresh with libvips (sharp), never copied: what a
 * camera or editor hides in a file (EXIF with a GPS position, XMP, C2PA manifests, a
 * motion-photo video or vendor trailer after the picture, gain maps) cannot survive, because
 * only the pixels are written out. The picture is turned upright by its EXIF orientation
 * first and converted to sRGB, so neither the orientation nor the colour profile is needed.
 *
 * A file's lifecycle: storeImage writes a new file under a random name; the model that
 * records it commits the change and then calls removeStoredImage for the file it replaced
 * (or for the new one, if the change did not commit). A crash in between leaves an
 * unreferenced file, never a row pointing at a missing one.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Metadata, OutputInfo } from 'sharp'
import { randomToken } from './crypto.server.ts'
import { getEnv } from './config.server.ts'
import { ensureImageVariants, removeImageVariants } from './image-variants.server.ts'
import { loadSharp } from './sharp.server.ts'

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
/** More than any phone's default photo; a decompression bomb claims far more. */
export const MAX_IMAGE_MEGAPIXELS = 50
/** The long edge of a published image: crisp on any screen the campaign page fills. */
export const MAX_IMAGE_EDGE = 2400

export type ImageRejection = 'missing' | 'type' | 'size' | 'pixels' | 'damaged'

export class ImageRejectedError extends Error {
  constructor(public reason: ImageRejection) {
    super(reason)
  }
}

/** The status a refused upload is answered with. */
export function imageRejectionStatus(reason: ImageRejection) {
  return reason === 'size' || reason === 'pixels' ? 413 : 400
}

/** What the refusal messages need to name the limits. */
export const IMAGE_LIMITS = { max: MAX_IMAGE_BYTES / 1024 / 1024, megapixels: MAX_IMAGE_MEGAPIXELS }

/**
 * The picture alone, as a JPEG, or as a PNG when it came as one (drawings, screenshots) or
 * has transparency. Not WebP: the images also go out in update emails and link previews,
 * where some readers (Outlook for Windows) still cannot show it.
 */
async function reencode(bytes: Uint8Array, maxEdge = MAX_IMAGE_EDGE) {
  const sharp = await loadSharp()
  // failOn 'warning' is sharp's advice for untrusted input: a truncated or corrupt file is refused, not half-decoded.
  const options = { limitInputPixels: MAX_IMAGE_MEGAPIXELS * 1_000_000, failOn: 'warning', autoOrient: true } as const
  let metadata: Metadata
  try {
    metadata = await sharp(bytes, options).metadata()
  } catch (error) {
    if (error instanceof Error && /pixel limit/.test(error.message)) throw new ImageRejectedError('pixels')
    throw new ImageRejectedError(/unsupported image format/.test(String(error)) ? 'type' : 'damaged')
  }
  if (!['jpeg', 'png', 'webp'].includes(metadata.format ?? '')) throw new ImageRejectedError('type')
  let decoded: { data: Buffer; info: OutputInfo }
  try {
    decoded = await sharp(bytes, options)
      .resize({ width: maxEdge, height: maxEdge, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
  } catch {
    // The header was readable, the pixel data is not (truncated or corrupt).
    throw new ImageRejectedError('damaged')
  }
  // Encoded from bare pixels, so nothing of the original (not even its resolution in dpi) can follow.
  const { width, height, channels } = decoded.info
  const pixels = sharp(decoded.data, { raw: { width, height, channels } })
  return metadata.format === 'png' || (metadata.format === 'webp' && channels === 4)
    ? { ext: 'png', data: await pixels.png({ compressionLevel: 9 }).toBuffer() }
    : { ext: 'jpg', data: await pixels.jpeg({ quality: 85, mozjpeg: true }).toBuffer() }
}

/** Validate, re-encode and store an uploaded image; returns the public path (/media/…). */
export async function storeCampaignImage(file: File | null | undefined, campaignId: number) {
  return storeImage(file, `campaign-${campaignId}`)
}

/** The same for a timeline entry's (an update's) image. */
export async function storeUpdateImage(file: File | null | undefined, updateId: number) {
  return storeImage(file, `update-${updateId}`)
}

/**
 * The team's logo (instance settings): the header shows it a few dozen pixels tall, so 512 px
 * is plenty, and it gets no AVIF/WebP variants (image-variants.server.ts makes them for
 * campaign and update images only).
 */
export async function storeLogo(file: File | null | undefined) {
  return storeImage(file, 'logo-1', 512)
}

async function storeImage(file: File | null | undefined, prefix: string, maxEdge = MAX_IMAGE_EDGE) {
  if (!file || file.size === 0) throw new ImageRejectedError('missing')
  if (file.size > MAX_IMAGE_BYTES) throw new ImageRejectedError('size')
  const image = await reencode(new Uint8Array(await file.arrayBuffer()), maxEdge)
  const dir = getEnv().uploadsPath
  await fs.mkdir(dir, { recursive: true })
  const name = `${prefix}-${randomToken(9)}.${image.ext}`
  await fs.writeFile(path.join(dir, name), image.data, { flag: 'wx' })
  // Before the row points at it, so the first page that shows it has its variants (about two
  // seconds for a 2400 px photo; pure noise, the worst case, took 8 s on a loaded two-core
  // machine). A failure leaves the JPEG or PNG alone, which pages fall back to.
  await ensureImageVariants(name).catch((error: unknown) => {
    console.error(`vigil: could not make the variants of ${name}`, error instanceof Error ? error.message : error)
  })
  return `/media/${name}`
}

/** A target's answer as a PDF, kept byte for byte (issue 17): a scanned letter runs to a few MB. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

export type DocumentRejection = ImageRejection | 'notPdf' | 'pdfTruncated'

export class DocumentRejectedError extends Error {
  constructor(public reason: DocumentRejection) {
    super(reason)
  }
}

export function documentRejectionStatus(reason: DocumentRejection) {
  return reason === 'size' || reason === 'pixels' ? 413 : 400
}

const PDF_MAGIC = Buffer.from('%PDF-')
const PDF_END = Buffer.from('%%EOF')

/**
 * The letter a target sent back: a picture of it goes through the re-encoding above, a PDF is
 * stored as uploaded (its metadata included: the admin form says so) once it starts like one
 * and ends like one. A file that calls itself a PDF must be one: PNG bytes or an HTML page
 * named `answer.pdf` are refused, not published as something else. /media serves a PDF only as
 * a download, under a sandbox (server/app.ts), so it never runs on our origin.
 */
export async function storeResponseDocument(file: File | null | undefined, campaignId: number): Promise<{ path: string; type: 'pdf' | 'image' }> {
  if (!file || file.size === 0) throw new DocumentRejectedError('missing')
  if (file.size > MAX_DOCUMENT_BYTES) throw new DocumentRejectedError('size')
  const bytes = Buffer.from(await file.arrayBuffer())
  const isPdf = bytes.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)
  const claimsPdf = /\.pdf$/i.test(file.name) || file.type === 'application/pdf'
  if (!isPdf) {
    if (claimsPdf) throw new DocumentRejectedError('notPdf')
    try {
      return { path: await storeImage(file, `response-${campaignId}`), type: 'image' }
    } catch (error) {
      if (error instanceof ImageRejectedError) throw new DocumentRejectedError(error.reason)
      throw error
    }
  }
  // A cut-off upload or a file glued together: the trailer's end marker is in the last kilobyte.
  if (!bytes.subarray(Math.max(0, bytes.length - 1024)).includes(PDF_END)) throw new DocumentRejectedError('pdfTruncated')
  const dir = getEnv().uploadsPath
  await fs.mkdir(dir, { recursive: true })
  const name = `response-${campaignId}-${randomToken(9)}.pdf`
  await fs.writeFile(path.join(dir, name), bytes, { flag: 'wx' })
  return { path: `/media/${name}`, type: 'pdf' }
}

/** A stored document's size in bytes, or null when it is not an upload or is gone. */
export async function storedDocumentBytes(documentPath: string) {
  const name = STORED_NAME.exec(documentPath)?.[1]
  if (!name) return null
  try {
    return (await fs.stat(path.join(getEnv().uploadsPath, name))).size
  } catch {
    return null
  }
}

// .webp: files stored before uploads were re-encoded. .pdf: a target's answer as received.
const STORED_NAME = /^\/media\/((?:campaign|update|logo|response)-\d+-[\w-]+\.(?:jpg|png|webp|pdf))$/

/**
 * Delete an uploaded file and its variants once no row points at it, so /media stops serving
 * them. Paths that
 * are not uploads (the demo's /images/…) are left alone; a failure is logged, not thrown,
 * because the change that made the file unused has already been committed.
 */
export async function removeStoredImage(imagePath: string | null | undefined) {
  const name = imagePath ? STORED_NAME.exec(imagePath)?.[1] : undefined
  if (!name) return
  try {
    await fs.rm(path.join(getEnv().uploadsPath, name), { force: true })
    // After the original: a variant job that has not read it yet then finds nothing to do.
    await removeImageVariants(name)
  } catch (error) {
    console.error(`vigil: could not delete the replaced upload ${name}`, error instanceof Error ? error.message : error)
  }
}
