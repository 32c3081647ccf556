import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/server.ts'

// The audit log speaks in sentences; an action without one shows its key ("Maria: donor_wall.setting").
// Every action the code records (written out as a string) has a sentence in each language.
function recordedActions() {
  const actions = new Set<string>()
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(file)
      else if (/\.tsx?$/.test(entry.name)) for (const m of fs.readFileSync(file, 'utf8').matchAll(/action: '([a-z_.]+)'/g)) actions.add(m[1]!)
    }
  }
  walk(path.join(ROOT, 'app'))
  return [...actions].sort()
}

describe('audit sentences', () => {
  const actions = recordedActions()
  it('finds the recorded actions', () => expect(actions).toContain('organizer.login'))
  for (const lang of ['en', 'de', 'es']) {
    it(`has one for every recorded action in ${lang}`, () => {
      const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, `app/locales/${lang}/admin.json`), 'utf8')) as { admin: { audit: { actions: Record<string, string> } } }
      const keys = Object.keys(catalog.admin.audit.actions)
      const missing = actions.filter((a) => !keys.some((k) => k === a.replaceAll('.', '_') || k.startsWith(`${a.replaceAll('.', '_')}_`)))
      expect(missing).toEqual([])
    })
  }
})
