/** Source entry → its bundle (scripts/bundle-node.ts), relative to the repository. */
export const NODE_BUNDLE_DIR = 'build/node'

// The server, the worker, and every command an operator runs on an installed Vigil (npm run …).
export const NODE_BUNDLES: Record<string, string> = {
  'server/index.ts': `${NODE_BUNDLE_DIR}/server.js`,
  'scripts/worker.ts': `${NODE_BUNDLE_DIR}/worker.js`,
  'scripts/seed/seed.ts': `${NODE_BUNDLE_DIR}/seed.js`,
  ...Object.fromEntries(
    ['migrate', 'organizer-create', 'organizer-reset-2fa', 'recount', 'retention', 'keys-rotate', 'demo-remove', 'backup', 'db-copy', 'verify-count-log'].map(
      (name) => [`scripts/${name}.ts`, `${NODE_BUNDLE_DIR}/${name}.js`],
    ),
  ),
}

/** Node's arguments to run a project entry: its bundle where there is one, else the source through tsx. */
export function entryArgs(script: string) {
  const bundle = NODE_BUNDLES[script]
  return bundle ? [bundle] : ['--import', 'tsx', script]
}
