import { ESLint } from 'eslint'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ROOT } from '../helpers/server.ts'

// Lints one-line snippets as if they sat at the given paths, and counts the messages of one rule, so the
// test holds whether the rules warn or fail the lint. Imports name real files: a layer is known by where
// the imported file lives.
const eslint = new ESLint({ cwd: ROOT })

async function count(ruleId: string, filePath: string, code: string) {
  const [result] = await eslint.lintText(`${code}\nexport const probe = 1\n`, { filePath })
  return result!.messages.filter((m) => m.ruleId === ruleId).length
}

const layerViolations = (filePath: string, code: string) => count('boundaries/dependencies', filePath, code)
const doorViolations = (filePath: string, code: string) => count('no-restricted-syntax', filePath, code)

describe('the layer rules', () => {
  // The plugin prints configuration warnings (for example about file patterns in element
  // descriptors) once, when it first reads the settings.
  const printed: string[] = []
  beforeAll(() => {
    for (const level of ['warn', 'log'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')))
    }
  })
  afterAll(() => vi.restoreAllMocks())

  const forbidden: [string, string, string][] = [
    ['models → workflows', 'app/models/probe.server.ts', `import { signPetition } from '~/workflows/petition.server.ts'`],
    ['models → routes', 'app/models/probe.server.ts', `import { loader } from '~/routes/healthz.tsx'`],
    ['db → models', 'db/probe.server.ts', `import { getPublicCampaign } from '../app/models/campaigns.server.ts'`],
    ['utils → models', 'app/utils/probe.ts', `import type { PublicCampaign } from '~/models/campaigns.server.ts'`],
    ['utils → components', 'app/utils/probe.server.ts', `import type { ImageSet } from '~/components/responsive-image.tsx'`],
    ['components → models', 'app/components/probe.tsx', `import type { PublicCampaign } from '~/models/campaigns.server.ts'`],
    ['components → workflows', 'app/components/probe.tsx', `import type { PrintSheet } from '~/workflows/print.server.ts'`],
    ['components → routes (app/root.tsx)', 'app/components/probe.tsx', `import { useRootData } from '~/root.tsx'`],
    ['workflows → components', 'app/workflows/probe.server.ts', `import { CampaignView } from '~/components/campaign-view.tsx'`],
    ['workflows → routes', 'app/workflows/probe.server.ts', `import { loader } from '~/routes/healthz.tsx'`],
    ['routes → db', 'app/routes/probe.tsx', `import { type DB } from '#db/client.server.ts'`],
    ['routes (app/entry.server.tsx) → db', 'app/entry.server.tsx', `import { type DB } from '#db/client.server.ts'`],
    ['server (app/load-context.ts) → routes', 'app/load-context.ts', `import { loader } from '~/routes/healthz.tsx'`],
    ['utils (app/i18n-resources.ts) → models', 'app/i18n-resources.ts', `import type { PublicCampaign } from '~/models/campaigns.server.ts'`],
  ]

  const allowed: [string, string, string][] = [
    ['routes → workflows', 'app/routes/probe.tsx', `import { signPetition } from '~/workflows/petition.server.ts'`],
    ['routes → models', 'app/routes/probe.tsx', `import { getPublicCampaign } from '~/models/campaigns.server.ts'`],
    ['routes → components', 'app/routes/probe.tsx', `import { CampaignView } from '~/components/campaign-view.tsx'`],
    ['routes (app/root.tsx) → workflows', 'app/root.tsx', `import { getOrganizer } from '~/workflows/session.server.ts'`],
    ['workflows → models', 'app/workflows/probe.server.ts', `import { getPublicCampaign } from '~/models/campaigns.server.ts'`],
    ['workflows → db', 'app/workflows/probe.server.ts', `import { transaction } from '#db/transaction.server.ts'`],
    ['models → db', 'app/models/probe.server.ts', `import { transaction } from '#db/transaction.server.ts'`],
    ['models → models', 'app/models/probe.server.ts', `import { getPublicCampaign } from './campaigns.server.ts'`],
    ['server → workflows', 'server/probe.ts', `import { startSender } from '../app/workflows/mail-sender.server.ts'`],
    ['server (app/load-context.ts) → db', 'app/load-context.ts', `import type { DB } from '../db/client.server.ts'`],
    ['routes → utils', 'app/routes/probe.tsx', `import { formatDate } from '~/utils/i18n.ts'`],
    ['server → utils', 'server/probe.ts', `import { formatDate } from '../app/utils/i18n.ts'`],
    ['workflows → utils', 'app/workflows/probe.server.ts', `import { formatDate } from '~/utils/i18n.ts'`],
    ['models → utils', 'app/models/probe.server.ts', `import { formatDate } from '~/utils/i18n.ts'`],
    ['db → utils', 'db/probe.server.ts', `import { formatDate } from '../app/utils/i18n.ts'`],
    ['components → utils', 'app/components/probe.tsx', `import { formatDate } from '~/utils/i18n.ts'`],
    ['emails → utils', 'emails/probe.tsx', `import { formatDate } from '../app/utils/i18n.ts'`],
    ['utils → utils', 'app/utils/probe.ts', `import { formatDate } from './i18n.ts'`],
    ['utils → utils (app/i18n-resources.ts)', 'app/utils/probe.ts', `import { resources } from '~/i18n-resources.ts'`],
  ]

  it.each(forbidden)('reports %s', async (_, filePath, code) => {
    expect(await layerViolations(filePath, code)).toBe(1)
  })

  it.each(allowed)('allows %s', async (_, filePath, code) => {
    expect(await layerViolations(filePath, code)).toBe(0)
  })

  it('prints no configuration warnings', () => {
    expect(printed.filter((line) => line.includes('boundaries'))).toEqual([])
  })
})

describe('one door to the data', () => {
  it('refuses getDb(), the driver ($client) and db.transaction() in app/', async () => {
    for (const filePath of ['app/models/probe.server.ts', 'app/workflows/probe.server.ts', 'app/routes/probe.tsx']) {
      expect(await doorViolations(filePath, `import { getDb } from '#db/client.server.ts'`), filePath).toBe(1)
      expect(await doorViolations(filePath, `declare const db: { $client: { prepare(sql: string): unknown } }\ndb.$client.prepare('select 1')`), filePath).toBe(1)
      expect(await doorViolations(filePath, `declare const db: { transaction(work: () => void): void }\ndb.transaction(() => {})`), filePath).toBe(1)
    }
  })

  it('allows transaction() and a database passed in', async () => {
    const code = [
      `import { type DB } from '#db/client.server.ts'`,
      `import { transaction } from '#db/transaction.server.ts'`,
      `export async function probeWrite(db: DB) { await transaction(db, async () => {}) }`,
    ].join('\n')
    expect(await doorViolations('app/models/probe.server.ts', code)).toBe(0)
  })

  it('leaves boot code alone: the server and scripts open the database', async () => {
    expect(await doorViolations('server/probe.ts', `import { getDb } from '../db/client.server.ts'`)).toBe(0)
    expect(await doorViolations('scripts/probe.ts', `import { getDb } from '../db/client.server.ts'`)).toBe(0)
  })
})

describe('one place for configuration', () => {
  it('refuses process.env outside app/utils/config.server.ts in app/, server/ and db/', async () => {
    for (const filePath of ['app/models/probe.server.ts', 'app/workflows/probe.server.ts', 'server/probe.ts', 'db/probe.server.ts']) {
      expect(await doorViolations(filePath, `export const port = process.env.PORT`), filePath).toBe(1)
    }
    expect(await doorViolations('app/utils/config.server.ts', `export const port = process.env.PORT`)).toBe(0)
    expect(await doorViolations('scripts/probe.ts', `export const port = process.env.PORT`)).toBe(0)
  })
})
