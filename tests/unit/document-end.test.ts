import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { holdDocumentEnd } from '~/services/document-end.server.ts'

async function through(chunks: string[]) {
  return (await buffer(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(holdDocumentEnd()))).toString()
}

const SHELL = '<!DOCTYPE html><html lang="en"><head><title>é</title></head><body><main>Ünïcode</main><script>boot()</script></body></html>'
const STREAMED = '<div hidden id="S:0"><script>enqueue()</script></div><script>$RC("B:0","S:0")</script>'

describe('holdDocumentEnd', () => {
  it('moves the scripts streamed after </html> inside the body', async () => {
    expect(await through([SHELL, STREAMED])).toBe(SHELL.replace('</body></html>', '') + STREAMED + '</body></html>')
  })

  it('finds the closing tags split across chunks at every position, multi-byte characters intact', async () => {
    const whole = SHELL + STREAMED
    const expected = SHELL.replace('</body></html>', '') + STREAMED + '</body></html>'
    for (let cut = 1; cut < whole.length; cut++) {
      expect(await through([whole.slice(0, cut), whole.slice(cut)])).toBe(expected)
    }
  })

  it('leaves a document with nothing streamed after it as it was, and one without the tags untouched', async () => {
    expect(await through([SHELL])).toBe(SHELL)
    expect(await through(['plain', ' text'])).toBe('plain text')
  })
})
