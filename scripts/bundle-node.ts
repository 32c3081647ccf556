/**
 * After `remix vite:build`: the web server, the worker and the seed as one plain JavaScript
 * file each (build/node/), so `npm start` and `npm run worker` start without a TypeScript
 * loader. tsx's loader hooks sit on every module the process loads, node_modules included,
 * and doubled the time to listen (ADR 020). Packages stay in node_modules (not bundled).
 *
 * Each source file's `import.meta.url` is rewritten to its own place in the repository, so
 * the paths it finds from there (migrations, the build, fonts, `createRequire`) are the ones
 * it finds when run from source.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { NODE_BUNDLE_DIR, NODE_BUNDLES } from './node-bundles.ts'

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)))

function sourceUrls(outDir: string): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(on) {
      on.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
        const text = await fs.promises.readFile(args.path, 'utf8')
        const relative = path.relative(outDir, args.path).split(path.sep).join('/')
        return {
          contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`),
          loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts',
        }
      })
    },
  }
}

export async function bundleNode(root = ROOT) {
  const started = Date.now()
  const outDir = path.join(root, NODE_BUNDLE_DIR)
  fs.rmSync(outDir, { recursive: true, force: true })
  await Promise.all(
    Object.entries(NODE_BUNDLES).map(([entry, out]) =>
      build({
        absWorkingDir: root,
        entryPoints: [path.join(root, entry)],
        outfile: path.join(root, out),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        jsx: 'automatic',
        sourcemap: 'linked',
        logLevel: 'warning',
        plugins: [sourceUrls(outDir)],
        // A bundled entry is always the main module (scripts/seed/seed.ts asks).
        define: { 'process.env.VIGIL_BUNDLED_ENTRY': JSON.stringify(entry) },
      }),
    ),
  )
  return Date.now() - started
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ms = await bundleNode()
  console.log(`bundle-node: ${Object.values(NODE_BUNDLES).join(', ')} in ${ms} ms`)
}
