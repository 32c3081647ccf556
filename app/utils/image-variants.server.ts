/**
 * AVIF and WebP variants of campaign and update images at the widths the layout uses, beside
 * the stored JPEG or PNG (which stays the fallback, and what emails and link previews use):
 * `campaign-3-<token>.jpg` gets `campaign-3-<token>.w480.avif`, `….w480.webp`, … up to 1600 px,
 * never wider than the original. They are made from the stored file, which is already a clean
 * re-encoding (uploads.server.ts), and carry no metadata (sharp writes none unless asked).
 *
 * Each file is written under a dot-name (which /media refuses to serve) and renamed into place,
 * so a half-written variant is never served; a page only names the variants once all of them
 * exist. New uploads get theirs before the upload is answered; uploads from before get theirs
 * from the backfill at start, or on the first page that shows them.
 */
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { randomToken } from './crypto.server.ts'
import { getEnv } from './config.server.ts'
import type { ImageSet } from './image-set.ts'
import { loadSharp } from './sharp.server.ts'

/** The widths srcset offers: a phone (1x to 3x), a tablet, a desktop at 1x and 2x. */
export const VARIANT_WIDTHS = [480, 800, 1200, 1600] as const

/** The widths made for an original `width` pixels wide: the standard ones below it, and its own when that is not above 1600. */
export function variantWidths(width: number) {
  const below = VARIANT_WIDTHS.filter((w) => w < width)
  return width <= 1600 ? [...below, width] : below
}

const FORMATS = [
  { ext: 'avif', type: 'image/avif' },
  { ext: 'webp', type: 'image/webp' },
] as const
type Format = (typeof FORMATS)[number]['ext']

/**
 * Encoder settings. For uploads, AVIF at effort 2: about a tenth of the time of the default
 * (effort 4 took 12 s for one 1600 px photo on a shared two-core machine, effort 2 under one)
 * at nearly the same size. The demo's image is encoded once, offline, as hard as AVIF goes.
 */
const ENCODERS = {
  upload: { avif: { quality: 50, effort: 2 }, webp: { quality: 75, effort: 4 } },
  offline: { avif: { quality: 60, effort: 9 }, webp: { quality: 80, effort: 6 } },
} as const

/** Images shipped in public/ (the demo's): their variants are committed, made by `npm run images:demo`. */
export const STATIC_IMAGES: Record<string, { width: number; height: number }> = {
  '/images/free-andry-vigil.png': { width: 1200, height: 630 },
}

// Campaign and update images; the logo is shown a few dozen pixels tall and gets none.
// .webp: files stored before uploads were re-encoded.
const ORIGINAL = /^((?:campaign|update)-\d+-[\w-]+)\.(?:jpg|png|webp)$/

const variantPath = (stem: string, width: number, ext: Format) => `${stem}.w${width}.${ext}`

/** The pixels of `bytes` (a JPEG, PNG or WebP), decoded once for all its variants. */
export async function decodeOriginal(bytes: Uint8Array) {
  const sharp = await loadSharp()
  const { data, info } = await sharp(bytes, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true })
  return { data, raw: { width: info.width, height: info.height, channels: info.channels } }
}

/** One variant of the decoded original, `width` pixels wide. */
export async function encodeVariant(original: Awaited<ReturnType<typeof decodeOriginal>>, width: number, ext: Format, encoder: keyof typeof ENCODERS = 'upload') {
  const sharp = await loadSharp()
  const resized = sharp(original.data, { raw: original.raw }).resize({ width, withoutEnlargement: true })
  return ext === 'avif' ? resized.avif(ENCODERS[encoder].avif).toBuffer() : resized.webp(ENCODERS[encoder].webp).toBuffer()
}

function setOf(src: string, stemUrl: string, size: { width: number; height: number }): ImageSet {
  const widths = variantWidths(size.width)
  return {
    src,
    ...size,
    sources: FORMATS.map(({ ext, type }) => ({ type, srcSet: widths.map((w) => `${variantPath(stemUrl, w, ext)} ${w}w`).join(', ') })),
  }
}

type State = {
  /** Uploads whose variants all exist, by public path. */
  complete: Map<string, ImageSet>
  /** The size of each original looked at, by file name. */
  sizes: Map<string, { width: number; height: number }>
  /** One variant job at a time: AVIF encoding uses every core, and the machine also serves pages. */
  queue: Promise<unknown>
  inFlight: Map<string, Promise<number>>
  /** Uploads whose variants could not be made: pages do not retry them until the next start. */
  failed: Set<string>
}

declare global {
  // One state per process: server/index.ts (the backfill) and the Remix build each load this module.
  var __vigilImageVariants: State | undefined
}

globalThis.__vigilImageVariants ??= { complete: new Map(), sizes: new Map(), queue: Promise.resolve(), inFlight: new Map(), failed: new Set() }
const state = globalThis.__vigilImageVariants
const { complete, sizes, inFlight, failed } = state

async function sizeOf(name: string) {
  const known = sizes.get(name)
  if (known) return known
  try {
    const sharp = await loadSharp()
    const { width, height } = await sharp(await fs.readFile(path.join(getEnv().uploadsPath, name))).metadata()
    if (!width || !height) return null
    sizes.set(name, { width, height })
    return { width, height }
  } catch {
    return null
  }
}

