/** Source entry → its bundle (scripts/bundle-node.ts), relative to the repository. */
export const NODE_BUNDLE_DIR = 'build/node'

export const NODE_BUNDLES: Record<string, string> = {
  'server/index.ts': `${NODE_BUNDLE_DIR}/server.js`,
  'scripts/worker.ts': `${NODE_BUNDLE_DIR}/worker.js`,
  'scripts/seed/seed.ts': `${NODE_BUNDLE_DIR}/seed.js`,
}

/** Node's arguments to run a project entry: its bundle where there is one, else the source through tsx. */
export function entryArgs(script: string) {
  const bundle = NODE_BUNDLES[script]
  return bundle ? [bundle] : ['--import', 'tsx', script]
}
