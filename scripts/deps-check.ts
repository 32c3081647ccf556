/**
 * Offline dependency check (`npm run deps:check`), from package.json and package-lock.json
 * alone, because `npm audit` needs the registry's advisory service (see the README's
 * "Dependencies" for running a real advisory check). It fails when:
 * - a package does not come from the public npm registry (a git, file, link, http or other
 *   registry's tarball), or has no sha512 integrity hash, so `npm ci` could not verify it;
 * - package.json asks for a git, file, link or URL dependency;
 * - a package runs install scripts without being listed in package.json's "allowScripts";
 * - the lockfile is out of step with package.json (a range added or changed without
 *   `npm install`, or a locked version outside its range).
 *
 * A lockfile written with npm's `omit-lockfile-registry-resolved` has no `resolved` fields:
 * such packages are fetched from the configured registry by name and version, and checked
 * against their integrity hash all the same.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const REGISTRY = 'https://registry.npmjs.org/'
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const

type LockEntry = {
  version?: string
  resolved?: string
  integrity?: string
  link?: boolean
  inBundle?: boolean
  hasInstallScript?: boolean
} & Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, string>>>
type Lockfile = { lockfileVersion?: number; packages?: Record<string, LockEntry> }
type PackageJson = Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, string>>> & { allowScripts?: Record<string, boolean> }

/** The installed name of a lockfile key: node_modules/a/node_modules/@s/b → @s/b. */
function nameOf(key: string) {
  return key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
}

/** Specs that do not name a registry version: git, GitHub shorthands, files, links, URLs, aliases to those. */
function isNonRegistrySpec(spec: string) {
  return /^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:|file:|link:|https?:|\.{0,2}\/|~\/)/.test(spec) || /^[\w.-]+\/[\w.-]+(?:#.*)?$/.test(spec)
}

export function checkDependencies(pkg: PackageJson, lock: Lockfile): string[] {
  const problems: string[] = []
  if ((lock.lockfileVersion ?? 0) < 2) problems.push(`package-lock.json is lockfileVersion ${lock.lockfileVersion}: regenerate it with npm 7 or later`)
  const packages = lock.packages ?? {}
  const root = packages[''] ?? {}

  for (const field of DEPENDENCY_FIELDS) {
    const wanted = pkg[field] ?? {}
    const locked = root[field] ?? {}
    for (const [name, spec] of Object.entries(wanted)) {
      if (isNonRegistrySpec(spec)) problems.push(`package.json ${field}: ${name} is "${spec}", not a registry version`)
      if (locked[name] !== spec) problems.push(`package-lock.json is out of date: ${field} ${name} is "${spec}" in package.json but "${locked[name] ?? 'absent'}" in the lockfile (run npm install)`)
    }
    for (const name of Object.keys(locked)) {
      if (!(name in wanted)) problems.push(`package-lock.json is out of date: ${field} ${name} is in the lockfile but not in package.json (run npm install)`)
    }
  }

  const allowed = new Set(Object.entries(pkg.allowScripts ?? {}).filter(([, on]) => on).map(([name]) => name))
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '') continue
    const name = nameOf(key)
    if (entry.link) {
      problems.push(`${key}: a link to ${entry.resolved ?? 'a folder'}, not a registry package`)
      continue
    }
    // Bundled packages come inside their parent's tarball, which is checked itself.
    if (entry.inBundle) continue
    if (entry.resolved !== undefined && !entry.resolved.startsWith(REGISTRY)) problems.push(`${key}: resolved from ${entry.resolved}, not ${REGISTRY}`)
    if (!entry.version || isNonRegistrySpec(entry.version)) problems.push(`${key}: version "${entry.version ?? ''}" is not a registry version`)
    if (!entry.integrity?.startsWith('sha512-')) problems.push(`${key}: no sha512 integrity hash`)
    if (entry.hasInstallScript && !allowed.has(name)) problems.push(`${key}: runs install scripts but "${name}" is not in package.json's allowScripts`)
  }
  return problems
}

/** npm's own reading of the lockfile against every range (offline): invalid or missing versions. */
function npmLsProblems(root: string): string[] {
  try {
    execFileSync('npm', ['ls', '--all', '--package-lock-only', '--offline', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
    return []
  } catch (error) {
    const stdout = String((error as { stdout?: Buffer }).stdout ?? '')
    try {
      const report = JSON.parse(stdout) as { problems?: string[]; error?: { summary?: string } }
      if (report.problems?.length) return report.problems.map((p) => `npm ls: ${p}`)
      if (report.error?.summary) return [`npm ls: ${report.error.summary}`]
    } catch {
      // Not JSON: report what npm said.
    }
    return [`npm ls --package-lock-only failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim().slice(0, 500)}`]
  }
}

function main() {
  const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile
  const problems = [...checkDependencies(pkg, lock), ...npmLsProblems(root)]
  const count = Object.keys(lock.packages ?? {}).length - 1
  if (problems.length > 0) {
    console.error(`deps:check: ${problems.length} problem(s) in ${count} locked packages:`)
    for (const problem of problems) console.error(`  ${problem}`)
    return 1
  }
  console.log(`deps:check: ${count} locked packages, all from ${REGISTRY} with sha512 integrity; install scripts only from ${Object.keys(pkg.allowScripts ?? {}).join(', ') || 'none'}; lockfile in step with package.json`)
  return 0
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main()
}