/**
 * What a page needs to show an image: the fallback with its size, and the variants once they
 * all exist. For an upload whose variants are missing, starts making them (unless `generate`
 * is false) without waiting: this page gets the fallback, a later one the variants.
 */
export async function describeImage(imagePath: string, { generate = true } = {}): Promise<ImageSet> {
  const known = complete.get(imagePath)
  if (known) return known
  const shipped = STATIC_IMAGES[imagePath]
  if (shipped) return setOf(imagePath, imagePath.replace(/\.\w+$/, ''), shipped)
  const name = /^\/media\/([^/]+)$/.exec(imagePath)?.[1]
  const stem = name ? ORIGINAL.exec(name)?.[1] : undefined
  if (!name || !stem) return { src: imagePath, sources: [] }
  const size = await sizeOf(name)
  if (!size) return { src: imagePath, sources: [] }
  const dir = getEnv().uploadsPath
  const ready = variantWidths(size.width).every((w) => FORMATS.every(({ ext }) => existsSync(path.join(dir, variantPath(stem, w, ext)))))
  if (ready) {
    const set = setOf(imagePath, `/media/${stem}`, size)
    complete.set(imagePath, set)
    return set
  }
  if (generate && !failed.has(name)) {
    ensureImageVariants(name).catch((error: unknown) => {
      failed.add(name)
      console.error(`vigil: could not make the variants of ${name}`, error instanceof Error ? error.message : error)
    })
  }
  return { src: imagePath, ...size, sources: [] }
}

/** Make the variants of the stored upload `name` that are missing; resolves to how many were written. */
export function ensureImageVariants(name: string): Promise<number> {
  let job = inFlight.get(name)
  if (!job) {
    job = state.queue.then(() => makeVariants(name)).finally(() => inFlight.delete(name))
    state.queue = job.catch(() => undefined)
    inFlight.set(name, job)
  }
  return job
}

async function makeVariants(name: string) {
  const stem = ORIGINAL.exec(name)?.[1]
  if (!stem) return 0
  const dir = getEnv().uploadsPath
  let bytes: Buffer
  try {
    bytes = await fs.readFile(path.join(dir, name))
  } catch {
    return 0 // removed before its turn came
  }
  const sharp = await loadSharp()
  const { width, height } = await sharp(bytes).metadata()
  if (!width || !height) return 0
  sizes.set(name, { width, height })
  let original: Awaited<ReturnType<typeof decodeOriginal>> | undefined
  let written = 0
  for (const w of variantWidths(width)) {
    for (const { ext } of FORMATS) {
      const target = path.join(dir, variantPath(stem, w, ext))
      if (existsSync(target)) continue
      original ??= await decodeOriginal(bytes)
      const temporary = path.join(dir, `.${variantPath(stem, w, ext)}.${randomToken(6)}.tmp`)
      try {
        await fs.writeFile(temporary, await encodeVariant(original, w, ext), { flag: 'wx' })
        await fs.rename(temporary, target)
      } finally {
        await fs.rm(temporary, { force: true })
      }
      written++
    }
  }
  complete.set(`/media/${name}`, setOf(`/media/${name}`, `/media/${stem}`, { width, height }))
  return written
}

/** Delete the variants of the upload `name` (its original is already deleted), after any job making them. */
export async function removeImageVariants(name: string) {
  const stem = ORIGINAL.exec(name)?.[1]
  if (!stem) return
  await inFlight.get(name)?.catch(() => undefined)
  complete.delete(`/media/${name}`)
  sizes.delete(name)
  const dir = getEnv().uploadsPath
  const files = await fs.readdir(dir).catch(() => [] as string[])
  const mine = files.filter((file) => file.startsWith(`${stem}.w`) || file.startsWith(`.${stem}.w`))
  await Promise.all(mine.map((file) => fs.rm(path.join(dir, file), { force: true })))
}

/**
 * Make the missing variants of every stored upload (those from before variants, and any a
 * crash interrupted), one at a time; resolves to how many files were written. Temporary files
 * older than a minute are a crash's leftovers and go.
 */
export async function backfillImageVariants() {
  const dir = getEnv().uploadsPath
  const files = await fs.readdir(dir).catch(() => [] as string[])
  for (const file of files.filter((f) => f.startsWith('.') && f.endsWith('.tmp'))) {
    const stat = await fs.stat(path.join(dir, file)).catch(() => null)
    if (stat && stat.mtimeMs < Date.now() - 60_000) await fs.rm(path.join(dir, file), { force: true })
  }
  let written = 0
  for (const file of files.filter((f) => ORIGINAL.test(f))) {
    try {
      written += await ensureImageVariants(file)
    } catch (error) {
      console.error(`vigil: could not make the variants of ${file}`, error instanceof Error ? error.message : error)
    }
  }
  return written
}

/** The backfill, in the background shortly after the server starts. */
export function startImageBackfill() {
  setTimeout(() => {
    void backfillImageVariants().then((written) => {
      if (written > 0) console.log(`vigil: made ${written} image variants for earlier uploads`)
    })
  }, 1000).unref()
}
