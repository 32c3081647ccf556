import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/server.ts'

const eslint = new ESLint({ cwd: ROOT })

async function restrictedImports(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length
}

describe('the server-only import rule', () => {
  const imports = [
    `import Database from 'better-sqlite3'`,
    `import { eq } from 'drizzle-orm'`,
    `import Stripe from 'stripe'`,
    `import { Resend } from 'resend'`,
    `import sharp from 'sharp'`,
    `import { getDb } from '#db/client.server.ts'`,
    `import { campaigns } from '../../db/schema.ts'`,
  ]

  it('refuses database, Stripe and Resend imports in routes, components and utils', async () => {
    for (const line of imports) {
      expect(await restrictedImports('app/routes/some-route.tsx', `${line}\nexport const x = 1\n`), line).toBe(1)
      expect(await restrictedImports('app/utils/helper.ts', `${line}\nexport const x = 1\n`), line).toBe(1)
    }
  })

  it('allows them in *.server.ts files', async () => {
    for (const line of imports) {
      expect(await restrictedImports('app/models/thing.server.ts', `${line}\nexport const x = 1\n`), line).toBe(0)
    }
  })
})
