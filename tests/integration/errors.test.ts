import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/server.ts'
import { openServerSql } from '../helpers/sql.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
})

describe('when something breaks on the server', () => {
  it('shows a friendly error page in the visitor’s language, with no internals', async () => {
    // Break the data under the running server: the campaign page's query now fails.
    const db = openServerSql(server)
    await db.run('drop table update_translations')
    await db.close()
    const response = await fetch(`${server.url}/c/free-andry?lng=de`)
    expect(response.status).toBe(500)
    const html = await response.text()
    expect(html).toContain('Bei uns ist etwas schiefgelaufen')
    expect(html).not.toMatch(/update_translations|SqliteError|at .*\.js:\d+/)
    expect(response.headers.get('content-security-policy')).toContain('nonce-')
  })
})
