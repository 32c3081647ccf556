/**
 * Links that carry a signed token (unsubscribe, email preferences, a monthly gift's manage
 * page) answer any token a visitor can type with a 4xx page: every length, every alphabet,
 * including tokens as long in characters as a real one but longer in bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../helpers/server.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
})

// An HMAC-SHA256 in base64url is 43 characters.
const MAC_LENGTH = 43
const alphabets = {
  ascii: 'A',
  latin: 'é', // two bytes in UTF-8
  cjk: '漢', // three bytes
  emoji: '🕯', // four bytes, two UTF-16 units
  nul: '\u0000',
  percent: '%',
}

function tokens(prefix: string) {
  const out: string[] = []
  for (const char of Object.values(alphabets)) {
    for (const length of [0, 1, MAC_LENGTH - 1, MAC_LENGTH, MAC_LENGTH + 1, 200]) {
      out.push(prefix + char.repeat(length))
    }
  }
  // As long as the real token, in characters, with the right prefix: what used to reach timingSafeEqual.
  out.push(prefix + 'é'.repeat(MAC_LENGTH), prefix + 'A'.repeat(MAC_LENGTH - 1) + 'é')
  return out
}

describe('signed links with tokens of every length and alphabet', () => {
  it.each([
    ['/unsubscribe/', '1.1.'],
    ['/preferences/', '1.'],
    ['/donations/manage/', '1.'],
  ])('%s answers a 4xx page, never a 500', async (path, prefix) => {
    for (const token of tokens(prefix)) {
      for (const suffix of ['', '.data']) {
        const response = await fetch(`${server.url}${path}${encodeURIComponent(token)}${suffix}`, { redirect: 'manual' })
        expect(response.status, `${path}${token}${suffix}`).toBeGreaterThanOrEqual(400)
        expect(response.status, `${path}${token}${suffix}`).toBeLessThan(500)
        await response.arrayBuffer()
      }
      const post = await fetch(`${server.url}${path}${encodeURIComponent(token)}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: server.url },
        body: new URLSearchParams({ intent: 'unsubscribe' }),
      })
      expect(post.status, `POST ${path}${token}`).toBeGreaterThanOrEqual(400)
      expect(post.status, `POST ${path}${token}`).toBeLessThan(500)
      await post.arrayBuffer()
    }
    expect(server.output()).not.toMatch(/RangeError|Input buffers must have the same byte length/)
  })
})
