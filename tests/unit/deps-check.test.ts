import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkDependencies } from '../../scripts/deps-check.ts'
import { ROOT } from '../helpers/server.ts'

const integrity = 'sha512-ulkCYfFbYj01ie1MDOyxv2F6SpRN1TOj7fQxbP07D6HmeR+gr2JLSmINKjga2emB+b1L2KGrFKBTc+e00p54nw=='
const pkg = { dependencies: { zod: '^3.25.76' }, allowScripts: { esbuild: true } }
const lock = (packages: Record<string, object>) => ({
  lockfileVersion: 3,
  packages: { '': { dependencies: { zod: '^3.25.76' } }, 'node_modules/zod': { version: '3.25.76', integrity }, ...packages },
})

describe('the offline dependency check', () => {
  it('passes the project’s own lockfile', () => {
    const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as object
    expect(checkDependencies(read('package.json'), read('package-lock.json'))).toEqual([])
  })

  it('passes registry packages with integrity, and install scripts that are allowed', () => {
    expect(
      checkDependencies(pkg, lock({ 'node_modules/tsx/node_modules/esbuild': { version: '0.25.0', resolved: 'https://registry.npmjs.org/esbuild/-/esbuild-0.25.0.tgz', integrity, hasInstallScript: true } })),
    ).toEqual([])
  })

  it.each([
    ['a git dependency', { 'node_modules/x': { version: '1.0.0', resolved: 'git+ssh://git@github.com/a/x.git#0abc', integrity } }, /resolved from git\+ssh/],
    ['another registry', { 'node_modules/x': { version: '1.0.0', resolved: 'https://npm.evil.example/x/-/x-1.0.0.tgz', integrity } }, /not https:\/\/registry\.npmjs\.org/],
    ['a plain-http tarball', { 'node_modules/x': { version: '1.0.0', resolved: 'http://registry.npmjs.org/x/-/x-1.0.0.tgz', integrity } }, /resolved from http:/],
    ['a linked folder', { 'node_modules/x': { resolved: '../x', link: true } }, /a link/],
    ['a file dependency', { 'node_modules/x': { version: 'file:../x.tgz', integrity } }, /not a registry version/],
    ['no integrity hash', { 'node_modules/x': { version: '1.0.0' } }, /no sha512 integrity/],
    ['an install script not allowed', { 'node_modules/x': { version: '1.0.0', integrity, hasInstallScript: true } }, /"x" is not in package.json's allowScripts/],
  ])('flags %s', (_name, packages, message) => {
    expect(checkDependencies(pkg, lock(packages)).join('\n')).toMatch(message)
  })

  it('flags a lockfile out of step with package.json', () => {
    const changed = { dependencies: { zod: '^4.0.0', 'left-pad': '1.3.0' } }
    const problems = checkDependencies(changed, lock({})).join('\n')
    expect(problems).toMatch(/zod is "\^4\.0\.0" in package.json but "\^3\.25\.76" in the lockfile/)
    expect(problems).toMatch(/left-pad is "1\.3\.0" in package.json but "absent"/)
  })

  it('flags git and file specs in package.json', () => {
    const problems = checkDependencies({ dependencies: { zod: 'github:colinhacks/zod', x: 'file:../x' } }, lock({})).join('\n')
    expect(problems).toMatch(/zod is "github:colinhacks\/zod", not a registry version/)
    expect(problems).toMatch(/x is "file:..\/x", not a registry version/)
  })
})
