/**
 * After `remix vite:build`: a brotli (.br) and a gzip (.gz) copy beside every text asset of
 * the client build, at the highest levels (done once per build, so the server never
 * compresses a script or stylesheet per request; server/static-assets.ts serves them).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import zlib from 'node:zlib'

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)

export const PRECOMPRESSED = /\.(js|mjs|css|svg|json|txt|html|xml|map)$/

export async function precompress(dir: string) {
  let before = 0
  let after = 0
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => PRECOMPRESSED.test(f))
  await Promise.all(
    files.map(async (file) => {
      const full = path.join(dir, file)
      const data = fs.readFileSync(full)
      const [br, gz] = await Promise.all([
        brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
        gzip(data, { level: 9 }),
      ])
      fs.writeFileSync(`${full}.br`, br)
      fs.writeFileSync(`${full}.gz`, gz)
      before += data.length
      after += br.length
    }),
  )
  return { files: files.length, before, after }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? 'build/client/assets')
  const { files, before, after } = await precompress(dir)
  console.log(`precompress: ${files} files in ${path.relative(process.cwd(), dir)}, ${(before / 1024).toFixed(0)} kB → ${(after / 1024).toFixed(0)} kB brotli (.br and .gz beside each)`)
}
