/**
 * npm run images:demo: the AVIF and WebP variants of the images shipped in public/ (the demo
 * campaign's), written beside them to be committed, so a phone downloads a few kB instead of
 * the 295 kB PNG. Run it again after changing one of those images or the widths.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeOriginal, encodeVariant, STATIC_IMAGES, variantWidths } from '../app/utils/image-variants.server.ts'

const publicDir = path.resolve(fileURLToPath(new URL('../public', import.meta.url)))

for (const [imagePath, { width }] of Object.entries(STATIC_IMAGES)) {
  const original = path.join(publicDir, imagePath)
  const pixels = await decodeOriginal(fs.readFileSync(original))
  const stem = original.replace(/\.\w+$/, '')
  for (const w of variantWidths(width)) {
    for (const ext of ['avif', 'webp'] as const) {
      const target = `${stem}.w${w}.${ext}`
      fs.writeFileSync(target, await encodeVariant(pixels, w, ext, 'offline'))
      console.log(`images:demo: ${path.relative(publicDir, target)} ${(fs.statSync(target).size / 1024).toFixed(1)} kB`)
    }
  }
}
