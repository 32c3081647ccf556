// sqlite-only: which scripts a page names is a property of the build, not of the engine.
/**
 * What a public page makes a phone download before it can paint. The scripts a
 * page names (module preloads and its entry) carry no Zod and no schemas: the forms' Zod
 * validation is fetched after hydration (app/utils/lazy-validation.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, startServer, type RunningServer } from '../helpers/server.ts'

const PAGES = ['/', '/c/free-andry', '/c/free-andry/donate', '/thanks/free-andry', '/embed/c/free-andry']

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ env: { VIGIL_QUIET_LOG: '1' } })
})

afterAll(async () => {
  await server?.stop()
})

/** The scripts the page names: module preloads, module scripts and the dynamic import of its entry. */
function scriptsOf(html: string) {
  const found = new Set<string>()
  for (const [, href] of html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)) found.add(href!)
  for (const [, src] of html.matchAll(/import\("([^"]+\.js)"\)/g)) found.add(src!)
  return [...found]
}

describe('the scripts a public page loads first', () => {
  it('hold no Zod (the validation arrives after hydration) and weigh less than they did', async () => {
    for (const page of PAGES) {
      const html = await (await fetch(`${server.url}${page}`)).text()
      const scripts = scriptsOf(html)
      expect(scripts.length, page).toBeGreaterThan(3)
      let brotli = 0
      for (const src of scripts) {
        const file = path.join(ROOT, 'build/client', src)
        const code = fs.readFileSync(file, 'utf8')
        expect(code, `${page}: ${src}`).not.toMatch(/ZodError|ZodObject/)
        brotli += fs.statSync(`${file}.br`).size
      }
      // Before this work the campaign page named 15 scripts: 436 kB, 122 kB as brotli. The share
      // block and the embed's panel came with it too; the page still loads less than before.
      expect(brotli, page).toBeLessThan(116 * 1024)
    }
  })
})
